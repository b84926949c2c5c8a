package load

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/shenzhenplan/kgapi/bench/floor"
	"github.com/shenzhenplan/kgapi/plan"
	"github.com/shenzhenplan/kgapi/store"
)

// Spec says which plan of the database the workloads are about.
type Spec struct {
	// PlanSlug is the plan whose measures the workloads read.
	PlanSlug string
	// Dataset is the loader's dataset name of that plan's data (the file
	// stem, or the synthetic plan's slug): the neighbourhood's centre is one
	// of its places.
	Dataset string
	// SearchText is the full-text query.
	SearchText string
	// PeerPageOffset asks the peer for the page with `measures(offset:,
	// limit:)` instead of its cursor pagination (`measuresConnection(after:)`).
	PeerPageOffset bool
}

// Parameters of the workloads (the same for every size).
const (
	DashboardFirst   = 50
	ProjectFirst     = 50
	PageFirst        = 20
	SearchFirst      = 10
	NeighborhoodMax  = 1000 // our limit argument (the API's maximum)
	neighborhoodCap  = 400  // the centre's 2-hop neighbourhood is at most this big
	candidateDegree  = 150  // places with more direct links are not considered as centres
	pageDepthPercent = 75   // the page starts this deep into the filtered list
)

// Suite is the workloads over one database, with their expected answers.
type Suite struct {
	Spec      Spec
	Workloads []*Workload
	// Facts are the parameters chosen, for the report.
	Facts []string
}

// Workload returns the named workload, or nil.
func (s *Suite) Workload(name string) *Workload {
	for _, w := range s.Workloads {
		if w.Name == name {
			return w
		}
	}
	return nil
}

// WorkloadNames lists the workloads in report order.
var WorkloadNames = []string{"dashboard", "project", "page", "search", "neighborhood", "node", "nested", "walk", "ordered", "count"}

// ref runs reference queries: simple, obviously correct Cypher (not tuned,
// written independently of the API's store and of the floor), once per run.
type ref struct {
	drv neo4j.DriverWithContext
	db  string
}

func (r ref) query(ctx context.Context, cypher string, params map[string]any) ([]*neo4j.Record, error) {
	res, err := neo4j.ExecuteQuery(ctx, r.drv, cypher, params, neo4j.EagerResultTransformer,
		neo4j.ExecuteQueryWithDatabase(r.db), neo4j.ExecuteQueryWithReadersRouting())
	if err != nil {
		return nil, fmt.Errorf("reference query failed: %w\n%s", err, cypher)
	}
	return res.Records, nil
}

// Prepare picks the workloads' parameters in the database and computes
// their expected answers.
func Prepare(ctx context.Context, drv neo4j.DriverWithContext, database string, spec Spec) (*Suite, error) {
	r := ref{drv: drv, db: database}
	s := &Suite{Spec: spec}
	planID := string(plan.NewID(plan.KindPlan, spec.PlanSlug))
	recs, err := r.query(ctx, "MATCH (m:Measure {plan: $plan}) RETURN count(m) AS n", map[string]any{"plan": planID})
	if err != nil {
		return nil, err
	}
	if n, _ := recs[0].Values[0].(int64); n == 0 {
		return nil, fmt.Errorf("plan %s has no measures in the database: load it first", spec.PlanSlug)
	}
	for _, build := range []func(context.Context, ref, string, *Suite) (*Workload, error){
		dashboardWorkload, projectWorkload, pageWorkload, searchWorkload, neighborhoodWorkload, nodeWorkload,
		nestedWorkload, walkWorkload, orderedWorkload, countWorkload,
	} {
		w, err := build(ctx, r, planID, s)
		if err != nil {
			return nil, err
		}
		s.Workloads = append(s.Workloads, w)
	}
	return s, nil
}

// --- dashboard ---------------------------------------------------------

type dashMeasure struct {
	Code, Title, Section string
	Aspect               *string
	Projects             []dashProject
	Sectors              []string
}

type dashProject struct {
	Name   string
	Places []string
}

func canonDash(ms []dashMeasure) []dashMeasure {
	for i := range ms {
		for j := range ms[i].Projects {
			sort.Strings(ms[i].Projects[j].Places)
		}
		sort.Slice(ms[i].Projects, func(a, b int) bool {
			pa, pb := ms[i].Projects[a], ms[i].Projects[b]
			if pa.Name != pb.Name {
				return pa.Name < pb.Name
			}
			return strings.Join(pa.Places, "\x00") < strings.Join(pb.Places, "\x00")
		})
		sort.Strings(ms[i].Sectors)
		if ms[i].Projects == nil {
			ms[i].Projects = []dashProject{}
		}
		if ms[i].Sectors == nil {
			ms[i].Sectors = []string{}
		}
	}
	return ms
}

type nameJ struct {
	Name string `json:"name"`
}
type titleJ struct {
	Title string `json:"title"`
}

func namesOf(l []nameJ) []string {
	out := make([]string, len(l))
	for i, n := range l {
		out[i] = n.Name
	}
	return out
}

