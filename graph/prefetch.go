package graph

import (
	"context"
	"encoding/json"
	"math"

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
	if !graphql.HasOperationContext(ctx) || graphql.GetFieldContext(ctx) == nil {
		return nil
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
	return prefetchSpec(oc, plan.KindMeasure, sel, 1)
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

// measureScopes is the scope of the measures connection of each kind.
var measureScopes = map[plan.Kind]plan.Scope{
	plan.KindPlan: plan.ScopePlan, plan.KindSection: plan.ScopeSection, plan.KindAspect: plan.ScopeAspect,
	plan.KindProject: plan.ScopeProject, plan.KindSector: plan.ScopeSector, plan.KindPlace: plan.ScopePlace,
	plan.KindMilestone: plan.ScopeMilestone,
}

// nestedMeasures finds, under the current field (one node of kind k), a
// measures connection that can be answered in the node's lookup: the first
// one, when it has no filter and no orderBy and its arguments are valid. It
// returns the store query and the dataloader key the connection's resolver
// will compute for it, or nil.
func nestedMeasures(ctx context.Context, k plan.Kind) (*plan.MeasureQuery, string) {
	scope, ok := measureScopes[k]
	if !ok || !graphql.HasOperationContext(ctx) {
		return nil, ""
	}
	fc := graphql.GetFieldContext(ctx)
	if fc == nil {
		return nil, ""
	}
	oc := graphql.GetOperationContext(ctx)
	for _, f := range graphql.CollectFields(oc, fc.Field.Selections, []string{string(k)}) {
		if f.Name != "measures" {
			continue
		}
		args := f.ArgumentMap(oc.Variables)
		if args["filter"] != nil || args["orderBy"] != nil {
			return nil, ""
		}
		var a connArgs
		var ok1, ok2, ok3, ok4 bool
		a.first, ok1 = intArg(args["first"])
		a.last, ok2 = intArg(args["last"])
		a.after, ok3 = stringArg(args["after"])
		a.before, ok4 = stringArg(args["before"])
		if !ok1 || !ok2 || !ok3 || !ok4 {
			return nil, ""
		}
		// The connection's own field context, as its resolver will see it.
		child := graphql.WithFieldContext(ctx, &graphql.FieldContext{Parent: fc, Field: f, Object: string(k), IsResolver: true})
		q, key, err := buildMeasureQuery(child, scope, a)
		if err != nil {
			return nil, "" // the resolver reports it
		}
		q.Prefetch = measurePrefetch(child)
		return &q, key
	}
	return nil, ""
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
		if i, seen := index[rel]; seen {
			out[i].Children = mergePrefetch(out[i].Children, children)
			continue
		}
		index[rel] = len(out)
		out = append(out, plan.Prefetch{Rel: rel, Children: children})
	}
	return out
}

func mergePrefetch(a, b []plan.Prefetch) []plan.Prefetch {
	for _, p := range b {
		merged := false
		for i := range a {
			if a[i].Rel == p.Rel {
				a[i].Children = mergePrefetch(a[i].Children, p.Children)
				merged = true
			}
		}
		if !merged {
			a = append(a, p)
		}
	}
	return a
}
