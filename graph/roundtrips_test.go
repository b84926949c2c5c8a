package graph_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"

	"go.uber.org/zap"

	"github.com/shenzhenplan/kgapi/plan"
	"github.com/shenzhenplan/kgapi/server"
)

// Tests that a request costs a number of store round trips set by its
// shape, never by the number of results (no N+1).

// counter serves the API with a round-trip counter on each request that
// names one in its X-Test-Counter header.
type counter struct {
	e    *env
	url  string
	mu   sync.Mutex
	byID map[string]*plan.RoundTrips
	next atomic.Int64
}

func newCounter(t *testing.T) *counter { return newCounterWith(t, false) }

func newCounterWith(t *testing.T, noPrefetch bool) *counter {
	t.Helper()
	e := newEnv(t)
	c := &counter{e: e, byID: map[string]*plan.RoundTrips{}}
	api := server.NewHandler(server.Deps{Store: e.st, Log: zap.NewNop(), NoPrefetch: noPrefetch, Limits: bigLimits()})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		rt := c.byID[r.Header.Get("X-Test-Counter")]
		c.mu.Unlock()
		if rt != nil {
			r = r.WithContext(plan.WithRoundTrips(r.Context(), rt))
		}
		api.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	c.url = srv.URL + "/graphql"
	return c
}

