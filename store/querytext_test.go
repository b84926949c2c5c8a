package store

import (
	"testing"

	"github.com/shenzhenplan/kgapi/plan"
)

// TestFiltersShareQueryText checks that a measure page's query text does
// not depend on which filters the request sets: Neo4j plans each new text
// once (0.2–1.6 s for these queries), so a text per combination of filters
// made every new combination pay that. Pages with any filter share one
// text per scope, order and page shape (with the anchored read, and with a
// counted total, too).
func TestFiltersShareQueryText(t *testing.T) {
	two, year, text := []string{"a", "b"}, 2030, "data"
	filters := []plan.MeasureFilter{
		{Statuses: []plan.Status{plan.StatusPlanned}},
		{Sectors: two},
		{Sectors: two, Text: &text},
		{Projects: two, MilestoneYearMin: &year},
		{Places: two, Statuses: []plan.Status{plan.StatusCompleted}},
		{Text: &text},
		{MilestoneYearMax: &year, Sectors: two, Projects: two},
	}
	for _, scope := range []plan.Scope{plan.ScopeAll, plan.ScopePlan, plan.ScopeSector, plan.ScopePlace} {
		for _, full := range []bool{false, true} {
			for _, total := range []bool{false, true} {
				texts := map[string]bool{}
				for _, f := range filters {
					q := plan.MeasureQuery{Scope: scope, Filter: f, Order: []plan.Order{{Field: plan.OrderTitle, Desc: true}}, WantTotal: total}
					c, err := compileMeasures(q, []string{"x"}, full)
					if err != nil {
						t.Fatal(err)
					}
					// The totals that read a kept count or one index differ
					// by design (a few texts); the rest must not.
					if total && special(f) {
						continue
					}
					texts[c.cypher] = true
				}
				if len(texts) != 1 {
					t.Errorf("scope %s, full %v, total %v: %d query texts for %d filter combinations, want 1", scope, full, total, len(texts), len(filters))
				}
			}
		}
	}
}

// special says whether the filter's total is read from a kept count or one
// index (writeTotal's special cases): one relationship filter alone, or a
// status filter alone.
func special(f plan.MeasureFilter) bool {
	rels := 0
	for _, l := range [][]string{f.Sectors, f.Projects, f.Places} {
		if len(l) > 0 {
			rels++
		}
	}
	years := f.MilestoneYearMin != nil || f.MilestoneYearMax != nil
	if f.Text != nil || years {
		return false
	}
	return rels == 1 && len(f.Statuses) == 0 || rels == 0 && len(f.Statuses) > 0
}
