package store

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/shenzhenplan/kgapi/plan"
)

// graphRels are the relationship types a neighbourhood or a path follows:
// every fact except provenance (every node cites the same few sources, which
// would connect everything to everything in two hops): the model's walked
// types.
var graphRels = strings.Join(plan.WalkedRelTypes(), "|")

// nodeView is the id and display label of a node: its code and title, name or label.
const nodeView = `{id: n.id, label: CASE WHEN n:Measure THEN n.code + ' ' + n.title WHEN n:Section THEN 'Section ' + n.number + ': ' + n.title WHEN n:Aspect THEN 'Aspect ' + n.number + ': ' + n.title ELSE coalesce(n.name, n.title, n.label, n.id) END}`

// NeighborFanOut is how many neighbours a walk takes from any one node at
// each level after the first (the first takes up to the limit from the
// node the walk starts from): a hub (a sector of 20,000 measures, a milestone every
// measure is due by) costs this many rows, not its degree. Neighbours are
// taken in the database's relationship order, which is stable while the
// data does not change; a walk that left neighbours out says truncated.
const NeighborFanOut = 64

// neighborhoodCypher holds one query per depth (variable-length bounds and
// the unrolled levels cannot be parameters): a breadth-first expansion level
// by level inside the query. Each level takes at most NeighborFanOut
// neighbours of each node of the previous level, drops the nodes seen
// before (a hash grouping, not a list search, so the cost is linear in
// the rows), and keeps the first $cap in id order; then come the first
// $limit nodes (nearest first), their display labels and the edges among
// them, listed beside the node each starts from. One round trip whatever
// the depth; a level reads at most
// $cap × NeighborFanOut relationships, whatever node the walk starts from,
// and none once the nodes before it fill the limit.
var neighborhoodCypher = func() map[int]string {
	m := map[int]string{}
	for d := 0; d <= MaxNeighborhoodDepth; d++ {
		var b strings.Builder
		b.WriteString("MATCH (c:Entity {id: $id})\nWITH [c] AS seen, [c] AS l0, false AS cut0\n")
		for l := 1; l <= d; l++ {
			fmt.Fprintf(&b, `CALL {
  WITH l%[1]d, seen
  UNWIND CASE WHEN size(seen) > $limit THEN [] ELSE l%[1]d END AS f
  CALL {
    WITH f
    MATCH (f)-[:%[3]s]-(n:Entity)
    WITH n LIMIT $%[4]sPlus
    RETURN collect(n) AS ns
  }
  RETURN collect(ns[0..$%[4]s]) AS found, any(x IN collect(size(ns)) WHERE x > $%[4]s) AS fanCut
}
CALL {
  WITH seen, found
  CALL {
    WITH seen
    UNWIND seen AS x
    RETURN x AS n, 0 AS tag
    UNION ALL
    WITH found
    UNWIND found AS ns
    UNWIND ns AS x
    RETURN x AS n, 1 AS tag
  }
  WITH n, min(tag) AS tag
  WITH n WHERE tag = 1
  WITH n ORDER BY n.id
  RETURN collect(n) AS fresh
}
WITH seen + fresh[0..$cap] AS seen, fresh[0..$cap] AS l%[2]d, cut%[1]d OR fanCut OR size(fresh) > $cap AS cut%[2]d
`, l-1, l, graphRels, map[bool]string{true: "center", false: "fan"}[l == 1])
		}
		// The edges among the nodes: each node's outgoing relationships
		// (few: hubs are their targets) whose end is a node of the answer,
		// as (type, target id) pairs beside the node; scanNeighborhood
		// sorts them. Neo4j tests membership of a list it reuses with a
		// hash set, and reads the id of the kept ends only: at depth 3 from
		// a busy place, 999 of 6,591 relationships. A union, a grouping and
		// a sort of the edges in Cypher cost a third more at depth 2;
		// reading every end's id and filtering in Go, 70% more at depth 3.
		fmt.Fprintf(&b, `WITH seen[0..$limit] AS ns, size(seen) > $limit OR cut%d AS truncated
RETURN truncated, [n IN ns | %s] AS nodes, [n IN ns | [(n)-[r:%s]->(m) WHERE m IN ns | [type(r), m.id]]] AS out`, d, nodeView, graphRels)
		m[d] = b.String()
	}
	return m
}()

