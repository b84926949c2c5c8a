package store

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/shenzhenplan/kgapi/plan"
)

// Every node that holds measures (a plan, section, aspect, project, sector,
// place or milestone) keeps how many it holds in its measureCount property
// (a place counts the measures of the places within it too, once each). The
// measure-page planner reads it for an unfiltered totalCount and to size
// the anchors it may read a page from (store/measures.go). The loader sets
// it after every load that changed something; each mutation updates the
// counts it changes, in its own transaction.

// countedScopes are the scopes whose nodes keep a measure count, in a
// fixed order.
var countedScopes = []plan.Scope{plan.ScopePlan, plan.ScopeSection, plan.ScopeAspect, plan.ScopeProject, plan.ScopeSector, plan.ScopePlace, plan.ScopeMilestone}

// statusCountProp is the property in which a node keeps how many of its
// measures have status st.
func statusCountProp(st plan.Status) string { return "statusCount" + string(st) }

// A node also keeps how many of its measures lie in each section number
// (sectionCount<n>), in each aspect of a section (aspectCount<s>_<a>), in
// each section with each status (sectionStatusCount<n>_<status>) and in
// each aspect with each status (aspectStatusCount<s>_<a>_<status>),
// whatever their plan: what a section or aspect filter, with a status
// filter or without, on a sector's, project's, place's or milestone's
// measures counts. keptCounts marks the nodes that keep them with the
// version of what they keep (a graph written before has an older version,
// or none); the planner reads them only from nodes that keep them all.
const (
	keptCounts        = "keptCounts"
	keptCountsVersion = 3
)

// The prefixes of the kept counts' property names.
const (
	sectionCountPrefix       = "sectionCount"
	aspectCountPrefix        = "aspectCount"
	sectionStatusCountPrefix = "sectionStatusCount"
	aspectStatusCountPrefix  = "aspectStatusCount"
)

// keptCountFamilies are the counts countsSet writes per section, aspect
// and status: each property's prefix, and the fields of countsSet's
// {s, sec, asp, n} maps that name it.
var keptCountFamilies = []countFamily{
	{sectionCountPrefix, []string{"sec"}},
	{aspectCountPrefix, []string{"sec", "asp"}},
	{sectionStatusCountPrefix, []string{"sec", "s"}},
	{aspectStatusCountPrefix, []string{"sec", "asp", "s"}},
}

// countFamily is a kind of kept count: its properties' prefix and the
// fields of countsSet's {s, sec, asp, n} maps that name each property.
type countFamily struct {
	prefix string
	fields []string
}

// of is the expression of the property name that counts map x, and the
// condition "x has every field that names it".
func (f countFamily) of(x string) (key, named string) {
	fields, known := make([]string, len(f.fields)), make([]string, len(f.fields))
	for i, fd := range f.fields {
		fields[i], known[i] = x+"."+fd, x+"."+fd+" IS NOT NULL"
	}
	return countKey(f.prefix, fields...), strings.Join(known, " AND ")
}

// countKey is the expression of a kept count's property name: prefix,
// then parts (expressions) joined by '_'.
func countKey(prefix string, parts ...string) string {
	return "'" + prefix + "' + " + strings.Join(parts, " + '_' + ")
}

// keysStartingWith is the list of c's property names that start with one
// of prefixes.
func keysStartingWith(c string, prefixes ...string) string {
	conds := make([]string, len(prefixes))
	for i, p := range prefixes {
		conds[i] = "k STARTS WITH '" + p + "'"
	}
	return "[k IN keys(" + c + ") WHERE " + strings.Join(conds, " OR ") + "]"
}

var (
	sectionCountKey = countKey(sectionCountPrefix, "toString($section)")
	aspectCountKey  = countKey(aspectCountPrefix, "toString($section)", "toString($aspect)")
)

// keepsCounts is the condition "node c keeps every count countsSet writes".
func keepsCounts(c string) string {
	return fmt.Sprintf("coalesce(%s.%s >= %d, false)", c, keptCounts, keptCountsVersion)
}

