// Package dataloader batches the relationship fields of one GraphQL request
// by level, deterministically: every list of nodes a resolver returns is
// registered as a group, and the first time a relationship field is resolved
// for any node of a group, it is loaded for the whole group in one store
// call. The number of store round trips therefore depends on the shape of the
// query, never on the number of results, and no resolver waits on a timer.
package dataloader

import (
	"context"
	"errors"
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
	// missing is set on the loaders For returns when the request carries
	// none: every load then fails instead of running one query per node.
	missing bool
}

type group struct {
	nodes []plan.Node
	mu    sync.Mutex
	calls map[key]*call
}

// kind is what a load reads.
type kind uint8

const (
	kindRelated kind = iota + 1
	kindRef
	kindPage
	kindHistory
	kindCataloged
	kindTimeline
	kindStatusAsOf
)

// key names one load of a group: what it reads, the relation or field
// (kindRelated, kindRef), the page (kindPage).
type key struct {
	kind kind
	rel  plan.Relation
	page plan.PageKey
	// events is the page of a timeline (kindTimeline); asOf the day of a
	// status (kindStatusAsOf).
	events plan.EventKey
	asOf   string
}

func (k key) String() string {
	switch k.kind {
	case kindRelated, kindRef:
		return string(k.rel)
	case kindPage:
		return "measures of " + string(k.page.Scope)
	case kindHistory:
		return "Measure.statusHistory"
	case kindTimeline:
		return "timeline of " + string(k.events.Scope)
	case kindStatusAsOf:
		return "Measure.status as of " + k.asOf
	default:
		return "Plan.catalogedMeasureCount"
	}
}

// call is one load: val is the map[plan.ID]T that its fetch returned.
type call struct {
	done chan struct{}
	val  any
	err  error
}

type ctxKey struct{}

// New returns empty loaders over s.
func New(s plan.Store) *Loaders { return &Loaders{store: s, groups: map[plan.Node]*group{}} }

// With returns a context that carries l.
func With(ctx context.Context, l *Loaders) context.Context {
	return context.WithValue(ctx, ctxKey{}, l)
}

// ErrNoLoaders is what every load fails with in a request whose context
// carries no loaders (a wiring mistake: the server gives each response its
// own): loading field by field would run one query per node.
var ErrNoLoaders = errors.New("dataloader: the request carries no loaders")

// For returns the loaders of the request. Without any in ctx it returns
// loaders whose every load fails with ErrNoLoaders.
func For(ctx context.Context, s plan.Store) *Loaders {
	if l, ok := ctx.Value(ctxKey{}).(*Loaders); ok {
		return l
	}
	l := New(s)
	l.missing = true
	return l
}

// Group registers nodes as one level: their fields load together.
func Group[N plan.Node](l *Loaders, nodes []N) {
	if len(nodes) == 0 {
		return
	}
	g := &group{nodes: make([]plan.Node, len(nodes)), calls: map[key]*call{}}
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
		g = &group{nodes: []plan.Node{n}, calls: map[key]*call{}}
		l.groups[n] = g
	}
	return g
}

// load runs fetch once per (group, key) and shares its result: n's value,
// and whether there is one.
func load[T any](ctx context.Context, l *Loaders, n plan.Node, k key, fetch func(ctx context.Context, nodes []plan.Node) (map[plan.ID]T, error)) (T, bool, error) {
	var zero T
	if l.missing {
		return zero, false, fmt.Errorf("load %s: %w", k, ErrNoLoaders)
	}
	g := l.groupOf(n)
	g.mu.Lock()
	c, ok := g.calls[k]
	if !ok {
		c = &call{done: make(chan struct{})}
		g.calls[k] = c
		g.mu.Unlock()
		func() {
			defer close(c.done) // waiters are released even if fetch panics
			defer func() {
				if p := recover(); p != nil {
					c.err = fmt.Errorf("dataloader %s: panic: %v", k, p)
				}
			}()
			var val map[plan.ID]T
			val, c.err = fetch(ctx, g.nodes)
			c.val = val
		}()
	} else {
		g.mu.Unlock()
		select {
		case <-c.done:
		case <-ctx.Done():
			return zero, false, ctx.Err()
		}
	}
	if c.err != nil {
		return zero, false, c.err
	}
	val, ok := c.val.(map[plan.ID]T)
	if !ok {
		return zero, false, fmt.Errorf("dataloader %s: holds a %T, not a map of %T", k, c.val, zero)
	}
	v, ok := val[n.NodeID()]
	return v, ok, nil
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
	v, _, err := load(ctx, l, n, key{kind: kindRelated, rel: rel}, func(ctx context.Context, nodes []plan.Node) (map[plan.ID][]plan.Node, error) {
		res, err := l.store.Related(ctx, rel, ids(nodes))
		if err != nil {
			return nil, err
		}
		var level []plan.Node
		for _, children := range res {
			level = append(level, children...)
		}
		Group(l, level)
		return res, nil
	})
	return v, err
}

