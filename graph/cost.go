package graph

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/99designs/gqlgen/complexity"
	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/shenzhenplan/kgapi/plan"
)

// The cost model. An operation costs what the database reads to answer
// it, counted in nodes, before any Cypher runs:
//
//   - a node a field reaches costs 1: a to-one field 1, a to-many field of
//     the model (Measure.projects) its typical fan-out (plan.Edge.Fanout)
//     per parent, a root list of a kind (sectors) the kind's typical
//     population (plan.KindModel.Population);
//   - a connection or a paged list costs 1 plus, per item it may return
//     (first or last, plan.DefaultPageSize by default; search 10 by default;
//     nodes one per id, _entities one per representation), the item's
//     node (1) and its selection;
//   - scalars (code, title, totalCount, a count, an enum) cost nothing:
//     they come with the node that holds them, or from kept counts; an
//     object that is not a node (an edge, a search hit, stats) costs what
//     it selects, at least 1; pageInfo is free;
//   - a node found by a key (node(id:), lookup(by:), measure(code:),
//     project(slug:)…) costs 1 plus its selection, whichever key it uses;
//   - a neighbourhood costs 1 plus half its limit, a path 10 per hop of
//     maxDepth: both are one bounded query (see store/subgraph.go).
//
// So a page of 50 measures with their section, aspect, projects, sectors,
// places, milestones and sources costs 1 + 50 × (1 + 1 + 1 + 2 + 2 + 2 + 1
// + 2) = 601 (about the nodes it reads), and a list of measures with the
// measures of each of their projects multiplies as its reads do. The
// default budget (MAX_COMPLEXITY) is 1,000. The fan-outs and populations
// are means measured on the bundled data and the 100,000-measure
// synthetic plan (TestCostTracksReads keeps them honest).

// Priced wraps an executable schema so that operations are priced by the
// cost model above; gqlgen's complexity limit reads the price, given the
// options of CostOptions.
func Priced(es graphql.ExecutableSchema) graphql.ExecutableSchema {
	return pricedSchema{ExecutableSchema: es, rules: priceRules(es.Schema())}
}

// CostOptions are the options of gqlgen's complexity walk that complete
// the model: scalars and enums cost nothing, and a connection's pageInfo
// is not counted (it is not read per item).
func CostOptions(s *ast.Schema) []complexity.Option {
	ignore := map[string]struct{}{}
	for _, def := range s.Types {
		for _, f := range def.Fields {
			if f.Type.Name() == "PageInfo" {
				ignore[def.Name+"."+f.Name] = struct{}{}
			}
		}
	}
	return []complexity.Option{complexity.WithFixedScalarValue(0), complexity.WithIgnoreFields(ignore)}
}

type pricedSchema struct {
	graphql.ExecutableSchema
	rules map[string]priceRule // "Type.field"
}

// Complexity implements graphql.ExecutableSchema: the price of one field
// whose selection costs child.
func (p pricedSchema) Complexity(_ context.Context, typeName, field string, child int, args map[string]any) (int, bool) {
	rule, ok := p.rules[typeName+"."+field]
	if !ok {
		return 0, false // a scalar or an enum: CostOptions make it free
	}
	return rule(child, args), true
}

// priceRule prices one field from its selection's cost and its arguments.
type priceRule func(child int, args map[string]any) int

