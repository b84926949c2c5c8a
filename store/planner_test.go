package store_test

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shenzhenplan/kgapi/dataset"
	"github.com/shenzhenplan/kgapi/internal/testneo4j"
	"github.com/shenzhenplan/kgapi/plan"
	"github.com/shenzhenplan/kgapi/store"
)

// refMeasure is a measure as the reference evaluator sees it: computed
// from the dataset in Go, never from the database.
type refMeasure struct {
	id, plan, section, aspect, code, codeKey, title, status, text string
	secNum, aspNum                                                int
	projects, sectors, places, milestones                         []string // ids; places include the places they are within
	years                                                         []int
}

// refGraph indexes a dataset for the reference evaluator.
type refGraph struct {
	measures []refMeasure
	scopes   map[plan.Scope][]string // scope ids by kind
	slugs    map[plan.Scope][]string // slugs of filterable hubs
}

func newRefGraph(ds *dataset.Dataset) *refGraph {
	g := &refGraph{scopes: map[plan.Scope][]string{}, slugs: map[plan.Scope][]string{}}
	within := map[string]string{}
	for _, p := range ds.Places {
		if p.Within != nil {
			within[p.Slug] = p.Within.To
		}
		g.scopes[plan.ScopePlace] = append(g.scopes[plan.ScopePlace], string(plan.NewID(plan.KindPlace, p.Slug)))
		g.slugs[plan.ScopePlace] = append(g.slugs[plan.ScopePlace], p.Slug)
	}
	years := map[string]int{}
	for _, m := range ds.Milestones {
		years[m.Slug] = m.Year
		g.scopes[plan.ScopeMilestone] = append(g.scopes[plan.ScopeMilestone], string(plan.NewID(plan.KindMilestone, m.Slug)))
	}
	for _, s := range ds.Sectors {
		g.scopes[plan.ScopeSector] = append(g.scopes[plan.ScopeSector], string(plan.NewID(plan.KindSector, s.Slug)))
		g.slugs[plan.ScopeSector] = append(g.slugs[plan.ScopeSector], s.Slug)
	}
	for _, p := range ds.Projects {
		g.scopes[plan.ScopeProject] = append(g.scopes[plan.ScopeProject], string(plan.NewID(plan.KindProject, p.Slug)))
		g.slugs[plan.ScopeProject] = append(g.slugs[plan.ScopeProject], p.Slug)
	}
	ids := func(k plan.Kind, ls []dataset.Link) []string {
		var out []string
		for _, l := range ls {
			out = append(out, string(plan.NewID(k, l.To)))
		}
		return out
	}
	for _, p := range ds.Plans {
		pid := string(plan.NewID(plan.KindPlan, p.Slug))
		g.scopes[plan.ScopePlan] = append(g.scopes[plan.ScopePlan], pid)
		add := func(secNum, aspNum int, sid, aid string, m dataset.Measure) {
			r := refMeasure{
				id: string(plan.NewID(plan.KindMeasure, p.Slug+"/"+m.Code)), plan: pid, section: sid, aspect: aid,
				code: m.Code, codeKey: store.CodeKey(m.Code), title: m.Title, status: cmp.Or(m.Status, dataset.StatusUnknown),
				text:   strings.ToLower(m.Code + "\x1f" + m.Title + "\x1f" + m.TitleZh + "\x1f" + m.Description),
				secNum: secNum, aspNum: aspNum,
				projects: ids(plan.KindProject, m.Projects), sectors: ids(plan.KindSector, m.Sectors),
				milestones: ids(plan.KindMilestone, m.Milestones),
			}
			seen := map[string]bool{}
			for _, l := range m.Places {
				for slug := l.To; slug != "" && !seen[slug]; slug = within[slug] {
					seen[slug] = true
					r.places = append(r.places, string(plan.NewID(plan.KindPlace, slug)))
				}
			}
			for _, l := range m.Milestones {
				r.years = append(r.years, years[l.To])
			}
			g.measures = append(g.measures, r)
		}
		for _, sec := range p.Sections {
			sid := string(plan.NewID(plan.KindSection, fmt.Sprintf("%s/S%d", p.Slug, sec.Number)))
			g.scopes[plan.ScopeSection] = append(g.scopes[plan.ScopeSection], sid)
			for _, m := range sec.Measures {
				add(sec.Number, 0, sid, "", m)
			}
			for _, a := range sec.Aspects {
				aid := string(plan.NewID(plan.KindAspect, fmt.Sprintf("%s/S%d.A%d", p.Slug, sec.Number, a.Number)))
				g.scopes[plan.ScopeAspect] = append(g.scopes[plan.ScopeAspect], aid)
				for _, m := range a.Measures {
					add(sec.Number, a.Number, sid, aid, m)
				}
			}
		}
	}
	return g
}

