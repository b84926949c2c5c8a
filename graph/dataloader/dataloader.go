// Package dataloader batches the relationship fields of one GraphQL request
// by level, deterministically: every list of nodes a resolver returns is
// registered as a group, and the first time a relationship field is resolved
// for any node of a group, it is loaded for the whole group in one store
// call. The number of store round trips therefore depends on the shape of the
// query, never on the number of results, and no resolver waits on a timer.
package dataloader

import (
	"context"
	"fmt"
	"sync"

	"github.com/shenzhenplan/kgapi/plan"
)

// Loaders is the per-request batching state. Create one per request with New
// and reach it with For.
type Loaders struct {
	store  plan.Store
	mu     sync.Mutex
	groups map[plan.Node]*group
}

type group struct {
	nodes []plan.Node
	mu    sync.Mutex
	calls map[string]*call
}

type call struct {
	done chan struct{}
	val  map[plan.ID]any
	err  error
}

type ctxKey struct{}

// New returns empty loaders over s.
func New(s plan.Store) *Loaders { return &Loaders{store: s, groups: map[plan.Node]*group{}} }

// With returns a context that carries l.
func With(ctx context.Context, l *Loaders) context.Context {
	return context.WithValue(ctx, ctxKey{}, l)
}

// For returns the loaders of the request, or fresh ones over s when the
// context has none (a direct call outside the HTTP handler).
func For(ctx context.Context, s plan.Store) *Loaders {
	if l, ok := ctx.Value(ctxKey{}).(*Loaders); ok {
		return l
	}
	return New(s)
}

// Group registers nodes as one level: their fields load together.
func Group[N plan.Node](l *Loaders, nodes []N) {
	if len(nodes) == 0 {
		return
	}
	g := &group{nodes: make([]plan.Node, len(nodes)), calls: map[string]*call{}}
	l.mu.Lock()
	defer l.mu.Unlock()
	for i, n := range nodes {
		g.nodes[i] = n
		l.groups[n] = g
	}
}

func (l *Loaders) groupOf(n plan.Node) *group {
	l.mu.Lock()
	defer l.mu.Unlock()
	g, ok := l.groups[n]
	if !ok {
		g = &group{nodes: []plan.Node{n}, calls: map[string]*call{}}
		l.groups[n] = g
	}
	return g
}

