package store

import (
	"context"
	"fmt"

	"github.com/shenzhenplan/kgapi/plan"
)

// statsCypher computes every figure of plan.Stats in one round trip, from
// what the graph keeps rather than from the measures themselves (which read
// 100,000 measures in 3 s): the counts scope nodes keep (store/counts.go)
// and the keys on measures' links, read from the links' (hub, plan)
// indexes. $plan is the plan's id. A section or aspect whose count is
// missing (written around the API and the loader) is counted from its
// measures.
var statsCypher = `CALL {
  OPTIONAL MATCH (p:Plan {id: $plan})
  WITH p WHERE p IS NOT NULL
  RETURN collect(p) AS plans
}
CALL {
  WITH plans UNWIND plans AS p
  MATCH (p)-[:` + plan.RelTypeHasSection + `]->(s:Section)
  WITH p, s, coalesce(s.measureCount, COUNT { (m:Measure {sectionId: s.id}) }) AS c WHERE c > 0
  WITH s, c ORDER BY p.id, s.number
  RETURN collect({key: 'S' + s.number, label: s.title, count: c}) AS bySection, sum(c) AS measures
}
CALL {
  WITH plans UNWIND plans AS p
  MATCH (p)-[:` + plan.RelTypeHasSection + `]->(s:Section)-[:` + plan.RelTypeHasAspect + `]->(a:Aspect)
  WITH p, s, a, coalesce(a.measureCount, COUNT { (m:Measure {aspectId: a.id}) }) AS c WHERE c > 0
  WITH s, a, c ORDER BY p.id, s.number, a.number
  RETURN collect({key: 'S' + s.number + '.A' + a.number, label: a.title, count: c}) AS byAspect
}
CALL {
  WITH plans
  MATCH (x:Sector)
  WITH x, COUNT { MATCH ()-[r:` + plan.RelTypeInSector + `]->() WHERE r.hub = x.id AND r.plan = $plan } AS c
  WITH x, c WHERE c > 0 ORDER BY c DESC, x.slug
  RETURN collect({key: x.slug, label: x.name, count: c}) AS bySector, count(x) AS sectors
}
CALL {
  MATCH (x:Milestone)
  MATCH ()-[r:` + plan.RelTypeDueBy + `]->() WHERE r.hub = x.id AND r.plan = $plan
  WITH x.year AS y, collect(DISTINCT x.label)[0] AS label, count(DISTINCT r.mid) AS c ORDER BY y
  RETURN collect({key: toString(y), label: label, count: c}) AS byYear
}
CALL {
  WITH plans UNWIND plans AS p
  UNWIND $statuses AS st
  WITH st, sum(coalesce(p['statusCount' + st], 0)) AS c
  WITH st, c WHERE c > 0 ORDER BY st
  RETURN collect({key: st, label: st, count: c}) AS byStatus
}
CALL {
  RETURN COUNT { MATCH (h:Project) WHERE EXISTS { MATCH ()-[r:` + plan.RelTypeAdvances + `]->() WHERE r.hub = h.id AND r.plan = $plan } } AS projects,
    COUNT { MATCH (h:Place) WHERE EXISTS { MATCH ()-[r:` + plan.RelTypeLocatedIn + `]->() WHERE r.hub = h.id AND r.plan = $plan } } AS places
}
RETURN measures, projects, sectors, places, bySection, byAspect, bySector, byYear, byStatus`