// aspectCountsSum is the expression of how many of node c's measures lie
// in an aspect numbered $aspect, of any section: the sum of its
// aspectCount<s>_<$aspect> counts.
func aspectCountsSum(c string) string {
	return "reduce(t = 0, k IN keys(" + c + ") | t + CASE WHEN k STARTS WITH '" + aspectCountPrefix + "' AND k ENDS WITH '_' + toString($aspect) THEN " + c + "[k] ELSE 0 END)"
}

// sectionStatusCountsSum is the expression of how many of node c's
// measures numbered $section have one of $statuses.
func sectionStatusCountsSum(c string) string {
	return "reduce(t = 0, st IN $statuses | t + coalesce(" + c + "[" + countKey(sectionStatusCountPrefix, "toString($section)", "st") + "], 0))"
}

// aspectStatusCountsSum is the expression of how many of node c's
// measures in aspect $aspect of section $section (of any section, when
// $section is null) have one of $statuses.
func aspectStatusCountsSum(c string) string {
	return "CASE WHEN $section IS NULL THEN reduce(t = 0, k IN keys(" + c + ") | t + CASE WHEN k STARTS WITH '" + aspectStatusCountPrefix + "' AND any(st IN $statuses WHERE k ENDS WITH '_' + toString($aspect) + '_' + st) THEN " + c + "[k] ELSE 0 END)\n" +
		"    ELSE reduce(t = 0, st IN $statuses | t + coalesce(" + c + "[" + countKey(aspectStatusCountPrefix, "toString($section)", "toString($aspect)", "st") + "], 0)) END"
}

// countsSet is the clause that gives node c its kept counts from by, a list
// of {s: status, sec: section number, asp: aspect number, n: count} maps:
// the total, per status, and each of keptCountFamilies (those it kept
// before are cleared first).
func countsSet(c, by string) string {
	parts := []string{c + ".measureCount = reduce(t = 0, x IN " + by + " | t + x.n)"}
	for _, st := range plan.Statuses {
		parts = append(parts, fmt.Sprintf("%s.%s = coalesce(reduce(t = 0, x IN [x IN %s WHERE x.s = '%s'] | t + x.n), 0)", c, statusCountProp(st), by, st))
	}
	// keptSectionCounts marked the nodes that kept the section and aspect
	// counts (until 3 December 2026): keptCounts replaces it.
	parts = append(parts, fmt.Sprintf("%s.%s = %d", c, keptCounts, keptCountsVersion), c+".keptSectionCounts = null")
	prefixes := make([]string, len(keptCountFamilies))
	for i, f := range keptCountFamilies {
		prefixes[i] = f.prefix
	}
	var b strings.Builder
	b.WriteString("FOREACH (k IN " + keysStartingWith(c, prefixes...) + " | SET " + c + "[k] = null)\n")
	for _, f := range keptCountFamilies {
		key, named := f.of("x")
		b.WriteString("FOREACH (x IN [x IN " + by + " WHERE " + named + "] |\n" +
			"  SET " + c + "[" + key + "] = coalesce(" + c + "[" + key + "], 0) + x.n)\n")
	}
	return b.String() + "SET " + strings.Join(parts, ", ")
}

// byStatus is the expression of the {s, sec, asp, n} list of node c of
// scope d: its measures counted by status, section number and aspect
// number.
func byStatus(d scopeDef, c string) string {
	body := strings.TrimSuffix(strings.TrimSuffix(d.measuresOf(c), " RETURN m"), " RETURN DISTINCT m")
	distinct := ""
	if d.closure {
		distinct = " WITH DISTINCT m"
	}
	return "COLLECT { " + body + distinct + " WITH m.status AS s, m.sectionNumber AS sec, m.aspectNumber AS asp, count(*) AS n RETURN {s: s, sec: sec, asp: asp, n: n} }"
}