// load runs fetch once per (group, key) and shares its result.
func (l *Loaders) load(ctx context.Context, n plan.Node, key string, fetch func(ctx context.Context, nodes []plan.Node) (map[plan.ID]any, error)) (any, error) {
	g := l.groupOf(n)
	g.mu.Lock()
	c, ok := g.calls[key]
	if !ok {
		c = &call{done: make(chan struct{})}
		g.calls[key] = c
		g.mu.Unlock()
		func() {
			defer close(c.done) // waiters are released even if fetch panics
			defer func() {
				if p := recover(); p != nil {
					c.err = fmt.Errorf("dataloader %s: panic: %v", key, p)
				}
			}()
			c.val, c.err = fetch(ctx, g.nodes)
		}()
	} else {
		g.mu.Unlock()
		select {
		case <-c.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if c.err != nil {
		return nil, c.err
	}
	return c.val[n.NodeID()], nil
}

func ids(nodes []plan.Node) []plan.ID {
	seen := make(map[plan.ID]bool, len(nodes))
	out := make([]plan.ID, 0, len(nodes))
	for _, n := range nodes {
		if id := n.NodeID(); !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// Related returns the nodes reached from n through rel, loading the
// relation for n's whole group at once.
func (l *Loaders) Related(ctx context.Context, rel plan.Relation, n plan.Node) ([]plan.Node, error) {
	v, err := l.load(ctx, n, "rel:"+string(rel), func(ctx context.Context, nodes []plan.Node) (map[plan.ID]any, error) {
		res, err := l.store.Related(ctx, rel, ids(nodes))
		if err != nil {
			return nil, err
		}
		var level []plan.Node
		out := make(map[plan.ID]any, len(res))
		for id, children := range res {
			out[id] = children
			level = append(level, children...)
		}
		Group(l, level)
		return out, nil
	})
	if err != nil || v == nil {
		return nil, err
	}
	return v.([]plan.Node), nil
}

// Ref returns the node that n refers to by id (for example a measure's
// section), loading the references of n's whole group at once.
func (l *Loaders) Ref(ctx context.Context, field string, n plan.Node, ref func(plan.Node) plan.ID) (plan.Node, error) {
	v, err := l.load(ctx, n, "ref:"+field, func(ctx context.Context, nodes []plan.Node) (map[plan.ID]any, error) {
		var want []plan.ID
		seen := map[plan.ID]bool{}
		for _, x := range nodes {
			if id := ref(x); id != "" && !seen[id] {
				seen[id] = true
				want = append(want, id)
			}
		}
		if len(want) == 0 {
			return nil, nil
		}
		found, err := l.store.Nodes(ctx, want)
		if err != nil {
			return nil, err
		}
		level := make([]plan.Node, 0, len(found))
		for _, f := range found {
			level = append(level, f)
		}
		Group(l, level)
		out := make(map[plan.ID]any, len(nodes))
		for _, x := range nodes {
			if f, ok := found[ref(x)]; ok {
				out[x.NodeID()] = f
			}
		}
		return out, nil
	})
	if err != nil || v == nil {
		return nil, err
	}
	return v.(plan.Node), nil
}

// Measures returns the measure connection of n for query q; argsKey must
// identify q (nodes of a group that ask with the same arguments share one
// round trip).
func (l *Loaders) Measures(ctx context.Context, n plan.Node, q plan.MeasureQuery, argsKey string) (*plan.MeasurePage, error) {
	v, err := l.load(ctx, n, "measures:"+argsKey, func(ctx context.Context, nodes []plan.Node) (map[plan.ID]any, error) {
		pages, err := l.store.Measures(ctx, q, ids(nodes))
		if err != nil {
			return nil, err
		}
		return l.groupPages(pages, q.Prefetch), nil
	})
	if err != nil {
		return nil, err
	}
	if v == nil {
		return &plan.MeasurePage{}, nil
	}
	return v.(*plan.MeasurePage), nil
}

// AllMeasures answers a measure connection over the whole graph.
func (l *Loaders) AllMeasures(ctx context.Context, q plan.MeasureQuery) (*plan.MeasurePage, error) {
	pages, err := l.store.Measures(ctx, q, nil)
	if err != nil {
		return nil, err
	}
	out := l.groupPages(pages, q.Prefetch)
	if p, ok := out[""]; ok {
		return p.(*plan.MeasurePage), nil
	}
	return &plan.MeasurePage{}, nil
}

func (l *Loaders) groupPages(pages map[plan.ID]*plan.MeasurePage, ps []plan.Prefetch) map[plan.ID]any {
	var level []plan.Node
	related := plan.Prefetched{}
	out := make(map[plan.ID]any, len(pages))
	for id, p := range pages {
		out[id] = p
		for _, m := range p.Measures {
			level = append(level, m)
		}
		for rel, byParent := range p.Related {
			if related[rel] == nil {
				related[rel] = map[plan.ID][]plan.Node{}
			}
			for parent, list := range byParent {
				related[rel][parent] = list
			}
		}
	}
	Group(l, level)
	l.Seed(level, ps, related)
	return out
}

// SeedMeasures stores a page of n's measures that n's lookup brought, under
// the key Measures will be asked with, and seeds what the page prefetched.
func (l *Loaders) SeedMeasures(n plan.Node, argsKey string, page *plan.MeasurePage, ps []plan.Prefetch) {
	val := l.groupPages(map[plan.ID]*plan.MeasurePage{n.NodeID(): page}, ps)
	l.groupOf(n).preset("measures:"+argsKey, val)
}

// preset records val as the finished load of key for the group, unless a
// load of key has already started.
func (g *group) preset(key string, val map[plan.ID]any) {
	c := &call{done: make(chan struct{}), val: val}
	close(c.done)
	g.mu.Lock()
	defer g.mu.Unlock()
	if _, exists := g.calls[key]; !exists {
		g.calls[key] = c
	}
}

// StatusHistory returns a measure's status history, newest first, loading
// it for the measure's whole group at once.
func (l *Loaders) StatusHistory(ctx context.Context, m *plan.Measure, w plan.Writer) ([]plan.StatusChange, error) {
	v, err := l.load(ctx, m, "Measure.statusHistory", func(ctx context.Context, nodes []plan.Node) (map[plan.ID]any, error) {
		res, err := w.StatusHistory(ctx, ids(nodes))
		if err != nil {
			return nil, err
		}
		out := make(map[plan.ID]any, len(res))
		for id, h := range res {
			out[id] = h
		}
		return out, nil
	})
	if err != nil || v == nil {
		return nil, err
	}
	return v.([]plan.StatusChange), nil
}

// Seed stores what a query prefetched for parents (one level, grouped) so
// that their relationship fields resolve without a round trip, then seeds
// the next levels the same way.
func (l *Loaders) Seed(parents []plan.Node, ps []plan.Prefetch, rel plan.Prefetched) {
	if len(parents) == 0 {
		return
	}
	g := l.groupOf(parents[0])
	for _, p := range ps {
		byParent := rel[p.Rel]
		key := "rel:" + string(p.Rel)
		if plan.References[p.Rel] {
			key = "ref:" + string(p.Rel)
		}
		val := make(map[plan.ID]any, len(byParent))
		var children []plan.Node
		for id, list := range byParent {
			children = append(children, list...)
			if plan.References[p.Rel] {
				if len(list) > 0 {
					val[id] = list[0]
				}
			} else {
				val[id] = list
			}
		}
		g.preset(key, val)
		Group(l, children)
		l.Seed(children, p.Children, rel)
	}
}

// Cataloged returns how many measures plan p holds, counted for p's whole
// group at once.
func (l *Loaders) Cataloged(ctx context.Context, p *plan.Plan) (int, error) {
	v, err := l.load(ctx, p, "Plan.cataloged", func(ctx context.Context, nodes []plan.Node) (map[plan.ID]any, error) {
		res, err := l.store.CatalogedCounts(ctx, ids(nodes))
		if err != nil {
			return nil, err
		}
		out := make(map[plan.ID]any, len(res))
		for id, n := range res {
			out[id] = n
		}
		return out, nil
	})
	if err != nil || v == nil {
		return 0, err
	}
	return v.(int), nil
}
