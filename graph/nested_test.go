package graph_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
	"go.uber.org/zap"

	"github.com/shenzhenplan/kgapi/dataset"
	"github.com/shenzhenplan/kgapi/plan"
	"github.com/shenzhenplan/kgapi/server"
)

// Tests of the nested (relationship) fields of every type.

func TestMeasureRelations(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var d struct {
		Measures struct {
			TotalCount int           `json:"totalCount"`
			Nodes      []measureJSON `json:"nodes"`
		}
	}
	query(t, e.url, `{ measures(first: 100) { totalCount nodes { `+measureFields+` } } }`, nil, &d)
	if len(d.Measures.Nodes) != len(e.x.measures) || d.Measures.TotalCount != len(e.x.measures) {
		t.Fatalf("%d measures (totalCount %d), want %d", len(d.Measures.Nodes), d.Measures.TotalCount, len(e.x.measures))
	}
	withSources := 0
	for _, m := range d.Measures.Nodes {
		checkMeasure(t, e.x, m)
		for _, s := range m.Sources {
			if s.Excerpt == nil || *s.Excerpt == "" {
				t.Errorf("%s: source %s without its excerpt", m.Code, s.ID)
			}
		}
		if len(m.Sources) > 0 {
			withSources++
		}
	}
	if withSources == 0 {
		t.Error("no measure has sources: the file says otherwise")
	}
}

func TestPlanRelations(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var d struct {
		Plans []struct {
			Slug   string `json:"slug"`
			Parent *struct {
				Slug                  string `json:"slug"`
				CatalogedMeasureCount int    `json:"catalogedMeasureCount"`
			} `json:"parent"`
			Sections []struct {
				ID      string    `json:"id"`
				Number  int       `json:"number"`
				Title   string    `json:"title"`
				Summary *string   `json:"summary"`
				Plan    *slugJSON `json:"plan"`
			} `json:"sections"`
			Milestones []struct {
				Slug string `json:"slug"`
				Year int    `json:"year"`
			} `json:"milestones"`
			Sources  []sourceJSON `json:"sources"`
			Measures connJSON     `json:"measures"`
		}
	}
	query(t, e.url, `{ plans { slug parent { slug catalogedMeasureCount } sections { id number title summary plan { slug } }
  milestones { slug year } sources { id title excerpt } measures(first: 100) { `+connFields+` } } }`, nil, &d)
	if len(d.Plans) != len(e.x.ds.Plans) {
		t.Fatalf("%d plans, want %d", len(d.Plans), len(e.x.ds.Plans))
	}
	for _, got := range d.Plans {
		p := e.x.ds.Plans[0]
		for _, q := range e.x.ds.Plans {
			if q.Slug == got.Slug {
				p = q
			}
		}
		if p.Slug != got.Slug {
			t.Errorf("plan %s is not in the file", got.Slug)
			continue
		}
		if p.Parent == nil {
			if got.Parent != nil {
				t.Errorf("%s parent = %s, want null", p.Slug, got.Parent.Slug)
			}
		} else if got.Parent == nil || got.Parent.Slug != p.Parent.To || got.Parent.CatalogedMeasureCount != len(e.x.measuresOfPlan(p.Parent.To)) {
			t.Errorf("%s parent = %+v, want %s", p.Slug, got.Parent, p.Parent.To)
		}
		// Sections, by number.
		var wantSecs, gotSecs []string
		secs := slices.Clone(p.Sections)
		slices.SortFunc(secs, func(a, b dataset.Section) int { return a.Number - b.Number })
		for _, s := range secs {
			wantSecs = append(wantSecs, fmt.Sprintf("%s|%d|%s|%s|%s", gid(plan.KindSection, fmt.Sprintf("%s/S%d", p.Slug, s.Number)), s.Number, s.Title, s.Summary, p.Slug))
		}
		for _, s := range got.Sections {
			ps := ""
			if s.Plan != nil {
				ps = s.Plan.Slug
			}
			gotSecs = append(gotSecs, fmt.Sprintf("%s|%d|%s|%s|%s", s.ID, s.Number, s.Title, deref(s.Summary), ps))
		}
		eqStrings(t, p.Slug+" sections (by number)", gotSecs, wantSecs)
		// Milestones, by year.
		var wantMs, gotMs []string
		ms := slices.Clone(p.Milestones)
		slices.SortStableFunc(ms, func(a, b dataset.Link) int { return e.x.years[a.To] - e.x.years[b.To] })
		for _, l := range ms {
			wantMs = appendNew(wantMs, fmt.Sprintf("%s|%d", l.To, e.x.years[l.To]))
		}
		for _, m := range got.Milestones {
			gotMs = append(gotMs, fmt.Sprintf("%s|%d", m.Slug, m.Year))
		}
		eqStrings(t, p.Slug+" milestones (by year)", gotMs, wantMs)
		eqStrings(t, p.Slug+" sources", sourcesOf(got.Sources), refsOf(refs(p.Sources)))
		checkSourceTitles(t, e.x, p.Slug, got.Sources)
		wantM := codes(sortMeasures(e.x.measuresOfPlan(p.Slug), nil))
		eqStrings(t, p.Slug+" measures", codesOf(got.Measures.Nodes), wantM)
		if got.Measures.TotalCount != len(wantM) {
			t.Errorf("%s measures totalCount = %d, want %d", p.Slug, got.Measures.TotalCount, len(wantM))
		}
	}
}

