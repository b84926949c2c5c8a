package store

import (
	"context"
	"fmt"
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

// refreshCountsCypher recomputes the count of each node of $ids.
var refreshCountsCypher = func() string {
	var b strings.Builder
	b.WriteString("UNWIND $ids AS id\nMATCH (c:Entity {id: id})\nSET c.measureCount = CASE")
	for _, sc := range countedScopes {
		d := measureScopes[sc]
		fmt.Fprintf(&b, "\n  WHEN c:%s THEN %s", d.label, d.countExpr("c"))
	}
	b.WriteString("\n  ELSE c.measureCount END\nRETURN count(c) AS n")
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

// refreshAllCounts recomputes the measure count of every node that keeps
// one, one label per statement through run (the loader's batch runner).
func refreshAllCounts(run func(string, map[string]any) ([]*neo4j.Record, error)) error {
	for _, sc := range countedScopes {
		d := measureScopes[sc]
		cypher := "MATCH (c:" + d.label + ") SET c.measureCount = " + d.countExpr("c") + " RETURN count(c) AS n"
		if _, err := run(cypher, nil); err != nil {
			return fmt.Errorf("count the measures of each %s: %w", d.label, err)
		}
	}
	return nil
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