func dashboardWorkload(ctx context.Context, r ref, planID string, s *Suite) (*Workload, error) {
	// Section through the relationships (PART_OF to the section, or to an
	// aspect of it), not the denormalised ids the API and the floor use.
	recs, err := r.query(ctx, `MATCH (m:Measure {plan: $plan}) WITH m ORDER BY m.codeKey, m.id LIMIT $first
OPTIONAL MATCH (m)-[:PART_OF]->(direct:Section)
OPTIONAL MATCH (m)-[:PART_OF]->(a:Aspect)<-[:HAS_ASPECT]-(via:Section)
RETURN m.code AS code, m.title AS title, coalesce(direct.title, via.title) AS section, a.title AS aspect,
  [(m)-[:ADVANCES]->(p:Project) | [p.name, [(p)-[:LOCATED_IN]->(pl:Place) | pl.name]]] AS projects,
  [(m)-[:IN_SECTOR]->(x:Sector) | x.name] AS sectors
ORDER BY m.codeKey, m.id`, map[string]any{"plan": planID, "first": int64(DashboardFirst)})
	if err != nil {
		return nil, err
	}
	var want []dashMeasure
	for _, rec := range recs {
		m := dashMeasure{Code: rs(rec, 0), Title: rs(rec, 1), Section: rs(rec, 2)}
		if a, ok := rec.Values[3].(string); ok {
			m.Aspect = &a
		}
		for _, p := range anyList(rec.Values[4]) {
			pair := anyList(p)
			name, _ := pair[0].(string)
			m.Projects = append(m.Projects, dashProject{Name: name, Places: strList(pair[1])})
		}
		m.Sectors = strList(rec.Values[5])
		want = append(want, m)
	}
	want = canonDash(want)
	s.Facts = append(s.Facts, fmt.Sprintf("dashboard: the first %d measures of plan %s by code (%d returned)", DashboardFirst, s.Spec.PlanSlug, len(want)))

	type oursM struct {
		Code     string  `json:"code"`
		Title    string  `json:"title"`
		Section  *titleJ `json:"section"`
		Aspect   *titleJ `json:"aspect"`
		Projects []struct {
			Name   string  `json:"name"`
			Places []nameJ `json:"places"`
		} `json:"projects"`
		Sectors []nameJ `json:"sectors"`
	}
	type oursD struct {
		Plan *struct {
			Measures struct {
				Nodes []oursM `json:"nodes"`
			} `json:"measures"`
		} `json:"plan"`
	}
	type peerM struct {
		Code          string  `json:"code"`
		Title         string  `json:"title"`
		PartOfSection *titleJ `json:"partOfSection"`
		PartOfAspect  *struct {
			Title   string  `json:"title"`
			Section *titleJ `json:"section"`
		} `json:"partOfAspect"`
		Projects []struct {
			Name   string  `json:"name"`
			Places []nameJ `json:"places"`
		} `json:"projects"`
		Sectors []nameJ `json:"sectors"`
	}
	type peerD struct {
		Measures []peerM `json:"measures"`
	}
	vars := map[string]any{"plan": s.Spec.PlanSlug, "first": DashboardFirst}
	w := &Workload{
		Name:  "dashboard",
		Title: fmt.Sprintf("%d measures with section, aspect, projects with their places, and sectors", DashboardFirst),
		reqs: map[Dialect]request{
			Ours:  gql(oursPath, oursDashboard, vars),
			Peer:  gql(peerPath, peerDashboard, map[string]any{"plan": planID, "first": DashboardFirst}),
			Floor: get("/dashboard", url.Values{"plan": {planID}, "first": {strconv.Itoa(DashboardFirst)}}),
		},
	}
	w.check = func(d Dialect, body []byte) error {
		var got []dashMeasure
		switch d {
		case Ours, Floor:
			data, err := decode[oursD](body)
			if err != nil {
				return err
			}
			if data.Plan == nil {
				return fmt.Errorf("plan is null")
			}
			for _, m := range data.Plan.Measures.Nodes {
				g := dashMeasure{Code: m.Code, Title: m.Title, Sectors: namesOf(m.Sectors)}
				if m.Section != nil {
					g.Section = m.Section.Title
				}
				if m.Aspect != nil {
					g.Aspect = &m.Aspect.Title
				}
				for _, p := range m.Projects {
					g.Projects = append(g.Projects, dashProject{Name: p.Name, Places: namesOf(p.Places)})
				}
				got = append(got, g)
			}
		case Peer:
			data, err := decode[peerD](body)
			if err != nil {
				return err
			}
			for _, m := range data.Measures {
				g := dashMeasure{Code: m.Code, Title: m.Title, Sectors: namesOf(m.Sectors)}
				if m.PartOfSection != nil {
					g.Section = m.PartOfSection.Title
				}
				if m.PartOfAspect != nil {
					g.Aspect = &m.PartOfAspect.Title
					if m.PartOfAspect.Section != nil {
						g.Section = m.PartOfAspect.Section.Title
					}
				}
				for _, p := range m.Projects {
					g.Projects = append(g.Projects, dashProject{Name: p.Name, Places: namesOf(p.Places)})
				}
				got = append(got, g)
			}
		}
		return same("dashboard", canonDash(got), want)
	}
	return w, nil
}