// refreshCountsCypher recomputes the counts of each node of $ids.
var refreshCountsCypher = func() string {
	var b strings.Builder
	b.WriteString("UNWIND $ids AS id\nMATCH (c:Entity {id: id})\nWITH c, CASE")
	for _, sc := range countedScopes {
		d := measureScopes[sc]
		fmt.Fprintf(&b, "\n  WHEN c:%s THEN %s", d.label, byStatus(d, "c"))
	}
	b.WriteString("\n  END AS by\nWITH c, by WHERE by IS NOT NULL\n" + countsSet("c", "by") + "\nRETURN count(c) AS n")
	return b.String()
}()

// refreshCounts recomputes the measure counts of the nodes ids in tx.
func refreshCounts(ctx context.Context, tx neo4j.ManagedTransaction, ids []string) error {
	res, err := tx.Run(ctx, refreshCountsCypher, map[string]any{"ids": ids})
	if err == nil {
		_, err = res.Consume(ctx)
	}
	if err != nil {
		return fmt.Errorf("refresh the measure counts of %d nodes: %w", len(ids), err)
	}
	return nil
}

// countsMissing reports whether a node that keeps counts lacks some: it
// was counted before the section and aspect counts were kept.
func countsMissing(run func(string, map[string]any) ([]*neo4j.Record, error)) (bool, error) {
	labels := make([]string, len(countedScopes))
	for i, sc := range countedScopes {
		labels[i] = measureScopes[sc].label
	}
	recs, err := run("RETURN EXISTS { MATCH (c:"+strings.Join(labels, "|")+") WHERE NOT "+keepsCounts("c")+" } AS missing", nil)
	if err != nil {
		return false, fmt.Errorf("look for nodes without their kept counts: %w", err)
	}
	if len(recs) == 0 {
		return false, nil
	}
	return recordValue[bool](recs[0], "missing")
}

// refreshAllCounts recomputes the counts of every node that keeps them,
// one label per statement through run (the loader's batch runner).
func refreshAllCounts(run func(string, map[string]any) ([]*neo4j.Record, error)) error {
	for _, sc := range countedScopes {
		d := measureScopes[sc]
		cypher := "MATCH (c:" + d.label + ")\nWITH c, " + byStatus(d, "c") + " AS by\n" + countsSet("c", "by") + "\nRETURN count(c) AS n"
		if _, err := run(cypher, nil); err != nil {
			return fmt.Errorf("count the measures of each %s: %w", d.label, err)
		}
	}
	return nil
}

// scopeNodesOf is the subquery body that yields every node c that counts
// the measure m: its plan, section and aspect, the projects, sectors and
// milestones it links to, and the places it is located in with the places
// they are within; each once.
const scopeNodesOf = `MATCH (c:Entity) WHERE c.id IN [m.plan, m.sectionId, m.aspectId] RETURN c
  UNION
  WITH m MATCH (m)-[:` + plan.RelTypeAdvances + `|` + plan.RelTypeInSector + `|` + plan.RelTypeDueBy + `]->(c) RETURN c
  UNION
  WITH m MATCH (m)-[:` + plan.RelTypeLocatedIn + `]->(:Place)-[:` + plan.RelTypeWithin + `*0..8]->(c:Place) RETURN c`

