package graph

import (
	"context"

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
