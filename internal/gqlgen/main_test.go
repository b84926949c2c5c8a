package main

import "testing"

// TestSliceCall: the pass finds gqlgen's list marshalling as gqlgen writes
// it, and nothing else: a body of another shape makes generation fail
// rather than stay unrewritten.
func TestSliceCall(t *testing.T) {
	const elem = "marshalNGraphEdge2githubᚗcomᚋshenzhenplanᚋkgapiᚋplanᚐGraphEdge"
	for _, c := range []struct {
		name, body string
		match      bool
	}{
		{"gqlgen v0.17.98", `ret := graphql.MarshalSliceConcurrently(ctx, len(v), 8, false, func(ctx context.Context, i int) graphql.Marshaler {
		fc := graphql.GetFieldContext(ctx)
		fc.Result = &v[i]
		return ec.` + elem + `(ctx, sel, v[i])
	})`, true},
		{"no worker limit, panics not recovered", `ret := graphql.MarshalSliceConcurrently(ctx, len(v), 0, true, func(ctx context.Context, i int) graphql.Marshaler {
		fc := graphql.GetFieldContext(ctx)
		fc.Result = &v[i]
		return ec.` + elem + `(ctx, sel, v[i])
	})`, true},
		{"another element", `ret := graphql.MarshalSliceConcurrently(ctx, len(v), 8, false, func(ctx context.Context, i int) graphql.Marshaler {
		fc := graphql.GetFieldContext(ctx)
		fc.Result = &v[i]
		return ec.marshalNCount2githubᚗcomᚋshenzhenplanᚋkgapiᚋplanᚐCount(ctx, sel, v[i])
	})`, false},
		{"a body gqlgen might write one day", `ret := graphql.MarshalSlice(ctx, len(v), func(ctx context.Context, i int) graphql.Marshaler {
		return ec.` + elem + `(ctx, sel, v[i])
	})`, false},
	} {
		if got := sliceCall(elem).MatchString(c.body); got != c.match {
			t.Errorf("%s: matched %v, want %v", c.name, got, c.match)
		}
	}
}
