package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/shenzhenplan/kgapi/plan"
)

// relationCypher holds, for each relation the store walks
// (plan.Traversals), the batched query that walks it from many nodes at once.
var relationCypher = func() map[plan.Relation]string {
	out := make(map[plan.Relation]string, len(plan.Traversals))
	for rel, t := range plan.Traversals {
		st, err := stepOf(rel, "a", "r", "b")
		if err != nil {
			continue // cannot happen: every traversal has a step
		}
		out[rel] = fmt.Sprintf("UNWIND $ids AS key\nMATCH (a:%s {id: key})\nMATCH %s\nRETURN key, %s AS node, r.excerpt AS excerpt, r.claim AS claim, r.fact AS fact\nORDER BY key, %s",
			t.From, st.pattern, nodeExpr("b", st.to), st.order)
	}
	return out
}()

// step is one relation of the model as Cypher, from a bound variable a to
// the variable b through relationship variable r: the pattern, the ORDER BY
// of the reached nodes, and whether the relationship cites (carries an
// excerpt).
type step struct {
	pattern, order string
	to             plan.Kind
	cites          bool
}

// stepOf is rel's step: a walk of a relationship type when the model has
// one for rel (plan.Traversals), else a reference the node keeps
// (plan.References). Every fragment comes from the model; nothing from a
// request.
func stepOf(rel plan.Relation, a, r, b string) (step, error) {
	if t, ok := plan.Traversals[rel]; ok {
		l, rt := "-", "->"
		if t.In {
			l, rt = "<-", "-"
		}
		var order []string
		for _, p := range t.Order {
			order = append(order, b+"."+p)
		}
		if !slices.Contains(t.Order, "id") {
			order = append(order, b+".id")
		}
		if t.Cites {
			order = append(order, r+".excerpt", r+".claim")
		}
		return step{
			pattern: fmt.Sprintf("(%s)%s[%s:%s]%s(%s:%s)", a, l, r, t.Type, rt, b, t.To),
			order:   strings.Join(order, ", "), to: t.To, cites: t.Cites,
		}, nil
	}
	if prop, ok := plan.References[rel]; ok {
		to := plan.PrefetchTargets[rel]
		return step{pattern: fmt.Sprintf("(%s:%s {id: %s.%s})", b, to, a, prop), order: b + ".id", to: to}, nil
	}
	return step{}, fmt.Errorf("unknown relation %q", rel)
}

// Related implements plan.Store: one round trip for all ids.
func (s *Store) Related(ctx context.Context, rel plan.Relation, ids []plan.ID) (map[plan.ID][]plan.Node, error) {
	cypher, ok := relationCypher[rel]
	if !ok {
		return nil, fmt.Errorf("related: unknown relation %q", rel)
	}
	recs, err := s.read(ctx, cypher, map[string]any{"ids": idStrings(ids)})
	if err != nil {
		return nil, fmt.Errorf("load %s for %d ids: %w", rel, len(ids), err)
	}
	out := make(map[plan.ID][]plan.Node, len(ids))
	for _, rec := range recs {
		key, err := recordValue[string](rec, "key")
		if err != nil {
			return nil, fmt.Errorf("load %s: %w", rel, err)
		}
		n, err := scanRecord(rec, "node")
		if err != nil {
			return nil, fmt.Errorf("load %s: %w", rel, err)
		}
		out[plan.ID(key)] = append(out[plan.ID(key)], n)
	}
	return out, nil
}

// scanRecord scans column col as a node, with the record's extra columns.
func scanRecord(rec *neo4j.Record, col string) (plan.Node, error) {
	props, err := recordNode(rec, col)
	if err != nil {
		return nil, err
	}
	extra := map[string]any{}
	for i, k := range rec.Keys {
		if k != col {
			extra[k] = rec.Values[i]
		}
	}
	return scanNode(props, extra)
}

// Nodes implements plan.Store.
func (s *Store) Nodes(ctx context.Context, ids []plan.ID) (map[plan.ID]plan.Node, error) {
	recs, err := s.read(ctx, `UNWIND $ids AS key
MATCH (n:Entity {id: key})
RETURN `+anyNodeExpr("n")+` AS node`, map[string]any{"ids": idStrings(ids)})
	if err != nil {
		return nil, fmt.Errorf("load %d nodes by id: %w", len(ids), err)
	}
	out := make(map[plan.ID]plan.Node, len(recs))
	for _, rec := range recs {
		n, err := scanRecord(rec, "node")
		if err != nil {
			return nil, fmt.Errorf("load nodes by id: %w", err)
		}
		out[n.NodeID()] = n
	}
	return out, nil
}