func TestSectionAndAspectRelations(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	type measuresJSON struct {
		TotalCount int        `json:"totalCount"`
		Nodes      []codeJSON `json:"nodes"`
	}
	var d struct {
		Plans []struct {
			Slug     string `json:"slug"`
			Sections []struct {
				ID      string       `json:"id"`
				Number  int          `json:"number"`
				Plan    slugJSON     `json:"plan"`
				Sources []sourceJSON `json:"sources"`
				Aspects []struct {
					ID      string  `json:"id"`
					Number  int     `json:"number"`
					Title   string  `json:"title"`
					Summary *string `json:"summary"`
					Section struct {
						ID     string `json:"id"`
						Number int    `json:"number"`
					} `json:"section"`
					Sources  []sourceJSON `json:"sources"`
					Measures measuresJSON `json:"measures"`
				} `json:"aspects"`
				Measures measuresJSON `json:"measures"`
			} `json:"sections"`
		}
	}
	query(t, e.url, `{ plans { slug sections { id number plan { slug } sources { id title excerpt }
  aspects { id number title summary section { id number } sources { id title excerpt } measures(first: 100) { totalCount nodes { code } } }
  measures(first: 100) { totalCount nodes { code } } } } }`, nil, &d)
	aspects := 0
	for _, gp := range d.Plans {
		var p dataset.Plan
		for _, q := range e.x.ds.Plans {
			if q.Slug == gp.Slug {
				p = q
			}
		}
		if len(gp.Sections) != len(p.Sections) {
			t.Errorf("%s: %d sections, want %d", gp.Slug, len(gp.Sections), len(p.Sections))
			continue
		}
		for _, gs := range gp.Sections {
			i := slices.IndexFunc(p.Sections, func(s dataset.Section) bool { return s.Number == gs.Number })
			if i < 0 {
				t.Errorf("%s: section %d is not in the file", p.Slug, gs.Number)
				continue
			}
			s := p.Sections[i]
			what := fmt.Sprintf("%s S%d", p.Slug, s.Number)
			if gs.Plan.Slug != p.Slug {
				t.Errorf("%s plan = %s", what, gs.Plan.Slug)
			}
			eqStrings(t, what+" sources", sourcesOf(gs.Sources), refsOf(refs(s.Sources)))
			// Its measures include those of its aspects.
			want := codes(sortMeasures(e.x.where(func(m *measureX) bool { return m.Plan == p.Slug && m.Section == s.Number }), nil))
			eqStrings(t, what+" measures", codesOf(gs.Measures.Nodes), want)
			if gs.Measures.TotalCount != len(want) {
				t.Errorf("%s measures totalCount = %d, want %d", what, gs.Measures.TotalCount, len(want))
			}
			// Aspects, by number.
			var gotA, wantA []string
			as := slices.Clone(s.Aspects)
			slices.SortFunc(as, func(a, b dataset.Aspect) int { return a.Number - b.Number })
			for _, a := range as {
				wantA = append(wantA, fmt.Sprintf("%s|%d|%s|%s", gid(plan.KindAspect, fmt.Sprintf("%s/S%d.A%d", p.Slug, s.Number, a.Number)), a.Number, a.Title, a.Summary))
			}
			for _, ga := range gs.Aspects {
				aspects++
				gotA = append(gotA, fmt.Sprintf("%s|%d|%s|%s", ga.ID, ga.Number, ga.Title, deref(ga.Summary)))
				if ga.Section.ID != gs.ID || ga.Section.Number != s.Number {
					t.Errorf("%s aspect %d section = %+v", what, ga.Number, ga.Section)
				}
				j := slices.IndexFunc(s.Aspects, func(a dataset.Aspect) bool { return a.Number == ga.Number })
				if j < 0 {
					continue
				}
				eqStrings(t, fmt.Sprintf("%s.A%d sources", what, ga.Number), sourcesOf(ga.Sources), refsOf(refs(s.Aspects[j].Sources)))
				want := codes(sortMeasures(e.x.where(func(m *measureX) bool {
					return m.Plan == p.Slug && m.Section == s.Number && m.Aspect == ga.Number
				}), nil))
				eqStrings(t, fmt.Sprintf("%s.A%d measures", what, ga.Number), codesOf(ga.Measures.Nodes), want)
				if ga.Measures.TotalCount != len(want) {
					t.Errorf("%s.A%d totalCount = %d, want %d", what, ga.Number, ga.Measures.TotalCount, len(want))
				}
			}
			eqStrings(t, what+" aspects (by number)", gotA, wantA)
		}
	}
	if aspects == 0 {
		t.Error("no aspects: the file has some")
	}

	t.Run("section measures filtered and ordered", func(t *testing.T) {
		p := e.x.planWithMeasures()
		for _, c := range []struct {
			sec    int
			filter map[string]any
			keys   []ord
		}{
			{2, map[string]any{"aspect": 3}, []ord{{"TITLE", true}}},
			{2, map[string]any{"sector": []string{"education"}}, []ord{{"SECTION", true}, {"TITLE", false}}},
			{1, map[string]any{"text": "reform"}, []ord{{"CODE", true}}},
		} {
			var d struct{ Node struct{ Measures connJSON } }
			query(t, e.url, `query($id: ID!, $f: MeasureFilter, $o: [MeasureOrder!]) { node(id: $id) { ... on Section { measures(filter: $f, orderBy: $o, first: 100) { `+connFields+` } } } }`,
				map[string]any{"id": gid(plan.KindSection, fmt.Sprintf("%s/S%d", p, c.sec)), "f": c.filter, "o": orderVar(c.keys)}, &d)
			want := codes(sortMeasures(e.x.where(func(m *measureX) bool { return m.Plan == p && m.Section == c.sec && matchFilter(e.x, m, c.filter) }), c.keys))
			eqStrings(t, fmt.Sprintf("S%d %v %s", c.sec, c.filter, orderName(c.keys)), codesOf(d.Node.Measures.Nodes), want)
		}
	})
}