// moveStatusCount moves measure id's count from status from to status to
// on every node that counts it, in tx.
func moveStatusCount(ctx context.Context, tx neo4j.ManagedTransaction, id string, from, to plan.Status) error {
	if from == to {
		return nil
	}
	if !slices.Contains(plan.Statuses, from) || !slices.Contains(plan.Statuses, to) {
		// Not a status the counts know (property names are spliced from
		// the allow-list only): count again from the measures.
		return refreshCountsOf(ctx, tx, id)
	}
	cypher := "MATCH (m:Measure {id: $id})\nCALL {\n  WITH m\n  " + scopeNodesOf + "\n}\n" +
		fmt.Sprintf("SET c.%[1]s = coalesce(c.%[1]s, 0) - 1, c.%[2]s = coalesce(c.%[2]s, 0) + 1\n", statusCountProp(from), statusCountProp(to)) +
		// And between its section-status and aspect-status counts, on
		// nodes that keep them.
		"FOREACH (x IN CASE WHEN m.sectionNumber IS NOT NULL AND " + keepsCounts("c") + " THEN [{sec: m.sectionNumber, asp: m.aspectNumber}] ELSE [] END |\n" +
		"  SET " + moved(countKey(sectionStatusCountPrefix, "x.sec", "$from"), countKey(sectionStatusCountPrefix, "x.sec", "$to")) + ")\n" +
		"FOREACH (x IN CASE WHEN m.sectionNumber IS NOT NULL AND m.aspectNumber IS NOT NULL AND " + keepsCounts("c") + " THEN [{sec: m.sectionNumber, asp: m.aspectNumber}] ELSE [] END |\n" +
		"  SET " + moved(countKey(aspectStatusCountPrefix, "x.sec", "x.asp", "$from"), countKey(aspectStatusCountPrefix, "x.sec", "x.asp", "$to")) + ")"
	res, err := tx.Run(ctx, cypher, map[string]any{"id": id, "from": string(from), "to": string(to)})
	if err == nil {
		_, err = res.Consume(ctx)
	}
	if err != nil {
		return fmt.Errorf("move the status count of %s from %s to %s: %w", id, from, to, err)
	}
	return nil
}

// moved is the SET list that moves one measure from count property from
// to count property to (both expressions) of node c.
func moved(from, to string) string {
	return "c[" + from + "] = coalesce(c[" + from + "], 0) - 1, c[" + to + "] = coalesce(c[" + to + "], 0) + 1"
}

// RefreshDerived recomputes, in one write transaction, what the graph
// derives from its facts: every kept measure count and the keys on every
// link of a measure to a scope node (linkKeys). The loader and the API
// keep both up to date themselves; who writes to the graph by other means
// calls this afterwards.
func (s *Store) RefreshDerived(ctx context.Context) error {
	_, err := s.write(ctx, func(tx neo4j.ManagedTransaction) (any, error) {
		run := func(cypher string, params map[string]any) ([]*neo4j.Record, error) {
			res, err := tx.Run(ctx, cypher, params)
			if err != nil {
				return nil, err
			}
			return res.Collect(ctx)
		}
		if _, err := run("MATCH (m:Measure)-[r:"+strings.Join(linkTypes, "|")+"]->(h)\n"+linkKeysSet("r", "m", "h"), nil); err != nil {
			return nil, fmt.Errorf("link keys: %w", err)
		}
		err := refreshAllCounts(run)
		// The driver casts the result to the transaction function's type:
		// it must not be a nil interface.
		return err == nil, err
	})
	if err != nil {
		return fmt.Errorf("refresh the derived properties: %w", err)
	}
	return nil
}

// refreshCountsOf recomputes the counts of every node that counts measure
// id, in tx.
func refreshCountsOf(ctx context.Context, tx neo4j.ManagedTransaction, id string) error {
	res, err := tx.Run(ctx, "MATCH (m:Measure {id: $id})\nCALL {\n  WITH m\n  "+scopeNodesOf+"\n}\nRETURN collect(c.id) AS ids", map[string]any{"id": id})
	if err != nil {
		return fmt.Errorf("the nodes that count %s: %w", id, err)
	}
	rec, err := res.Single(ctx)
	if err != nil {
		return fmt.Errorf("the nodes that count %s: %w", id, err)
	}
	raw, err := recordValue[[]any](rec, "ids")
	if err != nil {
		return fmt.Errorf("the nodes that count %s: %w", id, err)
	}
	ids := make([]string, 0, len(raw))
	for i, v := range raw {
		s, err := as[string](v, fmt.Sprintf("id %d of the nodes that count %s", i, id))
		if err != nil {
			return err
		}
		ids = append(ids, s)
	}
	return refreshCounts(ctx, tx, ids)
}
