package graph

import (
	"context"
	"encoding/json"
	"math"
	"slices"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/shenzhenplan/kgapi/plan"
)

// maxPrefetchDepth bounds how many levels below a measure connection are
// compiled into its query; deeper fields are batched per level as usual.
const maxPrefetchDepth = 3

// measurePrefetch compiles the selection under a measures connection
// (nodes { … } and edges { node { … } }) into the relationships its query
// should bring along, so that the usual shape — a page of measures with
// their section, aspect, projects and places — costs one round trip.
// Fields with arguments (nested connections) are left to the dataloader.
func measurePrefetch(ctx context.Context) []plan.Prefetch {
	oc, sel := measureSelection(ctx)
	if oc == nil {
		return nil
	}
	return prefetchSpec(oc, plan.KindMeasure, sel, 1)
}

// measureProps is the properties of the measures a measures connection's
// selection reads (nil: whole nodes).
func measureProps(ctx context.Context) []string {
	oc, sel := measureSelection(ctx)
	if oc == nil {
		return nil
	}
	return propsFor(oc, plan.KindMeasure, sel)
}

// measureSelection is the selection under a measures connection's nodes
// and edges { node }.
func measureSelection(ctx context.Context) (*graphql.OperationContext, ast.SelectionSet) {
	if !graphql.HasOperationContext(ctx) || graphql.GetFieldContext(ctx) == nil {
		return nil, nil
	}
	oc := graphql.GetOperationContext(ctx)
	var sel ast.SelectionSet
	for _, f := range graphql.CollectFieldsCtx(ctx, nil) {
		switch f.Name {
		case "nodes":
			sel = append(sel, f.Selections...)
		case "edges":
			for _, e := range graphql.CollectFields(oc, f.Selections, []string{"MeasureEdge"}) {
				if e.Name == "node" {
					sel = append(sel, e.Selections...)
				}
			}
		}
	}
	return oc, sel
}

