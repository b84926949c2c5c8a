package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
)

// Checksum is a digest of the whole graph: every node's labels and
// properties and every relationship's type, ends and properties (test
// harness markers excluded). Two graphs with the same checksum hold the same
// data; it is how the tests prove a reload or a re-run changed nothing.
func (s *Store) Checksum(ctx context.Context) (string, error) {
	h := sha256.New()
	for _, q := range []string{
		`MATCH (n) WHERE NOT n:TestHarness AND NOT n:Change AND NOT n:ChangeLog
RETURN [l IN labels(n) WHERE true | l] AS labels, properties(n) AS props`,
		`MATCH (a)-[r]->(b)
RETURN type(r) AS type, a.id AS from, b.id AS to, properties(r) AS props`,
	} {
		recs, err := s.read(ctx, q, nil)
		if err != nil {
			return "", fmt.Errorf("checksum: %w", err)
		}
		lines := make([]string, 0, len(recs))
		for _, rec := range recs {
			m := rec.AsMap()
			if _, ok := m["labels"]; ok {
				l, err := as[[]any](m["labels"], "labels")
				if err != nil {
					return "", fmt.Errorf("checksum: %w", err)
				}
				ss := make([]string, len(l))
				for i, x := range l {
					if ss[i], err = as[string](x, fmt.Sprintf("labels[%d]", i)); err != nil {
						return "", fmt.Errorf("checksum: %w", err)
					}
				}
				sort.Strings(ss)
				m["labels"] = ss
			}
			b, err := json.Marshal(m) // map keys are sorted by encoding/json
			if err != nil {
				return "", fmt.Errorf("checksum: %w", err)
			}
			lines = append(lines, string(b))
		}
		sort.Strings(lines)
		for _, l := range lines {
			h.Write([]byte(l))
			h.Write([]byte{'\n'})
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// CountByLabel counts the graph's nodes and relationships.
func (s *Store) CountByLabel(ctx context.Context) (nodes, rels map[string]int, err error) {
	nodes, rels = map[string]int{}, map[string]int{}
	recs, err := s.read(ctx, `MATCH (n:Entity) UNWIND labels(n) AS l WITH l WHERE l <> 'Entity' RETURN l AS key, count(*) AS n`, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("count nodes: %w", err)
	}
	for _, r := range recs {
		k, n, err := keyCount(r)
		if err != nil {
			return nil, nil, fmt.Errorf("count nodes: %w", err)
		}
		nodes[k] = n
	}
	recs, err = s.read(ctx, `MATCH (:Entity)-[r]->(:Entity) RETURN type(r) AS key, count(*) AS n`, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("count relationships: %w", err)
	}
	for _, r := range recs {
		k, n, err := keyCount(r)
		if err != nil {
			return nil, nil, fmt.Errorf("count relationships: %w", err)
		}
		rels[k] = n
	}
	return nodes, rels, nil
}

// keyCount reads the key and n columns of a count.
func keyCount(r *neo4j.Record) (string, int, error) {
	k, err := recordValue[string](r, "key")
	if err != nil {
		return "", 0, err
	}
	n, err := recordValue[int64](r, "n")
	if err != nil {
		return "", 0, err
	}
	return k, int(n), nil
}