// run sends a query that must succeed, decodes its data into v (when not
// nil) and returns the number of round trips it cost.
func (c *counter) run(t testing.TB, q string, vars map[string]any, v any) int {
	t.Helper()
	id := fmt.Sprint(c.next.Add(1))
	rt := &plan.RoundTrips{}
	c.mu.Lock()
	c.byID[id] = rt
	c.mu.Unlock()
	body, _ := json.Marshal(map[string]any{"query": q, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, c.url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Test-Counter", id)
	r := do(t, req)
	if len(r.Errors) > 0 || r.Status != http.StatusOK {
		t.Fatalf("query failed (%d): %s", r.Status, r.Body)
	}
	if v != nil {
		if err := json.Unmarshal(r.Data, v); err != nil {
			t.Fatal(err)
		}
	}
	return rt.Count()
}

func TestRoundTrips(t *testing.T) {
	t.Parallel()
	c := newCounter(t)
	all := len(c.e.x.measures)

	t.Run("nested measures: N=10 costs what N=all costs", func(t *testing.T) {
		const q = `query($n: Int) { measures(first: $n) { edges { node { code
  section { title plan { title } } aspect { title }
  projects { name places { name } sectors { name } }
  sectors { name } places { name } milestones { year } sources { excerpt } } } } }`
		// The whole selection is compiled into the connection's query.
		const shape = 1
		counts := map[int]int{}
		for _, n := range []int{10, all} {
			var d struct {
				Measures struct {
					Edges []struct {
						Node struct {
							Code     string     `json:"code"`
							Sources  []any      `json:"sources"`
							Projects []slugJSON `json:"projects"`
						} `json:"node"`
					} `json:"edges"`
				}
			}
			counts[n] = c.run(t, q, map[string]any{"n": n}, &d)
			if len(d.Measures.Edges) != min(n, all) {
				t.Fatalf("first %d: %d measures", n, len(d.Measures.Edges))
			}
			t.Logf("measures(first: %d) with 10 nested relationship fields: %d round trips", n, counts[n])
		}
		if counts[10] != counts[all] {
			t.Errorf("round trips grow with the results: %d for 10 measures, %d for %d (N+1)", counts[10], counts[all], all)
		}
		if counts[all] > shape {
			t.Errorf("%d round trips, more than the %d fields that load", counts[all], shape)
		}
	})

	t.Run("nested connections under a list", func(t *testing.T) {
		// One: the list's query holds every node's page of measures, whose
		// selection (their projects) is compiled into it.
		const shape = 1
		for _, q := range []string{
			`{ sectors { name measures(first: 5) { nodes { code projects { name } } } } }`,
			`{ places { name measures(first: 5) { nodes { code projects { name } } } } }`,
			`{ milestones { year measures(first: 5) { nodes { code projects { name } } } } }`,
		} {
			a, b := c.run(t, q, nil, nil), c.run(t, q, nil, nil)
			t.Logf("%s: %d round trips", q, a)
			if a != b || a != shape {
				t.Errorf("%s: %d then %d round trips, want %d", q, a, b, shape)
			}
		}
	})

	t.Run("deep tree", func(t *testing.T) {
		// plans, sections, aspects, then the aspects' measure pages with their
		// projects and the projects' places in one query.
		const q = `{ plans { sections { aspects { measures(first: 100) { nodes { code projects { name places { name } } } } } } } }`
		const shape = 4
		n := c.run(t, q, nil, nil)
		t.Logf("plans → sections → aspects → measures → projects → places: %d round trips", n)
		if n != shape {
			t.Errorf("%d round trips, want %d", n, shape)
		}
	})

	t.Run("nodes: 2 ids cost what all ids cost", func(t *testing.T) {
		const q = `query($ids: [ID!]!) { nodes(ids: $ids) { id ... on Measure { section { title } projects { name } sources { excerpt } } } }`
		var ids []string
		for _, m := range c.e.x.measures {
			ids = append(ids, m.ID)
		}
		few, many := c.run(t, q, map[string]any{"ids": ids[:2]}, nil), c.run(t, q, map[string]any{"ids": ids}, nil)
		t.Logf("nodes(2 ids): %d, nodes(%d ids): %d round trips", few, len(ids), many)
		if few != many || many != 4 {
			t.Errorf("nodes: %d and %d round trips, want 4 for both", few, many)
		}
	})

	t.Run("federation: 2 representations cost what all cost", func(t *testing.T) {
		// What a gateway sends: every representation of a type goes to one
		// entity resolver, whichever key it uses (global id, or code and
		// plan slug), and costs one round trip; the entities found form one
		// level, so their relationship fields are batched as anywhere else.
		var reps []any
		for i, m := range c.e.x.measures {
			if i%2 == 0 {
				reps = append(reps, map[string]any{"__typename": "Measure", "id": m.ID})
			} else {
				reps = append(reps, measureRep(m))
			}
		}
		for _, tc := range []struct {
			q    string
			want int
		}{
			{`query($r: [_Any!]!) { _entities(representations: $r) { ... on Measure { code title } } }`, 1},
			{`query($r: [_Any!]!) { _entities(representations: $r) { ... on Measure { code section { title } projects { name places { name } } } } }`, 4},
		} {
			var few, many struct {
				Entities []*struct {
					Code string `json:"code"`
				} `json:"_entities"`
			}
			nf, nm := c.run(t, tc.q, map[string]any{"r": reps[:2]}, &few), c.run(t, tc.q, map[string]any{"r": reps}, &many)
			t.Logf("%s: 2 representations %d round trip(s), %d representations %d", tc.q, nf, len(reps), nm)
			if nf != nm || nm != tc.want {
				t.Errorf("%s: %d round trips for 2 representations, %d for %d, want %d for both", tc.q, nf, nm, len(reps), tc.want)
			}
			for i, m := range c.e.x.measures {
				if many.Entities[i] == nil || many.Entities[i].Code != m.Code {
					t.Fatalf("_entities[%d]: %v, want %s", i, many.Entities[i], m.Code)
				}
			}
		}
		// Five entity types at once: one round trip each, whatever their number.
		x := c.e.x
		mixed := func(n int) []any {
			var out []any
			for i := range n {
				out = append(out,
					measureRep(x.measures[i%len(x.measures)]),
					map[string]any{"__typename": "Project", "slug": x.ds.Projects[i%len(x.ds.Projects)].Slug},
					map[string]any{"__typename": "Sector", "id": gid(plan.KindSector, x.ds.Sectors[i%len(x.ds.Sectors)].Slug)},
					map[string]any{"__typename": "Place", "slug": x.ds.Places[i%len(x.ds.Places)].Slug},
					map[string]any{"__typename": "Plan", "slug": x.ds.Plans[i%len(x.ds.Plans)].Slug})
			}
			return out
		}
		const q = `query($r: [_Any!]!) { _entities(representations: $r) { __typename ... on Measure { title } ... on Project { name } ... on Sector { name } ... on Place { name } ... on Plan { title } } }`
		nf, nm := c.run(t, q, map[string]any{"r": mixed(1)}, nil), c.run(t, q, map[string]any{"r": mixed(all)}, nil)
		t.Logf("5 entity types: %d representations %d round trips, %d representations %d", 5, nf, 5*all, nm)
		if nf != nm || nm != 5 {
			t.Errorf("5 entity types: %d round trips for 5 representations, %d for %d, want 5 for both", nf, nm, 5*all)
		}
	})

	t.Run("search hits", func(t *testing.T) {
		// Measures only: hits of several types in one level are TestMixedTypeLevels'.
		const q = `query($n: Int) { search(text: "science city", types: ["Measure"], first: $n) { node { id ... on Measure { section { title } projects { name places { name } } } } } }`
		few, many := c.run(t, q, map[string]any{"n": 2}, nil), c.run(t, q, map[string]any{"n": 100}, nil)
		t.Logf("search(first: 2): %d, search(first: 100): %d round trips", few, many)
		if few != many || many != 4 {
			t.Errorf("search: %d round trips for 2 hits, %d for 100, want 4 for both", few, many)
		}
	})

	t.Run("a node by key brings its relationship fields along", func(t *testing.T) {
		// The lookup, its places, sectors and sources, and its first measure
		// page with the page's own selection: one query.
		const q = `query($slug: String!) { project(slug: $slug) { name places { name within { name } } sectors { name } sources { excerpt }
  measures(first: 5) { totalCount nodes { code title section { title } projects { name places { name } } } } } }`
		slug := centreProject(t, c.e.x).Slug
		if n := c.run(t, q, map[string]any{"slug": slug}, nil); n != 1 {
			t.Errorf("project with places, sectors, sources and a measure page: %d round trips, want 1", n)
		}
		// A filtered, ordered page too. A section number in a hub is read
		// from the hub's links in order or from the links of that section
		// (the index (hub, sectionId)), as the counts the hub keeps say:
		// the first read of the filter reads them (one more round trip),
		// later reads find them kept.
		const filtered = `query($slug: String!, $s: [MeasureStatus!]) { project(slug: $slug) { name measures(first: 5, filter: { section: 2, status: $s }, orderBy: [{ field: TITLE, direction: DESC }]) { nodes { code } } } }`
		for i, want := range []int{2, 1} {
			if n := c.run(t, filtered, map[string]any{"slug": slug, "s": []string{"PLANNED", "IN_PROGRESS"}}, nil); n != want {
				t.Errorf("project with a filtered measure page, read %d: %d round trips, want %d", i+1, n, want)
			}
		}
		// A second page of another shape: one more.
		const two = `query($slug: String!) { project(slug: $slug) { a: measures(first: 2) { nodes { code } } b: measures(last: 2) { nodes { code } } } }`
		if n := c.run(t, two, map[string]any{"slug": slug}, nil); n != 2 {
			t.Errorf("project with two measure pages: %d round trips, want 2", n)
		}
		// The dashboard: a plan's first page with section, aspect, projects, places, sectors.
		const dashboard = `query($slug: String!, $n: Int!) { plan(slug: $slug) { title measures(first: $n) { nodes { code title section { title } aspect { title } projects { name places { name } } sectors { name } } pageInfo { hasNextPage endCursor } } } }`
		if n := c.run(t, dashboard, map[string]any{"slug": "shenzhen-pdz-action-plan", "n": 50}, nil); n != 1 {
			t.Errorf("dashboard: %d round trips, want 1", n)
		}
		if n := c.run(t, `{ project(slug: "no-such-project") { name places { name } measures { nodes { code } } } }`, nil, nil); n != 1 {
			t.Errorf("unknown project: %d round trips, want 1", n)
		}
	})

	t.Run("lookup: one round trip, whichever key", func(t *testing.T) {
		// The key's one store call; a slug lookup brings its selection
		// along in it, as project(slug:) does.
		m := c.e.x.measures[0]
		slug := centreProject(t, c.e.x).Slug
		const q = `query($by: NodeKey!) { lookup(by: $by) { id ... on Measure { code title status } ... on Project { name places { name } sectors { name } sources { excerpt } } } }`
		for _, tc := range []struct {
			name string
			by   map[string]any
		}{
			{"id", map[string]any{"id": m.ID}},
			{"measure code and plan", map[string]any{"measure": map[string]any{"code": m.Code, "plan": m.Plan}}},
			{"measure code", map[string]any{"measure": map[string]any{"code": m.Code}}},
			{"project slug with its links", map[string]any{"slug": map[string]any{"kind": "PROJECT", "slug": slug}}},
			{"unknown slug", map[string]any{"slug": map[string]any{"kind": "PLACE", "slug": "no-such-place"}}},
		} {
			var d struct {
				Lookup *struct {
					ID string `json:"id"`
				} `json:"lookup"`
			}
			if n := c.run(t, q, map[string]any{"by": tc.by}, &d); n != 1 {
				t.Errorf("lookup by %s: %d round trips, want 1", tc.name, n)
			}
			if (d.Lookup == nil) != (tc.name == "unknown slug") {
				t.Errorf("lookup by %s: %+v", tc.name, d.Lookup)
			}
		}
	})

	t.Run("neighborhood: one round trip at every depth", func(t *testing.T) {
		const q = `query($id: ID!, $d: Int) { neighborhood(id: $id, depth: $d) { truncated nodes { id label } edges { source target type } } }`
		id := gid(plan.KindProject, centreProject(t, c.e.x).Slug)
		for _, d := range []int{1, 2, 3} {
			if n := c.run(t, q, map[string]any{"id": id, "d": d}, nil); n != 1 {
				t.Errorf("neighborhood depth %d: %d round trips, want 1", d, n)
			}
		}
	})

	t.Run("counted per request", func(t *testing.T) {
		if n := c.run(t, `{ plans { slug } }`, nil, nil); n != 1 {
			t.Errorf("plans: %d round trips, want 1", n)
		}
		if n := c.run(t, `{ __typename }`, nil, nil); n != 0 {
			t.Errorf("__typename: %d round trips, want 0", n)
		}
		if n := c.run(t, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": gid(plan.KindPlace, "x")}, nil); n != 1 {
			t.Errorf("node: %d round trips, want 1", n)
		}
	})
}

// The two ways of avoiding N+1 side by side: compiling a page's selection
// into its query, and batching each level through the dataloader.
func TestPrefetchVersusLevelBatching(t *testing.T) {
	const q = `{ measures(first: 100) { nodes { code
  section { title plan { title } } aspect { title }
  projects { name places { name } sectors { name } }
  sectors { name } places { name } milestones { year } sources { excerpt } } } }`
	var compiled, batched any
	nc := newCounterWith(t, false).run(t, q, nil, &compiled)
	nb := newCounterWith(t, true).run(t, q, nil, &batched)
	t.Logf("compiled: %d round trip(s); batched per level: %d", nc, nb)
	if nc != 1 || nb != 11 {
		t.Errorf("round trips: compiled %d (want 1), batched %d (want 11: the page, then 10 relationship fields)", nc, nb)
	}
	if !reflect.DeepEqual(compiled, batched) {
		t.Error("the two ways give different answers")
	}

	// The same for a node looked up by key, for every kind with a slug.
	// Totals counted from the anchor the filter's sizes choose: the first
	// read of a filter reads its sizes first (one more round trip), later
	// reads find them kept (store/sizes.go).
	const sizedTotal = `{ plan(slug: "shenzhen-pdz-action-plan") { measures(first: 4, filter: { section: 2, status: [PLANNED, IN_PROGRESS], milestoneYear: { min: 2020 } }, orderBy: [{ field: TITLE }]) { totalCount nodes { code title status } pageInfo { hasNextPage endCursor } } } }`
	const sizedPlaces = `{ places { name measures(first: 2, filter: { milestoneYear: { min: 2020 } }) { totalCount nodes { code } } } }`
	sized := map[string]bool{sizedTotal: true, sizedPlaces: true}
	for _, tc := range []struct {
		q    string
		want int // round trips when compiled
	}{
		{`{ plan(slug: "shenzhen-pdz-action-plan") { title sections { title } measures(first: 7) { totalCount nodes { code section { title } aspect { title } projects { name places { name } } sectors { name } } edges { cursor } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } } }`, 1},
		{`{ plan(slug: "shenzhen-pdz-action-plan") { measures(last: 3) { nodes { code } pageInfo { hasNextPage hasPreviousPage } } more: measures(first: 2, filter: { section: 2 }) { nodes { code } } } }`, 2},
		{sizedTotal, 1},
		{`{ plan(slug: "shenzhen-pdz-action-plan") { measures(first: 3, filter: { status: PLANNED }, orderBy: { field: SECTION, direction: DESC }) { nodes { code } } } }`, 2},
		{`{ project(slug: "qianhai-free-trade-zone") { name measures(first: 2) { nodes { code title sectors { name } } pageInfo { endCursor } } } }`, 1},
		{`{ sector(slug: "green-finance") { measures { totalCount nodes { code } } } }`, 1},
		// Two selections of one page, and of one relation: each gets the properties it reads.
		{`{ plan(slug: "shenzhen-pdz-action-plan") { a: measures(first: 3) { nodes { code projects { name } } } b: measures(first: 3) { nodes { description titleZh status projects { description kind } } } } }`, 2},
		{`{ measures(first: 6) { nodes { code x: projects { name } y: projects { description places { kind nameZh } } ... on Node { ... on Measure { titleZh } } } } }`, 1},
		{`{ project(slug: "qianhai-free-trade-zone") { name places { name within { name } contains { name } } sectors { name projects { name } } sources { excerpt } } }`, 1},
		{`{ sector(slug: "green-finance") { name projects { name places { name } } sources { excerpt } } }`, 1},
		{`{ place(slug: "qianhai") { name within { name } contains { name } projects { name sectors { name } } sources { excerpt } } }`, 1},
		// The same for the top-level lists: every node's relations and page in the list's query.
		{`{ sectors { name measures(first: 3) { totalCount nodes { code title projects { name } } pageInfo { hasNextPage endCursor } } } }`, 1},
		// A title order in a sector has no walk: the list's query says so, and the whole planner reads the pages.
		{`{ sectors { name measures(first: 3, orderBy: { field: TITLE, direction: DESC }) { totalCount nodes { code title projects { name } } pageInfo { hasNextPage endCursor } } } }`, 2},
		{`{ places { name within { name } contains { name } projects { name } measures(first: 2, filter: { status: [PLANNED, IN_PROGRESS] }) { totalCount nodes { code sectors { name } } } } }`, 1},
		{`{ milestones { year measures(last: 2) { nodes { code } pageInfo { hasPreviousPage startCursor } } } }`, 1},
		{`{ sectors { name projects { name places { name } } sources { excerpt } } }`, 1},
		{`{ places { name a: measures(first: 1) { nodes { code } } b: measures(first: 2, orderBy: { field: CODE, direction: DESC }) { nodes { code } } } }`, 2},
		// A filter with an anchor of its own: the list's pages, then every node's total in one count.
		{`{ sectors { name measures(first: 2, filter: { text: "technology" }) { totalCount nodes { code } } } }`, 2},
		{sizedPlaces, 2},
		{`{ milestones { year measures(first: 1, filter: { sector: ["education", "culture", "aviation"] }) { totalCount } } }`, 2},
		// Counts alone read no page: a section (and aspect) number is a
		// count each node keeps, also for places (no grouped page read).
		{`{ sectors { name measures(filter: { section: 2 }) { totalCount } } }`, 1},
		{`{ places { name measures(filter: { section: 2, aspect: 1 }) { totalCount } } }`, 1},
		{`{ projects(first: 20) { nodes { name measures(filter: { section: 1 }) { totalCount } } } }`, 2},
		{`{ places { name measures(filter: { place: ["shenzhen"] }) { totalCount } } }`, 2},
	} {
		var compiled, batched any
		c, b := newCounterWith(t, false), newCounterWith(t, true)
		nc, nb := c.run(t, tc.q, nil, &compiled), b.run(t, tc.q, nil, &batched)
		t.Logf("%s: compiled %d round trip(s), batched %d", tc.q, nc, nb)
		if sized[tc.q] {
			if nc != tc.want+1 {
				t.Errorf("%s: compiled, first read: %d round trips (want %d: the sizes, then the rest)", tc.q, nc, tc.want+1)
			}
			nc = c.run(t, tc.q, nil, &compiled)
		}
		if nc != tc.want || nb < nc {
			t.Errorf("%s: compiled %d round trips (want %d), batched %d (want no fewer)", tc.q, nc, tc.want, nb)
		}
		if !reflect.DeepEqual(compiled, batched) {
			t.Errorf("%s: the two ways give different answers:\n%v\n%v", tc.q, compiled, batched)
		}
	}
}
