package graph_test

import (
	"context"
	"fmt"
	"math"
	"testing"

	"github.com/99designs/gqlgen/complexity"
	"github.com/vektah/gqlparser/v2"

	"github.com/shenzhenplan/kgapi/dataset"
	"github.com/shenzhenplan/kgapi/graph"
	"github.com/shenzhenplan/kgapi/graph/generated"
	"github.com/shenzhenplan/kgapi/plan"
)

// defaultBudget is MAX_COMPLEXITY's default (server.DefaultLimits).
const defaultBudget = 1000

// price is what the cost model charges for the query.
func price(t *testing.T, query string, vars map[string]any) int {
	t.Helper()
	es := graph.Priced(generated.NewExecutableSchema(generated.Config{}))
	doc, err := gqlparser.LoadQuery(es.Schema(), query)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return complexity.Calculate(context.Background(), es, doc.Operations[0], vars, graph.CostOptions(es.Schema())...)
}

// TestCostModel holds both sides of the default budget: the queries apps
// send (a measures table with its links, a project page, the explorer's
// calls, the README's examples, a page of 100 codes and titles) pass it,
// and shapes whose reads multiply are refused before any Cypher runs. The
// exact prices pin the formula of graph/cost.go.
func TestCostModel(t *testing.T) {
	tests := []struct {
		name  string
		query string
		vars  map[string]any
		want  int
	}{
		// Pass.
		{"measures table of 50 with every link", `{ measures(first: 50) { totalCount nodes { code title status
			section { number title } aspect { number title } projects { slug name } sectors { slug name }
			places { slug name } milestones { year } sources { title url excerpt } } pageInfo { hasNextPage endCursor } } }`, nil,
			1 + 50*(1+1+1+2+2+2+1+2)},
		{"page of 100 codes and titles", `{ measures(first: 100) { nodes { code title } } }`, nil, 1 + 100},
		{"project page", `query($slug: String!) { project(slug: $slug) { name nameZh kind description
			places { name within { name } } sectors { name } sources { title url }
			measures(first: 20) { totalCount nodes { code title status section { title } } } } }`, map[string]any{"slug": "qianhai"},
			1 + 2*(1+1) + 2 + 2 + (1 + 20*(1+1))},
		{"explorer: neighbourhood", `query($id: ID!, $depth: Int, $limit: Int) { neighborhood(id: $id, depth: $depth, limit: $limit) {
			truncated nodes { id type label } edges { id source target type } } }`, map[string]any{"id": "x", "depth": 1, "limit": 60}, 1 + 30 + 2},
		{"explorer: search", `query($text: String!) { search(text: $text, first: 20) { score snippet node { id ... on Measure { code title } ... on Project { name } } } }`,
			map[string]any{"text": "Qianhai"}, 1 + 20},
		{"explorer: node with its links", `query($id: ID!) { node(id: $id) { id ... on Measure { code title projects { id name } sectors { id name }
			places { id name } milestones { id year } sources { id title } } } }`, map[string]any{"id": "x"}, 1 + 2 + 2 + 2 + 1 + 2},
		{"README: sectors with their first measures", `{ sectors { name measures(first: 5) { totalCount nodes { code title } } } }`, nil,
			20 * (1 + 1 + 5)},
		{"README: plan outline", `{ plan(slug: "shenzhen-pdz-action-plan") { title sections { number title aspects { number title } measures(first: 10) { nodes { code title } } } } }`, nil,
			1 + 3*(1+3+1+10)},
		{"lookup with its links, priced like node(id:)", `query($by: NodeKey!) { lookup(by: $by) { id ... on Measure { code title projects { id name } sectors { id name }
			places { id name } milestones { id year } sources { id title } } } }`, map[string]any{"by": map[string]any{"measure": map[string]any{"code": "S1.M1"}}}, 1 + 2 + 2 + 2 + 1 + 2},
		{"stats", `{ stats { measures byStatus { key count } bySector { key label count } } }`, nil, 2},
		{"federation: 40 measures for a gateway", `query($r: [_Any!]!) { _entities(representations: $r) { ... on Measure { title projects { name } } } }`,
			map[string]any{"r": reps(40)}, 1 + 40*(1+2)},
		// Refused: reads that multiply.
		{"nested connections", `{ sectors { measures(first: 100) { nodes { projects { measures(first: 100) { nodes { code } } } } } } }`, nil,
			20 * (1 + 1 + 100*(1+2*(1+1+100)))},
		{"places with their projects' measures", `{ places { projects { measures(first: 20) { nodes { code } } } } }`, nil,
			500 * (1 + 7*(1+1+20))},
		{"three full pages of rich measures", `{ a: measures(first: 100) { nodes { projects { name } sectors { name } places { name } sources { title } } }
			b: measures(first: 100, after: "x") { nodes { code } }
			c: measures(first: 100, orderBy: [{field: TITLE}]) { nodes { projects { name } sectors { name } places { name } sources { title } } } }`, nil,
			2*(1+100*(1+2+2+2+2)) + 1 + 100},
		{"federation: representations priced one by one", `query($r: [_Any!]!) { _entities(representations: $r) { ... on Measure { title projects { name } } } }`,
			map[string]any{"r": reps(400)}, 1 + 400*(1+2)},
		{"absurd first", `{ measures(first: 2000000000) { nodes { projects { measures(first: 2000000000) { nodes { code } } } } } }`, nil, 1 << 30},
	}
	pass := 11
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := price(t, tt.query, tt.vars)
			if got != tt.want {
				t.Errorf("price %d, want %d", got, tt.want)
			}
			if ok := got <= defaultBudget; ok != (i < pass) {
				t.Errorf("price %d against the default budget %d: passes %v, want %v", got, defaultBudget, ok, i < pass)
			}
		})
	}
}