// --- project -----------------------------------------------------------

type projectAnswer struct {
	Name            string
	Places, Sectors []string
	Measures        []string // "code title", in code order
}

func projectWorkload(ctx context.Context, r ref, planID string, s *Suite) (*Workload, error) {
	// The project with the median number of measures among the plan's
	// projects (ties by slug): a typical project page.
	recs, err := r.query(ctx, `MATCH (p:Project) WHERE EXISTS { (p)<-[:ADVANCES]-(:Measure {plan: $plan}) }
WITH p, COUNT { (p)<-[:ADVANCES]-(:Measure) } AS n ORDER BY n, p.slug
WITH collect([p.slug, n]) AS ps
RETURN ps[size(ps) / 2][0] AS slug, ps[size(ps) / 2][1] AS n`, map[string]any{"plan": planID})
	if err != nil {
		return nil, err
	}
	slug, ok := recs[0].Values[0].(string)
	if !ok {
		return nil, fmt.Errorf("plan %s has no project", s.Spec.PlanSlug)
	}
	recs, err = r.query(ctx, `MATCH (p:Project {slug: $slug})
RETURN p.name AS name, [(p)-[:LOCATED_IN]->(x:Place) | x.name] AS places, [(p)-[:IN_SECTOR]->(x:Sector) | x.name] AS sectors,
  [(p)<-[:ADVANCES]-(m:Measure) | [m.codeKey, m.id, m.code, m.title]] AS measures`, map[string]any{"slug": slug})
	if err != nil {
		return nil, err
	}
	rec := recs[0]
	want := projectAnswer{Name: rs(rec, 0), Places: sorted(strList(rec.Values[1])), Sectors: sorted(strList(rec.Values[2]))}
	ms := anyList(rec.Values[3])
	sort.Slice(ms, func(i, j int) bool { // by code key, then id (the API's order)
		a, b := strList(ms[i]), strList(ms[j])
		if a[0] != b[0] {
			return a[0] < b[0]
		}
		return a[1] < b[1]
	})
	for i, m := range ms {
		if i == ProjectFirst {
			break
		}
		l := strList(m)
		want.Measures = append(want.Measures, l[2]+" "+l[3])
	}
	s.Facts = append(s.Facts, fmt.Sprintf("project: %q (the median project: %d measures; the first %d by code are asked)", slug, len(ms), ProjectFirst))

	type ct struct {
		Code  string `json:"code"`
		Title string `json:"title"`
	}
	type oursP struct {
		Name     string  `json:"name"`
		Places   []nameJ `json:"places"`
		Sectors  []nameJ `json:"sectors"`
		Measures struct {
			Nodes []ct `json:"nodes"`
		} `json:"measures"`
	}
	type oursD struct {
		Project *oursP `json:"project"`
	}
	type peerD struct {
		Projects []struct {
			Name     string  `json:"name"`
			Places   []nameJ `json:"places"`
			Sectors  []nameJ `json:"sectors"`
			Measures []ct    `json:"measures"`
		} `json:"projects"`
	}
	w := &Workload{
		Name:  "project",
		Title: "one project with its places, sectors and first measures",
		reqs: map[Dialect]request{
			Ours:  gql(oursPath, oursProject, map[string]any{"slug": slug, "first": ProjectFirst}),
			Peer:  gql(peerPath, peerProject, map[string]any{"slug": slug, "first": ProjectFirst}),
			Floor: get("/project", url.Values{"slug": {slug}, "first": {strconv.Itoa(ProjectFirst)}}),
		},
	}
	codes := func(l []ct) []string {
		out := make([]string, len(l))
		for i, m := range l {
			out[i] = m.Code + " " + m.Title
		}
		return out
	}
	w.check = func(d Dialect, body []byte) error {
		var got projectAnswer
		switch d {
		case Ours, Floor:
			data, err := decode[oursD](body)
			if err != nil {
				return err
			}
			if data.Project == nil {
				return fmt.Errorf("project is null")
			}
			p := data.Project
			got = projectAnswer{Name: p.Name, Places: sorted(namesOf(p.Places)), Sectors: sorted(namesOf(p.Sectors)), Measures: codes(p.Measures.Nodes)}
		case Peer:
			data, err := decode[peerD](body)
			if err != nil {
				return err
			}
			if len(data.Projects) != 1 {
				return fmt.Errorf("%d projects, want 1", len(data.Projects))
			}
			p := data.Projects[0]
			got = projectAnswer{Name: p.Name, Places: sorted(namesOf(p.Places)), Sectors: sorted(namesOf(p.Sectors)), Measures: codes(p.Measures)}
		}
		return same("project", got, want)
	}
	return w, nil
}

// --- page --------------------------------------------------------------