// Plans implements plan.Store.
func (s *Store) Plans(ctx context.Context) ([]*plan.Plan, error) {
	recs, err := s.read(ctx, `MATCH (p:Plan)
RETURN `+nodeExpr("p", plan.KindPlan)+` AS node, COUNT { MATCH (m:Measure) WHERE m.plan = p.id } AS cataloged
ORDER BY p.slug`, nil)
	if err != nil {
		return nil, fmt.Errorf("list plans: %w", err)
	}
	out := make([]*plan.Plan, 0, len(recs))
	for _, rec := range recs {
		n, err := scanRecord(rec, "node")
		if err != nil {
			return nil, fmt.Errorf("list plans: %w", err)
		}
		p, err := as[*plan.Plan](n, fmt.Sprintf("node %s", n.NodeID()))
		if err != nil {
			return nil, fmt.Errorf("list plans: %w", err)
		}
		out = append(out, p)
	}
	return out, nil
}

// FindByKey implements plan.Store: one round trip, with the prefetched
// relations and the page of measures asked for.
func (s *Store) FindByKey(ctx context.Context, k plan.Kind, key string, with plan.Lookup) (plan.Found, error) {
	id := plan.NewID(k, key)
	if len(with.Prefetch) == 0 && with.Measures == nil {
		nodes, err := s.Nodes(ctx, []plan.ID{id})
		if err != nil {
			return plan.Found{}, err
		}
		return plan.Found{Node: nodes[id]}, nil
	}
	rel, err := prefetchExpr("n", with.Prefetch, 0)
	if err != nil {
		return plan.Found{}, err
	}
	params := map[string]any{}
	var b strings.Builder
	b.WriteString("MATCH (n:Entity {id: $id})\n")
	countApart := false
	if with.Measures != nil {
		totalPick, err := s.totalPick(ctx, *with.Measures, []string{string(id)})
		if err != nil {
			return plan.Found{}, fmt.Errorf("find %s: count the measures: %w", id, err)
		}
		// A sparse filter's page is read from its anchor at once.
		pick, ok, err := s.walkless(ctx, *with.Measures, []string{string(id)})
		if err != nil {
			return plan.Found{}, fmt.Errorf("find %s: page the measures: %w", id, err)
		}
		if !ok {
			pick = -1
		}
		// The page's subqueries need only the scope: the node's id.
		cm, err := compilePages(*with.Measures, nil, pick, totalPick)
		if err != nil {
			return plan.Found{}, err
		}
		params, countApart = cm.params, cm.countApart
		b.WriteString("WITH n, n.id AS scope\n")
		b.WriteString(cm.body)
		b.WriteString("RETURN " + nodeExpr("n", id.Kind()) + " AS node, " + rel + " AS rel, rows, total, short")
	} else {
		b.WriteString("RETURN " + nodeExpr("n", id.Kind()) + " AS node, " + rel + " AS rel")
	}
	params["id"] = string(id)
	recs, err := s.read(ctx, b.String(), params)
	if err != nil {
		return plan.Found{}, fmt.Errorf("find %s with %d prefetched relations: %w", id, len(with.Prefetch), err)
	}
	if len(recs) == 0 {
		return plan.Found{}, nil
	}
	n, err := scanRecord(recs[0], "node")
	if err != nil {
		return plan.Found{}, fmt.Errorf("find %s: %w", id, err)
	}
	found := plan.Found{Node: n, Related: plan.Prefetched{}}
	v, ok := recs[0].Get("rel")
	if !ok {
		return plan.Found{}, fmt.Errorf("find %s: no column rel", id)
	}
	if err := scanPrefetched(n.NodeID(), v, with.Prefetch, found.Related); err != nil {
		return plan.Found{}, fmt.Errorf("find %s: prefetched: %w", id, err)
	}
	if with.Measures != nil {
		page, short, err := scanPage(recs[0], *with.Measures)
		if err != nil {
			return plan.Found{}, fmt.Errorf("find %s: page of measures: %w", id, err)
		}
		found.Measures = page
		if countApart {
			if err := s.countApart(ctx, *with.Measures, map[plan.ID]*plan.MeasurePage{n.NodeID(): page}); err != nil {
				return plan.Found{}, fmt.Errorf("find %s: count the measures: %w", id, err)
			}
		}
		if short {
			// The walk fell short of the page: the whole planner, once more.
			pages := map[plan.ID]*plan.MeasurePage{n.NodeID(): page}
			if err := s.completePages(ctx, *with.Measures, []string{string(n.NodeID())}, pages); err != nil {
				return plan.Found{}, fmt.Errorf("find %s: page of measures: %w", id, err)
			}
			found.Measures = pages[n.NodeID()]
		}
	}
	return found, nil
}

