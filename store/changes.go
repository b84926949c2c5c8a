package store

import (
	"context"
	"fmt"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/shenzhenplan/kgapi/plan"
)

// DefaultChangeRetention is how many entries the change log keeps: older
// ones are deleted as new ones are appended. A subscriber that resumes
// from an entry no longer held gets what the log still holds.
const DefaultChangeRetention = 10000

// appendChangeCypher appends one entry to the change log. The counter
// node serialises writers (each holds its write lock until commit), so
// sequence numbers increase strictly in commit order; the oldest entries
// beyond the retention go, a few per append.
const appendChangeCypher = `MERGE (l:ChangeLog {id: 'changes'})
ON CREATE SET l.seq = 0
SET l.seq = l.seq + 1
CREATE (c:Change {seq: l.seq, kind: $kind, ids: $ids, by: $by, summary: $summary, at: toString(datetime())})
WITH l.seq AS seq
CALL {
  WITH seq
  MATCH (old:Change) WHERE old.seq <= seq - $keep
  WITH old ORDER BY old.seq LIMIT 100
  DELETE old
}
RETURN seq`

// appendChange appends the change to the log inside the write transaction
// tx, and returns its sequence number.
func (s *Store) appendChange(ctx context.Context, tx neo4j.ManagedTransaction, c plan.Change) (int64, error) {
	ids := make([]string, len(c.IDs))
	for i, id := range c.IDs {
		ids[i] = string(id)
	}
	res, err := tx.Run(ctx, appendChangeCypher, map[string]any{
		"kind": string(c.Kind), "ids": ids, "by": c.By, "summary": nullable(c.Summary), "keep": int64(s.retention()),
	})
	if err != nil {
		return 0, fmt.Errorf("append to the change log: %w", err)
	}
	rec, err := res.Single(ctx)
	if err != nil {
		return 0, fmt.Errorf("append to the change log: %w", err)
	}
	seq, err := recordValue[int64](rec, "seq")
	if err != nil {
		return 0, fmt.Errorf("append to the change log: %w", err)
	}
	return seq, nil
}

func (s *Store) retention() int {
	if s.keepChanges > 0 {
		return s.keepChanges
	}
	return DefaultChangeRetention
}

// ChangesSince implements plan.ChangeLog: one read of the seq index.
func (s *Store) ChangesSince(ctx context.Context, seq int64, limit int) ([]plan.Change, error) {
	recs, err := s.read(ctx, `MATCH (c:Change) WHERE c.seq > $seq
WITH c ORDER BY c.seq LIMIT $limit
RETURN c.seq AS seq, c.kind AS kind, c.ids AS ids, c.by AS by, c.at AS at, c.summary AS summary`,
		map[string]any{"seq": seq, "limit": int64(limit)})
	if err != nil {
		return nil, fmt.Errorf("read the change log after %d: %w", seq, err)
	}
	out := make([]plan.Change, 0, len(recs))
	for _, rec := range recs {
		var c plan.Change
		var err error
		p := &propReader{m: rec.AsMap()}
		if c.Seq, err = recordValue[int64](rec, "seq"); err != nil {
			return nil, fmt.Errorf("read the change log: %w", err)
		}
		c.Kind = plan.ChangeKind(p.str("kind"))
		for _, id := range p.strs("ids") {
			c.IDs = append(c.IDs, plan.ID(id))
		}
		c.By, c.At, c.Summary = p.str("by"), p.str("at"), p.str("summary")
		if p.err != nil {
			return nil, fmt.Errorf("read the change log: entry %d: %w", c.Seq, p.err)
		}
		out = append(out, c)
	}
	return out, nil
}

// LastChange implements plan.ChangeLog.
func (s *Store) LastChange(ctx context.Context) (int64, error) {
	recs, err := s.read(ctx, "OPTIONAL MATCH (l:ChangeLog {id: 'changes'}) RETURN coalesce(l.seq, 0) AS seq", nil)
	if err != nil {
		return 0, fmt.Errorf("read the change log's last entry: %w", err)
	}
	if len(recs) == 0 {
		return 0, nil
	}
	seq, err := recordValue[int64](recs[0], "seq")
	if err != nil {
		return 0, fmt.Errorf("read the change log's last entry: %w", err)
	}
	return seq, nil
}

var _ plan.ChangeLog = (*Store)(nil)