func TestMilestoneMeasures(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, c := range []struct {
		filter map[string]any
		keys   []ord
	}{
		{nil, nil},
		{map[string]any{"status": []string{"IN_PROGRESS"}}, []ord{{"TITLE", true}}},
		{map[string]any{"section": 2, "text": "build"}, []ord{{"SECTION", true}, {"CODE", true}}},
		{map[string]any{"sector": []string{"education", "culture"}}, []ord{{"MILESTONE_YEAR", false}, {"TITLE", false}}},
		{map[string]any{"milestoneYear": map[string]any{"min": 2030}}, nil},
	} {
		t.Run(fmt.Sprintf("%v %s", c.filter, orderName(c.keys)), func(t *testing.T) {
			var d struct {
				Milestones []struct {
					Slug     string   `json:"slug"`
					Measures connJSON `json:"measures"`
				}
			}
			query(t, e.url, `query($f: MeasureFilter, $o: [MeasureOrder!]) { milestones { slug measures(filter: $f, orderBy: $o, first: 100) { `+connFields+` } } }`,
				map[string]any{"f": c.filter, "o": orderVar(c.keys)}, &d)
			if len(d.Milestones) != len(e.x.ds.Milestones) {
				t.Fatalf("%d milestones, want %d", len(d.Milestones), len(e.x.ds.Milestones))
			}
			for _, ms := range d.Milestones {
				want := codes(sortMeasures(e.x.where(func(m *measureX) bool {
					return slices.Contains(m.Milestones, ms.Slug) && matchFilter(e.x, m, c.filter)
				}), c.keys))
				eqStrings(t, "milestone "+ms.Slug, codesOf(ms.Measures.Nodes), want)
				if ms.Measures.TotalCount != len(want) {
					t.Errorf("milestone %s totalCount = %d, want %d", ms.Slug, ms.Measures.TotalCount, len(want))
				}
			}
		})
	}
}

