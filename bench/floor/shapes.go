package floor

// The floor's answers to the shape-class workloads (nested, walk, ordered,
// count): one hand-written Cypher query each.

import (
	"net/http"
	"strings"

	"github.com/shenzhenplan/kgapi/plan"
)

// nestedCypher: every sector by name, each with its first measures by code
// and each measure's projects by name. A sector's measures are read in code
// order from the relationship index on its IN_SECTOR links, which carry
// their measure's sort keys (hub = the sector's id, codeKey, mid = the
// measure's id: store/measures.go, linkKeys), so only the page is read;
// ordering the sector's measures themselves sorts all of them (a 100,000-
// measure plan has thousands per sector).
const nestedCypher = `MATCH (s:Sector)
WITH s ORDER BY s.name, s.slug
RETURN s.name AS name,
  COLLECT { MATCH (m:Measure)-[r:IN_SECTOR]->() WHERE r.hub = s.id AND r.codeKey IS NOT NULL AND r.mid IS NOT NULL
            WITH m ORDER BY r.hub, r.codeKey, r.mid LIMIT $first
            RETURN [m.code, m.title, COLLECT { MATCH (m)-[:ADVANCES]->(p:Project) RETURN p.name ORDER BY p.name }] } AS measures`

type nestedMeasure struct {
	Code     string  `json:"code"`
	Title    string  `json:"title"`
	Projects []named `json:"projects"`
}

type nestedSector struct {
	Name     string `json:"name"`
	Measures struct {
		Nodes []nestedMeasure `json:"nodes"`
	} `json:"measures"`
}

func (h *Handler) nested(w http.ResponseWriter, r *http.Request) {
	first, err := intParam(r, "first", 10, 1, 100)
	if err != nil {
		badRequest(w, "%v", err)
		return
	}
	recs, err := h.read(r.Context(), nestedCypher, map[string]any{"first": int64(first)})
	if err != nil {
		reply(w, nil, err)
		return
	}
	sectors := make([]nestedSector, 0, len(recs))
	for _, rec := range recs {
		s := nestedSector{Name: str(rec, 0)}
		ms, _ := rec.Values[1].([]any)
		s.Measures.Nodes = make([]nestedMeasure, 0, len(ms))
		for _, x := range ms {
			t, _ := x.([]any)
			code, _ := t[0].(string)
			title, _ := t[1].(string)
			s.Measures.Nodes = append(s.Measures.Nodes, nestedMeasure{Code: code, Title: title, Projects: names(t[2])})
		}
		sectors = append(sectors, s)
	}
	reply(w, map[string]any{"sectors": sectors}, nil)
}

// WalkFanOut is how many neighbours the floor's walk takes from any one
// node after the first level: the API's store.NeighborFanOut.
const WalkFanOut = 64

// walkCypher holds one capped breadth-first walk per depth, in one query:
// the first level takes up to limit + 1 distinct neighbours of the start
// (one more than fits tells the answer is cut); each further level runs
// only while the nodes found still fit in the limit (the answer keeps the
// nearest first, so a deeper level could not change it), takes at most
// WalkFanOut + 1 neighbours of each node of the previous level, drops the
// nodes seen before by grouping (a hash, not a list search) and keeps what
// still fits. truncated says a level was cut or nodes were left out. Then
// the display labels and the edges among the nodes kept.
var walkCypher = func() map[int]string {
	m := map[int]string{}
	for d := 1; d <= 3; d++ {
		var b strings.Builder
		b.WriteString(`MATCH (c:Entity {id: $id})
CALL (c) {
  MATCH (c)-[:` + graphRels + `]-(n:Entity) WHERE n <> c
  WITH DISTINCT n LIMIT $room
  RETURN collect(n) AS l1
}
WITH [c] + l1 AS seen, l1 AS frontier, false AS cut
`)
		for l := 2; l <= d; l++ {
			b.WriteString(`CALL (seen, frontier) {
  UNWIND CASE WHEN size(seen) <= $limit THEN frontier ELSE [] END AS f
  CALL (f) { MATCH (f)-[:` + graphRels + `]-(n:Entity) WITH n LIMIT $fanPlus RETURN collect(n) AS ns }
  RETURN collect(ns[0..$fan]) AS found, coalesce(max(size(ns)), 0) > $fan AS fanCut
}
CALL (seen, found) {
  CALL (seen, found) {
    UNWIND seen AS n RETURN n, 0 AS tag
    UNION ALL
    UNWIND found AS ns UNWIND ns AS n RETURN n, 1 AS tag
  }
  WITH n, min(tag) AS tag WHERE tag = 1
  RETURN collect(n) AS fresh
}
WITH seen, fresh[0..($room - size(seen))] AS fresh, cut OR fanCut AS cut
WITH seen + fresh AS seen, fresh AS frontier, cut
`)
		}
		b.WriteString(`WITH seen[0..$limit] AS ns, size(seen) > $limit OR cut AS truncated
RETURN truncated,
  [n IN ns | [n.id, CASE WHEN n:Measure THEN n.code + ' ' + n.title WHEN n:Section THEN 'Section ' + n.number + ': ' + n.title
              WHEN n:Aspect THEN 'Aspect ' + n.number + ': ' + n.title ELSE coalesce(n.name, n.title, n.label, n.id) END]] AS nodes,
  COLLECT { UNWIND ns AS a MATCH (a)-[r:` + graphRels + `]->(b) WHERE b IN ns RETURN [a.id, type(r), b.id] } AS edges`)
		m[d] = b.String()
	}
	return m
}()

