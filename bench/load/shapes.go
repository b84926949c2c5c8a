package load

// The shape-class workloads: nested connections under a list (nested), a
// deep walk from a busy node (walk), an ordering with a filter (ordered)
// and a filtered count (count). Like the others, each is checked against
// an answer computed here from the database with simple reference Cypher.

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/shenzhenplan/kgapi/plan"
)

// Parameters of the shape-class workloads.
const (
	NestedFirst    = 10   // measures per sector
	WalkDepth      = 3    // hops of the walk
	WalkLimit      = 1000 // our limit argument (the API's maximum)
	PeerWalkFan    = 10   // the peer's limit on every list of its nested walk
	OrderedFirst   = 20
	OrderedMinYear = 2030 // filter: {milestoneYear: {min: 2030}}
	CountSection   = 2    // filter: {section: 2}
)

// --- nested ------------------------------------------------------------

type nestedMeasure struct {
	Code, Title string
	Projects    []string // in name order
}

type nestedSector struct {
	Name     string
	Measures []nestedMeasure
}

func nestedWorkload(ctx context.Context, r ref, _ string, s *Suite) (*Workload, error) {
	// Every sector of the database (ours lists them all), each with its
	// first measures of any plan by code key then id, each with the names
	// of its projects; sorted here, not in the query.
	recs, err := r.query(ctx, `MATCH (x:Sector)
RETURN x.name AS name, x.slug AS slug,
  [(x)<-[:IN_SECTOR]-(m:Measure) | [m.codeKey, m.id, m.code, m.title]] AS measures`, nil)
	if err != nil {
		return nil, err
	}
	type sectorRow struct {
		name, slug string
		ms         [][]string
	}
	var rows []sectorRow
	var ids []string
	total := 0
	for _, rec := range recs {
		row := sectorRow{name: rs(rec, 0), slug: rs(rec, 1)}
		for _, m := range anyList(rec.Values[2]) {
			row.ms = append(row.ms, strList(m))
		}
		sort.Slice(row.ms, func(i, j int) bool {
			a, b := row.ms[i], row.ms[j]
			if a[0] != b[0] {
				return a[0] < b[0]
			}
			return a[1] < b[1]
		})
		row.ms = row.ms[:min(NestedFirst, len(row.ms))]
		for _, m := range row.ms {
			ids = append(ids, m[1])
		}
		total += len(row.ms)
		rows = append(rows, row)
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("the database holds no sector")
	}
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].name != rows[j].name {
			return rows[i].name < rows[j].name
		}
		return rows[i].slug < rows[j].slug
	})
	recs, err = r.query(ctx, `MATCH (m:Measure) WHERE m.id IN $ids
RETURN m.id AS id, [(m)-[:ADVANCES]->(p:Project) | p.name] AS projects`, map[string]any{"ids": ids})
	if err != nil {
		return nil, err
	}
	projects := map[string][]string{}
	nprojects := 0
	for _, rec := range recs {
		projects[rs(rec, 0)] = sorted(strList(rec.Values[1]))
		nprojects += len(projects[rs(rec, 0)])
	}
	want := make([]nestedSector, 0, len(rows))
	for _, row := range rows {
		sec := nestedSector{Name: row.name, Measures: []nestedMeasure{}}
		for _, m := range row.ms {
			ps := projects[m[1]]
			if ps == nil {
				ps = []string{}
			}
			sec.Measures = append(sec.Measures, nestedMeasure{Code: m[2], Title: m[3], Projects: ps})
		}
		want = append(want, sec)
	}
	s.Facts = append(s.Facts, fmt.Sprintf("nested: %d sectors by name, each with its first %d measures by code (%d in all) and their projects by name (%d)",
		len(want), NestedFirst, total, nprojects))

	type measureJ struct {
		Code     string  `json:"code"`
		Title    string  `json:"title"`
		Projects []nameJ `json:"projects"`
	}
	type oursD struct {
		Sectors []struct {
			Name     string `json:"name"`
			Measures struct {
				Nodes []measureJ `json:"nodes"`
			} `json:"measures"`
		} `json:"sectors"`
	}
	type peerD struct {
		Sectors []struct {
			Name     string     `json:"name"`
			Measures []measureJ `json:"measures"`
		} `json:"sectors"`
	}
	w := &Workload{
		Name:  "nested",
		Title: fmt.Sprintf("every sector with its first %d measures by code and their projects (nested connections under a list)", NestedFirst),
		reqs: map[Dialect]request{
			Ours:  gql(oursPath, oursNested, map[string]any{"first": NestedFirst}),
			Peer:  gql(peerPath, peerNested, map[string]any{"first": NestedFirst}),
			Floor: get("/nested", url.Values{"first": {strconv.Itoa(NestedFirst)}}),
		},
	}
	// Orders are compared as they come: sectors by name, measures by code,
	// projects by name (the expected lists are sorted; ties in a project
	// list are equal names, so any tie order reads the same).
	conv := func(name string, ms []measureJ) nestedSector {
		sec := nestedSector{Name: name, Measures: []nestedMeasure{}}
		for _, m := range ms {
			sec.Measures = append(sec.Measures, nestedMeasure{Code: m.Code, Title: m.Title, Projects: namesOf(m.Projects)})
		}
		return sec
	}
	w.check = func(d Dialect, body []byte) error {
		got := []nestedSector{}
		switch d {
		case Ours, Floor:
			data, err := decode[oursD](body)
			if err != nil {
				return err
			}
			for _, x := range data.Sectors {
				got = append(got, conv(x.Name, x.Measures.Nodes))
			}
		case Peer:
			data, err := decode[peerD](body)
			if err != nil {
				return err
			}
			for _, x := range data.Sectors {
				got = append(got, conv(x.Name, x.Measures))
			}
		}
		return same("nested", got, want)
	}
	return w, nil
}

