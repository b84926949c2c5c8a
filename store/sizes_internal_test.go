package store

import (
	"slices"
	"strings"
	"testing"

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
