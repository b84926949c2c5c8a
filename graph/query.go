package graph

import (
	"context"
	"strings"

	"github.com/shenzhenplan/kgapi/graph/dataloader"
	"github.com/shenzhenplan/kgapi/graph/model"
	"github.com/shenzhenplan/kgapi/plan"
)

func (r *Resolver) node(ctx context.Context, gid string) (plan.Node, error) {
	id, err := parseID(gid)
	if err != nil {
		return nil, err
	}
	found, err := r.Store.Nodes(ctx, []plan.ID{id})
	if err != nil {
		return nil, err
	}
	n, ok := found[id]
	if !ok {
		return nil, nil
	}
	dataloader.Group(r.loaders(ctx), []plan.Node{n})
	return n, nil
}

func (r *Resolver) nodes(ctx context.Context, gids []string) ([]plan.Node, error) {
	if len(gids) > MaxNodesIDs {
		return nil, plan.Errorf(plan.EINVALID, "ids: at most %d ids (got %d)", MaxNodesIDs, len(gids))
	}
	ids := make([]plan.ID, len(gids))
	var bad []string
	for i, g := range gids {
		id, err := parseID(g)
		if err != nil {
			bad = append(bad, g)
			continue
		}
		ids[i] = id
	}
	var want []plan.ID
	for _, id := range ids {
		if id != "" {
			want = append(want, id)
		}
	}
	found := map[plan.ID]plan.Node{}
	if len(want) > 0 {
		var err error
		if found, err = r.Store.Nodes(ctx, want); err != nil {
			return nil, err
		}
	}
	out := make([]plan.Node, len(ids))
	var level []plan.Node
	for i, id := range ids {
		if n, ok := found[id]; ok {
			out[i] = n
			level = append(level, n)
		}
	}
	dataloader.Group(r.loaders(ctx), level)
	if len(bad) > 0 {
		// The valid ids still resolve; the malformed ones are null and reported.
		addError(ctx, plan.Errorf(plan.EINVALID, "malformed ids: %s", strings.Join(bad, ", ")))
	}
	return out, nil
}

func (r *Resolver) plans(ctx context.Context) ([]*plan.Plan, error) {
	ps, err := r.Store.Plans(ctx)
	if err != nil {
		return nil, err
	}
	dataloader.Group(r.loaders(ctx), ps)
	return ps, nil
}

func (r *Resolver) plan(ctx context.Context, slug *string) (*plan.Plan, error) {
	if slug != nil {
		return findByKey[*plan.Plan](ctx, r, plan.KindPlan, *slug)
	}
	ps, err := r.Store.Plans(ctx)
	if err != nil || len(ps) == 0 {
		return nil, err
	}
	chosen := ps[0]
	if len(ps) > 1 {
		for _, p := range ps {
			if p.CatalogedMeasureCount > 0 {
				chosen = p
				break
			}
		}
	}
	return chosen, nil
}

func (r *Resolver) measure(ctx context.Context, code string, planSlug *string) (*plan.Measure, error) {
	slug := ""
	if planSlug != nil {
		slug = *planSlug
	}
	return r.Store.FindMeasureByCode(ctx, slug, code)
}

// findByKey looks a node up by its natural key and brings along, in the
// same round trip, the relationship fields selected under it (a project's
// places and sectors) and its first measures connection when that has no
// filter or order (a plan's dashboard page), which then resolve from the
// dataloader's cache.
func findByKey[T plan.Node](ctx context.Context, r *Resolver, k plan.Kind, key string) (T, error) {
	var zero T
	var with plan.Lookup
	if !r.NoPrefetch {
		with.Prefetch = nodePrefetch(ctx, k)
		with.Measures = nestedMeasures(ctx, k)
	}
	found, err := r.Store.FindByKey(ctx, k, key, with)
	if err != nil || found.Node == nil {
		return zero, err
	}
	t, ok := found.Node.(T)
	if !ok {
		return zero, nil
	}
	if len(with.Prefetch) > 0 || found.Measures != nil {
		l := r.loaders(ctx)
		level := []plan.Node{found.Node}
		dataloader.Group(l, level)
		l.Seed(level, with.Prefetch, found.Related)
		if found.Measures != nil {
			l.SeedMeasures(level, *with.Measures, map[plan.ID]*plan.MeasurePage{found.Node.NodeID(): found.Measures})
		}
	}
	return t, nil
}