func slugIDs(k plan.Kind, slugs []string) []string {
	out := make([]string, len(slugs))
	for i, s := range slugs {
		out[i] = string(plan.NewID(k, s))
	}
	return out
}

func anyIn(have, want []string) bool {
	return slices.ContainsFunc(have, func(h string) bool { return slices.Contains(want, h) })
}

// match answers whether m is in the scope and passes the filter.
func (m *refMeasure) match(sc plan.Scope, scope string, f plan.MeasureCriteria) bool {
	in := map[plan.Scope]func() bool{
		plan.ScopeAll:       func() bool { return true },
		plan.ScopePlan:      func() bool { return m.plan == scope },
		plan.ScopeSection:   func() bool { return m.section == scope },
		plan.ScopeAspect:    func() bool { return m.aspect == scope },
		plan.ScopeProject:   func() bool { return slices.Contains(m.projects, scope) },
		plan.ScopeSector:    func() bool { return slices.Contains(m.sectors, scope) },
		plan.ScopePlace:     func() bool { return slices.Contains(m.places, scope) },
		plan.ScopeMilestone: func() bool { return slices.Contains(m.milestones, scope) },
	}[sc]
	switch {
	case !in():
		return false
	case f.Section != nil && m.secNum != *f.Section, f.Aspect != nil && m.aspNum != *f.Aspect:
		return false
	case len(f.Sectors) > 0 && !anyIn(m.sectors, slugIDs(plan.KindSector, f.Sectors)),
		len(f.Projects) > 0 && !anyIn(m.projects, slugIDs(plan.KindProject, f.Projects)),
		len(f.Places) > 0 && !anyIn(m.places, slugIDs(plan.KindPlace, f.Places)):
		return false
	case len(f.Statuses) > 0 && !slices.Contains(f.Statuses, plan.Status(m.status)):
		return false
	case f.Text != nil && !strings.Contains(m.text, strings.ToLower(*f.Text)):
		return false
	}
	if f.MilestoneYearMin != nil || f.MilestoneYearMax != nil {
		return slices.ContainsFunc(m.years, func(y int) bool {
			return (f.MilestoneYearMin == nil || y >= *f.MilestoneYearMin) && (f.MilestoneYearMax == nil || y <= *f.MilestoneYearMax)
		})
	}
	return true
}

// keys is the reference sort key of m under order: each value and whether
// it sorts descending (the API's documented order, ties by code then id).
func (m *refMeasure) keys(order []plan.Order) ([]any, []bool) {
	var ks []any
	var desc []bool
	for _, o := range order {
		switch o.Field {
		case plan.OrderCode:
			ks, desc = append(ks, m.codeKey), append(desc, o.Desc)
		case plan.OrderTitle:
			ks, desc = append(ks, m.title), append(desc, o.Desc)
		case plan.OrderSection:
			a := m.aspNum
			if a == 0 {
				a = 999
			}
			v := int64(m.secNum*1000 + a)
			if o.Desc {
				v = -v
			}
			ks, desc = append(ks, v), append(desc, false)
		case plan.OrderMilestoneYear:
			v := int64(999999)
			if len(m.years) > 0 {
				v = int64(slices.Min(m.years))
				if o.Desc {
					v = -v
				}
			}
			ks, desc = append(ks, v), append(desc, false)
		}
	}
	if len(order) == 1 && order[0].Field == plan.OrderCode {
		return append(ks, m.id), append(desc, order[0].Desc)
	}
	return append(ks, m.codeKey, m.id), append(desc, false, false)
}

