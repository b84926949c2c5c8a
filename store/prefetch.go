package store

import (
	"fmt"
	"slices"
	"strings"

	"github.com/shenzhenplan/kgapi/plan"
)

// prefetchExpr compiles the prefetch tree below variable v (the node at
// depth d) into a map of COLLECT subqueries, one per relation, keyed by
// position. Every fragment comes from the model (see stepOf); variable
// names are generated.
func prefetchExpr(v string, ps []plan.Prefetch, d int) (string, error) {
	if len(ps) == 0 {
		return "{}", nil
	}
	parts := make([]string, 0, len(ps))
	for i, p := range ps {
		a, rv, b := v, fmt.Sprintf("r%d_%d", d, i), fmt.Sprintf("n%d_%d", d, i)
		st, err := stepOf(p.Rel, a, rv, b)
		if err != nil {
			return "", fmt.Errorf("prefetch: %w", err)
		}
		// Only a source cites an excerpt (Source.excerpt); other targets
		// leave the relationship's property unread.
		excerpt, claim, fact := "null", "null", "null"
		if st.cites {
			excerpt, claim, fact = rv+".excerpt", rv+".claim", rv+".fact"
		}
		child, err := prefetchExpr(b, p.Children, d+1)
		if err != nil {
			return "", err
		}
		node, err := projection(b, p.Props)
		if err != nil {
			return "", err
		}
		if p.Props == nil {
			node = nodeExpr(b, st.to)
		}
		parts = append(parts, fmt.Sprintf("p%d: COLLECT { MATCH %s RETURN {node: %s, excerpt: %s, claim: %s, fact: %s, rel: %s} AS x ORDER BY %s }",
			i, st.pattern, node, excerpt, claim, fact, child, st.order))
	}
	return "{" + strings.Join(parts, ", ") + "}", nil
}

// scanPrefetched reads the rel map of a prefetched row below the node with
// id parent into out: a map with one list of rows per prefetched relation
// (see prefetchExpr), each row a map of the node, its excerpt and the rel map
// of the level below.
func scanPrefetched(parent plan.ID, rel any, ps []plan.Prefetch, out plan.Prefetched) error {
	if len(ps) == 0 {
		return nil
	}
	m, err := as[map[string]any](rel, fmt.Sprintf("the prefetched relations of %s", parent))
	if err != nil {
		return err
	}
	for i, p := range ps {
		rows, err := as[[]any](m[fmt.Sprintf("p%d", i)], fmt.Sprintf("%s of %s", p.Rel, parent))
		if err != nil {
			return err
		}
		if out[p.Rel] == nil {
			out[p.Rel] = map[plan.ID][]plan.Node{}
		}
		list := make([]plan.Node, 0, len(rows))
		for j, x := range rows {
			row, err := as[map[string]any](x, fmt.Sprintf("%s of %s, row %d", p.Rel, parent, j))
			if err != nil {
				return err
			}
			props, err := nodeProps(row["node"])
			if err != nil {
				return fmt.Errorf("%s of %s, row %d: %w", p.Rel, parent, j, err)
			}
			n, err := scanNode(props, row)
			if err != nil {
				return err
			}
			list = append(list, n)
			if err := scanPrefetched(n.NodeID(), row["rel"], p.Children, out); err != nil {
				return err
			}
		}
		out[p.Rel][parent] = list
	}
	return nil
}

// projectable is the allow-list of properties a query may project: every
// property of the graph model that a field reads, and the id.
var projectable = func() map[string]bool {
	out := map[string]bool{"id": true}
	for _, k := range plan.Model.Kinds {
		for _, p := range k.Props {
			if p.Name != "" && p.Field != "" {
				out[p.Name] = true
			}
		}
		for _, e := range k.Edges {
			if e.Ref != "" {
				out[e.Ref] = true
			}
		}
	}
	return out
}()

// projection is the expression that returns node variable v: the node
// itself, or a map of its id and props (fewer bytes for Neo4j to encode
// and for the driver to decode: a dashboard query 7 ms -> 5 ms at 100,000
// measures).
func projection(v string, props []string) (string, error) {
	if props == nil {
		return v, nil
	}
	var b strings.Builder
	b.WriteString(v + " {.id")
	for _, p := range props {
		if !projectable[p] {
			return "", fmt.Errorf("projection: property %q is not projectable", p)
		}
		if p != "id" {
			b.WriteString(", ." + p)
		}
	}
	b.WriteString("}")
	return b.String(), nil
}

// nodeExprs holds, for each kind whose nodes keep counts (the scopes of
// measures: store/counts.go), the map projection of such a node that holds
// what scanNode reads of it: its id, the model's properties and the
// references it keeps (plan.Edge.Ref). The counts stay in the database: a
// place of the 100,000-measure plan keeps about 60 of them, and returning
// whole nodes shipped them all (a list of the 507 places: 17 ms in Neo4j,
// 7 ms projected). Other kinds are returned whole.
var nodeExprs = func() map[plan.Kind][]string {
	out := map[plan.Kind][]string{}
	for _, k := range plan.Model.Kinds {
		if k.Scope == "" {
			continue
		}
		props := []string{"id"}
		add := func(name string) {
			if name != "" && !slices.Contains(props, name) {
				props = append(props, name)
			}
		}
		for _, p := range k.Props {
			add(p.Name)
		}
		for _, e := range k.Edges {
			add(e.Ref)
		}
		out[k.Kind] = props
	}
	return out
}()

// nodeExpr is node variable v of kind k as the query returns it: the map
// projection nodeExprs gives for k, or the whole node.
func nodeExpr(v string, k plan.Kind) string {
	props, ok := nodeExprs[k]
	if !ok {
		return v
	}
	return v + " {." + strings.Join(props, ", .") + "}"
}

// anyNodeExpr is node variable v, of any kind, as nodeExpr returns it.
func anyNodeExpr(v string) string {
	var b strings.Builder
	b.WriteString("CASE")
	for _, k := range plan.Model.Kinds {
		if _, ok := nodeExprs[k.Kind]; ok {
			b.WriteString(" WHEN " + v + ":" + string(k.Kind) + " THEN " + nodeExpr(v, k.Kind))
		}
	}
	b.WriteString(" ELSE " + v + " END")
	return b.String()
}