// FindMeasureByCode implements plan.Store.
func (s *Store) FindMeasureByCode(ctx context.Context, planSlug, code string) (*plan.Measure, error) {
	recs, err := s.read(ctx, `MATCH (m:Measure {code: $code})
WHERE $plan IS NULL OR m.plan = $plan
RETURN m AS node ORDER BY m.plan LIMIT 1`, map[string]any{"code": code, "plan": nullable(planIDOf(planSlug))})
	if err != nil {
		return nil, fmt.Errorf("find measure %q: %w", code, err)
	}
	if len(recs) == 0 {
		return nil, nil
	}
	props, err := recordNode(recs[0], "node")
	if err != nil {
		return nil, fmt.Errorf("find measure %q: %w", code, err)
	}
	m, err := measureOf(props)
	if err != nil {
		return nil, fmt.Errorf("find measure %q: %w", code, err)
	}
	return m, nil
}

// listOrder is the ORDER BY of each kind's top-level list (the kinds with
// a ListOrder in the model), over the variable n.
var listOrder = func() map[plan.Kind]string {
	out := map[plan.Kind]string{}
	for _, k := range plan.Model.Kinds {
		if k.ListOrder == nil {
			continue
		}
		order := make([]string, len(k.ListOrder))
		for i, p := range k.ListOrder {
			order[i] = "n." + p
		}
		out[k.Kind] = strings.Join(order, ", ")
	}
	return out
}()

