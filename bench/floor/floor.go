// Package floor is the benchmark's floor: a minimal net/http handler that
// answers each workload with the one hand-written Cypher query an expert
// would write, through the same Go driver as the API, and encodes the same
// JSON as the API's GraphQL answer to the workload's query (same field
// names, nesting and global ids), so that one checker reads both.
//
// It is not an API: no GraphQL, no validation beyond what the workloads
// need, no logging. Endpoints (all GET, parameters in the query string):
//
//	/dashboard?plan=PLAN_ID&first=50
//	/project?slug=SLUG&first=50
//	/page?plan=PLAN_ID&section=2&status=PLANNED&first=20&after=CURSOR
//	/search?text=TEXT&first=10
//	/neighborhood?id=NODE_ID&depth=2&limit=1000
//	/node?id=NODE_ID
//	/nested?first=10
//	/walk?id=NODE_ID&depth=3&limit=1000
//	/ordered?plan=PLAN_ID&min=2030&first=20
//	/count?plan=PLAN_ID&section=2
//	/readyz
//
// PLAN_ID and NODE_ID are the graph's `id` properties ("Plan:slug"), not
// global ids.
package floor

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/shenzhenplan/kgapi/plan"
	"github.com/shenzhenplan/kgapi/store"
)

// Handler answers the workloads.
type Handler struct {
	drv     neo4j.DriverWithContext
	db      string
	timeout time.Duration
	mux     *http.ServeMux
}

// New returns the floor's handler over a driver; database "" is the default one.
func New(drv neo4j.DriverWithContext, database string) *Handler {
	h := &Handler{drv: drv, db: database, timeout: 10 * time.Second, mux: http.NewServeMux()}
	h.mux.HandleFunc("GET /dashboard", h.dashboard)
	h.mux.HandleFunc("GET /project", h.project)
	h.mux.HandleFunc("GET /page", h.page)
	h.mux.HandleFunc("GET /search", h.search)
	h.mux.HandleFunc("GET /neighborhood", h.neighborhood)
	h.mux.HandleFunc("GET /node", h.node)
	h.mux.HandleFunc("GET /nested", h.nested)
	h.mux.HandleFunc("GET /walk", h.walk)
	h.mux.HandleFunc("GET /ordered", h.ordered)
	h.mux.HandleFunc("GET /count", h.count)
	h.mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if _, err := h.read(r.Context(), "RETURN 1 AS one", nil); err != nil {
			http.Error(w, "not ready: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ready\n"))
	})
	return h
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// read runs one query in a managed read transaction, as the API's store does.
func (h *Handler) read(ctx context.Context, cypher string, params map[string]any) ([]*neo4j.Record, error) {
	ctx, cancel := context.WithTimeout(ctx, h.timeout)
	defer cancel()
	sess := h.drv.NewSession(ctx, neo4j.SessionConfig{AccessMode: neo4j.AccessModeRead, DatabaseName: h.db})
	defer sess.Close(ctx)
	return neo4j.ExecuteRead(ctx, sess, func(tx neo4j.ManagedTransaction) ([]*neo4j.Record, error) {
		res, err := tx.Run(ctx, cypher, params)
		if err != nil {
			return nil, err
		}
		return res.Collect(ctx)
	}, neo4j.WithTxTimeout(h.timeout))
}

// reply writes {"data": data}, or a GraphQL-shaped error.
func reply(w http.ResponseWriter, data any, err error) {
	w.Header().Set("Content-Type", "application/json")
	if err != nil {
		w.WriteHeader(http.StatusInternalServerError)
		_ = json.NewEncoder(w).Encode(map[string]any{"errors": []map[string]string{{"message": err.Error()}}})
		return
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"data": data})
}

func badRequest(w http.ResponseWriter, format string, a ...any) {
	reply(w, nil, fmt.Errorf(format, a...))
}

func intParam(r *http.Request, name string, def, lo, hi int) (int, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		return 0, fmt.Errorf("%s must be an integer from %d to %d", name, lo, hi)
	}
	return n, nil
}

func gid(id string) string { return plan.ID(id).Global() }

// Shapes of the API's answers (field order as the API writes them).
type named struct {
	Name string `json:"name"`
}
type titled struct {
	Title string `json:"title"`
}
type dashProject struct {
	Name   string  `json:"name"`
	Places []named `json:"places"`
}
type dashMeasure struct {
	Code     string        `json:"code"`
	Title    string        `json:"title"`
	Section  *titled       `json:"section"`
	Aspect   *titled       `json:"aspect"`
	Projects []dashProject `json:"projects"`
	Sectors  []named       `json:"sectors"`
}

