package store

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"
)

// The sizes of anchors (sizesQuery) choose which anchor a page or a count
// is read from, never what it answers: every anchor reads the same
// measures. So the store keeps what it read for a while, and a page with
// a filtered total is one round trip again once its filter's sizes are
// known: the count from the chosen anchor goes into the page's query.
// A write that changes a size since costs at most a slower read until the
// entry expires.
const (
	sizesTTL = time.Minute
	sizesMax = 4096 // entries; the cache is emptied when it is full
)

// sizeCache maps a sizes query (its text and parameters) to the sizes it
// read, per scope, in the query's order of names.
type sizeCache = kept[map[string][]int64]

// kept holds values that choose how to read (never what) for sizesTTL,
// by key. The zero value is ready to use.
type kept[V any] struct {
	mu      sync.Mutex
	entries map[string]keptEntry[V]
}

type keptEntry[V any] struct {
	at time.Time
	v  V
}

func (c *kept[V]) get(key string, now time.Time) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok || now.Sub(e.at) > sizesTTL {
		var zero V
		return zero, false
	}
	return e.v, true
}

func (c *kept[V]) put(key string, v V, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil || len(c.entries) >= sizesMax {
		c.entries = make(map[string]keptEntry[V])
	}
	c.entries[key] = keptEntry[V]{at: now, v: v}
}

// sizesKey is the cache key of a sizes query: its text and its parameters
// in the order of their names, each value formatted with %#v (strings,
// integers, lists of strings and nil, which it tells apart).
func sizesKey(cypher string, params map[string]any) string {
	var b strings.Builder
	b.WriteString(cypher)
	for _, k := range slices.Sorted(maps.Keys(params)) {
		fmt.Fprintf(&b, "\x00%s=%#v", k, params[k])
	}
	return b.String()
}

// anchorSizesOf reads (or finds in the cache) the sizes of every kind of
// anchor of mp's scopes (sizesQuery), by scope, with their names.
func (s *Store) anchorSizesOf(ctx context.Context, mp *measurePlan, walkHubs bool) (names []string, sizes map[string][]int64, err error) {
	cypher, params, names := mp.sizesQuery(walkHubs)
	key := sizesKey(cypher, params)
	if sizes, ok := s.sizes.get(key, time.Now()); ok {
		return names, sizes, nil
	}
	recs, err := s.read(ctx, cypher, params)
	if err != nil {
		return nil, nil, err
	}
	sizes = make(map[string][]int64, len(recs))
	for _, rec := range recs {
		scope, err := recordValue[string](rec, "scope")
		if err != nil {
			return nil, nil, err
		}
		ns, err := recordValue[[]any](rec, "sizes")
		if err != nil {
			return nil, nil, err
		}
		if len(ns) != len(names) {
			return nil, nil, fmt.Errorf("the sizes of %s: %d, want %d", scope, len(ns), len(names))
		}
		row := make([]int64, len(ns))
		for i, v := range ns {
			n, ok := v.(int64)
			if !ok {
				return nil, nil, fmt.Errorf("the size of %s of %s is a %T", names[i], scope, v)
			}
			row[i] = n
		}
		sizes[scope] = row
	}
	s.sizes.put(key, sizes, time.Now())
	return names, sizes, nil
}