// --- walk --------------------------------------------------------------

// walkFacts is what the checks of a walk know about the dataset.
type walkFacts struct {
	start string
	// dist holds every node within WalkDepth hops of the start, with its distance.
	dist map[string]int
	// n1 is the number of distinct neighbours of the start.
	n1 int
	// exact is the whole neighbourhood (nodes with labels, edges) when it
	// has at most WalkLimit nodes, else nil.
	exact *hoodAnswer
}

var walkRelTypes = func() map[string]bool {
	m := map[string]bool{}
	for _, t := range strings.Split(graphRels, "|") {
		m[t] = true
	}
	return m
}()

// checkGraph checks a walk's answer (ours, the floor) against what any
// correct capped walk gives: at most the limit, no duplicates, the start
// first and then its neighbours (nearest first: as many as fit), every node
// within WalkDepth hops of the start, every edge between two of the nodes,
// and truncated whenever the answer is not the whole neighbourhood; an
// answer that is not truncated must be exactly the neighbourhood.
func (f *walkFacts) checkGraph(truncated bool, nodes []hoodNode, edges []hoodEdge) error {
	if len(nodes) == 0 {
		return fmt.Errorf("walk: no nodes")
	}
	if len(nodes) > WalkLimit {
		return fmt.Errorf("walk: %d nodes, over the limit %d", len(nodes), WalkLimit)
	}
	if nodes[0].ID != f.start {
		return fmt.Errorf("walk: the first node is %s, not the start %s", nodes[0].ID, f.start)
	}
	k := min(f.n1, WalkLimit-1) // the start's neighbours that fit
	if len(nodes) < 1+k {
		return fmt.Errorf("walk: %d nodes, but the start alone has %d neighbours (limit %d)", len(nodes), f.n1, WalkLimit)
	}
	seen := make(map[string]bool, len(nodes))
	for i, n := range nodes {
		if seen[n.ID] {
			return fmt.Errorf("walk: %s twice", n.ID)
		}
		seen[n.ID] = true
		d, ok := f.dist[n.ID]
		if !ok {
			return fmt.Errorf("walk: %s is not within %d hops of %s", n.ID, WalkDepth, f.start)
		}
		if i >= 1 && i <= k && d != 1 {
			return fmt.Errorf("walk: node %d (%s) is %d hops away, but the start's %d neighbours come first", i, n.ID, d, f.n1)
		}
		if want := string(plan.ID(n.ID).Kind()); n.Type != want {
			return fmt.Errorf("walk: %s has type %q, want %q", n.ID, n.Type, want)
		}
	}
	for _, e := range edges {
		if !seen[e.Source] || !seen[e.Target] {
			return fmt.Errorf("walk: edge %s -%s-> %s has an end outside the nodes", e.Source, e.Type, e.Target)
		}
		if !walkRelTypes[e.Type] {
			return fmt.Errorf("walk: edge %s -%s-> %s has a type a walk does not follow", e.Source, e.Type, e.Target)
		}
		if ds, dt := f.dist[e.Source], f.dist[e.Target]; ds-dt > 1 || dt-ds > 1 {
			return fmt.Errorf("walk: edge %s -%s-> %s joins nodes %d and %d hops away: no such edge", e.Source, e.Type, e.Target, ds, dt)
		}
	}
	if len(nodes) < len(f.dist) && !truncated {
		return fmt.Errorf("walk: %d nodes of the %d within %d hops, and truncated is false", len(nodes), len(f.dist), WalkDepth)
	}
	if !truncated && f.exact != nil {
		got := &hoodAnswer{Nodes: slices.Clone(nodes), Edges: slices.Clone(edges)}
		return same("walk", got.canon(), f.exact)
	}
	return nil
}