// dashboardCypher: the plan's first measures by code, with their section,
// aspect, projects with places, and sectors, in one query. Ordering by
// (plan, codeKey, id) lets that index, named by the hint (without it the
// planner scanned every measure), give the order, so only
// `first` + 1 measures are read (ORDER BY codeKey alone sorts the whole plan).
const dashboardCypher = `MATCH (m:Measure) USING INDEX m:Measure(plan, codeKey, id)
WHERE m.plan = $plan AND m.codeKey IS NOT NULL AND m.id IS NOT NULL
WITH m ORDER BY m.plan, m.codeKey, m.id LIMIT $first
OPTIONAL MATCH (s:Section {id: m.sectionId})
OPTIONAL MATCH (a:Aspect {id: m.aspectId})
RETURN m.code AS code, m.title AS title, s.title AS section, a.title AS aspect,
  COLLECT { MATCH (m)-[:ADVANCES]->(p:Project)
            RETURN {name: p.name, places: COLLECT { MATCH (p)-[:LOCATED_IN]->(pl:Place) RETURN pl.name ORDER BY pl.name }}
            ORDER BY p.name } AS projects,
  COLLECT { MATCH (m)-[:IN_SECTOR]->(x:Sector) RETURN x.name ORDER BY x.name } AS sectors`

func (h *Handler) dashboard(w http.ResponseWriter, r *http.Request) {
	first, err := intParam(r, "first", 20, 1, 100)
	if err != nil {
		badRequest(w, "%v", err)
		return
	}
	recs, err := h.read(r.Context(), dashboardCypher, map[string]any{"plan": r.URL.Query().Get("plan"), "first": int64(first)})
	if err != nil {
		reply(w, nil, err)
		return
	}
	nodes := make([]dashMeasure, 0, len(recs))
	for _, rec := range recs {
		m := dashMeasure{Code: str(rec, 0), Title: str(rec, 1), Projects: []dashProject{}, Sectors: names(rec.Values[5])}
		if s, ok := rec.Values[2].(string); ok {
			m.Section = &titled{s}
		}
		if a, ok := rec.Values[3].(string); ok {
			m.Aspect = &titled{a}
		}
		ps, _ := rec.Values[4].([]any)
		for _, p := range ps {
			pm, _ := p.(map[string]any)
			name, _ := pm["name"].(string)
			m.Projects = append(m.Projects, dashProject{Name: name, Places: names(pm["places"])})
		}
		nodes = append(nodes, m)
	}
	reply(w, map[string]any{"plan": map[string]any{"measures": map[string]any{"nodes": nodes}}}, nil)
}

func str(rec *neo4j.Record, i int) string {
	s, _ := rec.Values[i].(string)
	return s
}

func names(v any) []named {
	l, _ := v.([]any)
	out := make([]named, 0, len(l))
	for _, x := range l {
		s, _ := x.(string)
		out = append(out, named{s})
	}
	return out
}

type codeTitle struct {
	Code  string `json:"code"`
	Title string `json:"title"`
}

// projectCypher: one project by slug with its places, sectors and first measures by code.
const projectCypher = `MATCH (p:Project {slug: $slug})
RETURN p.name AS name,
  COLLECT { MATCH (p)-[:LOCATED_IN]->(x:Place) RETURN x.name ORDER BY x.name } AS places,
  COLLECT { MATCH (p)-[:IN_SECTOR]->(x:Sector) RETURN x.name ORDER BY x.name } AS sectors,
  COLLECT { MATCH (p)<-[:ADVANCES]-(m:Measure) WITH m ORDER BY m.codeKey, m.id LIMIT $first RETURN [m.code, m.title] } AS measures`

func (h *Handler) project(w http.ResponseWriter, r *http.Request) {
	first, err := intParam(r, "first", 20, 1, 100)
	if err != nil {
		badRequest(w, "%v", err)
		return
	}
	recs, err := h.read(r.Context(), projectCypher, map[string]any{"slug": r.URL.Query().Get("slug"), "first": int64(first)})
	if err != nil || len(recs) == 0 {
		reply(w, map[string]any{"project": nil}, err)
		return
	}
	rec := recs[0]
	ms, _ := rec.Values[3].([]any)
	nodes := make([]codeTitle, 0, len(ms))
	for _, x := range ms {
		pair, _ := x.([]any)
		code, _ := pair[0].(string)
		title, _ := pair[1].(string)
		nodes = append(nodes, codeTitle{code, title})
	}
	reply(w, map[string]any{"project": map[string]any{
		"name": str(rec, 0), "places": names(rec.Values[1]), "sectors": names(rec.Values[2]),
		"measures": map[string]any{"nodes": nodes},
	}}, nil)
}

