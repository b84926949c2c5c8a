package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/shenzhenplan/kgapi/plan"
)

// graphRels are the relationship types a neighbourhood or a path follows:
// every fact except provenance (every node cites the same few sources, which
// would connect everything to everything in two hops).
const graphRels = "HAS_SECTION|HAS_ASPECT|PART_OF|ADVANCES|IN_SECTOR|LOCATED_IN|WITHIN|DUE_BY|HAS_MILESTONE|PARENT"

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
// them. One round trip whatever the depth; a level reads at most
// $cap × NeighborFanOut relationships, whatever node the walk starts from.
var neighborhoodCypher = func() map[int]string {
	m := map[int]string{}
	for d := 0; d <= MaxNeighborhoodDepth; d++ {
		var b strings.Builder
		b.WriteString("MATCH (c:Entity {id: $id})\nWITH [c] AS seen, [c] AS l0, false AS cut0\n")
		for l := 1; l <= d; l++ {
			fmt.Fprintf(&b, `CALL {
  WITH l%[1]d
  UNWIND l%[1]d AS f
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
		fmt.Fprintf(&b, `WITH seen[0..$limit] AS ns, size(seen) > $limit OR cut%d AS truncated
RETURN truncated, [n IN ns | %s] AS nodes,
  COLLECT { UNWIND ns AS a MATCH (a)-[r:%s]->(b) WHERE b IN ns
            RETURN [a.id, type(r), b.id] AS e ORDER BY e[0], e[1], e[2] } AS edges`, d, nodeView, graphRels)
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
	g := &plan.Subgraph{}
	g.Truncated, _, _ = neo4j.GetRecordValue[bool](recs[0], "truncated")
	nodes, _, _ := neo4j.GetRecordValue[[]any](recs[0], "nodes")
	for _, v := range nodes {
		m, _ := v.(map[string]any)
		nid, _ := m["id"].(string)
		label, _ := m["label"].(string)
		g.Nodes = append(g.Nodes, plan.GraphNode{ID: plan.ID(nid), Type: string(plan.ID(nid).Kind()), Label: label})
	}
	edges, _, _ := neo4j.GetRecordValue[[]any](recs[0], "edges")
	for _, v := range edges {
		e, _ := v.([]any)
		if len(e) != 3 {
			continue
		}
		src, _ := e[0].(string)
		typ, _ := e[1].(string)
		dst, _ := e[2].(string)
		g.Edges = append(g.Edges, plan.GraphEdge{ID: edgeID(src, typ, dst), Source: plan.ID(src), Target: plan.ID(dst), Type: typ})
	}
	return g, nil
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
	g := &plan.Subgraph{}
	nodes, _, _ := neo4j.GetRecordValue[[]any](recs[0], "nodes")
	for _, v := range nodes {
		m := v.(map[string]any)
		nid, _ := m["id"].(string)
		label, _ := m["label"].(string)
		g.Nodes = append(g.Nodes, plan.GraphNode{ID: plan.ID(nid), Type: string(plan.ID(nid).Kind()), Label: label})
	}
	rels, _, _ := neo4j.GetRecordValue[[]any](recs[0], "rels")
	for _, v := range rels {
		m := v.(map[string]any)
		src, _ := m["source"].(string)
		dst, _ := m["target"].(string)
		typ, _ := m["type"].(string)
		g.Edges = append(g.Edges, plan.GraphEdge{ID: edgeID(src, typ, dst), Source: plan.ID(src), Target: plan.ID(dst), Type: typ})
	}
	return g, nil
}