type pageAnswer struct {
	Rows    []string // "code title"
	HasNext bool
}

func pageWorkload(ctx context.Context, r ref, planID string, s *Suite) (*Workload, error) {
	recs, err := r.query(ctx, `MATCH (m:Measure {plan: $plan}) WHERE m.sectionNumber = 2 AND m.status = 'PLANNED'
RETURN m.code AS code, m.title AS title, m.codeKey AS codeKey, m.id AS id
ORDER BY m.title, m.codeKey, m.id`, map[string]any{"plan": planID})
	if err != nil {
		return nil, err
	}
	n := len(recs)
	if n < 2 {
		return nil, fmt.Errorf("plan %s has %d planned measures in section 2: too few for the page workload", s.Spec.PlanSlug, n)
	}
	at := max(1, n*pageDepthPercent/100) // the page starts at this 0-based position
	prev := recs[at-1]
	want := pageAnswer{HasNext: at+PageFirst < n}
	for _, rec := range recs[at:min(n, at+PageFirst)] {
		want.Rows = append(want.Rows, rs(rec, 0)+" "+rs(rec, 1))
	}
	oursCursor := plan.EncodeCursor([]plan.Order{{Field: plan.OrderTitle}}, []any{rs(prev, 1), rs(prev, 2), rs(prev, 3)})
	peerReq := gql(peerPath, peerPage, map[string]any{"plan": planID, "first": PageFirst, "after": peerCursor(at - 1)})
	how := fmt.Sprintf("the peer uses its cursor pagination, measuresConnection(first:, after:), whose cursors are offsets: SKIP %d", at)
	if s.Spec.PeerPageOffset {
		peerReq = gql(peerPath, peerPageOffset, map[string]any{"plan": planID, "limit": PageFirst + 1, "offset": at})
		how = fmt.Sprintf("the peer uses offset pagination, measures(offset: %d, limit: %d), asking one more to tell hasNextPage", at, PageFirst+1)
	}
	s.Facts = append(s.Facts, fmt.Sprintf("page: planned measures of section 2 by title, %d per page, starting at position %d of %d (%d%% deep): ours and the floor use a keyset cursor; %s",
		PageFirst, at, n, pageDepthPercent, how))

	type ct struct {
		Code  string `json:"code"`
		Title string `json:"title"`
	}
	type pageInfo struct {
		HasNextPage bool `json:"hasNextPage"`
	}
	type oursD struct {
		Plan *struct {
			Measures struct {
				Nodes    []ct     `json:"nodes"`
				PageInfo pageInfo `json:"pageInfo"`
			} `json:"measures"`
		} `json:"plan"`
	}
	type peerD struct {
		MeasuresConnection struct {
			Edges []struct {
				Node ct `json:"node"`
			} `json:"edges"`
			PageInfo pageInfo `json:"pageInfo"`
		} `json:"measuresConnection"`
		Measures []ct `json:"measures"` // offset pagination
	}
	w := &Workload{
		Name:  "page",
		Title: fmt.Sprintf("a filtered page ordered by title, %d%% deep, reached by a cursor", pageDepthPercent),
		reqs: map[Dialect]request{
			Ours: gql(oursPath, oursPage, map[string]any{"plan": s.Spec.PlanSlug, "first": PageFirst, "after": oursCursor}),
			Peer: peerReq,
			Floor: get("/page", url.Values{"plan": {planID}, "section": {"2"}, "status": {"PLANNED"}, "first": {strconv.Itoa(PageFirst)},
				"after": {floor.PageCursor(rs(prev, 1), rs(prev, 2), rs(prev, 3))}}),
		},
	}
	w.check = func(d Dialect, body []byte) error {
		var got pageAnswer
		switch d {
		case Ours, Floor:
			data, err := decode[oursD](body)
			if err != nil {
				return err
			}
			if data.Plan == nil {
				return fmt.Errorf("plan is null")
			}
			for _, m := range data.Plan.Measures.Nodes {
				got.Rows = append(got.Rows, m.Code+" "+m.Title)
			}
			got.HasNext = data.Plan.Measures.PageInfo.HasNextPage
		case Peer:
			data, err := decode[peerD](body)
			if err != nil {
				return err
			}
			if s.Spec.PeerPageOffset {
				for i, m := range data.Measures {
					if i == PageFirst {
						got.HasNext = true
						break
					}
					got.Rows = append(got.Rows, m.Code+" "+m.Title)
				}
				break
			}
			for _, e := range data.MeasuresConnection.Edges {
				got.Rows = append(got.Rows, e.Node.Code+" "+e.Node.Title)
			}
			got.HasNext = data.MeasuresConnection.PageInfo.HasNextPage
		}
		return same("page", got, want)
	}
	return w, nil
}

// --- search ------------------------------------------------------------

type hit struct {
	ID, Code, Title string
	Score           float64
}