// PageCursor is the floor's keyset cursor: the sort key (title, codeKey, id)
// of the last measure of the previous page, as base64url JSON.
func PageCursor(title, codeKey, id string) string {
	b, _ := json.Marshal([]string{title, codeKey, id})
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodePageCursor(s string) ([]string, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, err
	}
	var k []string
	if err := json.Unmarshal(b, &k); err != nil || len(k) != 3 {
		return nil, errors.New("bad cursor")
	}
	return k, nil
}

// pageCypher: a filtered page ordered by title (then code key and id, a
// total order), after a keyset cursor. The plan's (plan, title, codeKey,
// id) index is read from the cursor on, in order (the hint keeps the
// planner from a union of index seeks, or from the status index, which it
// took once the single-property title index was gone: 134 ms a page at
// 100,000 measures; the CASE keeps the keyset condition in one predicate),
// so a page deep in the list costs what the first one does.
const pageCypher = `MATCH (m:Measure) USING INDEX m:Measure(plan, title, codeKey, id)
WHERE m.plan = $plan AND m.title >= $t AND m.codeKey IS NOT NULL AND m.id IS NOT NULL
  AND m.sectionNumber = $section AND m.status IN $statuses
  AND CASE WHEN m.title > $t THEN true WHEN m.codeKey <> $ck THEN m.codeKey > $ck ELSE m.id > $id END
RETURN m.code AS code, m.title AS title, m.codeKey AS codeKey, m.id AS id
ORDER BY m.plan, m.title, m.codeKey, m.id
LIMIT $limit`

func (h *Handler) page(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	first, err := intParam(r, "first", 20, 1, 100)
	if err != nil {
		badRequest(w, "%v", err)
		return
	}
	section, err := intParam(r, "section", 0, 0, 1000)
	if err != nil {
		badRequest(w, "%v", err)
		return
	}
	after := []string{"", "", ""}
	if c := q.Get("after"); c != "" {
		if after, err = decodePageCursor(c); err != nil {
			badRequest(w, "invalid cursor")
			return
		}
	}
	statuses := strings.Split(q.Get("status"), ",")
	recs, err := h.read(r.Context(), pageCypher, map[string]any{
		"plan": q.Get("plan"), "section": int64(section), "statuses": statuses,
		"t": after[0], "ck": after[1], "id": after[2], "limit": int64(first + 1),
	})
	if err != nil {
		reply(w, nil, err)
		return
	}
	more := len(recs) > first
	if more {
		recs = recs[:first]
	}
	nodes := make([]codeTitle, 0, len(recs))
	var end any
	for _, rec := range recs {
		nodes = append(nodes, codeTitle{str(rec, 0), str(rec, 1)})
		end = PageCursor(str(rec, 1), str(rec, 2), str(rec, 3))
	}
	reply(w, map[string]any{"plan": map[string]any{"measures": map[string]any{
		"nodes": nodes, "pageInfo": map[string]any{"hasNextPage": more, "endCursor": end},
	}}}, nil)
}

type searchNode struct {
	ID    string `json:"id"`
	Code  string `json:"code"`
	Title string `json:"title"`
}
type searchHit struct {
	Score float64    `json:"score"`
	Node  searchNode `json:"node"`
}

// searchCypher: the best measures for the text in the full-text index named
// "search" (the API's index). The procedure yields hits best first, so the
// pipeline stops after `first` measures: no sort of every hit.
const searchCypher = `CALL db.index.fulltext.queryNodes('search', $q) YIELD node, score
WHERE node:Measure
RETURN node.id AS id, node.code AS code, node.title AS title, score
LIMIT $first`

func (h *Handler) search(w http.ResponseWriter, r *http.Request) {
	first, err := intParam(r, "first", 10, 1, 100)
	if err != nil {
		badRequest(w, "%v", err)
		return
	}
	q := store.LuceneQuery(r.URL.Query().Get("text"))
	hits := []searchHit{}
	if q != "" {
		recs, err := h.read(r.Context(), searchCypher, map[string]any{"q": q, "first": int64(first)})
		if err != nil {
			reply(w, nil, err)
			return
		}
		for _, rec := range recs {
			score, _ := rec.Values[3].(float64)
			hits = append(hits, searchHit{Score: score, Node: searchNode{ID: gid(str(rec, 0)), Code: str(rec, 1), Title: str(rec, 2)}})
		}
	}
	reply(w, map[string]any{"search": hits}, nil)
}

// graphRels are the relationship types a neighbourhood follows (the API's).
var graphRels = strings.Join(plan.WalkedRelTypes(), "|")

