package store

import (
	"context"
	"fmt"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/shenzhenplan/kgapi/plan"
)

// graphRels are the relationship types a neighbourhood or a path follows:
// every fact except provenance (every node cites the same few sources, which
// would connect everything to everything in two hops).
const graphRels = "HAS_SECTION|HAS_ASPECT|PART_OF|ADVANCES|IN_SECTOR|LOCATED_IN|WITHIN|DUE_BY|HAS_MILESTONE|PARENT"

// nodeView is the id and display label of a node: its code and title, name or label.
const nodeView = `{id: n.id, label: CASE WHEN n:Measure THEN n.code + ' ' + n.title WHEN n:Section THEN 'Section ' + n.number + ': ' + n.title WHEN n:Aspect THEN 'Aspect ' + n.number + ': ' + n.title ELSE coalesce(n.name, n.title, n.label, n.id) END}`

// Neighborhood implements plan.Store: a breadth-first expansion, one round
// trip per level, then one for the edges among the nodes found.
func (s *Store) Neighborhood(ctx context.Context, id plan.ID, depth, limit int) (*plan.Subgraph, error) {
	recs, err := s.read(ctx, "MATCH (n:Entity {id: $id}) RETURN "+nodeView+" AS v", map[string]any{"id": string(id)})
	if err != nil {
		return nil, fmt.Errorf("neighborhood of %s: %w", id, err)
	}
	if len(recs) == 0 {
		return nil, nil
	}
	g := &plan.Subgraph{}
	seen := map[string]bool{}
	add := func(v any) bool {
		m, _ := v.(map[string]any)
		nid, _ := m["id"].(string)
		if nid == "" || seen[nid] {
			return true
		}
		if len(g.Nodes) >= limit {
			g.Truncated = true
			return false
		}
		seen[nid] = true
		label, _ := m["label"].(string)
		g.Nodes = append(g.Nodes, plan.GraphNode{ID: plan.ID(nid), Type: string(plan.ID(nid).Kind()), Label: label})
		return true
	}
	v, _ := recs[0].Get("v")
	add(v)
	frontier := []string{string(id)}
	for level := 1; level <= depth && len(frontier) > 0 && !g.Truncated; level++ {
		recs, err := s.read(ctx, `UNWIND $frontier AS fid
MATCH (:Entity {id: fid})-[:`+graphRels+`]-(n:Entity)
WHERE NOT n.id IN $seen
WITH DISTINCT n LIMIT $cap
RETURN `+nodeView+` AS v ORDER BY v.id`, map[string]any{"frontier": frontier, "seen": keys(seen), "cap": int64(limit - len(g.Nodes) + 1)})
		if err != nil {
			return nil, fmt.Errorf("neighborhood of %s, level %d: %w", id, level, err)
		}
		frontier = frontier[:0]
		for _, rec := range recs {
			v, _ := rec.Get("v")
			if !add(v) {
				break
			}
			frontier = append(frontier, v.(map[string]any)["id"].(string))
		}
	}
	if err := s.edgesAmong(ctx, g); err != nil {
		return nil, fmt.Errorf("neighborhood of %s: %w", id, err)
	}
	return g, nil
}

func (s *Store) edgesAmong(ctx context.Context, g *plan.Subgraph) error {
	ids := make([]string, len(g.Nodes))
	for i, n := range g.Nodes {
		ids[i] = string(n.ID)
	}
	recs, err := s.read(ctx, `MATCH (a:Entity)-[r:`+graphRels+`]->(b:Entity)
WHERE a.id IN $ids AND b.id IN $ids
RETURN a.id AS source, b.id AS target, type(r) AS type
ORDER BY source, type, target`, map[string]any{"ids": ids})
	if err != nil {
		return fmt.Errorf("edges: %w", err)
	}
	for _, rec := range recs {
		src, _, _ := neo4j.GetRecordValue[string](rec, "source")
		dst, _, _ := neo4j.GetRecordValue[string](rec, "target")
		typ, _, _ := neo4j.GetRecordValue[string](rec, "type")
		g.Edges = append(g.Edges, plan.GraphEdge{ID: edgeID(src, typ, dst), Source: plan.ID(src), Target: plan.ID(dst), Type: typ})
	}
	return nil
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

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