func searchWorkload(ctx context.Context, r ref, planID string, s *Suite) (*Workload, error) {
	q := store.LuceneQuery(s.Spec.SearchText)
	recs, err := r.query(ctx, `CALL db.index.fulltext.queryNodes('search', $q) YIELD node, score
WHERE node:Measure RETURN node.id AS id, node.code AS code, node.title AS title, score`, map[string]any{"q": q})
	if err != nil {
		return nil, err
	}
	all := map[string]hit{}
	var scores []float64
	for _, rec := range recs {
		h := hit{ID: rs(rec, 0), Code: rs(rec, 1), Title: rs(rec, 2)}
		h.Score, _ = rec.Values[3].(float64)
		all[h.ID] = h
		scores = append(scores, h.Score)
	}
	if len(all) == 0 {
		return nil, fmt.Errorf("search text %q matches no measure", s.Spec.SearchText)
	}
	sort.Sort(sort.Reverse(sort.Float64Slice(scores)))
	k := min(SearchFirst, len(scores))
	top := scores[:k]
	ties := 0
	for _, sc := range scores {
		if near(sc, top[k-1]) {
			ties++
		}
	}
	s.Facts = append(s.Facts, fmt.Sprintf("search: %q over measures, best %d of %d hits (%d hits tie at the %dth score: any of them is correct there)",
		s.Spec.SearchText, SearchFirst, len(all), ties, k))

	type node struct {
		ID    string `json:"id"`
		Code  string `json:"code"`
		Title string `json:"title"`
	}
	type oursD struct {
		Search []struct {
			Score float64 `json:"score"`
			Node  node    `json:"node"`
		} `json:"search"`
	}
	type peerD struct {
		SearchMeasures struct {
			Edges []struct {
				Score float64 `json:"score"`
				Node  node    `json:"node"`
			} `json:"edges"`
		} `json:"searchMeasures"`
	}
	vars := map[string]any{"text": s.Spec.SearchText, "first": SearchFirst}
	w := &Workload{
		Name:  "search",
		Title: fmt.Sprintf("full-text search, best %d measures", SearchFirst),
		reqs: map[Dialect]request{
			Ours:  gql(oursPath, oursSearch, vars),
			Peer:  gql(peerPath, peerSearch, vars),
			Floor: get("/search", url.Values{"text": {s.Spec.SearchText}, "first": {strconv.Itoa(SearchFirst)}}),
		},
	}
	w.check = func(d Dialect, body []byte) error {
		var got []hit
		switch d {
		case Ours, Floor:
			data, err := decode[oursD](body)
			if err != nil {
				return err
			}
			for _, h := range data.Search {
				id, err := plan.ParseGlobalID(h.Node.ID)
				if err != nil {
					return fmt.Errorf("search: bad id %q", h.Node.ID)
				}
				got = append(got, hit{ID: string(id), Code: h.Node.Code, Title: h.Node.Title, Score: h.Score})
			}
		case Peer:
			data, err := decode[peerD](body)
			if err != nil {
				return err
			}
			for _, e := range data.SearchMeasures.Edges {
				got = append(got, hit{ID: e.Node.ID, Code: e.Node.Code, Title: e.Node.Title, Score: e.Score})
			}
		}
		return checkHits(got, all, top)
	}
	return w, nil
}

// checkHits accepts any correct top-k: the hits are real measures with
// their true scores, in score order, and their scores are the k best
// (so, where scores tie at the last place, any of the tied measures will do).
func checkHits(got []hit, all map[string]hit, top []float64) error {
	if len(got) != len(top) {
		return fmt.Errorf("search: %d hits, want %d", len(got), len(top))
	}
	seen := map[string]bool{}
	for i, g := range got {
		w, ok := all[g.ID]
		if !ok {
			return fmt.Errorf("search: hit %d (%s) is not a matching measure", i, g.ID)
		}
		if seen[g.ID] {
			return fmt.Errorf("search: %s twice", g.ID)
		}
		seen[g.ID] = true
		if g.Code != w.Code || g.Title != w.Title {
			return fmt.Errorf("search: hit %s is %q %q, want %q %q", g.ID, g.Code, g.Title, w.Code, w.Title)
		}
		if !near(g.Score, w.Score) {
			return fmt.Errorf("search: hit %s has score %g, want %g", g.ID, g.Score, w.Score)
		}
		if !near(g.Score, top[i]) {
			return fmt.Errorf("search: hit %d (%s) has score %g, but the %dth best score is %g", i, g.ID, g.Score, i+1, top[i])
		}
	}
	return nil
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-6*math.Max(1, math.Abs(b)) }

// --- neighborhood ------------------------------------------------------

type hoodNode struct{ ID, Type, Label string }
type hoodEdge struct{ Source, Type, Target string }
type hoodAnswer struct {
	Nodes []hoodNode
	Edges []hoodEdge
	near  []string // the centre and its neighbours (hood's answers only)
}

var graphRels = strings.Join(plan.WalkedRelTypes(), "|")