// TestLookupPricedLikeNode: lookup(by:) costs what node(id:) costs for the
// same selection, whichever key it is given.
func TestLookupPricedLikeNode(t *testing.T) {
	selections := []string{
		`{ id }`,
		`{ ... on Measure { code projects { name } sources { title } } }`,
		`{ ... on Project { name places { name within { name } } measures(first: 20) { nodes { code } } } }`,
	}
	keys := []string{`{id: "x"}`, `{measure: {code: "S1.M1", plan: "p"}}`, `{slug: {kind: PROJECT, slug: "qianhai"}}`}
	for _, sel := range selections {
		want := price(t, `{ node(id: "x") `+sel+` }`, nil)
		for _, key := range keys {
			t.Run(key+sel, func(t *testing.T) {
				if got := price(t, `{ lookup(by: `+key+`) `+sel+` }`, nil); got != want {
					t.Errorf("lookup(by: %s) %s costs %d, node(id:) %d", key, sel, got, want)
				}
			})
		}
	}
}

// reps is n representations of measures, as a gateway sends them to _entities.
func reps(n int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = map[string]any{"__typename": "Measure", "code": fmt.Sprintf("S1.M%d", i+1), "plan": map[string]any{"slug": "shenzhen-pdz-action-plan"}}
	}
	return out
}

// TestCostTracksReads keeps the fan-outs of the model honest: each is the
// mean number of nodes the field reaches, rounded up, on the bundled data
// or on the 100,000-measure synthetic plan (loader synth), whichever is
// larger — never below
// it (the model would under-price) and not above it by more than one.
func TestCostTracksReads(t *testing.T) {
	bundled, err := dataset.Parse("../data/shenzhen-2019-2025.yaml")
	if err != nil {
		t.Fatal(err)
	}
	means := map[plan.Relation]float64{}
	for _, d := range []*dataset.Dataset{bundled, dataset.Synth(100000, 1)} {
		for rel, m := range degrees(d) {
			means[rel] = math.Max(means[rel], m)
		}
	}
	for rel, mean := range means {
		t.Run(string(rel), func(t *testing.T) {
			got := fanoutOf(t, rel)
			want := int(math.Ceil(mean - 1e-9))
			if got < want || got > want+1 {
				t.Errorf("fan-out %d in the model, measured mean %.2f (want %d)", got, mean, want)
			}
		})
	}
}

func fanoutOf(t *testing.T, rel plan.Relation) int {
	t.Helper()
	from, field, _ := cut(string(rel))
	k, _ := plan.KindOf(plan.Kind(from))
	for _, e := range k.Edges {
		if e.Field == field {
			return e.Fanout
		}
	}
	t.Fatalf("%s is not an edge of the model", rel)
	return 0
}

func cut(s string) (string, string, bool) {
	for i := range s {
		if s[i] == '.' {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

// degrees is the mean number of nodes each to-many field reaches, from
// the dataset file's own structure.
func degrees(d *dataset.Dataset) map[plan.Relation]float64 {
	sum := map[plan.Relation]int{}
	n := map[plan.Relation]int{}
	add := func(rel plan.Relation, k int) { sum[rel] += k; n[rel]++ }
	sectorProjects, placeProjects, contains := map[string]int{}, map[string]int{}, map[string]int{}
	for _, p := range d.Plans {
		add(plan.RelPlanSections, len(p.Sections))
		add(plan.RelPlanMilestones, len(p.Milestones))
		for _, s := range p.Sections {
			add(plan.RelSectionAspects, len(s.Aspects))
			ms := s.Measures
			for _, a := range s.Aspects {
				ms = append(ms, a.Measures...)
			}
			for _, m := range ms {
				add(plan.RelMeasureProjects, len(m.Projects))
				add(plan.RelMeasureSectors, len(m.Sectors))
				add(plan.RelMeasurePlaces, len(m.Places))
				add(plan.RelMeasureMilestone, len(m.Milestones))
			}
		}
	}
	for _, p := range d.Projects {
		add(plan.RelProjectPlaces, len(p.Places))
		add(plan.RelProjectSectors, len(p.Sectors))
		for _, s := range p.Sectors {
			sectorProjects[s.To]++
		}
		for _, l := range p.Places {
			placeProjects[l.To]++
		}
	}
	for _, s := range d.Sectors {
		add(plan.RelSectorProjects, sectorProjects[s.Slug])
	}
	for _, p := range d.Places {
		add(plan.RelPlaceProjects, placeProjects[p.Slug])
		if p.Within != nil {
			contains[p.Within.To]++
		}
	}
	for _, p := range d.Places {
		add(plan.RelPlaceContains, contains[p.Slug])
	}
	out := map[plan.Relation]float64{}
	for rel, s := range sum {
		out[rel] = float64(s) / float64(n[rel])
	}
	return out
}