// neighborhoodCypher: every node within `depth` hops (nearest first, then by
// id, at most $limit + 1 to tell truncation), their display labels, and the
// edges among them, in one query. Variable-length bounds cannot be
// parameters, so there is one query per depth.
var neighborhoodCypher = func() map[int]string {
	m := map[int]string{}
	for d := 1; d <= 3; d++ {
		m[d] = `MATCH (c:Entity {id: $id})
MATCH p = (c)-[:` + graphRels + `*0..` + strconv.Itoa(d) + `]-(n:Entity)
WITH n, min(length(p)) AS dist
ORDER BY dist, n.id LIMIT $limit
WITH collect(n) AS ns
RETURN [n IN ns | [n.id, CASE WHEN n:Measure THEN n.code + ' ' + n.title WHEN n:Section THEN 'Section ' + n.number + ': ' + n.title
                   WHEN n:Aspect THEN 'Aspect ' + n.number + ': ' + n.title ELSE coalesce(n.name, n.title, n.label, n.id) END]] AS nodes,
  COLLECT { UNWIND ns AS a MATCH (a)-[r:` + graphRels + `]->(b) WHERE b IN ns
            RETURN [a.id, type(r), b.id] AS e ORDER BY e[0], e[1], e[2] } AS edges`
	}
	return m
}()

type graphNode struct {
	ID    string `json:"id"`
	Type  string `json:"type"`
	Label string `json:"label"`
}
type graphEdge struct {
	ID     string `json:"id"`
	Source string `json:"source"`
	Target string `json:"target"`
	Type   string `json:"type"`
}

// walkParams reads the depth (1 to 3, default 1) and the limit (1 to 1000,
// default 200) of a neighbourhood or walk request.
func walkParams(r *http.Request) (depth, limit int, err error) {
	if depth, err = intParam(r, "depth", 1, 1, 3); err != nil {
		return 0, 0, err
	}
	limit, err = intParam(r, "limit", 200, 1, 1000)
	return depth, limit, err
}

func (h *Handler) neighborhood(w http.ResponseWriter, r *http.Request) {
	depth, limit, err := walkParams(r)
	if err != nil {
		badRequest(w, "%v", err)
		return
	}
	recs, err := h.read(r.Context(), neighborhoodCypher[depth], map[string]any{"id": r.URL.Query().Get("id"), "limit": int64(limit + 1)})
	if err != nil {
		reply(w, nil, err)
		return
	}
	nodes := []graphNode{}
	edges := []graphEdge{}
	truncated := false
	if len(recs) > 0 {
		ns, _ := recs[0].Values[0].([]any)
		if len(ns) > limit {
			truncated = true
			ns = ns[:limit]
		}
		kept := make(map[string]bool, len(ns))
		for _, x := range ns {
			pair, _ := x.([]any)
			id, _ := pair[0].(string)
			label, _ := pair[1].(string)
			kept[id] = true
			nodes = append(nodes, graphNode{ID: gid(id), Type: string(plan.ID(id).Kind()), Label: label})
		}
		es, _ := recs[0].Values[1].([]any)
		for _, x := range es {
			e, _ := x.([]any)
			src, _ := e[0].(string)
			typ, _ := e[1].(string)
			dst, _ := e[2].(string)
			if !kept[src] || !kept[dst] {
				continue // an end beyond the limit
			}
			gs, gd := gid(src), gid(dst)
			edges = append(edges, graphEdge{ID: gs + "." + typ + "." + gd, Source: gs, Target: gd, Type: typ})
		}
	}
	if len(nodes) == 0 {
		reply(w, map[string]any{"neighborhood": nil}, nil)
		return
	}
	reply(w, map[string]any{"neighborhood": map[string]any{"truncated": truncated, "nodes": nodes, "edges": edges}}, nil)
}

// nodeCypher: refetch by id (the uniqueness constraint's index on :Entity).
const nodeCypher = `MATCH (n:Entity {id: $id}) RETURN n.id AS id, n.code AS code, n.title AS title, n.status AS status`

func (h *Handler) node(w http.ResponseWriter, r *http.Request) {
	recs, err := h.read(r.Context(), nodeCypher, map[string]any{"id": r.URL.Query().Get("id")})
	if err != nil || len(recs) == 0 {
		reply(w, map[string]any{"node": nil}, err)
		return
	}
	rec := recs[0]
	id := str(rec, 0)
	reply(w, map[string]any{"node": map[string]any{
		"__typename": string(plan.ID(id).Kind()), "id": gid(id), "code": rec.Values[1], "title": rec.Values[2], "status": rec.Values[3],
	}}, nil)
}