// allStatsCypher computes the stats of all plans together from their
// measures (the kept counts are per plan and per hub, not across plans).
const allStatsCypher = `CALL {
  MATCH (m:Measure) WHERE $plan IS NULL OR m.plan = $plan
  RETURN collect(m) AS ms
}
CALL {
  WITH ms UNWIND ms AS m
  MATCH (s:Section {id: m.sectionId})
  WITH s, count(m) AS c ORDER BY s.plan, s.number
  RETURN collect({key: 'S' + s.number, label: s.title, count: c}) AS bySection
}
CALL {
  WITH ms UNWIND ms AS m
  MATCH (a:Aspect {id: m.aspectId})<-[:HAS_ASPECT]-(s:Section)
  WITH a, s, count(m) AS c ORDER BY a.plan, s.number, a.number
  RETURN collect({key: 'S' + s.number + '.A' + a.number, label: a.title, count: c}) AS byAspect
}
CALL {
  WITH ms UNWIND ms AS m
  MATCH (m)-[:IN_SECTOR]->(x:Sector)
  WITH x, count(DISTINCT m) AS c ORDER BY c DESC, x.slug
  RETURN collect({key: x.slug, label: x.name, count: c}) AS bySector
}
CALL {
  WITH ms UNWIND ms AS m
  MATCH (m)-[:DUE_BY]->(x:Milestone)
  WITH x.year AS y, collect(DISTINCT x.label)[0] AS label, count(DISTINCT m) AS c ORDER BY y
  RETURN collect({key: toString(y), label: label, count: c}) AS byYear
}
CALL {
  WITH ms UNWIND ms AS m
  WITH m.status AS st, count(m) AS c ORDER BY st
  RETURN collect({key: st, label: st, count: c}) AS byStatus
}
CALL {
  WITH ms UNWIND ms AS m
  OPTIONAL MATCH (m)-[:ADVANCES]->(p:Project)
  OPTIONAL MATCH (m)-[:IN_SECTOR]->(x:Sector)
  OPTIONAL MATCH (m)-[:LOCATED_IN]->(l:Place)
  RETURN count(DISTINCT p) AS projects, count(DISTINCT x) AS sectors, count(DISTINCT l) AS places
}
RETURN size(ms) AS measures, projects, sectors, places, bySection, byAspect, bySector, byYear, byStatus`

// Stats implements plan.Store. For one plan, projects, sectors and places
// count those its measures link to; for all plans (planSlug ""), every node of those kinds.
func (s *Store) Stats(ctx context.Context, planSlug string) (*plan.Stats, error) {
	statuses := make([]string, len(plan.Statuses))
	for i, st := range plan.Statuses {
		statuses[i] = string(st)
	}
	cypher := statsCypher
	if planSlug == "" {
		cypher = allStatsCypher
	}
	recs, err := s.read(ctx, cypher, map[string]any{"plan": nullable(planIDOf(planSlug)), "statuses": statuses})
	if err != nil {
		return nil, fmt.Errorf("stats of plan %q: %w", planSlug, err)
	}
	rec := recs[0]
	st := &plan.Stats{}
	for col, dst := range map[string]*int{"measures": &st.Measures, "projects": &st.Projects, "sectors": &st.Sectors, "places": &st.Places} {
		n, err := recordValue[int64](rec, col)
		if err != nil {
			return nil, fmt.Errorf("stats: %s: %w", col, err)
		}
		*dst = int(n)
	}
	for col, dst := range map[string]*[]plan.Count{"bySection": &st.BySection, "byAspect": &st.ByAspect, "bySector": &st.BySector, "byYear": &st.ByMilestoneYear, "byStatus": &st.ByStatus} {
		l, err := recordValue[[]any](rec, col)
		if err != nil {
			return nil, fmt.Errorf("stats: %s: %w", col, err)
		}
		if *dst, err = scanCounts(l, col); err != nil {
			return nil, fmt.Errorf("stats: %w", err)
		}
	}
	if planSlug == "" {
		recs, err := s.read(ctx, "RETURN COUNT { (:Project) } AS projects, COUNT { (:Sector) } AS sectors, COUNT { (:Place) } AS places", nil)
		if err != nil {
			return nil, fmt.Errorf("stats: count nodes: %w", err)
		}
		for col, dst := range map[string]*int{"projects": &st.Projects, "sectors": &st.Sectors, "places": &st.Places} {
			n, err := recordValue[int64](recs[0], col)
			if err != nil {
				return nil, fmt.Errorf("stats: count nodes: %w", err)
			}
			*dst = int(n)
		}
	}
	return st, nil
}

// scanCounts reads a list of {key, label, count} maps (column col). A key or
// label may be null (a measure without status, a milestone year without a
// label) and reads as ""; the count may not.
func scanCounts(l []any, col string) ([]plan.Count, error) {
	out := make([]plan.Count, 0, len(l))
	for i, v := range l {
		what := fmt.Sprintf("%s[%d]", col, i)
		m, err := as[map[string]any](v, what)
		if err != nil {
			return nil, err
		}
		key, err := asOpt[string](m["key"], what+".key")
		if err != nil {
			return nil, err
		}
		label, err := asOpt[string](m["label"], what+".label")
		if err != nil {
			return nil, err
		}
		c, err := as[int64](m["count"], what+".count")
		if err != nil {
			return nil, err
		}
		out = append(out, plan.Count{Key: key, Label: label, Count: int(c)})
	}
	return out, nil
}