// priceRules derives a rule for each field that reads nodes, from the
// schema (what the field returns) and the graph model (fan-outs and
// populations). Every other field costs its selection.
func priceRules(s *ast.Schema) map[string]priceRule {
	rules := map[string]priceRule{}
	kind := func(t *ast.Type) (plan.KindModel, bool) {
		name := t.Name()
		if def := s.Types[name]; def != nil && (def.Kind == ast.Interface || def.Kind == ast.Union) {
			return plan.KindModel{Kind: plan.Kind(name)}, true // Node: some kind
		}
		return plan.KindOf(plan.Kind(name))
	}
	for _, def := range s.Types {
		if def.Kind != ast.Object || strings.HasPrefix(def.Name, "__") {
			continue
		}
		owner, ownerIsKind := plan.KindOf(plan.Kind(def.Name))
		root := def.Name == "Query" || def.Name == "Mutation" || def.Name == "Subscription"
		for _, f := range def.Fields {
			key := def.Name + "." + f.Name
			switch {
			case strings.HasSuffix(f.Type.Name(), "Connection"):
				rules[key] = perItem(pageArg("first", plan.DefaultPageSize), pageArg("last", 0), 0)
			case def.Name == "Query" && f.Name == "search":
				rules[key] = perItem(pageArg("first", 10), nil, 0)
			case def.Name == "Query" && f.Name == "nodes":
				rules[key] = perItem(func(args map[string]any) int { return listLen(args["ids"]) }, nil, 1)
			case def.Name == "Query" && f.Name == "_entities":
				// Apollo Federation: like nodes, one node per representation.
				rules[key] = perItem(func(args map[string]any) int { return listLen(args["representations"]) }, nil, 1)
			case def.Name == "Query" && (f.Name == "node" || f.Name == "lookup"):
				// One node by one key, whichever: 1 and its selection.
				rules[key] = func(child int, _ map[string]any) int { return saturate(1, child) }
			case def.Name == "Query" && f.Name == "neighborhood":
				rules[key] = func(child int, args map[string]any) int {
					return saturate(1+pageArg("limit", 200)(args)/2, child)
				}
			case def.Name == "Query" && f.Name == "path":
				rules[key] = func(child int, args map[string]any) int {
					return saturate(1+10*pageArg("maxDepth", 6)(args), child)
				}
			default:
				target, reaches := kind(f.Type)
				if !reaches {
					if def := s.Types[f.Type.Name()]; def != nil && def.Kind != ast.Scalar && def.Kind != ast.Enum {
						// A wrapper object (an edge, a hit, stats) costs its
						// selection, at least 1 (gqlgen takes no price below 1).
						rules[key] = func(child int, _ map[string]any) int { return max(child, 1) }
					}
					continue
				}
				n := 1
				if f.Type.Elem != nil && (ownerIsKind || root) { // a list of nodes
					n = fanout(owner, ownerIsKind, root, target, f.Name)
				}
				// (In a wrapper — a connection's nodes, an edge's or a
				// hit's node — each node costs 1: the wrapper's parent
				// multiplies by the items it may return.)
				rules[key] = func(child int, _ map[string]any) int { return times(n, 1+child) }
			}
		}
	}
	return rules
}

// fanout is how many nodes a list field of owner typically reaches: an
// edge's fan-out, the sources a node cites, or, at the root, the kind's
// population.
func fanout(owner plan.KindModel, ownerIsKind, root bool, target plan.KindModel, field string) int {
	switch {
	case root:
		return max(target.Population, 1)
	case ownerIsKind && field == "sources":
		return plan.SourcesFanout
	case ownerIsKind:
		for _, e := range owner.Edges {
			if e.Field == field {
				return max(e.Fanout, 1)
			}
		}
	}
	return 1
}

// perItem prices a field that returns up to n items (the larger of its
// two page arguments): 1 plus, per item, self and its selection. A
// connection's or a search's selection already holds the 1 of each node
// (nodes, edges { node }, hits' node), so self is 0 for them; nodes(ids)
// selects on the node itself, so self is 1.
func perItem(n func(map[string]any) int, alt func(map[string]any) int, self int) priceRule {
	return func(child int, args map[string]any) int {
		k := n(args)
		if alt != nil {
			k = max(k, alt(args))
		}
		return saturate(1, times(k, self+child))
	}
}

// pageArg reads the integer argument name, def when absent or not a
// number (validation reports it).
func pageArg(name string, def int) func(map[string]any) int {
	return func(args map[string]any) int {
		switch v := args[name].(type) {
		case int:
			return max(v, 0)
		case int64:
			return int(max(min(v, ceiling), 0))
		case float64:
			return int(max(min(v, ceiling), 0))
		case json.Number:
			if i, err := v.Int64(); err == nil {
				return int(max(min(i, ceiling), 0))
			}
		}
		return def
	}
}

func listLen(v any) int {
	if l, ok := v.([]any); ok {
		return len(l)
	}
	return 1
}

// ceiling is the price that stands for "more than any budget".
const ceiling = 1 << 30

// times is n·c, saturating at ceiling.
func times(n, c int) int {
	if n <= 0 || c <= 0 {
		return 0
	}
	if n > ceiling/c {
		return ceiling
	}
	return min(n*c, ceiling)
}

// saturate is a + b, saturating at ceiling.
func saturate(a, b int) int { return min(a+max(b, 0), ceiling) }