// MaxNeighborhoodDepth is the largest depth Neighborhood accepts.
const MaxNeighborhoodDepth = 3

// Neighborhood implements plan.Store in one round trip: the node, its
// neighbours up to depth hops (nearest first, then by id), at most limit of
// them, and the edges among those.
func (s *Store) Neighborhood(ctx context.Context, id plan.ID, depth, limit int) (*plan.Subgraph, error) {
	cypher, ok := neighborhoodCypher[depth]
	if !ok {
		return nil, plan.Errorf(plan.EINVALID, "depth must be between 0 and %d", MaxNeighborhoodDepth)
	}
	recs, err := s.read(ctx, cypher, map[string]any{
		"id": string(id), "limit": int64(limit), "cap": int64(limit + 1), "fan": int64(NeighborFanOut), "fanPlus": int64(NeighborFanOut + 1),
		"center": int64(limit + 1), "centerPlus": int64(limit + 2),
	})
	if err != nil {
		return nil, fmt.Errorf("neighborhood of %s (depth %d): %w", id, depth, err)
	}
	if len(recs) == 0 {
		return nil, nil
	}
	g, err := scanNeighborhood(recs[0])
	if err != nil {
		return nil, fmt.Errorf("neighborhood of %s (depth %d): %w", id, depth, err)
	}
	return g, nil
}

// scanNeighborhood reads the record of a neighborhoodCypher query.
func scanNeighborhood(rec *neo4j.Record) (*plan.Subgraph, error) {
	truncated, err := recordValue[bool](rec, "truncated")
	if err != nil {
		return nil, err
	}
	g := &plan.Subgraph{Truncated: truncated}
	if g.Nodes, err = scanGraphNodes(rec); err != nil {
		return nil, err
	}
	out, err := recordValue[[]any](rec, "out")
	if err != nil {
		return nil, err
	}
	if len(out) != len(g.Nodes) {
		return nil, fmt.Errorf("%d lists of relationships for %d nodes", len(out), len(g.Nodes))
	}
	// The nodes' global ids, each encoded once for all the edges that end
	// there.
	global := make(map[plan.ID]string, len(g.Nodes))
	for _, n := range g.Nodes {
		global[n.ID] = n.ID.Global()
	}
	// Source, then type, then target: the order the edges always had. The
	// sources are the nodes in id order; each one's few edges are sorted
	// apart.
	order := make([]int, len(g.Nodes))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return cmp.Compare(g.Nodes[a].ID, g.Nodes[b].ID) })
	for _, i := range order {
		rels, err := as[[]any](out[i], "out[i]")
		if err != nil {
			return nil, fmt.Errorf("node %s: %w", g.Nodes[i].ID, err)
		}
		src := g.Nodes[i].ID
		first := len(g.Edges)
		for _, r := range rels {
			typ, dst, err := typeAndTarget(r)
			if err != nil {
				return nil, fmt.Errorf("a relationship of %s: %w", src, err)
			}
			dstGlobal, in := global[dst]
			if !in {
				return nil, fmt.Errorf("an edge from %s to %s, not a node of the answer", src, dst)
			}
			g.Edges = append(g.Edges, plan.GraphEdge{ID: global[src] + "." + typ + "." + dstGlobal, Source: src, Target: dst, Type: typ})
		}
		slices.SortFunc(g.Edges[first:], func(a, b plan.GraphEdge) int {
			return cmp.Or(cmp.Compare(a.Type, b.Type), cmp.Compare(a.Target, b.Target))
		})
	}
	return g, nil
}

// typeAndTarget reads a [type, target id] pair of a neighborhoodCypher
// query's out column.
func typeAndTarget(v any) (string, plan.ID, error) {
	pair, err := as[[]any](v, "out[i][j]")
	if err != nil {
		return "", "", err
	}
	if len(pair) != 2 {
		return "", "", fmt.Errorf("%d elements, not 2 (type, target)", len(pair))
	}
	typ, err := as[string](pair[0], "its type")
	if err != nil {
		return "", "", err
	}
	dst, err := as[string](pair[1], "its target")
	if err != nil {
		return "", "", err
	}
	return typ, plan.ID(dst), nil
}

