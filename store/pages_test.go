package store_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/shenzhenplan/kgapi/dataset"
	"github.com/shenzhenplan/kgapi/internal/testneo4j"
	"github.com/shenzhenplan/kgapi/plan"
	"github.com/shenzhenplan/kgapi/store"
)

func TestMain(m *testing.M) { os.Exit(testneo4j.Main(m)) }

// TestDeepPagesReadOnlyThePage pins the property that keeps paging flat as a
// plan grows: a page reached by a cursor deep in a plan's measures, ordered
// by code, title, section or milestone year (whose first keys tie in large
// groups), reads the (plan, sort key) index from the cursor on,
// in order, and stops after the page, instead of reading and sorting the
// rest of the plan. It PROFILEs the compiled query on a synthetic plan of
// 4,000 measures and counts the rows the index operators produce; it also
// checks the page against a plain ORDER BY … SKIP.
func TestDeepPagesReadOnlyThePage(t *testing.T) {
	const measures, depth, first = 4000, 3000, 20
	s := testneo4j.Store(t)
	testneo4j.Wipe(t, s)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := s.EnsureSchema(ctx); err != nil {
		t.Fatal(err)
	}
	const name = "synth-4000-3"
	if _, err := s.Load(ctx, store.ToRows(dataset.Synth(measures, 3), name), store.LoadOptions{}); err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	planID := plan.NewID(plan.KindPlan, name)
	// Load has refreshed the index statistics (store.RefreshStatistics):
	// without that the planner may scan right after a load.
	cases := []struct {
		name     string
		order    plan.OrderField
		desc     bool
		backward bool
		keys     string // the sort key list the compiler uses for this order
		filtered bool
	}{
		{"code", plan.OrderCode, false, false, "[m.codeKey, m.id]", false},
		{"code desc", plan.OrderCode, true, false, "[m.codeKey, m.id]", false},
		{"code backward", plan.OrderCode, false, true, "[m.codeKey, m.id]", false},
		{"title", plan.OrderTitle, false, false, "[m.title, m.codeKey, m.id]", false},
		{"title desc", plan.OrderTitle, true, false, "[m.title, m.codeKey, m.id]", false},
		{"title backward", plan.OrderTitle, false, true, "[m.title, m.codeKey, m.id]", false},
		{"title filtered", plan.OrderTitle, false, false, "[m.title, m.codeKey, m.id]", true},
		// Orders whose first key ties in groups of a thousand and more: the
		// cursor sits deep in its group, which must not be read up to it.
		{"section", plan.OrderSection, false, false, "[m.sortSection, m.codeKey, m.id]", false},
		{"section backward", plan.OrderSection, false, true, "[m.sortSection, m.codeKey, m.id]", false},
		{"milestone year", plan.OrderMilestoneYear, false, false, "[m.sortYear, m.codeKey, m.id]", false},
		{"milestone year backward", plan.OrderMilestoneYear, false, true, "[m.sortYear, m.codeKey, m.id]", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			where := ""
			q := plan.MeasureQuery{Scope: plan.ScopePlan, Order: []plan.Order{{Field: tc.order, Desc: tc.desc}}}
			if tc.filtered {
				where = " AND m.sectionNumber = 2"
				two := 2
				q.Filter.Section = &two
			}
			// The reference order: the keys sorted in the page's direction.
			dir := ""
			if tc.desc {
				dir = " DESC"
			}
			var order []string
			keys := strings.Split(strings.Trim(tc.keys, "[]"), ", ")
			for _, k := range keys {
				if tc.order != plan.OrderCode && k != keys[0] || tc.order == plan.OrderCode && k == "m.id" {
					order = append(order, k) // ties: ascending (code), or the code's direction
					if tc.order == plan.OrderCode {
						order[len(order)-1] += dir
					}
					continue
				}
				order = append(order, k+dir)
			}
			ref := queryStrings(t, s, fmt.Sprintf(`MATCH (m:Measure) WHERE m.plan = $plan%s
WITH m ORDER BY %s RETURN %s AS keys, m.id AS id`, where, strings.Join(order, ", "), tc.keys), map[string]any{"plan": string(planID)})
			if len(ref) < depth+first+1 {
				t.Fatalf("only %d measures match; the test needs %d", len(ref), depth+first+1)
			}
			n := first
			var want []string
			if tc.backward {
				q.Last, q.Before = &n, ref[depth].keys
				for _, r := range ref[depth-first : depth] {
					want = append(want, r.id)
				}
			} else {
				q.First, q.After = &n, ref[depth].keys
				for _, r := range ref[depth+1 : depth+1+first] {
					want = append(want, r.id)
				}
			}

			pages, err := s.Measures(ctx, q, []plan.ID{planID})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, m := range pages[planID].Measures {
				got = append(got, string(m.ID))
			}
			if !slices.Equal(got, want) {
				t.Fatalf("page after position %d:\n got %v\nwant %v", depth, got, want)
			}

			cypher, params, err := store.CompileMeasures(q, []string{string(planID)})
			if err != nil {
				t.Fatal(err)
			}
			res, err := neo4j.ExecuteQuery(ctx, s.Driver(), "PROFILE "+cypher, params, neo4j.EagerResultTransformer,
				neo4j.ExecuteQueryWithDatabase(s.Database()), neo4j.ExecuteQueryWithReadersRouting())
			if err != nil {
				t.Fatal(err)
			}
			read := indexRows(res.Summary.Profile())
			// Unfiltered, the index yields the page and its look-ahead row
			// (and the cursor row itself, which the >= bound admits, and the row
			// that tells PartialTop its last group is complete);
			// filtered to one section of three, about three times that.
			budget := first + 3
			if tc.filtered {
				budget = 6 * (first + 3)
			}
			if read > budget {
				t.Errorf("the index operators produced %d rows for a page of %d, %d deep; want at most %d (the page is no longer read in index order)\n%s\n%s",
					read, first, depth, budget, cypher, planText(res.Summary.Profile(), 0))
			}
		})
	}
}

type keyedID struct {
	keys []any
	id   string
}

func queryStrings(t *testing.T, s *store.Store, cypher string, params map[string]any) []keyedID {
	t.Helper()
	res, err := neo4j.ExecuteQuery(context.Background(), s.Driver(), cypher, params, neo4j.EagerResultTransformer,
		neo4j.ExecuteQueryWithDatabase(s.Database()))
	if err != nil {
		t.Fatalf("%v\n%s", err, cypher)
	}
	out := make([]keyedID, 0, len(res.Records))
	for _, r := range res.Records {
		k, _, _ := neo4j.GetRecordValue[[]any](r, "keys")
		id, _, _ := neo4j.GetRecordValue[string](r, "id")
		out = append(out, keyedID{k, id})
	}
	return out
}

// indexRows sums the rows produced by the plan's node index and label scan
// operators: how much of the index the query read.
func indexRows(p neo4j.ProfiledPlan) int {
	if p == nil {
		return 0
	}
	n := 0
	op := p.Operator()
	if strings.HasPrefix(op, "NodeIndex") || strings.HasPrefix(op, "NodeByLabelScan") || strings.HasPrefix(op, "NodeUniqueIndex") {
		n += int(p.Records())
	}
	for _, c := range p.Children() {
		n += indexRows(c)
	}
	return n
}

func planText(p neo4j.ProfiledPlan, depth int) string {
	if p == nil {
		return ""
	}
	s := fmt.Sprintf("%*s%s rows=%d %v\n", 2*depth, "", p.Operator(), p.Records(), p.Arguments()["Details"])
	for _, c := range p.Children() {
		s += planText(c, depth+1)
	}
	return s
}