// propsFor is the properties the selection sel of a node of kind k reads,
// sorted, or nil when it selects a field the model (plan.FieldProps) does
// not know: a new field is never answered from a partial node.
func propsFor(oc *graphql.OperationContext, k plan.Kind, sel ast.SelectionSet) []string {
	fields, ok := plan.FieldProps[k]
	if !ok {
		return nil
	}
	set := map[string]bool{}
	for _, f := range graphql.CollectFields(oc, sel, []string{string(k), "Node"}) {
		if f.Name == "__typename" {
			continue
		}
		ps, ok := fields[f.Name]
		if !ok {
			return nil
		}
		for _, p := range ps {
			set[p] = true
		}
	}
	out := make([]string, 0, len(set))
	for p := range set {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

// nodePrefetch compiles the selection under a field that returns one node
// of kind k into the relationships its lookup should bring along.
func nodePrefetch(ctx context.Context, k plan.Kind) []plan.Prefetch {
	if !graphql.HasOperationContext(ctx) {
		return nil
	}
	fc := graphql.GetFieldContext(ctx)
	if fc == nil {
		return nil
	}
	return prefetchSpec(graphql.GetOperationContext(ctx), k, fc.Field.Selections, 1)
}

// nestedMeasures finds, under the current field (one node of kind k), a
// measures connection that can be answered in the node's lookup: the first
// one, when its arguments are valid. It returns the store query, equal
// (and so with the same plan.PageKey) to the one the connection's resolver
// will build, or nil.
func nestedMeasures(ctx context.Context, k plan.Kind) *plan.MeasureQuery {
	km, _ := plan.KindOf(k)
	scope := km.Scope
	if scope == "" || !graphql.HasOperationContext(ctx) {
		return nil
	}
	fc := graphql.GetFieldContext(ctx)
	if fc == nil {
		return nil
	}
	oc := graphql.GetOperationContext(ctx)
	for _, f := range graphql.CollectFields(oc, fc.Field.Selections, []string{string(k)}) {
		if f.Name != "measures" {
			continue
		}
		args := f.ArgumentMap(oc.Variables)
		var a connArgs
		// The input objects as the resolver will get them: the values were
		// validated against the schema, and a value this cannot read (a
		// single status where the schema takes a list) leaves the
		// connection to its resolver.
		if !inputArg(args["filter"], &a.filter) || !inputArg(args["orderBy"], &a.orderBy) {
			return nil
		}
		var ok1, ok2, ok3, ok4 bool
		a.first, ok1 = intArg(args["first"])
		a.last, ok2 = intArg(args["last"])
		a.after, ok3 = stringArg(args["after"])
		a.before, ok4 = stringArg(args["before"])
		if !ok1 || !ok2 || !ok3 || !ok4 {
			return nil
		}
		// The connection's own field context, as its resolver will see it.
		child := graphql.WithFieldContext(ctx, &graphql.FieldContext{Parent: fc, Field: f, Object: string(k), IsResolver: true})
		q, err := buildMeasureQuery(child, scope, a)
		if err != nil {
			return nil // the resolver reports it
		}
		q.Prefetch, q.Props = measurePrefetch(child), measureProps(child)
		return &q
	}
	return nil
}

// inputArg reads an optional input-object argument value into v.
func inputArg(v any, into any) bool {
	if v == nil {
		return true
	}
	b, err := json.Marshal(v)
	if err != nil {
		return false
	}
	return json.Unmarshal(b, into) == nil
}

// intArg reads an optional Int argument value (as gqlparser gives it).
func intArg(v any) (*int, bool) {
	var n int64
	switch x := v.(type) {
	case nil:
		return nil, true
	case int:
		n = int64(x)
	case int64:
		n = x
	case float64:
		if x != float64(int64(x)) {
			return nil, false
		}
		n = int64(x)
	case json.Number:
		var err error
		if n, err = x.Int64(); err != nil {
			return nil, false
		}
	default:
		return nil, false
	}
	if n > math.MaxInt32 || n < math.MinInt32 {
		return nil, false
	}
	i := int(n)
	return &i, true
}

// stringArg reads an optional String argument value.
func stringArg(v any) (*string, bool) {
	switch x := v.(type) {
	case nil:
		return nil, true
	case string:
		return &x, true
	}
	return nil, false
}

func prefetchSpec(oc *graphql.OperationContext, kind plan.Kind, sel ast.SelectionSet, depth int) []plan.Prefetch {
	if len(sel) == 0 {
		return nil
	}
	var out []plan.Prefetch
	index := map[plan.Relation]int{}
	for _, f := range graphql.CollectFields(oc, sel, []string{string(kind)}) {
		if len(f.Arguments) > 0 {
			continue
		}
		rel := plan.Relation(string(kind) + "." + f.Name)
		target, ok := plan.PrefetchTargets[rel]
		if !ok {
			continue
		}
		var children []plan.Prefetch
		if depth < maxPrefetchDepth {
			children = prefetchSpec(oc, target, f.Selections, depth+1)
		}
		props := propsFor(oc, target, f.Selections)
		if i, seen := index[rel]; seen {
			out[i].Children = mergePrefetch(out[i].Children, children)
			out[i].Props = unionProps(out[i].Props, props)
			continue
		}
		index[rel] = len(out)
		out = append(out, plan.Prefetch{Rel: rel, Children: children, Props: props})
	}
	return out
}

func mergePrefetch(a, b []plan.Prefetch) []plan.Prefetch {
	for _, p := range b {
		merged := false
		for i := range a {
			if a[i].Rel == p.Rel {
				a[i].Children = mergePrefetch(a[i].Children, p.Children)
				a[i].Props = unionProps(a[i].Props, p.Props)
				merged = true
			}
		}
		if !merged {
			a = append(a, p)
		}
	}
	return a
}

// unionProps merges the properties two selections of the same nodes read;
// nil (whole nodes) wins.
func unionProps(a, b []string) []string {
	if a == nil || b == nil {
		return nil
	}
	out := append(slices.Clone(a), b...)
	slices.Sort(out)
	return slices.Compact(out)
}
