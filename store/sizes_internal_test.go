package store

import (
	"slices"
	"strings"
	"testing"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/shenzhenplan/kgapi/plan"
)

// TestSizesQueryKeyIgnoresThePage checks that the sizes of a filter's
// anchors are kept by the filter and scope alone: every page of a
// connection (its size, cursor, direction and order) finds the sizes its
// first page read, and the query sends no parameter its text does not name.
func TestSizesQueryKeyIgnoresThePage(t *testing.T) {
	three, ten, sec := 3, 10, 2
	filter := plan.MeasureCriteria{Section: &sec, Sectors: []string{"energy"}, Places: []string{"qianhai"}}
	scopes := []string{"Plan:p"}
	pages := []plan.MeasureQuery{
		{Scope: plan.ScopePlan, Filter: filter, First: &three},
		{Scope: plan.ScopePlan, Filter: filter, First: &ten, After: []any{int64(2001), "S000002.A000001.M000003", "Measure:p/S2.A1.M3"}, Order: []plan.Order{{Field: plan.OrderSection}}},
		{Scope: plan.ScopePlan, Filter: filter, Last: &three, Before: []any{"S000002.A000001.M000009", "Measure:p/S2.A1.M9"}},
		{Scope: plan.ScopePlan, Filter: filter, First: &three, Order: []plan.Order{{Field: plan.OrderTitle, Desc: true}}, WantTotal: true},
	}
	var keys []string
	for i, q := range pages {
		mp, err := newMeasurePlan(q, scopes)
		if err != nil {
			t.Fatal(err)
		}
		cypher, params, _ := mp.sizesQuery(true)
		for k := range params {
			if !slices.Contains([]string{"sectors", "projects", "places", "ymin", "ymax"}, k) && !strings.Contains(cypher, "$"+k) {
				t.Errorf("page %d: parameter %s is not in the text", i, k)
			}
		}
		keys = append(keys, sizesKey(cypher, params))
	}
	for i, k := range keys[1:] {
		if k != keys[0] {
			t.Errorf("page %d keeps its sizes under another key than page 0:\n%q\n%q", i+1, k, keys[0])
		}
	}
	// Another filter is another key.
	other := pages[0]
	other.Filter.Places = []string{"futian"}
	mp, err := newMeasurePlan(other, scopes)
	if err != nil {
		t.Fatal(err)
	}
	if c, p, _ := mp.sizesQuery(true); sizesKey(c, p) == keys[0] {
		t.Error("another place filter keeps its sizes under the same key")
	}
}

// TestGroupedReadsTheChosenAnchor checks that a grouped read of many
// scopes holds the read of the anchor its sizes chose, and no other: the
// smallest size (the first of equals) picks it, and the compiled queries
// read those hubs alone, with no choice left inside the query.
func TestGroupedReadsTheChosenAnchor(t *testing.T) {
	three := 3
	filter := plan.MeasureCriteria{Sectors: []string{"energy"}, Places: []string{"qianhai"}, Statuses: []plan.Status{plan.StatusPlanned}}
	q := plan.MeasureQuery{Scope: plan.ScopeProject, Filter: filter, First: &three, WantTotal: true}
	scopes := []string{"Project:a", "Project:b"}
	reads := map[int]string{0: "MATCH (h:Sector) WHERE h.slug IN $sectors", 1: "MATCH (h:Place) WHERE h.slug IN $places", 2: "MATCH (m:Measure) USING INDEX"}
	for _, c := range []struct {
		sizes []any // sectors, places, every measure
		pick  int
	}{
		{[]any{int64(48000), int64(4000), int64(100000)}, 1},
		{[]any{int64(300), int64(4000), int64(100000)}, 0},
		{[]any{int64(4000), int64(4000), int64(100000)}, 0},
		{[]any{int64(60000), int64(70000), int64(50000)}, 2},
	} {
		fs, err := scanSizes(&neo4j.Record{Keys: []string{"sizes", "held"}, Values: []any{c.sizes, int64(900)}})
		if err != nil {
			t.Fatal(err)
		}
		if fs.pick != c.pick || fs.held != 900 || fs.smallest != c.sizes[c.pick] {
			t.Fatalf("sizes %v: got %+v, want pick %d", c.sizes, fs, c.pick)
		}
		pages, _, err := compileGroupedPages(q, scopes, fs.pick)
		if err != nil {
			t.Fatal(err)
		}
		totals, _, err := compileGroupedTotals(q, scopes, fs.pick)
		if err != nil {
			t.Fatal(err)
		}
		for _, cm := range []*compiledMeasures{pages, totals} {
			for i, read := range reads {
				if strings.Contains(cm.cypher, read) != (i == c.pick) {
					t.Fatalf("sizes %v, pick %d: read %d (%q) in the query: %v\n%s", c.sizes, c.pick, i, read, i != c.pick, cm.cypher)
				}
			}
			if strings.Contains(cm.cypher, "UNION") || strings.Contains(cm.cypher, "pick") {
				t.Fatalf("sizes %v: the query still chooses:\n%s", c.sizes, cm.cypher)
			}
		}
	}
}