// scanGraphNodes reads the nodes column: a list of nodeView maps. A label
// is null when a property nodeView builds it from is (a measure without a
// title, say) and reads as "".
func scanGraphNodes(rec *neo4j.Record) ([]plan.GraphNode, error) {
	nodes, err := recordValue[[]any](rec, "nodes")
	if err != nil {
		return nil, err
	}
	var out []plan.GraphNode
	for i, v := range nodes {
		what := fmt.Sprintf("nodes[%d]", i)
		m, err := as[map[string]any](v, what)
		if err != nil {
			return nil, err
		}
		nid, err := as[string](m["id"], what+".id")
		if err != nil {
			return nil, err
		}
		label, err := asOpt[string](m["label"], what+".label")
		if err != nil {
			return nil, err
		}
		out = append(out, plan.GraphNode{ID: plan.ID(nid), Type: string(plan.ID(nid).Kind()), Label: label})
	}
	return out, nil
}

// graphEdge is the edge of type typ from src to dst.
func graphEdge(src, typ, dst string) plan.GraphEdge {
	return plan.GraphEdge{ID: edgeID(src, typ, dst), Source: plan.ID(src), Target: plan.ID(dst), Type: typ}
}

// edgeID is a stable id for an edge, built from its ends and type.
func edgeID(src, typ, dst string) string {
	return plan.ID(src).Global() + "." + typ + "." + plan.ID(dst).Global()
}

// pathCypher holds one shortest-path query per allowed maximum depth
// (variable-length bounds cannot be parameters).
var pathCypher = func() map[int]string {
	m := map[int]string{}
	for d := 1; d <= 10; d++ {
		m[d] = fmt.Sprintf(`MATCH (a:Entity {id: $from}), (b:Entity {id: $to})
MATCH p = shortestPath((a)-[:%s*..%d]-(b))
RETURN [n IN nodes(p) | %s] AS nodes, [r IN relationships(p) | {source: startNode(r).id, target: endNode(r).id, type: type(r)}] AS rels`,
			graphRels, d, nodeView)
	}
	return m
}()

// MaxPathDepth is the largest maxDepth Path accepts.
const MaxPathDepth = 10

// Path implements plan.Store.
func (s *Store) Path(ctx context.Context, from, to plan.ID, maxDepth int) (*plan.Subgraph, error) {
	cypher, ok := pathCypher[maxDepth]
	if !ok {
		return nil, plan.Errorf(plan.EINVALID, "maxDepth must be between 1 and %d", MaxPathDepth)
	}
	if from == to {
		return s.Neighborhood(ctx, from, 0, 1)
	}
	recs, err := s.read(ctx, cypher, map[string]any{"from": string(from), "to": string(to)})
	if err != nil {
		return nil, fmt.Errorf("path from %s to %s: %w", from, to, err)
	}
	if len(recs) == 0 {
		return nil, nil
	}
	g, err := scanPath(recs[0])
	if err != nil {
		return nil, fmt.Errorf("path from %s to %s: %w", from, to, err)
	}
	return g, nil
}

// scanPath reads the record of a pathCypher query.
func scanPath(rec *neo4j.Record) (*plan.Subgraph, error) {
	nodes, err := scanGraphNodes(rec)
	if err != nil {
		return nil, err
	}
	g := &plan.Subgraph{Nodes: nodes}
	rels, err := recordValue[[]any](rec, "rels")
	if err != nil {
		return nil, err
	}
	for i, v := range rels {
		what := fmt.Sprintf("rels[%d]", i)
		m, err := as[map[string]any](v, what)
		if err != nil {
			return nil, err
		}
		var ends [3]string
		for j, k := range []string{"source", "type", "target"} {
			if ends[j], err = as[string](m[k], what+"."+k); err != nil {
				return nil, err
			}
		}
		g.Edges = append(g.Edges, graphEdge(ends[0], ends[1], ends[2]))
	}
	return g, nil
}