// checkTree checks the peer's nested answer: a tree whose root is the
// start, in which every node n levels down is at most n hops from the
// start in the dataset, and whose first level lists min(fan, all) of each
// of the start's relationships.
func (f *walkFacts) checkTree(root map[string]any, firstLevel map[string]int) error {
	if id, _ := root["id"].(string); id != f.start {
		return fmt.Errorf("walk: the root is %q, not the start %s", id, f.start)
	}
	for field, n := range firstLevel {
		var got int
		switch v := root[field].(type) {
		case []any:
			got = len(v)
		case map[string]any:
			got = 1
		}
		if want := min(n, PeerWalkFan); got != want {
			return fmt.Errorf("walk: the start's %s lists %d, want %d (of %d)", field, got, want, n)
		}
	}
	var visit func(v any, depth int) error
	visit = func(v any, depth int) error {
		switch t := v.(type) {
		case map[string]any:
			id, ok := t["id"].(string)
			if !ok {
				return fmt.Errorf("walk: a node without id %d levels down", depth)
			}
			d, ok := f.dist[id]
			if !ok || d > depth {
				return fmt.Errorf("walk: %s, %d levels down, is not within %d hops of the start", id, depth, depth)
			}
			for k, x := range t {
				if k == "id" {
					continue
				}
				if err := visit(x, depth+1); err != nil {
					return err
				}
			}
		case []any:
			for _, x := range t {
				if err := visit(x, depth); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return visit(root, 0)
}

func walkWorkload(ctx context.Context, r ref, _ string, s *Suite) (*Workload, error) {
	// The start: the place of the dataset with the most measures located in
	// it (then the most links, then by id): a busy node.
	recs, err := r.query(ctx, `MATCH (c:Place {dataset: $ds})
RETURN c.id AS id, COUNT { (c)<-[:LOCATED_IN]-(:Measure) } AS measures, COUNT { (c)-[:`+graphRels+`]-() } AS links
ORDER BY measures DESC, links DESC, id LIMIT 1`, map[string]any{"ds": s.Spec.Dataset})
	if err != nil {
		return nil, err
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("dataset %s has no place", s.Spec.Dataset)
	}
	start := rs(recs[0], 0)
	nMeasures, _ := recs[0].Values[1].(int64)
	dist, err := reach(ctx, r, start, WalkDepth, 0)
	if err != nil {
		return nil, err
	}
	f := &walkFacts{start: start, dist: dist}
	perLevel := make([]int, WalkDepth+1)
	for _, d := range dist {
		perLevel[d]++
	}
	f.n1 = perLevel[1]
	exact := "the answer is truncated: its invariants are checked"
	if len(dist) <= WalkLimit {
		ids := make([]string, 0, len(dist))
		for n := range dist {
			ids = append(ids, n)
		}
		if f.exact, err = describe(ctx, r, ids); err != nil {
			return nil, err
		}
		exact = fmt.Sprintf("an answer that is not truncated must be exactly these %d nodes and %d edges", len(f.exact.Nodes), len(f.exact.Edges))
	}
	// The start's relationships as the peer's first level lists them.
	recs, err = r.query(ctx, `MATCH (c:Place {id: $id})
RETURN COUNT { (c)-[:WITHIN]->(:Place) } AS within, COUNT { (c)<-[:WITHIN]-(:Place) } AS contains,
  COUNT { (c)<-[:LOCATED_IN]-(:Project) } AS projects, COUNT { (c)<-[:LOCATED_IN]-(:Measure) } AS measures`, map[string]any{"id": start})
	if err != nil {
		return nil, err
	}
	firstLevel := map[string]int{}
	for i, k := range recs[0].Keys {
		n, _ := recs[0].Values[i].(int64)
		firstLevel[k] = int(n)
	}
	s.Facts = append(s.Facts, fmt.Sprintf("walk: depth %d from %s (%d measures located there), limit %d: the dataset has %d nodes within %d hops (%d, %d, %d at 1, 2, 3 hops); %s; the peer's nested query takes at most %d of each list",
		WalkDepth, start, nMeasures, WalkLimit, len(dist), WalkDepth, perLevel[1], perLevel[2], perLevel[3], exact, PeerWalkFan))

	type peerD struct {
		Places []map[string]any `json:"places"`
	}
	w := &Workload{
		Name:  "walk",
		Title: fmt.Sprintf("a capped walk %d hops deep from the busiest place (limit %d)", WalkDepth, WalkLimit),
		reqs: map[Dialect]request{
			Ours:  gql(oursPath, oursWalk, map[string]any{"id": plan.ID(start).Global(), "limit": WalkLimit}),
			Peer:  gql(peerPath, peerWalk, map[string]any{"id": start, "fan": PeerWalkFan}),
			Floor: get("/walk", url.Values{"id": {start}, "depth": {strconv.Itoa(WalkDepth)}, "limit": {strconv.Itoa(WalkLimit)}}),
		},
	}
	w.check = func(d Dialect, body []byte) error {
		switch d {
		case Ours, Floor:
			got, truncated, err := decodeNeighborhood("walk", body)
			if err != nil {
				return err
			}
			return f.checkGraph(truncated, got.Nodes, got.Edges)
		case Peer:
			data, err := decode[peerD](body)
			if err != nil {
				return err
			}
			if len(data.Places) != 1 {
				return fmt.Errorf("walk: %d places, want 1", len(data.Places))
			}
			return f.checkTree(data.Places[0], firstLevel)
		}
		return nil
	}
	return w, nil
}

// --- ordered -----------------------------------------------------------

func orderedWorkload(ctx context.Context, r ref, planID string, s *Suite) (*Workload, error) {
	// The plan's measures due by a milestone of OrderedMinYear or later
	// (through DUE_BY, not the denormalised year), each with its earliest
	// milestone year; sorted here: that year descending, then code key and
	// id ascending.
	recs, err := r.query(ctx, `MATCH (m:Measure {plan: $plan})
WHERE EXISTS { (m)-[:DUE_BY]->(y:Milestone) WHERE y.year >= $min }
RETURN m.code AS code, m.title AS title, m.codeKey AS codeKey, m.id AS id,
  COLLECT { MATCH (m)-[:DUE_BY]->(y:Milestone) RETURN y.year } AS years`, map[string]any{"plan": planID, "min": int64(OrderedMinYear)})
	if err != nil {
		return nil, err
	}
	type row struct {
		code, title, codeKey, id string
		year                     int64
	}
	rows := make([]row, 0, len(recs))
	for _, rec := range recs {
		x := row{code: rs(rec, 0), title: rs(rec, 1), codeKey: rs(rec, 2), id: rs(rec, 3)}
		for i, y := range anyList(rec.Values[4]) {
			if v, _ := y.(int64); i == 0 || v < x.year {
				x.year = v
			}
		}
		rows = append(rows, x)
	}
	sort.Slice(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if a.year != b.year {
			return a.year > b.year
		}
		if a.codeKey != b.codeKey {
			return a.codeKey < b.codeKey
		}
		return a.id < b.id
	})
	want := []string{}
	for _, x := range rows[:min(OrderedFirst, len(rows))] {
		want = append(want, x.code+" "+x.title)
	}
	span := "none"
	if len(want) > 0 {
		span = fmt.Sprintf("earliest years %d to %d", rows[0].year, rows[len(want)-1].year)
	}
	s.Facts = append(s.Facts, fmt.Sprintf("ordered: measures of plan %s due by a milestone of %d or later (%d), by earliest milestone year descending, first %d (%s)",
		s.Spec.PlanSlug, OrderedMinYear, len(rows), OrderedFirst, span))

	type ct struct {
		Code  string `json:"code"`
		Title string `json:"title"`
	}
	type oursD struct {
		Plan *struct {
			Measures struct {
				Nodes []ct `json:"nodes"`
			} `json:"measures"`
		} `json:"plan"`
	}
	type peerD struct {
		Measures []ct `json:"measures"`
	}
	w := &Workload{
		Name:  "ordered",
		Title: fmt.Sprintf("a plan's measures due by %d or later, latest milestone first, first %d (ordering with a filter)", OrderedMinYear, OrderedFirst),
		reqs: map[Dialect]request{
			Ours: gql(oursPath, oursOrdered, map[string]any{"plan": s.Spec.PlanSlug, "min": OrderedMinYear, "first": OrderedFirst}),
			Peer: gql(peerPath, peerOrdered, map[string]any{"plan": planID, "min": OrderedMinYear, "first": OrderedFirst}),
			Floor: get("/ordered", url.Values{"plan": {planID}, "min": {strconv.Itoa(OrderedMinYear)},
				"first": {strconv.Itoa(OrderedFirst)}}),
		},
	}
	w.check = func(d Dialect, body []byte) error {
		var l []ct
		switch d {
		case Ours, Floor:
			data, err := decode[oursD](body)
			if err != nil {
				return err
			}
			if data.Plan == nil {
				return fmt.Errorf("plan is null")
			}
			l = data.Plan.Measures.Nodes
		case Peer:
			data, err := decode[peerD](body)
			if err != nil {
				return err
			}
			l = data.Measures
		}
		got := []string{}
		for _, m := range l {
			got = append(got, m.Code+" "+m.Title)
		}
		return same("ordered", got, want)
	}
	return w, nil
}

// --- count -------------------------------------------------------------

func countWorkload(ctx context.Context, r ref, planID string, s *Suite) (*Workload, error) {
	// The section through the relationships: PART_OF the section, or an
	// aspect of it.
	recs, err := r.query(ctx, `MATCH (m:Measure {plan: $plan})
WHERE EXISTS { (m)-[:PART_OF]->(:Section {number: $section}) }
   OR EXISTS { (m)-[:PART_OF]->(:Aspect)<-[:HAS_ASPECT]-(:Section {number: $section}) }
RETURN count(m) AS n`, map[string]any{"plan": planID, "section": int64(CountSection)})
	if err != nil {
		return nil, err
	}
	want, _ := recs[0].Values[0].(int64)
	s.Facts = append(s.Facts, fmt.Sprintf("count: measures of plan %s in section %d: %d", s.Spec.PlanSlug, CountSection, want))

	type oursD struct {
		Plan *struct {
			Measures struct {
				TotalCount *int64 `json:"totalCount"`
			} `json:"measures"`
		} `json:"plan"`
	}
	type peerD struct {
		MeasuresConnection struct {
			TotalCount *int64 `json:"totalCount"`
		} `json:"measuresConnection"`
	}
	w := &Workload{
		Name:  "count",
		Title: fmt.Sprintf("how many measures of a plan are in section %d (a filtered count)", CountSection),
		reqs: map[Dialect]request{
			Ours:  gql(oursPath, oursCount, map[string]any{"plan": s.Spec.PlanSlug, "section": CountSection}),
			Peer:  gql(peerPath, peerCount, map[string]any{"plan": planID, "section": CountSection}),
			Floor: get("/count", url.Values{"plan": {planID}, "section": {strconv.Itoa(CountSection)}}),
		},
	}
	w.check = func(d Dialect, body []byte) error {
		var got *int64
		switch d {
		case Ours, Floor:
			data, err := decode[oursD](body)
			if err != nil {
				return err
			}
			if data.Plan == nil {
				return fmt.Errorf("plan is null")
			}
			got = data.Plan.Measures.TotalCount
		case Peer:
			data, err := decode[peerD](body)
			if err != nil {
				return err
			}
			got = data.MeasuresConnection.TotalCount
		}
		if got == nil {
			return fmt.Errorf("count: totalCount is missing")
		}
		if *got != want {
			return fmt.Errorf("count: %d, want %d", *got, want)
		}
		return nil
	}
	return w, nil
}