// Ref returns the node that n refers to by id (for example a measure's
// section), loading the references of n's whole group at once; nil when
// there is none.
func (l *Loaders) Ref(ctx context.Context, field plan.Relation, n plan.Node, ref func(plan.Node) plan.ID) (plan.Node, error) {
	v, _, err := load(ctx, l, n, key{kind: kindRef, rel: field}, func(ctx context.Context, nodes []plan.Node) (map[plan.ID]plan.Node, error) {
		var want []plan.ID
		seen := map[plan.ID]bool{}
		for _, x := range nodes {
			if id := ref(x); id != "" && !seen[id] {
				seen[id] = true
				want = append(want, id)
			}
		}
		if len(want) == 0 {
			return map[plan.ID]plan.Node{}, nil
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
		out := make(map[plan.ID]plan.Node, len(nodes))
		for _, x := range nodes {
			if f, ok := found[ref(x)]; ok {
				out[x.NodeID()] = f
			}
		}
		return out, nil
	})
	return v, err
}

// Measures returns the measure connection of n for query q (nodes of a
// group that ask with equal queries share one round trip).
func (l *Loaders) Measures(ctx context.Context, n plan.Node, q plan.MeasureQuery) (*plan.MeasurePage, error) {
	v, ok, err := load(ctx, l, n, key{kind: kindPage, page: q.Key()}, func(ctx context.Context, nodes []plan.Node) (map[plan.ID]*plan.MeasurePage, error) {
		pages, err := l.store.Measures(ctx, q, ids(nodes))
		if err != nil {
			return nil, err
		}
		l.groupPages(pages, q.Prefetch)
		return pages, nil
	})
	if err != nil {
		return nil, err
	}
	if !ok || v == nil {
		return &plan.MeasurePage{}, nil
	}
	return v, nil
}

// AllMeasures answers a measure connection over the whole graph.
func (l *Loaders) AllMeasures(ctx context.Context, q plan.MeasureQuery) (*plan.MeasurePage, error) {
	if l.missing {
		return nil, fmt.Errorf("load all measures: %w", ErrNoLoaders)
	}
	pages, err := l.store.Measures(ctx, q, nil)
	if err != nil {
		return nil, err
	}
	l.groupPages(pages, q.Prefetch)
	if p, ok := pages[""]; ok {
		return p, nil
	}
	return &plan.MeasurePage{}, nil
}

// groupPages registers the measures of the pages as one level and seeds
// what the pages prefetched.
func (l *Loaders) groupPages(pages map[plan.ID]*plan.MeasurePage, ps []plan.Prefetch) {
	var level []plan.Node
	related := plan.Prefetched{}
	for _, p := range pages {
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
}

// SeedMeasures stores the pages of measures (by node id) that a lookup or
// a list brought for query q, for the group of nodes (one group, as
// Group made it), where Measures will find them, and seeds what the pages
// prefetched.
func (l *Loaders) SeedMeasures(nodes []plan.Node, q plan.MeasureQuery, pages map[plan.ID]*plan.MeasurePage) {
	if len(nodes) == 0 {
		return
	}
	l.groupPages(pages, q.Prefetch)
	preset(l.groupOf(nodes[0]), key{kind: kindPage, page: q.Key()}, pages)
}

// preset records val as the finished load of k for the group, unless a
// load of k has already started.
func preset[T any](g *group, k key, val map[plan.ID]T) {
	c := &call{done: make(chan struct{}), val: val}
	close(c.done)
	g.mu.Lock()
	defer g.mu.Unlock()
	if _, exists := g.calls[k]; !exists {
		g.calls[k] = c
	}
}

// StatusHistory returns a measure's status history, newest first, loading
// it for the measure's whole group at once.
func (l *Loaders) StatusHistory(ctx context.Context, m *plan.Measure, w plan.Writer) ([]plan.StatusChange, error) {
	v, _, err := load(ctx, l, m, key{kind: kindHistory}, func(ctx context.Context, nodes []plan.Node) (map[plan.ID][]plan.StatusChange, error) {
		return w.StatusHistory(ctx, ids(nodes))
	})
	return v, err
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
		var children []plan.Node
		for _, list := range byParent {
			children = append(children, list...)
		}
		if _, ref := plan.References[p.Rel]; ref {
			val := make(map[plan.ID]plan.Node, len(byParent))
			for id, list := range byParent {
				if len(list) > 0 {
					val[id] = list[0]
				}
			}
			preset(g, key{kind: kindRef, rel: p.Rel}, val)
		} else {
			preset(g, key{kind: kindRelated, rel: p.Rel}, byParent)
		}
		Group(l, children)
		l.Seed(children, p.Children, rel)
	}
}

// Cataloged returns how many measures plan p holds, counted for p's whole
// group at once.
func (l *Loaders) Cataloged(ctx context.Context, p *plan.Plan) (int, error) {
	v, _, err := load(ctx, l, p, key{kind: kindCataloged}, func(ctx context.Context, nodes []plan.Node) (map[plan.ID]int, error) {
		return l.store.CatalogedCounts(ctx, ids(nodes))
	})
	return v, err
}

// Timeline returns the page of n's timeline that q asks for (nodes of a
// group that ask with equal queries share one round trip).
func (l *Loaders) Timeline(ctx context.Context, n plan.Node, q plan.EventQuery) (*plan.EventPage, error) {
	v, ok, err := load(ctx, l, n, key{kind: kindTimeline, events: q.Key()}, func(ctx context.Context, nodes []plan.Node) (map[plan.ID]*plan.EventPage, error) {
		pages, err := l.store.Timeline(ctx, q, ids(nodes))
		if err != nil {
			return nil, err
		}
		l.groupEvents(pages)
		return pages, nil
	})
	if err != nil {
		return nil, err
	}
	if !ok || v == nil {
		return &plan.EventPage{}, nil
	}
	return v, nil
}

// AllEvents answers a page of every event.
func (l *Loaders) AllEvents(ctx context.Context, q plan.EventQuery) (*plan.EventPage, error) {
	if l.missing {
		return nil, fmt.Errorf("load all events: %w", ErrNoLoaders)
	}
	pages, err := l.store.Timeline(ctx, q, nil)
	if err != nil {
		return nil, err
	}
	l.groupEvents(pages)
	if p, ok := pages[""]; ok {
		return p, nil
	}
	return &plan.EventPage{}, nil
}

// groupEvents registers the events of the pages as one level.
func (l *Loaders) groupEvents(pages map[plan.ID]*plan.EventPage) {
	var level []plan.Node
	for _, p := range pages {
		for _, e := range p.Events {
			level = append(level, e)
		}
	}
	Group(l, level)
}

// StatusAsOf returns a measure's status on day asOf with its evidence,
// loading it for the measure's whole group at once.
func (l *Loaders) StatusAsOf(ctx context.Context, m *plan.Measure, asOf string) (*plan.StatusAnswer, error) {
	v, ok, err := load(ctx, l, m, key{kind: kindStatusAsOf, asOf: asOf}, func(ctx context.Context, nodes []plan.Node) (map[plan.ID]*plan.StatusAnswer, error) {
		res, err := l.store.StatusAsOf(ctx, ids(nodes), asOf)
		if err != nil {
			return nil, err
		}
		var level []plan.Node
		for _, a := range res {
			for _, e := range a.Events {
				level = append(level, e)
			}
		}
		Group(l, level)
		return res, nil
	})
	if err != nil {
		return nil, err
	}
	if !ok || v == nil {
		return &plan.StatusAnswer{Status: m.Status, AsOf: asOf, Basis: "dataset", Events: []*plan.Event{}}, nil
	}
	return v, nil
}
