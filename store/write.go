package store

import (
	"context"
	"fmt"
	"sort"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/shenzhenplan/kgapi/plan"
)

// Outcome counts what a load did to one label or relationship type.
type Outcome struct {
	Created, Updated, Unchanged, Deleted int
}

// Changed reports whether anything was created, updated or deleted.
func (o Outcome) Changed() bool { return o.Created+o.Updated+o.Deleted > 0 }

// LoadReport is what a load did (or, in a dry run, would do).
type LoadReport struct {
	Nodes map[string]Outcome // by label
	Rels  map[string]Outcome // by relationship type
}

// Changed reports whether the load changed anything.
func (r *LoadReport) Changed() bool {
	for _, o := range r.Nodes {
		if o.Changed() {
			return true
		}
	}
	for _, o := range r.Rels {
		if o.Changed() {
			return true
		}
	}
	return false
}

// LoadOptions tune a load.
type LoadOptions struct {
	// DryRun runs the whole load in one transaction and rolls it back.
	DryRun bool
	// Prune deletes the nodes and relationships this dataset wrote before but no longer holds.
	Prune bool
	// BatchSize is the number of rows per UNWIND batch and write transaction (0: 5000).
	BatchSize int
	// Progress, when set, is told after each batch.
	Progress func(what string, done, total int)
}

// nodeWrite writes nodes of one label: new ones are created, changed ones
// updated, unchanged ones (same property hash) not written at all. The label
// is spliced from the allow-list only. (The loader is the only writer of a
// dataset's nodes at a time; rows are distinct.)
func nodeWrite(k plan.Kind) string {
	return `UNWIND $rows AS row
OPTIONAL MATCH (old:` + string(k) + ` {id: row.id})
WITH row, old, CASE WHEN old IS NULL THEN 'created' WHEN old.loadHash = row.hash THEN 'unchanged' ELSE 'updated' END AS outcome
CALL {
  WITH row, outcome
  WITH row WHERE outcome = 'created'
  CREATE (n:` + string(k) + `:Entity {id: row.id})
  SET n += row.props, n.loadHash = row.hash
}
CALL {
  WITH row, old, outcome
  WITH row, old AS n, old.status AS keptStatus WHERE outcome = 'updated'
  SET n += row.props, n.loadHash = row.hash
  // A status set through the API (setMeasureStatus) is newer than the file: keep it.
  SET n.status = CASE WHEN n.statusSetBy IS NOT NULL THEN keptStatus ELSE n.status END
}
RETURN outcome, count(*) AS n`
}

// relWrite writes relationships of one type between existing nodes, the
// same way: created, updated or left alone.
func relWrite(typ string) string {
	key := ""
	same := `old.source = row.source AND old.excerpt = row.excerpt AND old.dataset = $dataset`
	if typ == RelSupportedBy {
		key = ` {excerpt: row.excerpt}`
	}
	if typ == RelHasSection || typ == RelHasAspect || typ == RelPartOf {
		same = `old.dataset = $dataset`
	}
	return `UNWIND $rows AS row
MATCH (a:Entity {id: row.from})
MATCH (b:Entity {id: row.to})
OPTIONAL MATCH (a)-[old:` + typ + key + `]->(b)
WITH a, b, row, old, CASE WHEN old IS NULL THEN 'created' WHEN ` + same + ` THEN 'unchanged' ELSE 'updated' END AS outcome
CALL {
  WITH a, b, row, outcome
  WITH a, b, row WHERE outcome = 'created'
  CREATE (a)-[r:` + typ + `]->(b)
  SET r.source = row.source, r.excerpt = row.excerpt, r.dataset = $dataset
}
CALL {
  WITH row, old, outcome
  WITH row, old WHERE outcome = 'updated'
  SET old.source = row.source, old.excerpt = row.excerpt, old.dataset = $dataset
}
RETURN outcome, count(*) AS n`
}

func pruneNodes(k plan.Kind) string {
	return `MATCH (n:` + string(k) + ` {dataset: $dataset}) WHERE NOT n.id IN $keep
DETACH DELETE n
RETURN count(*) AS n`
}

func pruneRels(typ string) string {
	key := `a.id + '|' + b.id`
	if typ == RelSupportedBy {
		key = `a.id + '|' + b.id + '|' + r.excerpt`
	}
	return `MATCH (a)-[r:` + typ + ` {dataset: $dataset}]->(b) WHERE NOT ` + key + ` IN $keep
DELETE r
RETURN count(*) AS n`
}

