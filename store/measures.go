package store

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/shenzhenplan/kgapi/plan"
)

// scopeMatch is the allow-list of measure scopes: where the MATCH starts.
var scopeMatch = map[plan.Scope]string{
	plan.ScopeAll:       "MATCH (m:Measure)",
	plan.ScopePlan:      "MATCH (m:Measure) WHERE m.plan = scope",
	plan.ScopeSection:   "MATCH (m:Measure) WHERE m.sectionId = scope",
	plan.ScopeAspect:    "MATCH (m:Measure) WHERE m.aspectId = scope",
	plan.ScopeProject:   "MATCH (:Project {id: scope})<-[:ADVANCES]-(m:Measure) WHERE true",
	plan.ScopeSector:    "MATCH (:Sector {id: scope})<-[:IN_SECTOR]-(m:Measure) WHERE true",
	plan.ScopePlace:     "MATCH (:Place {id: scope})<-[:WITHIN*0..8]-(:Place)<-[:LOCATED_IN]-(x:Measure) WITH DISTINCT scope, x AS m WHERE true",
	plan.ScopeMilestone: "MATCH (:Milestone {id: scope})<-[:DUE_BY]-(m:Measure) WHERE true",
}

// scopeIndexes names, for the scopes whose measures share one property
// value, that property and the first sort keys it leads a composite index
// with in store/schema.go ((plan, codeKey), (plan, title), …). A page of
// such a scope ordered by such a key is read from that index in order and
// stops after the page.
var scopeIndexes = map[plan.Scope]struct {
	prop string
	keys []string
}{
	plan.ScopePlan:    {"plan", []string{"m.codeKey", "m.title"}},
	plan.ScopeSection: {"sectionId", []string{"m.codeKey"}},
	plan.ScopeAspect:  {"aspectId", []string{"m.codeKey"}},
}

// sortExprs are the sort key expressions of each order field.
var sortExprs = map[plan.OrderField][]string{
	plan.OrderCode:          {"m.codeKey"},
	plan.OrderTitle:         {"m.title"},
	plan.OrderSection:       {"m.sectionNumber", "m.aspectNumber"},
	plan.OrderMilestoneYear: {"coalesce(m.milestoneYear, 999999)"},
}

// sortExprsDesc overrides sortExprs for descending keys where missing values
// must still sort last.
var sortExprsDesc = map[plan.OrderField][]string{
	plan.OrderMilestoneYear: {"coalesce(m.milestoneYear, -999999)"},
}

// compiledMeasures is the Cypher of one measure-connection shape and its parameters.
type compiledMeasures struct {
	cypher string
	params map[string]any
	nkeys  int
	// body is the query after the UNWIND of the scopes, up to its RETURN:
	// subqueries that need only the variable scope and yield rows and total.
	body string
}

