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