func compareKeys(a, b []any, desc []bool) int {
	for i := range a {
		var c int
		switch x := a[i].(type) {
		case string:
			c = strings.Compare(x, b[i].(string))
		case int64:
			c = cmp.Compare(x, b[i].(int64))
		}
		if desc[i] {
			c = -c
		}
		if c != 0 {
			return c
		}
	}
	return 0
}

// TestPlannerMatchesReference generates random measure connections —
// every scope kind, random filters, every ordering in both directions,
// small pages walked forward to the end and back from it — runs each
// against a synthetic plan in Neo4j and compares every page and count with
// the reference evaluator above, which computes them from the dataset in
// Go. The synthetic plan is large enough that the planner takes each of
// its paths (index walks that find the page, walks that give up, reads
// from the smallest anchor). Seeded: a failure names its seed and case.
//
// The knobs PLANNER_MEASURES, PLANNER_CASES and PLANNER_SEED (defaults
// 3000, 60, 11) run it at scale (make bench-planner: 100,000 measures);
// every page read is timed, the distribution is logged, and with
// PLANNER_BUDGET_MS set a read slower than that fails the test.
func TestPlannerMatchesReference(t *testing.T) {
	measures, cases, seed := envInt(t, "PLANNER_MEASURES", 3000), envInt(t, "PLANNER_CASES", 60), int64(envInt(t, "PLANNER_SEED", 11))
	budget := time.Duration(envInt(t, "PLANNER_BUDGET_MS", 0)) * time.Millisecond
	// PLANNER_WARM=1 reads every page a second time and logs those reads
	// apart: the first read of a query text includes Neo4j planning it.
	warm := envInt(t, "PLANNER_WARM", 0) == 1
	s := testneo4j.Store(t)
	testneo4j.Wipe(t, s)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute+time.Duration(measures)*time.Millisecond*10)
	defer cancel()
	if err := s.EnsureSchema(ctx); err != nil {
		t.Fatal(err)
	}
	ds := dataset.Synth(measures, seed)
	name := fmt.Sprintf("synth-%d-%d", measures, seed)
	if _, err := s.Load(ctx, store.ToRows(ds, name), store.LoadOptions{}); err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	g := newRefGraph(ds)
	r := rand.New(rand.NewPCG(uint64(seed), 42))
	var took, again []time.Duration
	t.Cleanup(func() {
		for _, d := range []struct {
			what string
			took []time.Duration
		}{{"page reads", took}, {"second reads of the same page", again}} {
			if len(d.took) == 0 {
				continue
			}
			slices.Sort(d.took)
			t.Logf("%d %s on %d measures: p50 %v, p90 %v, p99 %v, max %v", len(d.took), d.what, measures,
				d.took[len(d.took)/2], d.took[len(d.took)*9/10], d.took[len(d.took)*99/100], d.took[len(d.took)-1])
		}
	})
	scopeKinds := []plan.Scope{plan.ScopeAll, plan.ScopePlan, plan.ScopeSection, plan.ScopeAspect, plan.ScopeProject, plan.ScopeSector, plan.ScopePlace, plan.ScopeMilestone}
	fields := []plan.OrderField{plan.OrderCode, plan.OrderTitle, plan.OrderSection, plan.OrderMilestoneYear}
	pick := func(xs []string, n int) []string {
		out := make([]string, 0, n)
		for range n {
			out = append(out, xs[r.IntN(len(xs))])
		}
		return out
	}
	runCase := func(c int, sc plan.Scope, scope string, f plan.MeasureCriteria, order []plan.Order, first int) {
		want := g.page(sc, scope, f, order)
		desc := fmt.Sprintf("case %d: scope %s %q, filter %+v, order %v, first %d", c, sc, scope, f, order, first)
		t.Run(fmt.Sprint(c), func(t *testing.T) {
			var readAgain func(time.Duration)
			if warm {
				readAgain = func(d time.Duration) {
					again = append(again, d)
					if budget > 0 && d > budget {
						// Logged, not failed: the budget holds the first reads.
						t.Logf("%s: a second read took %v (budget %v)", desc, d, budget)
					}
				}
			}
			fwd, back := walkPages(ctx, t, s, plan.MeasureQuery{Scope: sc, Filter: f, Order: order, WantTotal: true}, scope, first, len(want), desc, func(d time.Duration) {
				took = append(took, d)
				if budget > 0 && d > budget {
					t.Errorf("%s: a page read took %v (budget %v)", desc, d, budget)
				}
			}, readAgain)
			if len(fwd) > len(want) || len(back) > len(want) {
				t.Fatalf("%s: %d forward, %d backward, want %d measures", desc, len(fwd), len(back), len(want))
			}
			for i, id := range fwd {
				if id != want[i].id {
					t.Fatalf("%s\nforward, position %d:\n got %v\nwant %v", desc, i, head(fwd, i), headRef(want, i))
				}
			}
			tail := want[len(want)-len(back):]
			for i, id := range back {
				if id != tail[i].id {
					t.Fatalf("%s\nbackward, position %d from the end:\n got %v\nwant %v", desc, len(back)-i, head(back, i), headRef(tail, i))
				}
			}
		})
	}
	// Fixed cases first: all measures in a section (and aspect) number in
	// section order, which the walk and the count read from the section's
	// block of the section sort keys.
	// Then a section or aspect scope with section and aspect filters, of
	// its own numbers or others (checked once per scope).
	type fixedCase struct {
		scope           plan.Scope
		section, aspect int
		desc            bool
		status          bool // PLANNED and COMPLETED measures only
	}
	fixed := []fixedCase{{plan.ScopeAll, 1, 0, false, false}, {plan.ScopeAll, 1, 0, true, false}, {plan.ScopeAll, 2, 0, true, false}, {plan.ScopeAll, 2, 1, false, false}, {plan.ScopeAll, 2, 2, true, false},
		{plan.ScopeSection, 1, 0, false, false}, {plan.ScopeSection, 2, 0, true, false}, {plan.ScopeSection, 1, 1, false, false}, {plan.ScopeSection, 2, 1, false, false},
		{plan.ScopeAspect, 1, 0, false, false}, {plan.ScopeAspect, 2, 0, false, false}, {plan.ScopeAspect, 0, 1, true, false}, {plan.ScopeAspect, 0, 2, true, false},
		// A hub's measures with a section (and aspect) number: the counts
		// the hub keeps per section and aspect (store/counts.go).
		{plan.ScopeSector, 1, 0, false, false}, {plan.ScopeSector, 2, 1, true, false}, {plan.ScopeProject, 2, 0, false, false}, {plan.ScopeProject, 2, 3, false, false},
		{plan.ScopePlace, 2, 0, false, false}, {plan.ScopePlace, 2, 2, true, false}, {plan.ScopeMilestone, 1, 0, false, false}, {plan.ScopeMilestone, 2, 1, false, false},
		// An aspect number without a section: the sums of the aspect
		// counts the sections of every plan, of one plan, or a hub keep.
		{plan.ScopeAll, 0, 1, false, false}, {plan.ScopePlan, 0, 2, true, false}, {plan.ScopeSector, 0, 1, false, false}, {plan.ScopeProject, 0, 3, true, false},
		{plan.ScopePlace, 0, 2, false, false}, {plan.ScopeMilestone, 0, 1, true, false},
		// A hub's measures with a section number (or an aspect number, of
		// a section or of any) and a status: its section-status and
		// aspect-status counts.
		{plan.ScopeSector, 0, 1, false, true}, {plan.ScopePlace, 2, 1, true, true}, {plan.ScopeMilestone, 0, 2, false, true}, {plan.ScopeProject, 1, 1, false, true},
		{plan.ScopeSector, 2, 0, false, true}, {plan.ScopeProject, 1, 0, true, true}, {plan.ScopePlace, 2, 0, true, true}, {plan.ScopeMilestone, 2, 0, false, true},
		{plan.ScopePlan, 0, 1, false, true}, {plan.ScopeAll, 0, 2, true, true}}
	for c := range len(fixed) + cases {
		if c < len(fixed) {
			fc := fixed[c]
			var f plan.MeasureCriteria
			if fc.section > 0 {
				f.Section = &fc.section
			}
			if fc.aspect > 0 {
				f.Aspect = &fc.aspect
			}
			if fc.status {
				f.Statuses = []plan.Status{plan.StatusPlanned, plan.StatusCompleted}
			}
			scope := ""
			switch fc.scope {
			case plan.ScopePlan:
				scope = g.scopes[plan.ScopePlan][0]
			case plan.ScopeAspect:
				scope = g.scopes[plan.ScopeAspect][0]
			case plan.ScopeSection:
				// The section of that aspect: one with aspects.
				a := g.scopes[plan.ScopeAspect][0]
				scope = "Section:" + strings.TrimPrefix(a[:strings.LastIndex(a, ".A")], "Aspect:")
			case plan.ScopeSector, plan.ScopeProject, plan.ScopePlace, plan.ScopeMilestone:
				// The hub with the most measures (for places, one with
				// places within it).
				most := -1
				for _, id := range g.scopes[fc.scope] {
					n := 0
					for i := range g.measures {
						if g.measures[i].match(fc.scope, id, plan.MeasureCriteria{}) {
							n++
						}
					}
					if n > most {
						scope, most = id, n
					}
				}
			}
			runCase(c, fc.scope, scope, f, []plan.Order{{Field: plan.OrderSection, Desc: fc.desc}}, 3)
			continue
		}
		sc := scopeKinds[c%len(scopeKinds)]
		scope := ""
		if sc != plan.ScopeAll {
			scope = g.scopes[sc][r.IntN(len(g.scopes[sc]))]
		}
		var f plan.MeasureCriteria
		if r.IntN(3) == 0 {
			n := 1 + r.IntN(2)
			f.Section = &n
			if r.IntN(3) == 0 {
				a := 1 + r.IntN(3)
				f.Aspect = &a
			}
		} else if r.IntN(6) == 0 {
			// An aspect number in any section.
			a := 1 + r.IntN(3)
			f.Aspect = &a
		}
		if r.IntN(4) == 0 {
			f.Sectors = pick(g.slugs[plan.ScopeSector], 1+r.IntN(2))
		}
		if r.IntN(5) == 0 {
			f.Projects = pick(g.slugs[plan.ScopeProject], 1+r.IntN(3))
		}
		if r.IntN(5) == 0 {
			f.Places = pick(g.slugs[plan.ScopePlace], 1)
		}
		if r.IntN(4) == 0 {
			lo := 2020 + r.IntN(30)
			f.MilestoneYearMin = &lo
			if r.IntN(2) == 0 {
				hi := lo + r.IntN(10)
				f.MilestoneYearMax = &hi
			}
		}
		if r.IntN(4) == 0 {
			f.Statuses = []plan.Status{plan.StatusPlanned, plan.StatusCompleted}[:1+r.IntN(2)]
		}
		if r.IntN(6) == 0 {
			word := []string{"harbour", "data", "zzz", "s2.a3.m1", "green finance"}[r.IntN(5)]
			f.Text = &word
		}
		order := []plan.Order{{Field: fields[r.IntN(len(fields))], Desc: r.IntN(2) == 0}}
		if r.IntN(5) == 0 {
			order = append(order, plan.Order{Field: fields[r.IntN(len(fields))], Desc: r.IntN(2) == 0})
		}
		first := 1 + r.IntN(7)
		runCase(c, sc, scope, f, order, first)
	}

	// Totals over every scope of a kind at once, as a list or a level of
	// connections asks them: with 16 scopes or more a filter with an anchor
	// of its own is counted once for all (compileGroupedTotals), and the
	// pages of places read once for all (compileGroupedPages). Here every
	// level is grouped, whatever its number of scopes (this data has 15
	// places), and every page is checked against the reference.
	restore := store.SetGroupedMinScopes(1)
	defer restore()
	for c := range max(cases/4, 8) {
		sc := scopeKinds[1+c%(len(scopeKinds)-1)]
		var f plan.MeasureCriteria
		switch c % 5 {
		case 0:
			f.Sectors = pick(g.slugs[plan.ScopeSector], 1+r.IntN(2))
		case 1:
			f.Projects = pick(g.slugs[plan.ScopeProject], 1+r.IntN(3))
		case 2:
			f.Places = pick(g.slugs[plan.ScopePlace], 1)
		case 3:
			lo := 2020 + r.IntN(30)
			f.MilestoneYearMin = &lo
		case 4:
			word := []string{"harbour", "data", "zzz"}[r.IntN(3)]
			f.Text = &word
		}
		if r.IntN(3) == 0 {
			f.Statuses = []plan.Status{plan.StatusPlanned}
		}
		if r.IntN(4) == 0 {
			n := 1 + r.IntN(2)
			f.Section = &n
		}
		one := 1
		ids := make([]plan.ID, len(g.scopes[sc]))
		for i, id := range g.scopes[sc] {
			ids[i] = plan.ID(id)
		}
		desc := fmt.Sprintf("totals case %d: %d %s scopes, filter %+v", c, len(ids), sc, f)
		order := []plan.Order{{Field: fields[r.IntN(len(fields))], Desc: r.IntN(2) == 0}}
		size := 1 + r.IntN(4)
		desc += fmt.Sprintf(", order %v, pages of %d", order, size)
		t.Run(fmt.Sprintf("totals/%d", c), func(t *testing.T) {
			q := plan.MeasureQuery{Scope: sc, Filter: f, First: &one, WantTotal: true}
			pages, err := s.Measures(ctx, q, ids)
			if err != nil {
				t.Fatalf("%s: %v", desc, err)
			}
			// Two pages of every scope, the second after the first's last
			// cursor, and the one before the second's, against the reference.
			first := plan.MeasureQuery{Scope: sc, Filter: f, Order: order, First: &size, WantTotal: true}
			p1, err := s.Measures(ctx, first, ids)
			if err != nil {
				t.Fatalf("%s: first pages: %v", desc, err)
			}
			for _, id := range ids {
				want := g.page(sc, string(id), f, order)
				got := p1[id]
				if got == nil {
					t.Fatalf("%s: no first page for %s", desc, id)
				}
				checkPage(t, desc+", first page of "+string(id), got, want, 0, size, len(want))
				if len(got.Keys) == 0 {
					continue
				}
				next := first
				next.After = got.Keys[len(got.Keys)-1]
				p2, err := s.Measures(ctx, next, []plan.ID{id})
				if err != nil {
					t.Fatalf("%s: second page: %v", desc, err)
				}
				checkPage(t, desc+", second page of "+string(id), p2[id], want, size, size, len(want))
			}
			if k := scopeKind(sc); k != "" {
				// A top-level list of the kind counts them always at once,
				// and its pages (walked, completed or read grouped) are
				// the reference's.
				listed, err := s.List(ctx, k, plan.Lookup{Measures: &q})
				if err != nil {
					t.Fatalf("%s: list: %v", desc, err)
				}
				for id, p := range listed.Measures {
					if pages[id] == nil || p.TotalCount != pages[id].TotalCount {
						t.Errorf("%s: listed, %s has %d, a level of connections %v", desc, id, p.TotalCount, pages[id])
					}
				}
				listed, err = s.List(ctx, k, plan.Lookup{Measures: &first})
				if err != nil {
					t.Fatalf("%s: list: %v", desc, err)
				}
				for _, id := range ids {
					want := g.page(sc, string(id), f, order)
					checkPage(t, desc+", listed page of "+string(id), listed.Measures[id], want, 0, size, len(want))
				}
			}
			nonzero := 0
			for _, id := range ids {
				want := 0
				for i := range g.measures {
					if g.measures[i].match(sc, string(id), f) {
						want++
					}
				}
				got := 0
				if p := pages[id]; p != nil {
					got = p.TotalCount
				}
				if got != want {
					t.Errorf("%s: %s has %d, want %d", desc, id, got, want)
				}
				if want > 0 {
					nonzero++
				}
			}
			t.Logf("%s: %d of the scopes hold some", desc, nonzero)
		})
	}
}