// list answers a top-level list of kind k, with the relations and the
// first measures connection its selection asks of each node brought in
// the same round trip.
func list[T plan.Node](ctx context.Context, r *Resolver, k plan.Kind) ([]T, error) {
	var with plan.Lookup
	if !r.NoPrefetch {
		with.Prefetch = nodePrefetch(ctx, k)
		with.Measures = nestedMeasures(ctx, k)
	}
	got, err := r.Store.List(ctx, k, with)
	if err != nil {
		return nil, err
	}
	out := make([]T, 0, len(got.Nodes))
	for _, n := range got.Nodes {
		if t, ok := n.(T); ok {
			out = append(out, t)
		}
	}
	l := r.loaders(ctx)
	dataloader.Group(l, out)
	if len(with.Prefetch) > 0 {
		l.Seed(got.Nodes, with.Prefetch, got.Related)
	}
	if got.Measures != nil {
		l.SeedMeasures(got.Nodes, *with.Measures, got.Measures)
	}
	return out, nil
}

func (r *Resolver) projects(ctx context.Context, first *int, after *string) (*model.ProjectConnection, error) {
	n := intOr(first, plan.DefaultPageSize)
	if err := checkRange("first", n, 0, plan.MaxPageSize); err != nil {
		return nil, err
	}
	afterSlug := ""
	if after != nil {
		id, err := plan.ParseGlobalID(*after)
		if err != nil || id.Kind() != plan.KindProject {
			return nil, plan.Errorf(plan.EINVALID, "invalid cursor %q", *after)
		}
		afterSlug = id.Key()
	}
	page, err := r.Store.Projects(ctx, n, afterSlug)
	if err != nil {
		return nil, err
	}
	dataloader.Group(r.loaders(ctx), page.Projects)
	conn := &model.ProjectConnection{
		Nodes:      page.Projects,
		PageInfo:   &model.PageInfo{HasNextPage: page.HasNextPage, HasPreviousPage: after != nil},
		TotalCount: page.TotalCount,
	}
	for _, p := range page.Projects {
		conn.Edges = append(conn.Edges, &model.ProjectEdge{Cursor: p.ID.Global(), Node: p})
	}
	if len(conn.Edges) > 0 {
		conn.PageInfo.StartCursor = &conn.Edges[0].Cursor
		conn.PageInfo.EndCursor = &conn.Edges[len(conn.Edges)-1].Cursor
	}
	return conn, nil
}

func (r *Resolver) search(ctx context.Context, text string, types []string, first *int) ([]*plan.SearchHit, error) {
	n := intOr(first, 10)
	if err := checkRange("first", n, 1, plan.MaxPageSize); err != nil {
		return nil, err
	}
	if len(text) > MaxSearchText {
		return nil, plan.Errorf(plan.EINVALID, "text is longer than %d characters", MaxSearchText)
	}
	kinds, err := kindsOf(types)
	if err != nil {
		return nil, err
	}
	hits, err := r.Store.Search(ctx, text, kinds, n)
	if err != nil {
		return nil, err
	}
	out := make([]*plan.SearchHit, len(hits))
	level := make([]plan.Node, len(hits))
	for i := range hits {
		out[i] = &hits[i]
		level[i] = hits[i].Node
	}
	dataloader.Group(r.loaders(ctx), level)
	return out, nil
}

func (r *Resolver) neighborhood(ctx context.Context, gid string, depth, limit *int) (*plan.Subgraph, error) {
	id, err := parseID(gid)
	if err != nil {
		return nil, err
	}
	d, l := intOr(depth, 1), intOr(limit, 200)
	if err := checkRange("depth", d, 1, 3); err != nil {
		return nil, err
	}
	if err := checkRange("limit", l, 1, MaxNeighborhood); err != nil {
		return nil, err
	}
	g, err := r.Store.Neighborhood(ctx, id, d, l)
	if err != nil {
		return nil, err
	}
	if g == nil {
		return nil, plan.Errorf(plan.ENOTFOUND, "no node with id %q", gid)
	}
	return g, nil
}

func (r *Resolver) path(ctx context.Context, from, to string, maxDepth *int) (*plan.Subgraph, error) {
	a, err := parseID(from)
	if err != nil {
		return nil, err
	}
	b, err := parseID(to)
	if err != nil {
		return nil, err
	}
	d := intOr(maxDepth, 6)
	if err := checkRange("maxDepth", d, 1, 10); err != nil {
		return nil, err
	}
	return r.Store.Path(ctx, a, b, d)
}

func (r *Resolver) stats(ctx context.Context, planSlug *string) (*plan.Stats, error) {
	slug := ""
	if planSlug != nil {
		slug = *planSlug
		found, err := r.Store.FindByKey(ctx, plan.KindPlan, slug, plan.Lookup{})
		if err != nil {
			return nil, err
		}
		if found.Node == nil {
			return nil, plan.Errorf(plan.ENOTFOUND, "no plan with slug %q", slug)
		}
	}
	return r.Store.Stats(ctx, slug)
}

// planStats resolves Plan.stats: one store call per plan (a request names
// one plan, or lists the few there are), the same as stats(plan:). The slug
// is read from the id, which every projection of a node brings.
func (r *Resolver) planStats(ctx context.Context, p *plan.Plan) (*plan.Stats, error) {
	return r.Store.Stats(ctx, p.ID.Key())
}