func (h *Handler) walk(w http.ResponseWriter, r *http.Request) {
	depth, limit, err := walkParams(r)
	if err != nil {
		badRequest(w, "%v", err)
		return
	}
	recs, err := h.read(r.Context(), walkCypher[depth], map[string]any{
		"id": r.URL.Query().Get("id"), "limit": int64(limit), "room": int64(limit + 1),
		"fan": int64(WalkFanOut), "fanPlus": int64(WalkFanOut + 1),
	})
	if err != nil {
		reply(w, nil, err)
		return
	}
	if len(recs) == 0 {
		reply(w, map[string]any{"neighborhood": nil}, nil)
		return
	}
	rec := recs[0]
	truncated, _ := rec.Values[0].(bool)
	ns, _ := rec.Values[1].([]any)
	nodes := make([]graphNode, 0, len(ns))
	for _, x := range ns {
		pair, _ := x.([]any)
		id, _ := pair[0].(string)
		label, _ := pair[1].(string)
		nodes = append(nodes, graphNode{ID: gid(id), Type: string(plan.ID(id).Kind()), Label: label})
	}
	es, _ := rec.Values[2].([]any)
	edges := make([]graphEdge, 0, len(es))
	for _, x := range es {
		e, _ := x.([]any)
		src, _ := e[0].(string)
		typ, _ := e[1].(string)
		dst, _ := e[2].(string)
		gs, gd := gid(src), gid(dst)
		edges = append(edges, graphEdge{ID: gs + "." + typ + "." + gd, Source: gs, Target: gd, Type: typ})
	}
	reply(w, map[string]any{"neighborhood": map[string]any{"truncated": truncated, "nodes": nodes, "edges": edges}}, nil)
}

// orderedCypher: the plan's measures due by a milestone of year min or
// later, latest earliest-milestone first, ties by code. sortYearDesc is
// minus that year (store/measures.go), so the (plan, sortYearDesc, codeKey,
// id) index gives the order and the read stops after the page; the planner
// prefers a label scan and a sort of every match (50,000 of a
// 100,000-measure plan) unless told, hence the hint.
const orderedCypher = `MATCH (m:Measure) USING INDEX m:Measure(plan, sortYearDesc, codeKey, id)
WHERE m.plan = $plan AND m.sortYearDesc IS NOT NULL AND m.codeKey IS NOT NULL AND m.id IS NOT NULL
  AND EXISTS { (m)-[:DUE_BY]->(y:Milestone) WHERE y.year >= $min }
RETURN m.code AS code, m.title AS title
ORDER BY m.plan, m.sortYearDesc, m.codeKey, m.id
LIMIT $first`

func (h *Handler) ordered(w http.ResponseWriter, r *http.Request) {
	first, err := intParam(r, "first", 20, 1, 100)
	if err != nil {
		badRequest(w, "%v", err)
		return
	}
	minYear, err := intParam(r, "min", 0, -100000, 100000)
	if err != nil {
		badRequest(w, "%v", err)
		return
	}
	recs, err := h.read(r.Context(), orderedCypher, map[string]any{"plan": r.URL.Query().Get("plan"), "min": int64(minYear), "first": int64(first)})
	if err != nil {
		reply(w, nil, err)
		return
	}
	nodes := make([]codeTitle, 0, len(recs))
	for _, rec := range recs {
		nodes = append(nodes, codeTitle{str(rec, 0), str(rec, 1)})
	}
	reply(w, map[string]any{"plan": map[string]any{"measures": map[string]any{"nodes": nodes}}}, nil)
}

// countCypher: the measures of a plan's section, counted from the degrees
// of the section and of its aspects (only measures are PART_OF them), so
// no measure is read.
const countCypher = `MATCH (:Plan {id: $plan})-[:HAS_SECTION]->(s:Section {number: $section})
OPTIONAL MATCH (s)-[:HAS_ASPECT]->(a:Aspect)
WITH s, sum(COUNT { (a)<-[:PART_OF]-() }) AS inAspects
RETURN COUNT { (s)<-[:PART_OF]-() } + inAspects AS n`

func (h *Handler) count(w http.ResponseWriter, r *http.Request) {
	section, err := intParam(r, "section", 0, 0, 1000)
	if err != nil {
		badRequest(w, "%v", err)
		return
	}
	recs, err := h.read(r.Context(), countCypher, map[string]any{"plan": r.URL.Query().Get("plan"), "section": int64(section)})
	if err != nil {
		reply(w, nil, err)
		return
	}
	var n int64
	if len(recs) > 0 {
		n, _ = recs[0].Values[0].(int64)
	}
	reply(w, map[string]any{"plan": map[string]any{"measures": map[string]any{"totalCount": n}}}, nil)
}