// page is the reference answer: the measures of scope (of kind sc) that
// match f, in order.
func (g *refGraph) page(sc plan.Scope, scope string, f plan.MeasureCriteria, order []plan.Order) []*refMeasure {
	var want []*refMeasure
	for i := range g.measures {
		if g.measures[i].match(sc, scope, f) {
			want = append(want, &g.measures[i])
		}
	}
	slices.SortFunc(want, func(a, b *refMeasure) int {
		ka, desc := a.keys(order)
		kb, _ := b.keys(order)
		return compareKeys(ka, kb, desc)
	})
	return want
}

// checkPage checks a page against the reference: the measures of want
// from position at, at most size of them, and whether more follow.
func checkPage(t *testing.T, desc string, got *plan.MeasurePage, want []*refMeasure, at, size, total int) {
	t.Helper()
	if got == nil {
		t.Fatalf("%s: no page", desc)
	}
	end := min(at+size, len(want))
	var ids []string
	for _, m := range got.Measures {
		ids = append(ids, string(m.ID))
	}
	if !slices.Equal(ids, headRefIDs(want[min(at, len(want)):end])) {
		t.Fatalf("%s:\n got %v\nwant %v", desc, ids, headRefIDs(want[min(at, len(want)):end]))
	}
	if got.HasNextPage != (len(want) > end) || got.TotalCount != total {
		t.Fatalf("%s: hasNextPage %v, total %d; want %v, %d", desc, got.HasNextPage, got.TotalCount, len(want) > end, total)
	}
}

