package store_test

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/shenzhenplan/kgapi/dataset"
	"github.com/shenzhenplan/kgapi/internal/testneo4j"
	"github.com/shenzhenplan/kgapi/plan"
	"github.com/shenzhenplan/kgapi/store"
)

// TestAnchorPicks checks that a page the walk gave up on, and a filtered
// count, are read from the anchor that holds the fewest measures — the
// scope, a filter's hubs or the scope's own index — with the sizes
// recounted here from the relationships, not from the counts the store
// keeps; and that the sizes, once read, are not read again.
func TestAnchorPicks(t *testing.T) {
	s := testneo4j.Store(t)
	testneo4j.Wipe(t, s)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := s.EnsureSchema(ctx); err != nil {
		t.Fatal(err)
	}
	const name = "synth-600-7"
	if _, err := s.Load(ctx, store.ToRows(dataset.Synth(600, 7), name), store.LoadOptions{}); err != nil {
		t.Fatalf("load: %v", err)
	}
	// The hubs of each kind with the most and the fewest measures (at
	// least one), recounted.
	extreme := func(label, rel string, most bool) (id, slug string) {
		t.Helper()
		dir := ""
		if most {
			dir = " DESC"
		}
		pattern := "(h)<-[:" + rel + "]-(:Measure)"
		if label == "Place" {
			pattern = "(h)<-[:WITHIN*0..8]-(:Place)<-[:" + rel + "]-(:Measure)"
		}
		res, err := neo4j.ExecuteQuery(ctx, s.Driver(), "MATCH (h:"+label+") WITH h, COUNT { "+pattern+" } AS n WHERE n > 0 RETURN h.id AS id, h.slug AS slug ORDER BY n"+dir+", h.id LIMIT 1",
			nil, neo4j.EagerResultTransformer, neo4j.ExecuteQueryWithDatabase(s.Database()))
		if err != nil || len(res.Records) != 1 {
			t.Fatalf("the %s with the most (%v) measures: %v", label, most, err)
		}
		i, _ := res.Records[0].Get("id")
		sl, _ := res.Records[0].Get("slug")
		id, _ = i.(string)
		slug, _ = sl.(string)
		return id, slug
	}
	bigSector, bigSectorSlug := extreme("Sector", plan.RelTypeInSector, true)
	smallSector, smallSectorSlug := extreme("Sector", plan.RelTypeInSector, false)
	_, bigPlace := extreme("Place", plan.RelTypeLocatedIn, true)
	_, smallPlace := extreme("Place", plan.RelTypeLocatedIn, false)
	_, smallProject := extreme("Project", plan.RelTypeAdvances, false)
	planID := string(plan.NewID(plan.KindPlan, name))
	for _, tc := range []struct {
		name     string
		q        plan.MeasureQuery
		scope    string
		walkHubs bool
		want     string
	}{
		{"a big sector's measures in a small place: the place", plan.MeasureQuery{Scope: plan.ScopeSector, Filter: plan.MeasureCriteria{Places: []string{smallPlace}}}, bigSector, true, "places"},
		{"a small sector's measures in a big place: the sector", plan.MeasureQuery{Scope: plan.ScopeSector, Filter: plan.MeasureCriteria{Places: []string{bigPlace}}}, smallSector, true, "scope"},
		{"a plan's measures in a small sector: the sector", plan.MeasureQuery{Scope: plan.ScopePlan, Filter: plan.MeasureCriteria{Sectors: []string{smallSectorSlug}}}, planID, true, "sectors"},
		{"all measures in a big sector and a small project: the project", plan.MeasureQuery{Scope: plan.ScopeAll, Filter: plan.MeasureCriteria{Sectors: []string{bigSectorSlug}, Projects: []string{smallProject}}}, "", false, "projects"},
		{"a plan's measures in a big sector and with a status, counted: the sector", plan.MeasureQuery{Scope: plan.ScopePlan, Filter: plan.MeasureCriteria{Sectors: []string{bigSectorSlug}, Statuses: []plan.Status{plan.StatusPlanned}}}, planID, false, "sectors"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			log := plan.NewRoundTripLog()
			c := plan.WithRoundTripLog(ctx, log)
			got, err := store.AnchorPicks(c, s, tc.q, []string{tc.scope}, tc.walkHubs)
			if err != nil {
				t.Fatal(err)
			}
			if want := map[string][]string{tc.want: {tc.scope}}; !reflect.DeepEqual(got, want) {
				t.Errorf("picked %v, want %v", got, want)
			}
			if n := len(log.Entries()); n != 1 {
				t.Errorf("%d round trips to size the anchors, want 1", n)
			}
			again, err := store.AnchorPicks(c, s, tc.q, []string{tc.scope}, tc.walkHubs)
			if err != nil {
				t.Fatal(err)
			}
			if n := len(log.Entries()); n != 1 || !reflect.DeepEqual(again, got) {
				t.Errorf("asked again: %v after %d round trips in all, want the same after 1 (the sizes are kept)", again, n)
			}
		})
	}

	// A plan's first page in the smallest project and the smallest place:
	// few measures are in both, so a walk of a page of 3 (192 index rows
	// of the plan's 600) would give up. The project holds fewer measures
	// than the walk's budget, so the first read sizes the anchors and reads
	// from the project, with no walk; the sizes are then kept, and the
	// second read goes to the project at once.
	t.Run("a page whose anchor is small is read from it without a walk", func(t *testing.T) {
		first := 3
		q := plan.MeasureQuery{Scope: plan.ScopePlan, Filter: plan.MeasureCriteria{Projects: []string{smallProject}, Places: []string{smallPlace}}, First: &first}
		read := func() (*plan.MeasurePage, []plan.RoundTrip) {
			t.Helper()
			log := plan.NewRoundTripLog()
			pages, err := s.Measures(plan.WithRoundTripLog(ctx, log), q, []plan.ID{plan.ID(planID)})
			if err != nil {
				t.Fatal(err)
			}
			return pages[plan.ID(planID)], log.Entries()
		}
		p1, trips1 := read()
		p2, trips2 := read()
		if len(trips1) != 2 || strings.Contains(trips1[1].Cypher, "$budget") {
			t.Fatalf("first read: %d round trips, want 2 (the sizes, the read from the project, not a walk)", len(trips1))
		}
		if len(trips2) != 1 {
			t.Errorf("second read: %d round trips, want 1 (the read from the project)", len(trips2))
		}
		if !reflect.DeepEqual(pageIDs(p1), pageIDs(p2)) || p1.HasNextPage != p2.HasNextPage {
			t.Errorf("the reads differ: %v (next %v), then %v (next %v)", pageIDs(p1), p1.HasNextPage, pageIDs(p2), p2.HasNextPage)
		}
	})

	// The biggest sector's first measure of its rarest status: the filter
	// has no hubs, so the page is read from the sector's own links in
	// order, filtered as they stream, in one round trip with no walk (a
	// walk of 96 links could give up and read them again).
	t.Run("a page whose filter has no hubs is read from its scope at once", func(t *testing.T) {
		res, err := neo4j.ExecuteQuery(ctx, s.Driver(), "MATCH (:Sector {id: $id})<-[:IN_SECTOR]-(m:Measure) WITH m.status AS st, count(*) AS n ORDER BY n, st LIMIT 1 "+
			"MATCH (:Sector {id: $id})<-[:IN_SECTOR]-(m:Measure) WHERE m.status = st RETURN st, m.id AS id ORDER BY m.codeKey, m.id LIMIT 1",
			map[string]any{"id": bigSector}, neo4j.EagerResultTransformer, neo4j.ExecuteQueryWithDatabase(s.Database()))
		if err != nil || len(res.Records) != 1 {
			t.Fatalf("the rarest status of %s: %v", bigSector, err)
		}
		st, _ := res.Records[0].Get("st")
		want, _ := res.Records[0].Get("id")
		first := 1
		q := plan.MeasureQuery{Scope: plan.ScopeSector, Filter: plan.MeasureCriteria{Statuses: []plan.Status{plan.Status(st.(string))}}, First: &first}
		log := plan.NewRoundTripLog()
		pages, err := s.Measures(plan.WithRoundTripLog(ctx, log), q, []plan.ID{plan.ID(bigSector)})
		if err != nil {
			t.Fatal(err)
		}
		trips := log.Entries()
		if len(trips) != 1 || strings.Contains(trips[0].Cypher, "$budget") {
			t.Errorf("%d round trips, want 1, not a walk:\n%s", len(trips), trips[0].Cypher)
		}
		if got := pageIDs(pages[plan.ID(bigSector)]); len(got) != 1 || string(got[0]) != want {
			t.Errorf("status %v: got %v, want [%v]", st, got, want)
		}
	})

	// The biggest sector's last measures by title of its rarest section
	// and aspect numbers: read from the links of that block (the index
	// (hub, aspectId)), chosen by the counts the sector keeps, with no
	// walk: the sizes and the read the first time, the read alone after.
	t.Run("a sparse section and aspect of a hub is read from its block", func(t *testing.T) {
		res, err := neo4j.ExecuteQuery(ctx, s.Driver(), "MATCH (:Sector {id: $id})<-[:IN_SECTOR]-(m:Measure) WHERE m.aspectNumber > 0 WITH m.sectionNumber AS sec, m.aspectNumber AS a, count(*) AS n ORDER BY n, sec, a LIMIT 1 "+
			"MATCH (:Sector {id: $id})<-[:IN_SECTOR]-(m:Measure) WHERE m.sectionNumber = sec AND m.aspectNumber = a WITH sec, a, m ORDER BY m.title DESC, m.codeKey, m.id LIMIT 2 RETURN sec, a, collect(m.id) AS ids",
			map[string]any{"id": bigSector}, neo4j.EagerResultTransformer, neo4j.ExecuteQueryWithDatabase(s.Database()))
		if err != nil || len(res.Records) != 1 {
			t.Fatalf("the rarest aspect of %s: %v", bigSector, err)
		}
		sec, _ := res.Records[0].Get("sec")
		a, _ := res.Records[0].Get("a")
		ids, _ := res.Records[0].Get("ids")
		section, aspect, first := int(sec.(int64)), int(a.(int64)), 2
		q := plan.MeasureQuery{Scope: plan.ScopeSector, Filter: plan.MeasureCriteria{Section: &section, Aspect: &aspect}, First: &first,
			Order: []plan.Order{{Field: plan.OrderTitle, Desc: true}}}
		for i, want := range []int{2, 1} {
			log := plan.NewRoundTripLog()
			pages, err := s.Measures(plan.WithRoundTripLog(ctx, log), q, []plan.ID{plan.ID(bigSector)})
			if err != nil {
				t.Fatal(err)
			}
			trips := log.Entries()
			if len(trips) != want || !strings.Contains(trips[len(trips)-1].Cypher, ".aspectId = c.id") || strings.Contains(trips[len(trips)-1].Cypher, "$budget") {
				t.Fatalf("read %d: %d round trips, want %d, the last from the block:\n%s", i+1, len(trips), want, trips[len(trips)-1].Cypher)
			}
			var got []any
			for _, id := range pageIDs(pages[plan.ID(bigSector)]) {
				got = append(got, string(id))
			}
			if !reflect.DeepEqual(got, ids) {
				t.Errorf("section %d, aspect %d: got %v, want %v", section, aspect, got, ids)
			}
		}
	})

	// Every sector's first measure in the smallest project and the
	// smallest place: the walks of the big sectors give up, so the first
	// read of the list walks, then reads every page grouped from the
	// smallest anchor (the walks' pages are dropped). The second read
	// within the minute reads the sectors alone, then the grouped pages:
	// no walk, the same answer.
	t.Run("a list read grouped is read again without its walks", func(t *testing.T) {
		first := 1
		q := plan.MeasureQuery{Scope: plan.ScopeSector, Filter: plan.MeasureCriteria{Projects: []string{smallProject}, Places: []string{smallPlace}}, First: &first, WantTotal: true}
		read := func() (plan.Listed, []plan.RoundTrip) {
			t.Helper()
			log := plan.NewRoundTripLog()
			out, err := s.List(plan.WithRoundTripLog(ctx, log), plan.KindSector, plan.Lookup{Measures: &q})
			if err != nil {
				t.Fatal(err)
			}
			return out, log.Entries()
		}
		l1, trips1 := read()
		l2, trips2 := read()
		walks := func(trips []plan.RoundTrip) (n int) {
			for _, rt := range trips {
				if strings.Contains(rt.Cypher, "USING INDEX r:"+plan.RelTypeInSector) {
					n++
				}
			}
			return n
		}
		if len(trips1) != 2 || walks(trips1) != 1 {
			t.Fatalf("first read: %d round trips, %d with a walk, want 2 and 1 (the list with its walks and sizes, the grouped pages)", len(trips1), walks(trips1))
		}
		if len(trips2) != 2 || walks(trips2) != 0 {
			t.Errorf("second read: %d round trips, %d with a walk, want 2 and 0 (the list, the grouped pages)", len(trips2), walks(trips2))
		}
		if len(l1.Nodes) != len(l2.Nodes) || len(l1.Measures) != len(l2.Measures) {
			t.Fatalf("the reads differ: %d nodes and %d pages, then %d and %d", len(l1.Nodes), len(l1.Measures), len(l2.Nodes), len(l2.Measures))
		}
		found := 0
		for id, p1 := range l1.Measures {
			p2 := l2.Measures[id]
			if p2 == nil || !reflect.DeepEqual(pageIDs(p1), pageIDs(p2)) || p1.TotalCount != p2.TotalCount || p1.HasNextPage != p2.HasNextPage {
				t.Errorf("%s: the reads differ: %+v, then %+v", id, p1, p2)
			}
			found += p1.TotalCount
		}
		if found == 0 {
			t.Fatal("no sector holds a measure of the filter: the case tests nothing")
		}
	})
}

// pageIDs are the ids of a page's measures, in order.
func pageIDs(p *plan.MeasurePage) []plan.ID {
	var out []plan.ID
	for _, m := range p.Measures {
		out = append(out, m.ID)
	}
	return out
}
