package graph

import (
	"context"
	"sort"
	"strings"

	"github.com/99designs/gqlgen/graphql"

	"github.com/shenzhenplan/kgapi/graph/dataloader"
	"github.com/shenzhenplan/kgapi/graph/model"
	"github.com/shenzhenplan/kgapi/plan"
)

// slugKinds maps SlugKind to the kinds whose natural key is a slug, by
// name (SlugKind EVENT is the kind Event), derived from the graph model.
var slugKinds = func() map[model.SlugKind]plan.Kind {
	out := map[model.SlugKind]plan.Kind{}
	for _, sk := range model.AllSlugKind {
		for _, k := range plan.Model.Kinds {
			if k.Key == "slug" && strings.EqualFold(string(k.Kind), string(sk)) {
				out[sk] = k.Kind
			}
		}
	}
	return out
}()

// lookup resolves Query.lookup: one node by exactly one of its keys, in one
// store round trip (the one node(id:), measure(code:) or the slug's root
// field would make).
func (r *Resolver) lookup(ctx context.Context, by model.NodeKey) (plan.Node, error) {
	if err := checkOneOf(ctx, "by", by); err != nil {
		return nil, err
	}
	switch {
	case by.ID != nil:
		return r.node(ctx, *by.ID)
	case by.Measure != nil:
		m, err := r.measure(ctx, by.Measure.Code, by.Measure.Plan)
		if err != nil || m == nil {
			return nil, err // never a typed nil in the interface
		}
		dataloader.Group(r.loaders(ctx), []plan.Node{m})
		return m, nil
	default:
		k, ok := slugKinds[by.Slug.Kind]
		if !ok {
			return nil, plan.Errorf(plan.EINVALID, "by.slug.kind: unknown kind %q", by.Slug.Kind)
		}
		return findByKey[plan.Node](ctx, r, k, by.Slug.Slug)
	}
}

// checkOneOf enforces the one-of rule of NodeKey (@oneOf): exactly one
// field, and not null. gqlparser checks it for a literal argument but not
// for a whole input supplied by a variable, so the resolver checks it for
// both. The argument as sent is read from the request when there is one
// (an explicit null counts as a field set to null); else from the
// unmarshalled value.
func checkOneOf(ctx context.Context, arg string, by model.NodeKey) error {
	var set, null []string
	if raw, ok := rawArgument(ctx, arg); ok {
		for name, v := range raw {
			set = append(set, name)
			if v == nil {
				null = append(null, name)
			}
		}
	} else {
		if by.ID != nil {
			set = append(set, "id")
		}
		if by.Measure != nil {
			set = append(set, "measure")
		}
		if by.Slug != nil {
			set = append(set, "slug")
		}
	}
	sort.Strings(set)
	sort.Strings(null)
	const fields = "id, measure or slug"
	switch {
	case len(set) == 0:
		return plan.Errorf(plan.EINVALID, "%s: set exactly one of %s (none is set)", arg, fields)
	case len(set) > 1:
		return plan.Errorf(plan.EINVALID, "%s: set exactly one of %s, not %s", arg, fields, strings.Join(set, " and "))
	case len(null) > 0:
		return plan.Errorf(plan.EINVALID, "%s.%s must not be null: set exactly one of %s", arg, null[0], fields)
	}
	return nil
}

// rawArgument is the current field's argument name as the request gave it
// (variables substituted), when it is an object.
func rawArgument(ctx context.Context, name string) (map[string]any, bool) {
	if !graphql.HasOperationContext(ctx) {
		return nil, false
	}
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || fc.Field.Field == nil {
		return nil, false
	}
	v, ok := fc.Field.ArgumentMap(graphql.GetOperationContext(ctx).Variables)[name].(map[string]any)
	return v, ok
}