func headRefIDs(ms []*refMeasure) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.id)
	}
	return out
}

// scopeKind is the listable kind whose nodes are the scopes sc, or "".
func scopeKind(sc plan.Scope) plan.Kind {
	for _, ms := range plan.MeasureScopes {
		if k, _ := plan.KindOf(ms.Kind); ms.Scope == sc && k.ListOrder != nil {
			return ms.Kind
		}
	}
	return ""
}

// maxPages bounds each walk of walkPages: the first and the last pages of
// a connection are where the planner's paths differ.
const maxPages = 12

// walkPages pages through the connection forward from the start and
// backward from the end (at most maxPages pages each way, the whole
// connection when it is shorter), checking the total on every page; it
// returns the ids each walk saw, in the connection's order.
func walkPages(ctx context.Context, t *testing.T, s *store.Store, q plan.MeasureQuery, scope string, first, total int, desc string, timed func(time.Duration), timedAgain func(time.Duration)) (fwd, back []string) {
	t.Helper()
	ids := []plan.ID{plan.ID(scope)}
	page := func(q plan.MeasureQuery) *plan.MeasurePage {
		start := time.Now()
		pages, err := s.Measures(ctx, q, ids)
		timed(time.Since(start))
		if timedAgain != nil {
			start = time.Now()
			if _, err := s.Measures(ctx, q, ids); err != nil {
				t.Fatalf("%s (second read): %v", desc, err)
			}
			timedAgain(time.Since(start))
		}
		if err != nil {
			t.Fatalf("%s: %v", desc, err)
		}
		p := pages[plan.ID(scope)]
		if p == nil {
			t.Fatalf("%s: no page for the scope", desc)
		}
		if p.TotalCount != total {
			t.Fatalf("%s: totalCount %d, want %d", desc, p.TotalCount, total)
		}
		return p
	}
	// The total alone, as a connection that selects only totalCount asks
	// it: no page is read.
	co := q
	co.First, co.CountOnly = &first, true
	if p := page(co); len(p.Measures) != 0 || p.HasNextPage {
		t.Fatalf("%s: count only: %d measures, hasNextPage %v; want none", desc, len(p.Measures), p.HasNextPage)
	}
	f := q
	f.First = &first
	for range maxPages {
		p := page(f)
		for _, m := range p.Measures {
			fwd = append(fwd, string(m.ID))
		}
		if !p.HasNextPage {
			break
		}
		f.After = p.Keys[len(p.Keys)-1]
	}
	b := q
	b.Last = &first
	for range maxPages {
		p := page(b)
		var ms []string
		for _, m := range p.Measures {
			ms = append(ms, string(m.ID))
		}
		back = append(ms, back...)
		if !p.HasPreviousPage {
			break
		}
		b.Before = p.Keys[0]
	}
	return fwd, back
}

func head(ids []string, at int) []string {
	lo := max(0, at-2)
	return ids[lo:min(len(ids), lo+5)]
}

func headRef(ms []*refMeasure, at int) []string {
	var ids []string
	for _, m := range ms {
		ids = append(ids, m.id)
	}
	return head(ids, at)
}

func envInt(t *testing.T, name string, def int) int {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		t.Fatalf("%s=%q: want a non-negative integer", name, v)
	}
	return n
}