// hood computes the 2-hop neighbourhood of id by breadth-first search in
// Go, one plain query per level; nil when it exceeds limit nodes.
func hood(ctx context.Context, r ref, id string, limit int) (*hoodAnswer, error) {
	dist, err := reach(ctx, r, id, 2, limit)
	if err != nil || dist == nil {
		return nil, err
	}
	ids := make([]string, 0, len(dist))
	var near []string
	for n, d := range dist {
		ids = append(ids, n)
		if d <= 1 {
			near = append(near, n)
		}
	}
	a, err := describe(ctx, r, ids)
	if a != nil {
		sort.Strings(near)
		a.near = near
	}
	return a, err
}

// cut checks an answer that says it is truncated against the whole
// neighbourhood want: ours takes at most store.NeighborFanOut links of a
// node after the first level, and at 100,000 measures every place has a
// neighbour with more (its parent place, which events link to as well).
// The answer must hold the centre and all its neighbours, only nodes of
// the neighbourhood, fewer than all of them, and exactly the edges among
// the nodes it holds.
func (want *hoodAnswer) cut(what string, got *hoodAnswer) error {
	in := make(map[hoodNode]bool, len(want.Nodes))
	for _, n := range want.Nodes {
		in[n] = true
	}
	held := make(map[string]bool, len(got.Nodes))
	for _, n := range got.Nodes {
		if !in[n] {
			return fmt.Errorf("%s: node %+v is not in the neighbourhood", what, n)
		}
		held[n.ID] = true
	}
	if len(got.Nodes) >= len(want.Nodes) {
		return fmt.Errorf("%s: truncated, but holds all %d nodes", what, len(want.Nodes))
	}
	for _, id := range want.near {
		if !held[id] {
			return fmt.Errorf("%s: truncated without %s, the centre or one of its neighbours", what, id)
		}
	}
	var edges []hoodEdge
	for _, e := range want.Edges {
		if held[e.Source] && held[e.Target] {
			edges = append(edges, e)
		}
	}
	if len(got.Edges) == 0 && len(edges) == 0 {
		return nil
	}
	return same(what+" edges", got.Edges, edges)
}

// reach returns the distance (hops over graphRels, either direction) of
// every node within depth hops of id, by breadth-first search in Go, one
// plain query per level; nil when there are more than limit of them
// (limit 0: no limit).
func reach(ctx context.Context, r ref, id string, depth, limit int) (map[string]int, error) {
	dist := map[string]int{id: 0}
	frontier := []string{id}
	for level := 1; level <= depth && len(frontier) > 0; level++ {
		recs, err := r.query(ctx, `UNWIND $ids AS x MATCH (:Entity {id: x})-[:`+graphRels+`]-(n:Entity) RETURN DISTINCT n.id AS id`,
			map[string]any{"ids": frontier})
		if err != nil {
			return nil, err
		}
		frontier = nil
		for _, rec := range recs {
			n := rs(rec, 0)
			if _, ok := dist[n]; !ok {
				dist[n] = level
				frontier = append(frontier, n)
			}
		}
		if limit > 0 && len(dist) > limit {
			return nil, nil
		}
	}
	return dist, nil
}

// describe returns the nodes' ids with their types and display labels, and
// every edge among them.
func describe(ctx context.Context, r ref, ids []string) (*hoodAnswer, error) {
	recs, err := r.query(ctx, `MATCH (n:Entity) WHERE n.id IN $ids
RETURN n.id AS id, n.code AS code, n.title AS title, n.number AS number, n.name AS name, n.label AS label`, map[string]any{"ids": ids})
	if err != nil {
		return nil, err
	}
	a := &hoodAnswer{}
	for _, rec := range recs {
		nid := rs(rec, 0)
		kind := plan.ID(nid).Kind()
		var label string
		switch kind {
		case plan.KindMeasure:
			label = rs(rec, 1) + " " + rs(rec, 2)
		case plan.KindSection, plan.KindAspect:
			num, _ := rec.Values[3].(int64)
			label = fmt.Sprintf("%s %d: %s", kind, num, rs(rec, 2))
		default:
			label = firstNonEmpty(rs(rec, 4), rs(rec, 2), rs(rec, 5), nid)
		}
		a.Nodes = append(a.Nodes, hoodNode{ID: nid, Type: string(kind), Label: label})
	}
	recs, err = r.query(ctx, `MATCH (a:Entity)-[r:`+graphRels+`]->(b:Entity) WHERE a.id IN $ids AND b.id IN $ids
RETURN a.id AS s, type(r) AS t, b.id AS d`, map[string]any{"ids": ids})
	if err != nil {
		return nil, err
	}
	for _, rec := range recs {
		a.Edges = append(a.Edges, hoodEdge{Source: rs(rec, 0), Type: rs(rec, 1), Target: rs(rec, 2)})
	}
	return a.canon(), nil
}