// List implements plan.Store: the kind's nodes, and for each the prefetched
// relations and the page of measures the lookup asks for, in one query (a
// second one only for the pages whose walk fell short).
func (s *Store) List(ctx context.Context, k plan.Kind, with plan.Lookup) (plan.Listed, error) {
	order, ok := listOrder[k]
	if !ok {
		return plan.Listed{}, fmt.Errorf("list: kind %q cannot be listed", k)
	}
	rel, err := prefetchExpr("n", with.Prefetch, 0)
	if err != nil {
		return plan.Listed{}, fmt.Errorf("list %s: %w", k, err)
	}
	params := map[string]any{}
	var b strings.Builder
	ret := "RETURN " + nodeExpr("n", k) + " AS node, " + rel + " AS rel"
	var pageQ plan.MeasureQuery
	grouped, countApart := false, false
	var listKey string
	var body string
	if with.Measures != nil {
		groups, nests := groupable(*with.Measures)
		if nests && !with.Measures.CountOnly {
			// Places filtered by a filter of their own: the pages after
			// the list, read at once for all when the filter is small
			// (Store.Measures, compileGroupedPages).
			return s.listThenMeasures(ctx, k, with, nil)
		}
		// A filtered total is counted for every node at once, after the
		// list (compileGroupedTotals), when the filter has an anchor.
		pageQ = *with.Measures
		grouped = groups && pageQ.WantTotal
		pageQ.WantTotal = pageQ.WantTotal && !grouped
		// The page's subqueries need only the scope: the node's id. A page
		// whose filter has no hubs is read from the scope's index at once
		// (scopeOnly).
		mp, err := newMeasurePlan(pageQ, nil)
		if err != nil {
			return plan.Listed{}, fmt.Errorf("list %s: %w", k, err)
		}
		pick := -1
		if mp.scopeOnly() {
			pick = 0
		}
		cm, err := compilePages(pageQ, nil, pick, -1)
		if err != nil {
			return plan.Listed{}, fmt.Errorf("list %s: %w", k, err)
		}
		params, countApart = cm.params, cm.countApart
		if grouped {
			listKey = sizesKey(string(k)+"\n"+cm.cypher, cm.params)
			if fs, ok := s.groupedLists.get(listKey, time.Now()); ok {
				// Lately every page of this list was read grouped: the
				// walks would be read only to be dropped.
				return s.listThenMeasures(ctx, k, with, &fs)
			}
			// The sizes that choose how to count, for every node of the
			// kind, in the same query (their parameters are the page's).
			sizes, _, _ := sizesCypher(*with.Measures, fmt.Sprintf("MATCH (c:%s) WITH c.id AS sc", k))
			b.WriteString(sizes)
			ret += ", sizes, held"
		}
		body = "WITH *, n.id AS scope\n" + cm.body
		ret += ", rows, total, short"
	}
	fmt.Fprintf(&b, "MATCH (n:%s)\n", k)
	b.WriteString(body)
	b.WriteString(ret + "\nORDER BY " + strings.ReplaceAll(order, "n.", "node."))
	recs, err := s.read(ctx, b.String(), params)
	if err != nil {
		return plan.Listed{}, fmt.Errorf("list %s with %d prefetched relations: %w", k, len(with.Prefetch), err)
	}
	out := plan.Listed{Nodes: make([]plan.Node, 0, len(recs))}
	if len(with.Prefetch) > 0 {
		out.Related = plan.Prefetched{}
	}
	if with.Measures != nil {
		out.Measures = make(map[plan.ID]*plan.MeasurePage, len(recs))
	}
	var short []string
	for _, rec := range recs {
		n, err := scanRecord(rec, "node")
		if err != nil {
			return plan.Listed{}, fmt.Errorf("list %s: %w", k, err)
		}
		out.Nodes = append(out.Nodes, n)
		if len(with.Prefetch) > 0 {
			v, ok := rec.Get("rel")
			if !ok {
				return plan.Listed{}, fmt.Errorf("list %s: no column rel", k)
			}
			if err := scanPrefetched(n.NodeID(), v, with.Prefetch, out.Related); err != nil {
				return plan.Listed{}, fmt.Errorf("list %s: prefetched of %s: %w", k, n.NodeID(), err)
			}
		}
		if with.Measures != nil {
			page, isShort, err := scanPage(rec, pageQ)
			if err != nil {
				return plan.Listed{}, fmt.Errorf("list %s: page of measures of %s: %w", k, n.NodeID(), err)
			}
			out.Measures[n.NodeID()] = page
			if isShort {
				short = append(short, string(n.NodeID()))
			}
		}
	}
	if countApart && len(out.Measures) > 0 {
		if err := s.countApart(ctx, pageQ, out.Measures); err != nil {
			return plan.Listed{}, fmt.Errorf("list %s: count the measures of %d nodes: %w", k, len(out.Measures), err)
		}
	}
	// With totals counted grouped: the nodes and the filter's sizes (the
	// list query read them).
	var ids []string
	var fs filterSize
	if grouped && len(out.Nodes) > 0 {
		ids = make([]string, len(out.Nodes))
		for i, n := range out.Nodes {
			ids[i] = string(n.NodeID())
		}
		var err error
		if fs, err = scanSizes(recs[0]); err != nil {
			return plan.Listed{}, fmt.Errorf("list %s: sizes: %w", k, err)
		}
		if len(short) > 0 && fs.groupedPagesPay() {
			// The walks fell short of some pages, and the filter's
			// measures are few enough to read once for every node: one
			// grouped read gives every page and every total, where
			// completing the short pages and then counting would join the
			// same measures twice (milestones by a year filter at 100,000
			// measures: 4 round trips, 3 of them joins, → 2). The walks'
			// pages are dropped, so the next reads of this list (for a
			// while: the sizes choose how to read, never what) read the
			// nodes alone and then the grouped pages (listThenMeasures).
			s.groupedLists.put(listKey, fs, time.Now())
			pages, err := s.readGroupedPages(ctx, *with.Measures, ids, fs.pick)
			if err != nil {
				return plan.Listed{}, fmt.Errorf("list %s: pages of measures: %w", k, err)
			}
			out.Measures = pages
			return out, nil
		}
	}
	if len(short) > 0 {
		// The walk fell short of these pages: the whole planner, once more.
		if err := s.completePages(ctx, pageQ, short, out.Measures); err != nil {
			return plan.Listed{}, fmt.Errorf("list %s: pages of measures: %w", k, err)
		}
	}
	if ids != nil {
		if err := s.totalsSized(ctx, *with.Measures, ids, out.Measures, fs); err != nil {
			return plan.Listed{}, fmt.Errorf("list %s: count the measures of %d nodes: %w", k, len(ids), err)
		}
	}
	return out, nil
}