// compileMeasures builds the query for q from fixed fragments; every value
// travels as a parameter.
func compileMeasures(q plan.MeasureQuery, scopes []string) (*compiledMeasures, error) {
	match, ok := scopeMatch[q.Scope]
	if !ok {
		return nil, fmt.Errorf("measures: unknown scope %q", q.Scope)
	}
	if q.Scope == plan.ScopeAll {
		match += " WHERE true"
	}
	p := map[string]any{"scopes": scopes}
	var where []string
	f := q.Filter
	if f.Section != nil {
		where = append(where, "m.sectionNumber = $section")
		p["section"] = int64(*f.Section)
	}
	if f.Aspect != nil {
		where = append(where, "m.aspectNumber = $aspect")
		p["aspect"] = int64(*f.Aspect)
	}
	if len(f.Sectors) > 0 {
		where = append(where, "EXISTS { (m)-[:IN_SECTOR]->(x:Sector) WHERE x.slug IN $sectors }")
		p["sectors"] = f.Sectors
	}
	if len(f.Projects) > 0 {
		where = append(where, "EXISTS { (m)-[:ADVANCES]->(x:Project) WHERE x.slug IN $projects }")
		p["projects"] = f.Projects
	}
	if len(f.Places) > 0 {
		// A place includes the places within it.
		where = append(where, "EXISTS { (m)-[:LOCATED_IN]->(:Place)-[:WITHIN*0..8]->(x:Place) WHERE x.slug IN $places }")
		p["places"] = f.Places
	}
	if f.MilestoneYearMin != nil || f.MilestoneYearMax != nil {
		where = append(where, "EXISTS { (m)-[:DUE_BY]->(x:Milestone) WHERE ($ymin IS NULL OR x.year >= $ymin) AND ($ymax IS NULL OR x.year <= $ymax) }")
		p["ymin"], p["ymax"] = optInt(f.MilestoneYearMin), optInt(f.MilestoneYearMax)
	}
	if len(f.Statuses) > 0 {
		where = append(where, "m.status IN $statuses")
		st := make([]string, len(f.Statuses))
		for i, s := range f.Statuses {
			st[i] = string(s)
		}
		p["statuses"] = st
	}
	if f.Text != nil && strings.TrimSpace(*f.Text) != "" {
		where = append(where, "(toLower(m.title) CONTAINS $text OR toLower(m.code) CONTAINS $text OR toLower(coalesce(m.description, '')) CONTAINS $text OR coalesce(m.titleZh, '') CONTAINS $text)")
		p["text"] = strings.ToLower(strings.TrimSpace(*f.Text))
	}
	filter := ""
	for _, w := range where {
		filter += "\n  AND " + w
	}

	// Sort keys: the requested ones, then code key and id (a total order).
	var exprs []string
	var desc []bool
	for _, o := range q.Order {
		es := sortExprs[o.Field]
		if d, ok := sortExprsDesc[o.Field]; ok && o.Desc {
			es = d
		}
		for _, e := range es {
			exprs = append(exprs, e)
			desc = append(desc, o.Desc)
		}
	}
	// Ties are broken by code, then id (codes repeat across plans). When the
	// order already starts with the code, its direction holds for the ties.
	if len(exprs) == 1 && exprs[0] == "m.codeKey" {
		exprs = append(exprs, "m.id")
		desc = append(desc, desc[0])
	} else {
		exprs = append(exprs, "m.codeKey", "m.id")
		desc = append(desc, false, false)
	}

	backward := q.Last != nil
	limit := 20
	if q.First != nil {
		limit = *q.First
	}
	if backward {
		limit = *q.Last
	}
	p["limit"] = int64(limit + 1)

	keyList := "[" + strings.Join(exprs, ", ") + "]"
	var conds []string
	if q.After != nil {
		conds = append(conds, keyset(exprs, "a", desc, false))
		p["a"] = q.After
	}
	if q.Before != nil {
		conds = append(conds, keyset(exprs, "b", desc, true))
		p["b"] = q.Before
	}
	var b strings.Builder
	si, ok := scopeIndexes[q.Scope]
	ordered := ok && slices.Contains(si.keys, exprs[0])
	pageMatch := match
	if ordered {
		index := "Measure(" + si.prop + ", " + strings.TrimPrefix(exprs[0], "m.") + ")"
		// The hint keeps the planner on this index. Right after a large
		// load, with stale statistics, it was seen to read the whole plan
		// without the hint (4,000 rows for a page of 20), and with it to
		// scan the index rather than seek, until the statistics were
		// resampled (Load does that: RefreshStatistics).
		pageMatch = strings.Replace(match, "MATCH (m:Measure)", "MATCH (m:Measure) USING INDEX m:"+index, 1)
	}
	b.WriteString("CALL {\n  WITH scope\n  ")
	b.WriteString(pageMatch)
	b.WriteString(filter)
	if strings.HasPrefix(exprs[0], "m.") && len(conds) == 0 {
		// An always-true bound on the first sort key lets Neo4j read it in
		// index order (with a LIMIT it stops after the page). A cursor's
		// bound does that by itself, and better: given both, the planner
		// seeks on IS NOT NULL and reads the index from the start.
		b.WriteString("\n  AND " + exprs[0] + " IS NOT NULL")
	}
	for _, c := range conds {
		b.WriteString("\n  AND " + c)
	}
	b.WriteString("\n  WITH m ORDER BY ")
	if ordered {
		// The scope's property is constant here; naming it first lets Neo4j
		// read the composite index (scope property, sort key) in order and
		// stop after the page instead of sorting the whole scope.
		b.WriteString("m." + si.prop)
		if desc[0] != backward {
			b.WriteString(" DESC")
		}
		b.WriteString(", ")
	}
	for i := range exprs {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(exprs[i])
		if desc[i] != backward {
			b.WriteString(" DESC")
		}
	}
	rel, err := prefetchExpr("m", q.Prefetch, 0)
	if err != nil {
		return nil, err
	}
	node, err := projection("m", q.Props)
	if err != nil {
		return nil, err
	}
	b.WriteString("\n  LIMIT $limit\n  RETURN collect({node: " + node + ", keys: " + keyList + ", rel: " + rel + "}) AS rows\n}\n")
	if q.WantTotal {
		b.WriteString("CALL {\n  WITH scope\n  " + match + filter + "\n  RETURN count(m) AS total\n}\n")
	} else {
		b.WriteString("WITH *, 0 AS total\n")
	}
	body := b.String()
	return &compiledMeasures{cypher: "UNWIND $scopes AS scope\n" + body + "RETURN scope, rows, total", params: p, nkeys: len(exprs), body: body}, nil
}