// TestWalklessPick checks when a filtered page is read from its smallest
// hubs without a walk: when they hold no more measures than the walk's
// budget, or too few of the scope's for the walk to find the page; never
// when the scope is the smallest, when a text's estimate is (a guess),
// when the scopes choose differently, or for an unknown scope.
func TestWalklessPick(t *testing.T) {
	ten, twenty := 10, 20 // budgets 528 and 1008, pages of 11 and 21 rows
	text := "harbour"
	for _, c := range []struct {
		name  string
		q     plan.MeasureQuery
		sizes map[string]map[string]int64 // by scope, by anchor name
		pick  string                      // the anchor read from, or "" for the walk
	}{
		{"a plan's measures in a small place", plan.MeasureQuery{Scope: plan.ScopePlan, First: &twenty, Filter: plan.MeasureCriteria{Places: []string{"x"}}},
			map[string]map[string]int64{"Plan:p": {"places": 500, "scan": 100000}}, "places"},
		{"a plan's measures in a place too sparse for the walk", plan.MeasureQuery{Scope: plan.ScopePlan, First: &twenty, Filter: plan.MeasureCriteria{Places: []string{"x"}}},
			map[string]map[string]int64{"Plan:p": {"places": 1500, "scan": 100000}}, "places"},
		{"a plan's measures in a place the walk finds", plan.MeasureQuery{Scope: plan.ScopePlan, First: &twenty, Filter: plan.MeasureCriteria{Places: []string{"x"}}},
			map[string]map[string]int64{"Plan:p": {"places": 4000, "scan": 100000}}, ""},
		{"a sector's measures in a project and a sparse place", plan.MeasureQuery{Scope: plan.ScopeSector, First: &twenty, Filter: plan.MeasureCriteria{Places: []string{"x"}, Projects: []string{"y"}}},
			map[string]map[string]int64{"Sector:s": {"scope": 48000, "places": 900, "projects": 5000}}, "places"},
		{"a sector's measures in a place the walk finds", plan.MeasureQuery{Scope: plan.ScopeSector, First: &twenty, Filter: plan.MeasureCriteria{Places: []string{"x"}}},
			map[string]map[string]int64{"Sector:s": {"scope": 48000, "places": 1200}}, ""},
		{"a small sector's measures in a place", plan.MeasureQuery{Scope: plan.ScopeSector, First: &twenty, Filter: plan.MeasureCriteria{Places: []string{"x"}}},
			map[string]map[string]int64{"Sector:s": {"scope": 300, "places": 500}}, ""},
		{"a text, estimated within the budget", plan.MeasureQuery{Scope: plan.ScopePlan, First: &twenty, Filter: plan.MeasureCriteria{Text: &text}},
			map[string]map[string]int64{"Plan:p": {"text": 1000, "scan": 100000}}, ""},
		{"a text, estimated above the budget", plan.MeasureQuery{Scope: plan.ScopePlan, First: &ten, Filter: plan.MeasureCriteria{Text: &text}},
			map[string]map[string]int64{"Plan:p": {"text": 1000, "scan": 100000}}, ""},
		{"a text and a small place", plan.MeasureQuery{Scope: plan.ScopePlan, First: &ten, Filter: plan.MeasureCriteria{Text: &text, Places: []string{"x"}}},
			map[string]map[string]int64{"Plan:p": {"text": 1000, "places": 300, "scan": 100000}}, "places"},
		{"two sectors that choose differently", plan.MeasureQuery{Scope: plan.ScopeSector, First: &twenty, Filter: plan.MeasureCriteria{Places: []string{"x"}}},
			map[string]map[string]int64{"Sector:a": {"scope": 48000, "places": 500}, "Sector:b": {"scope": 200, "places": 500}}, ""},
		{"an unknown sector", plan.MeasureQuery{Scope: plan.ScopeSector, First: &twenty, Filter: plan.MeasureCriteria{Places: []string{"x"}}},
			map[string]map[string]int64{}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			scopes := []string{"Plan:p"}
			if c.q.Scope == plan.ScopeSector {
				scopes = []string{"Sector:s"}
				if len(c.sizes) > 1 {
					scopes = []string{"Sector:a", "Sector:b"}
				}
			}
			mp, err := newMeasurePlan(c.q, scopes)
			if err != nil {
				t.Fatal(err)
			}
			_, _, names := mp.sizesQuery(true)
			sizes := map[string][]int64{}
			for scope, by := range c.sizes {
				row := make([]int64, len(names))
				for i, n := range names {
					row[i] = 1 << 40 // an anchor the filter does not have
					if v, ok := by[n]; ok {
						row[i] = v
					}
				}
				sizes[scope] = row
			}
			pick, ok := mp.walklessPick(names, sizes, scopes)
			got := ""
			if ok {
				got = mp.anchors[pick].name
			}
			if got != c.pick {
				t.Errorf("read from %q, want %q (\"\": the walk)", got, c.pick)
			}
		})
	}
}