// listThenMeasures is List in two steps: the nodes with what the lookup
// prefetches, then their pages of measures as a level of connections, or,
// with grouped, read grouped from the anchor it picks.
func (s *Store) listThenMeasures(ctx context.Context, k plan.Kind, with plan.Lookup, grouped *filterSize) (plan.Listed, error) {
	q := *with.Measures
	with.Measures = nil
	out, err := s.List(ctx, k, with)
	if err != nil || len(out.Nodes) == 0 {
		return out, err
	}
	ids := make([]plan.ID, len(out.Nodes))
	for i, n := range out.Nodes {
		ids[i] = n.NodeID()
	}
	var pages map[plan.ID]*plan.MeasurePage
	if grouped != nil {
		pages, err = s.readGroupedPages(ctx, q, idStrings(ids), grouped.pick)
	} else {
		pages, err = s.Measures(ctx, q, ids)
	}
	if err != nil {
		return plan.Listed{}, fmt.Errorf("list %s: pages of measures of %d nodes: %w", k, len(ids), err)
	}
	out.Measures = pages
	return out, nil
}

// Projects implements plan.Store.
func (s *Store) Projects(ctx context.Context, first int, afterSlug string) (*plan.ProjectPage, error) {
	recs, err := s.read(ctx, `MATCH (n:Project) WHERE $after IS NULL OR n.slug > $after
WITH n ORDER BY n.slug LIMIT $limit
RETURN n AS node, COUNT { (p:Project) } AS total`, map[string]any{"after": nullable(afterSlug), "limit": int64(first + 1)})
	if err != nil {
		return nil, fmt.Errorf("page projects: %w", err)
	}
	page := &plan.ProjectPage{}
	if len(recs) == 0 {
		total, err := s.read(ctx, "MATCH (p:Project) RETURN count(p) AS total", nil)
		if err != nil {
			return nil, fmt.Errorf("count projects: %w", err)
		}
		n, err := recordValue[int64](total[0], "total")
		if err != nil {
			return nil, fmt.Errorf("count projects: %w", err)
		}
		page.TotalCount = int(n)
		return page, nil
	}
	for i, rec := range recs {
		if i == first {
			page.HasNextPage = true
			break
		}
		n, err := scanRecord(rec, "node")
		if err != nil {
			return nil, fmt.Errorf("page projects: %w", err)
		}
		p, err := as[*plan.Project](n, fmt.Sprintf("node %s", n.NodeID()))
		if err != nil {
			return nil, fmt.Errorf("page projects: %w", err)
		}
		page.Projects = append(page.Projects, p)
	}
	total, err := recordValue[int64](recs[0], "total")
	if err != nil {
		return nil, fmt.Errorf("page projects: %w", err)
	}
	page.TotalCount = int(total)
	return page, nil
}

func idStrings(ids []plan.ID) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = string(id)
	}
	return out
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func planIDOf(slug string) string {
	if slug == "" {
		return ""
	}
	return string(plan.NewID(plan.KindPlan, slug))
}

// CatalogedCounts counts the measures each plan holds, for all ids in one round trip.
func (s *Store) CatalogedCounts(ctx context.Context, ids []plan.ID) (map[plan.ID]int, error) {
	recs, err := s.read(ctx, `UNWIND $ids AS key
RETURN key, COUNT { MATCH (m:Measure) WHERE m.plan = key } AS n`, map[string]any{"ids": idStrings(ids)})
	if err != nil {
		return nil, fmt.Errorf("count the measures of %d plans: %w", len(ids), err)
	}
	out := make(map[plan.ID]int, len(recs))
	for _, rec := range recs {
		key, err := recordValue[string](rec, "key")
		if err != nil {
			return nil, fmt.Errorf("count the measures of plans: %w", err)
		}
		n, err := recordValue[int64](rec, "n")
		if err != nil {
			return nil, fmt.Errorf("count the measures of plans: %w", err)
		}
		out[plan.ID(key)] = int(n)
	}
	return out, nil
}