func (a *hoodAnswer) canon() *hoodAnswer {
	sort.Slice(a.Nodes, func(i, j int) bool { return a.Nodes[i].ID < a.Nodes[j].ID })
	sort.Slice(a.Edges, func(i, j int) bool {
		x, y := a.Edges[i], a.Edges[j]
		return x.Source+"\x00"+x.Type+"\x00"+x.Target < y.Source+"\x00"+y.Type+"\x00"+y.Target
	})
	return a
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

func neighborhoodWorkload(ctx context.Context, r ref, planID string, s *Suite) (*Workload, error) {
	// The centre: a place of the dataset whose 2-hop neighbourhood is the
	// largest of at most neighborhoodCap nodes (ties by id), so that the
	// peer and the floor answer it whole; ours may truncate it (want.cut).
	recs, err := r.query(ctx, `MATCH (c:Place {dataset: $ds})
WITH c, COUNT { (c)-[:`+graphRels+`]-() } AS deg WHERE deg <= $maxdeg
RETURN c.id AS id ORDER BY deg, id`, map[string]any{"ds": s.Spec.Dataset, "maxdeg": int64(candidateDegree)})
	if err != nil {
		return nil, err
	}
	var center string
	var want *hoodAnswer
	for i, rec := range recs {
		if i == 60 { // enough candidates: the 60 least linked places
			break
		}
		id := rs(rec, 0)
		a, err := hood(ctx, r, id, neighborhoodCap)
		if err != nil {
			return nil, err
		}
		if a != nil && (want == nil || len(a.Nodes) > len(want.Nodes)) {
			center, want = id, a
		}
	}
	if want == nil {
		return nil, fmt.Errorf("no place of dataset %s has a 2-hop neighbourhood of at most %d nodes", s.Spec.Dataset, neighborhoodCap)
	}
	ids := make(map[string]bool, len(want.Nodes))
	for _, n := range want.Nodes {
		ids[n.ID] = true
	}
	s.Facts = append(s.Facts, fmt.Sprintf("neighborhood: depth 2 around %s: %d nodes, %d edges", center, len(want.Nodes), len(want.Edges)))

	type peerD struct {
		Places []json.RawMessage `json:"places"`
	}
	w := &Workload{
		Name:  "neighborhood",
		Title: "the nodes (and edges) within 2 hops of a place",
		reqs: map[Dialect]request{
			Ours:  gql(oursPath, oursNeighborhood, map[string]any{"id": plan.ID(center).Global(), "limit": NeighborhoodMax}),
			Peer:  gql(peerPath, peerNeighborhood, map[string]any{"id": center}),
			Floor: get("/neighborhood", url.Values{"id": {center}, "depth": {"2"}, "limit": {strconv.Itoa(NeighborhoodMax)}}),
		},
	}
	w.check = func(d Dialect, body []byte) error {
		switch d {
		case Ours, Floor:
			got, truncated, err := decodeNeighborhood("neighborhood", body)
			if err != nil {
				return err
			}
			if truncated && d == Ours {
				return want.cut("neighborhood", got.canon())
			}
			if truncated {
				return fmt.Errorf("neighborhood: truncated")
			}
			return same("neighborhood", got.canon(), &hoodAnswer{Nodes: want.Nodes, Edges: want.Edges})
		case Peer:
			data, err := decode[peerD](body)
			if err != nil {
				return err
			}
			if len(data.Places) != 1 {
				return fmt.Errorf("neighborhood: %d places, want 1", len(data.Places))
			}
			// The nested answer holds the nodes, not the edges among the
			// outer ones: compare the set of node ids.
			var tree any
			if err := json.Unmarshal(data.Places[0], &tree); err != nil {
				return err
			}
			got := map[string]bool{}
			collectIDs(tree, got)
			if !reflect.DeepEqual(got, ids) {
				return fmt.Errorf("neighborhood: %d distinct nodes, want %d (%s)", len(got), len(ids), setDiff(got, ids))
			}
			return nil
		}
		return nil
	}
	return w, nil
}

func collectIDs(v any, out map[string]bool) {
	switch t := v.(type) {
	case map[string]any:
		if id, ok := t["id"].(string); ok {
			out[id] = true
		}
		for _, x := range t {
			collectIDs(x, out)
		}
	case []any:
		for _, x := range t {
			collectIDs(x, out)
		}
	}
}

func setDiff(got, want map[string]bool) string {
	var extra, missing []string
	for k := range got {
		if !want[k] {
			extra = append(extra, k)
		}
	}
	for k := range want {
		if !got[k] {
			missing = append(missing, k)
		}
	}
	slices.Sort(extra)
	slices.Sort(missing)
	return fmt.Sprintf("extra %v, missing %v", head(extra, 3), head(missing, 3))
}

func head(l []string, n int) []string { return l[:min(n, len(l))] }

// --- node --------------------------------------------------------------

type nodeAnswer struct{ ID, Code, Title, Status string }

func nodeWorkload(ctx context.Context, r ref, planID string, s *Suite) (*Workload, error) {
	// The measure in the middle of the plan, by code.
	recs, err := r.query(ctx, `MATCH (m:Measure {plan: $plan}) WITH m ORDER BY m.codeKey, m.id
WITH collect(m) AS ms WITH ms[size(ms) / 2] AS m
RETURN m.id AS id, m.code AS code, m.title AS title, m.status AS status`, map[string]any{"plan": planID})
	if err != nil {
		return nil, err
	}
	rec := recs[0]
	want := nodeAnswer{ID: rs(rec, 0), Code: rs(rec, 1), Title: rs(rec, 2), Status: rs(rec, 3)}
	s.Facts = append(s.Facts, fmt.Sprintf("node: refetch %s by id", want.ID))
	type oursD struct {
		Node *struct {
			Typename string `json:"__typename"`
			ID       string `json:"id"`
			Code     string `json:"code"`
			Title    string `json:"title"`
			Status   string `json:"status"`
		} `json:"node"`
	}
	type peerD struct {
		Measures []struct {
			ID     string `json:"id"`
			Code   string `json:"code"`
			Title  string `json:"title"`
			Status string `json:"status"`
		} `json:"measures"`
	}
	w := &Workload{
		Name:  "node",
		Title: "refetch a measure by id",
		reqs: map[Dialect]request{
			Ours:  gql(oursPath, oursNode, map[string]any{"id": plan.ID(want.ID).Global()}),
			Peer:  gql(peerPath, peerNode, map[string]any{"id": want.ID}),
			Floor: get("/node", url.Values{"id": {want.ID}}),
		},
	}
	w.check = func(d Dialect, body []byte) error {
		var got nodeAnswer
		switch d {
		case Ours, Floor:
			data, err := decode[oursD](body)
			if err != nil {
				return err
			}
			if data.Node == nil {
				return fmt.Errorf("node is null")
			}
			if data.Node.Typename != "Measure" {
				return fmt.Errorf("node is a %s", data.Node.Typename)
			}
			id, err := plan.ParseGlobalID(data.Node.ID)
			if err != nil {
				return fmt.Errorf("node: bad id %q", data.Node.ID)
			}
			got = nodeAnswer{ID: string(id), Code: data.Node.Code, Title: data.Node.Title, Status: data.Node.Status}
		case Peer:
			data, err := decode[peerD](body)
			if err != nil {
				return err
			}
			if len(data.Measures) != 1 {
				return fmt.Errorf("node: %d measures, want 1", len(data.Measures))
			}
			m := data.Measures[0]
			got = nodeAnswer{ID: m.ID, Code: m.Code, Title: m.Title, Status: m.Status}
		}
		return same("node", got, want)
	}
	return w, nil
}

// --- helpers -----------------------------------------------------------

func same(what string, got, want any) error {
	if reflect.DeepEqual(got, want) {
		return nil
	}
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(want)
	return fmt.Errorf("%s differs: got %s, want %s", what, clip(g, 400), clip(w, 400))
}

func rs(rec *neo4j.Record, i int) string {
	s, _ := rec.Values[i].(string)
	return s
}

func anyList(v any) []any {
	l, _ := v.([]any)
	return l
}

func strList(v any) []string {
	l := anyList(v)
	out := make([]string, 0, len(l))
	for _, x := range l {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}

func sorted(l []string) []string {
	if l == nil {
		l = []string{}
	}
	sort.Strings(l)
	return l
}

// decodeNeighborhood reads our (or the floor's) answer to a neighborhood
// query, with the global ids decoded; what names the workload in errors.
func decodeNeighborhood(what string, body []byte) (*hoodAnswer, bool, error) {
	data, err := decode[neighborhoodData](body)
	if err != nil {
		return nil, false, err
	}
	g := data.Neighborhood
	if g == nil {
		return nil, false, fmt.Errorf("%s: neighborhood is null", what)
	}
	got := &hoodAnswer{}
	for _, n := range g.Nodes {
		id, err := plan.ParseGlobalID(n.ID)
		if err != nil {
			return nil, false, fmt.Errorf("%s: bad id %q", what, n.ID)
		}
		got.Nodes = append(got.Nodes, hoodNode{ID: string(id), Type: n.Type, Label: n.Label})
	}
	for _, e := range g.Edges {
		src, err1 := plan.ParseGlobalID(e.Source)
		dst, err2 := plan.ParseGlobalID(e.Target)
		if err1 != nil || err2 != nil {
			return nil, false, fmt.Errorf("%s: bad edge %q -> %q", what, e.Source, e.Target)
		}
		got.Edges = append(got.Edges, hoodEdge{Source: string(src), Type: e.Type, Target: string(dst)})
	}
	return got, g.Truncated, nil
}

// neighborhoodData is our (and the floor's) answer to a neighborhood query.
type neighborhoodData struct {
	Neighborhood *struct {
		Truncated bool `json:"truncated"`
		Nodes     []struct {
			ID    string `json:"id"`
			Type  string `json:"type"`
			Label string `json:"label"`
		} `json:"nodes"`
		Edges []struct {
			ID     string `json:"id"`
			Source string `json:"source"`
			Target string `json:"target"`
			Type   string `json:"type"`
		} `json:"edges"`
	} `json:"neighborhood"`
}