// TestPlaceHierarchy checks that a place includes the places within it. The
// bundled file has no place within another, so the test adds, for its own
// duration, a WITHIN relationship between two of the file's places and a
// second place to a measure, then removes them. It does not run in parallel
// with the tests that read the bundled data.
func TestPlaceHierarchy(t *testing.T) {
	base := newEnv(t)
	// child: a place with measures; parent: another place with measures of its own.
	var child, parent string
	var extra *measureX
	for _, m := range base.x.measures {
		for _, p := range m.Places {
			switch {
			case child == "":
				child = p
			case parent == "" && p != child && !slices.Contains(m.Places, child):
				parent, extra = p, m
			}
		}
	}
	if child == "" || parent == "" {
		t.Skip("the file needs two places with measures")
	}
	ctx := context.Background()
	run := func(cypher string, params map[string]any) {
		t.Helper()
		if _, err := neo4j.ExecuteQuery(ctx, base.st.Driver(), cypher, params, neo4j.EagerResultTransformer,
			neo4j.ExecuteQueryWithDatabase(base.st.Database())); err != nil {
			t.Fatal(err)
		}
	}
	// The test writes around the API: it refreshes what the graph derives
	// (measure counts, link keys), as anyone who does must.
	refresh := func() {
		if err := base.st.RefreshDerived(ctx); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { run(`MATCH ()-[r {testExtra: true}]->() DELETE r`, nil); refresh() })
	run(`MATCH (c:Place {id: $c}), (p:Place {id: $p}) CREATE (c)-[:WITHIN {testExtra: true}]->(p)`,
		map[string]any{"c": string(plan.NewID(plan.KindPlace, child)), "p": string(plan.NewID(plan.KindPlace, parent))})
	// The measure is now located in the parent and in the child: it must still count once.
	run(`MATCH (m:Measure {id: $m}), (c:Place {id: $c}) CREATE (m)-[:LOCATED_IN {testExtra: true}]->(c)`,
		map[string]any{"m": extra.RawID, "c": string(plan.NewID(plan.KindPlace, child))})
	refresh()

	x := newExpect(base.x.ds)
	x.within[child] = parent
	x.byCode[extra.Plan+"/"+extra.Code].Places = append(x.byCode[extra.Plan+"/"+extra.Code].Places, child)
	x.edges[edge{gid(plan.KindPlace, child), "WITHIN", gid(plan.KindPlace, parent)}] = true
	x.edges[edge{extra.ID, "LOCATED_IN", gid(plan.KindPlace, child)}] = true
	e := &env{x: x, st: base.st, url: base.url, srv: base.srv}

	t.Logf("%s within %s; %s located in both", child, parent, extra.Code)
	t.Run("places", func(t *testing.T) { checkPlaces(t, e) })
	t.Run("place filter", func(t *testing.T) {
		for _, f := range []map[string]any{{"place": []string{parent}}, {"place": []string{child}}, {"place": []string{child, parent}}} {
			want := codes(sortMeasures(x.where(func(m *measureX) bool { return matchFilter(x, m, f) }), nil))
			c := rootMeasures(t, e.url, map[string]any{"filter": f, "first": 100})
			eqStrings(t, fmt.Sprintf("%v", f), codesOf(c.Nodes), want)
			if c.TotalCount != len(want) {
				t.Errorf("%v totalCount = %d, want %d", f, c.TotalCount, len(want))
			}
		}
	})
	t.Run("paging the parent's measures", func(t *testing.T) {
		want := codes(sortMeasures(x.where(func(m *measureX) bool { return matchFilter(x, m, map[string]any{"place": []string{parent}}) }), nil))
		fetch := nodeMeasures(gid(plan.KindPlace, parent), "Place")
		eqStrings(t, "forward by 1", walkForward(t, e.url, fetch, nil, 1, len(want)), want)
		eqStrings(t, "backward by 1", walkBackward(t, e.url, fetch, nil, 1, len(want)), want)
	})
}