// keyset is the condition "the sort key comes strictly after (or, before,
// strictly before) the cursor $c" for the given directions, over the sort
// expressions themselves so that Neo4j can use their indexes.
//
// The first key alone bounds the range (>= or <=), a sargable predicate the
// planner turns into an index seek that starts at the cursor. The rest is
// one CASE over the keys in order (the first key that differs from the
// cursor decides), not the textbook OR of ANDs: the planner splits that OR
// into a union of index seeks and loses the index order, so a page deep in
// a 100,000-measure plan sorted the whole tail (PROFILE: 88,332 index rows,
// ~500 ms) where the CASE form reads 37 rows in order and stops (~8 ms).
func keyset(exprs []string, c string, desc []bool, before bool) string {
	op := func(i int) string {
		if desc[i] != before {
			return "<"
		}
		return ">"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s= $%s[0] AND CASE", exprs[0], op(0), c)
	last := len(exprs) - 1
	for i := 0; i < last; i++ {
		fmt.Fprintf(&b, " WHEN %[1]s <> $%[2]s[%[3]d] THEN %[1]s %[4]s $%[2]s[%[3]d]", exprs[i], c, i, op(i))
	}
	fmt.Fprintf(&b, " ELSE %[1]s %[4]s $%[2]s[%[3]d] END", exprs[last], c, last, op(last))
	return b.String()
}

// Measures implements plan.Store: one round trip for every scope id.
func (s *Store) Measures(ctx context.Context, q plan.MeasureQuery, scopeIDs []plan.ID) (map[plan.ID]*plan.MeasurePage, error) {
	scopes := idStrings(scopeIDs)
	if q.Scope == plan.ScopeAll {
		scopes = []string{""}
	}
	cm, err := compileMeasures(q, scopes)
	if err != nil {
		return nil, err
	}
	recs, err := s.read(ctx, cm.cypher, cm.params)
	if err != nil {
		return nil, fmt.Errorf("page measures (%s scope, %d scopes): %w", q.Scope, len(scopes), err)
	}
	out := make(map[plan.ID]*plan.MeasurePage, len(recs))
	for _, rec := range recs {
		scope, _, _ := neo4j.GetRecordValue[string](rec, "scope")
		page, err := scanPage(rec, q)
		if err != nil {
			return nil, fmt.Errorf("page measures: %w", err)
		}
		out[plan.ID(scope)] = page
	}
	return out, nil
}

// scanPage reads the rows and total of one scope's page from rec.
func scanPage(rec *neo4j.Record, q plan.MeasureQuery) (*plan.MeasurePage, error) {
	limit := 20
	if q.First != nil {
		limit = *q.First
	}
	if q.Last != nil {
		limit = *q.Last
	}
	rows, _, err := neo4j.GetRecordValue[[]any](rec, "rows")
	if err != nil {
		return nil, err
	}
	total, _, _ := neo4j.GetRecordValue[int64](rec, "total")
	page := &plan.MeasurePage{TotalCount: int(total)}
	more := len(rows) > limit
	if more {
		rows = rows[:limit]
	}
	if len(q.Prefetch) > 0 {
		page.Related = plan.Prefetched{}
	}
	for _, r := range rows {
		row := r.(map[string]any)
		props, err := nodeProps(row["node"])
		if err != nil {
			return nil, err
		}
		m := scanMeasure(props)
		page.Measures = append(page.Measures, m)
		if len(q.Prefetch) > 0 {
			if err := scanPrefetched(m.ID, row["rel"], q.Prefetch, page.Related); err != nil {
				return nil, fmt.Errorf("prefetched: %w", err)
			}
		}
		keys, _ := row["keys"].([]any)
		page.Keys = append(page.Keys, keys)
	}
	if q.Last != nil {
		reverse(page.Measures)
		reverse(page.Keys)
		page.HasPreviousPage = more
		page.HasNextPage = q.Before != nil
	} else {
		page.HasNextPage = more
		page.HasPreviousPage = q.After != nil
	}
	return page, nil
}

func reverse[T any](s []T) {
	for i, j := 0, len(s)-1; i < j; i, j = i+1, j-1 {
		s[i], s[j] = s[j], s[i]
	}
}

func optInt(p *int) any {
	if p == nil {
		return nil
	}
	return int64(*p)
}