// Load writes rows with batched UNWIND … MERGE, nodes before relationships,
// each batch in its own managed write transaction (retried on transient
// errors). Every write is idempotent, so a load that was killed half-way and
// is run again ends in the graph a clean load gives. EnsureSchema must have
// run first.
func (s *Store) Load(ctx context.Context, rows *Rows, opt LoadOptions) (*LoadReport, error) {
	if opt.BatchSize <= 0 {
		opt.BatchSize = 5000
	}
	rep := &LoadReport{Nodes: map[string]Outcome{}, Rels: map[string]Outcome{}}
	run := s.batchRunner(ctx)
	if opt.DryRun {
		sess := s.driver.NewSession(ctx, neo4j.SessionConfig{AccessMode: neo4j.AccessModeWrite, DatabaseName: s.db})
		defer sess.Close(ctx)
		tx, err := sess.BeginTransaction(ctx)
		if err != nil {
			return nil, fmt.Errorf("begin dry-run transaction: %w", translate(ctx, err))
		}
		defer tx.Rollback(ctx)
		run = func(cypher string, params map[string]any) ([]*neo4j.Record, error) {
			countRoundTrip(ctx)
			res, err := tx.Run(ctx, cypher, params)
			if err != nil {
				return nil, translate(ctx, err)
			}
			return res.Collect(ctx)
		}
	}

	for _, k := range plan.Kinds {
		nodes := rows.Nodes[k]
		var o Outcome
		for i := 0; i < len(nodes); i += opt.BatchSize {
			batch := nodes[i:min(i+opt.BatchSize, len(nodes))]
			params := make([]map[string]any, len(batch))
			for j, n := range batch {
				params[j] = map[string]any{"id": n.ID, "props": n.Props, "hash": n.Hash}
			}
			recs, err := run(nodeWrite(k), map[string]any{"rows": params})
			if err != nil {
				return nil, fmt.Errorf("write %s nodes %d-%d: %w", k, i+1, i+len(batch), err)
			}
			addOutcomes(&o, recs)
			if opt.Progress != nil {
				opt.Progress(string(k), i+len(batch), len(nodes))
			}
		}
		rep.Nodes[string(k)] = o
	}
	for _, typ := range RelTypes {
		rels := rows.Rels[typ]
		var o Outcome
		for i := 0; i < len(rels); i += opt.BatchSize {
			batch := rels[i:min(i+opt.BatchSize, len(rels))]
			params := make([]map[string]any, len(batch))
			for j, r := range batch {
				params[j] = map[string]any{"from": r.From, "to": r.To, "source": str(r.Source), "excerpt": str(r.Excerpt)}
			}
			recs, err := run(relWrite(typ), map[string]any{"rows": params, "dataset": rows.Dataset})
			if err != nil {
				return nil, fmt.Errorf("write %s relationships %d-%d: %w", typ, i+1, i+len(batch), err)
			}
			addOutcomes(&o, recs)
			if opt.Progress != nil {
				opt.Progress(typ, i+len(batch), len(rels))
			}
		}
		rep.Rels[typ] = o
	}
	if opt.Prune {
		for _, typ := range RelTypes {
			keep := make([]string, len(rows.Rels[typ]))
			for i, r := range rows.Rels[typ] {
				keep[i] = r.key(typ)
			}
			n, err := runCount(run, pruneRels(typ), map[string]any{"dataset": rows.Dataset, "keep": keep})
			if err != nil {
				return nil, fmt.Errorf("prune %s relationships: %w", typ, err)
			}
			o := rep.Rels[typ]
			o.Deleted = n
			rep.Rels[typ] = o
		}
		for _, k := range plan.Kinds {
			keep := make([]string, len(rows.Nodes[k]))
			for i, n := range rows.Nodes[k] {
				keep[i] = n.ID
			}
			n, err := runCount(run, pruneNodes(k), map[string]any{"dataset": rows.Dataset, "keep": keep})
			if err != nil {
				return nil, fmt.Errorf("prune %s nodes: %w", k, err)
			}
			o := rep.Nodes[string(k)]
			o.Deleted = n
			rep.Nodes[string(k)] = o
		}
	}
	if !opt.DryRun && rep.Changed() {
		if err := s.AwaitSearchIndex(ctx); err != nil {
			return nil, err
		}
		if err := s.RefreshStatistics(ctx); err != nil {
			return nil, err
		}
	}
	return rep, nil
}

// batchRunner runs each statement in its own managed write transaction.
func (s *Store) batchRunner(ctx context.Context) func(string, map[string]any) ([]*neo4j.Record, error) {
	return func(cypher string, params map[string]any) ([]*neo4j.Record, error) {
		out, err := s.write(ctx, func(tx neo4j.ManagedTransaction) (any, error) {
			res, err := tx.Run(ctx, cypher, params)
			if err != nil {
				return nil, err
			}
			return res.Collect(ctx)
		})
		if err != nil {
			return nil, err
		}
		return out.([]*neo4j.Record), nil
	}
}

func runCount(run func(string, map[string]any) ([]*neo4j.Record, error), cypher string, params map[string]any) (int, error) {
	recs, err := run(cypher, params)
	if err != nil {
		return 0, err
	}
	if len(recs) == 0 {
		return 0, nil
	}
	n, _, err := neo4j.GetRecordValue[int64](recs[0], "n")
	return int(n), err
}

func addOutcomes(o *Outcome, recs []*neo4j.Record) {
	for _, r := range recs {
		outcome, _, _ := neo4j.GetRecordValue[string](r, "outcome")
		n, _, _ := neo4j.GetRecordValue[int64](r, "n")
		switch outcome {
		case "created":
			o.Created += int(n)
		case "updated":
			o.Updated += int(n)
		case "unchanged":
			o.Unchanged += int(n)
		}
	}
}

// Labels returns the report's labels and relationship types in a stable order, for printing.
func (r *LoadReport) Labels() (labels, types []string) {
	for k := range r.Nodes {
		labels = append(labels, k)
	}
	for k := range r.Rels {
		types = append(types, k)
	}
	sort.Strings(labels)
	sort.Strings(types)
	return labels, types
}