// TestMixedTypeLevels resolves relationship fields on lists that hold nodes
// of several types (nodes(ids:), search): the batching groups them as one
// level, and each type's fields must still resolve.
func TestMixedTypeLevels(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	// A short deadline bounds a request that waits on a batch that never completes.
	srv := httptest.NewServer(server.NewHandler(server.Deps{Store: e.st, Log: zap.NewNop(), QueryTimeout: 3 * time.Second, Limits: bigLimits()}))
	t.Cleanup(srv.Close)
	url := srv.URL + "/graphql"

	var m *measureX
	for _, x := range e.x.measures {
		if x.Aspect != 0 && len(x.Projects) > 0 {
			m = x
		}
	}
	if m == nil {
		t.Fatal("the file needs a measure in an aspect with a project")
	}
	secID := gid(plan.KindSection, fmt.Sprintf("%s/S%d", m.Plan, m.Section))
	aspID := gid(plan.KindAspect, fmt.Sprintf("%s/S%d.A%d", m.Plan, m.Section, m.Aspect))
	projID := gid(plan.KindProject, m.Projects[0])

	t.Run("nodes", func(t *testing.T) {
		t.Parallel()
		r := post(t, url, `query($ids: [ID!]!) { nodes(ids: $ids) { __typename
  ... on Measure { code plan { slug } section { number } aspect { number } projects { slug } }
  ... on Section { number plan { slug } }
  ... on Aspect { number section { number } }
  ... on Project { slug places { slug } } } }`, map[string]any{"ids": []string{m.ID, projID, secID, aspID}})
		if len(r.Errors) > 0 {
			t.Fatalf("nodes of four types with their references: %s", r.Body)
		}
		var d struct {
			Nodes []struct {
				Typename string    `json:"__typename"`
				Code     string    `json:"code"`
				Number   int       `json:"number"`
				Plan     *slugJSON `json:"plan"`
				Section  *struct {
					Number int `json:"number"`
				} `json:"section"`
				Aspect *struct {
					Number int `json:"number"`
				} `json:"aspect"`
			}
		}
		if err := json.Unmarshal(r.Data, &d); err != nil || len(d.Nodes) != 4 {
			t.Fatalf("%v: %s", err, r.Data)
		}
		if n := d.Nodes[0]; n.Code != m.Code || n.Plan == nil || n.Plan.Slug != m.Plan || n.Section == nil || n.Section.Number != m.Section || n.Aspect == nil || n.Aspect.Number != m.Aspect {
			t.Errorf("measure = %+v", n)
		}
		if n := d.Nodes[2]; n.Number != m.Section || n.Plan == nil || n.Plan.Slug != m.Plan {
			t.Errorf("section = %+v", n)
		}
		if n := d.Nodes[3]; n.Number != m.Aspect || n.Section == nil || n.Section.Number != m.Section {
			t.Errorf("aspect = %+v", n)
		}
	})
	t.Run("search", func(t *testing.T) {
		t.Parallel()
		start := time.Now()
		r := post(t, url, `{ search(text: "science city", first: 100) { node { __typename id
  ... on Measure { code section { number } } ... on Project { slug places { slug } } ... on Aspect { number section { number } } } } }`, nil)
		if len(r.Errors) > 0 {
			t.Fatalf("search hits of several types with their references (after %s): %s", time.Since(start).Round(time.Millisecond), r.Body)
		}
		var d struct {
			Search []struct {
				Node struct {
					ID      string `json:"id"`
					Section *struct {
						Number int `json:"number"`
					} `json:"section"`
				} `json:"node"`
			}
		}
		if err := json.Unmarshal(r.Data, &d); err != nil {
			t.Fatal(err)
		}
		for _, h := range d.Search {
			for _, x := range e.x.measures {
				if x.ID == h.Node.ID && (h.Node.Section == nil || h.Node.Section.Number != x.Section) {
					t.Errorf("measure %s section = %+v, want %d", x.Code, h.Node.Section, x.Section)
				}
			}
		}
	})
}
