package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/shenzhenplan/kgapi/plan"
)

// CompileMeasures exposes the measure-page compiler to the external tests,
// which PROFILE what it emits: the query a page is read with first.
func CompileMeasures(q plan.MeasureQuery, scopes []string) (string, map[string]any, error) {
	cm, err := compileMeasures(q, scopes)
	if err != nil {
		return "", nil, err
	}
	return cm.cypher, cm.params, nil
}

// StaleDerived lists what the graph derives and no longer matches its
// facts: nodes whose kept measure counts (total, by status, by section and
// by aspect) differ from a recount, and measure links whose keys differ
// from their measure's (linkKeys). Empty when the writers kept everything
// up to date.
func StaleDerived(ctx context.Context, s *Store) ([]string, error) {
	var stale []string
	for _, sc := range countedScopes {
		d := measureScopes[sc]
		checks := []string{"coalesce(c.measureCount, -1) <> reduce(t = 0, x IN by | t + x.n)"}
		for _, st := range plan.Statuses {
			checks = append(checks, fmt.Sprintf("coalesce(c.%s, -1) <> reduce(t = 0, x IN by | t + CASE WHEN x.s = '%s' THEN x.n ELSE 0 END)", statusCountProp(st), st))
		}
		// Every section and aspect count it keeps is a recount, and every
		// section and aspect of its measures has one.
		checks = append(checks, "NOT "+keepsCounts("c"), "c.keptSectionCounts IS NOT NULL")
		for _, f := range keptCountFamilies {
			key, named := f.of("x")
			checks = append(checks,
				"any(k IN keys(c) WHERE k STARTS WITH '"+f.prefix+"' AND c[k] <> reduce(t = 0, x IN by | t + CASE WHEN "+key+" = k THEN x.n ELSE 0 END))",
				"any(x IN by WHERE "+named+" AND c["+key+"] IS NULL)")
		}
		what, err := readWhat(ctx, s, "MATCH (c:"+d.label+")\nWITH c, "+byStatus(d, "c")+" AS by\nWHERE "+strings.Join(checks, " OR ")+"\nRETURN 'count of ' + c.id AS what")
		if err != nil {
			return nil, err
		}
		stale = append(stale, what...)
	}
	// The link keys: the loader's own condition, and which keys differ.
	what, err := readWhat(ctx, s, "MATCH (m:Measure)-[r:"+strings.Join(linkTypes, "|")+"]->(h)\nWHERE "+linkKeysDiffer("r", "m", "h")+
		"\nRETURN 'keys of ' + m.id + ' ' + type(r) + ' ' + h.id + ' (' + coalesce(r.dataset, '-') + '): ' + reduce(d = '', k IN keys(r) | d + CASE WHEN k IN ['hub', 'mid', 'source', 'excerpt', 'dataset', 'propsHash'] OR toString(r[k]) = toString(m[k]) THEN '' ELSE k + '=' + toString(r[k]) + '/' + coalesce(toString(m[k]), 'null') + ' ' END) AS what")
	if err != nil {
		return nil, err
	}
	return append(stale, what...), nil
}

// readWhat runs cypher and returns its column what.
func readWhat(ctx context.Context, s *Store, cypher string) ([]string, error) {
	recs, err := s.read(ctx, cypher, nil)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(recs))
	for _, r := range recs {
		w, err := recordValue[string](r, "what")
		if err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	return out, nil
}

// SetGroupedMinScopes sets how many scopes a level needs for grouped
// reads (the planner test's data has fewer places than the default), and
// returns the function that restores it.
func SetGroupedMinScopes(n int) (restore func()) {
	old := groupedMinScopes
	groupedMinScopes = n
	return func() { groupedMinScopes = old }
}

// DowngradeCounts makes every node that keeps counts keep them as the
// previous version did (until 3 December 2026): the section and aspect
// counts under the marker keptSectionCounts, no section-status or
// aspect-status counts —
// what the loader must notice and refresh.
func DowngradeCounts(ctx context.Context, s *Store) error {
	_, err := s.write(ctx, func(tx neo4j.ManagedTransaction) (any, error) {
		res, err := tx.Run(ctx, "MATCH (c) WHERE c."+keptCounts+" IS NOT NULL\n"+
			"FOREACH (k IN "+keysStartingWith("c", sectionStatusCountPrefix, aspectStatusCountPrefix)+" | SET c[k] = null)\n"+
			"SET c.keptSectionCounts = true\n"+
			"REMOVE c."+keptCounts, nil)
		if err != nil {
			return nil, err
		}
		_, err = res.Consume(ctx)
		return struct{}{}, err // not nil: the driver casts it
	})
	return err
}

// AnchorPicks exposes the choice of anchor for the reads a walk gave up
// on (walkHubs set) and for counts: the scopes by the name of the anchor
// chosen for them (scope, sectors, projects, places, years, event, text,
// or scan: the scope's own index).
func AnchorPicks(ctx context.Context, s *Store, q plan.MeasureQuery, scopes []string, walkHubs bool) (map[string][]string, error) {
	mp, err := newMeasurePlan(q, scopes)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, a := range mp.anchors {
		names = append(names, a.name)
	}
	if mp.def.rel == "" {
		names = append(names, "scan")
	}
	picks, err := s.anchorPicks(ctx, q, scopes, walkHubs)
	if err != nil {
		return nil, err
	}
	out := map[string][]string{}
	for i, ss := range picks {
		out[names[i]] = ss
	}
	return out, nil
}
