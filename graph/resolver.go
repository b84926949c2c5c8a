// Package graph is the GraphQL layer: gqlgen resolvers over plan.Store.
// Relationship fields go through the per-request dataloader, so a request
// costs a number of store round trips set by its shape, not its results.
package graph

import (
	"context"
	"strings"

	"github.com/99designs/gqlgen/graphql"

	"github.com/shenzhenplan/kgapi/graph/dataloader"
	"github.com/shenzhenplan/kgapi/graph/model"
	"github.com/shenzhenplan/kgapi/plan"
)

// Limits of list arguments.
const (
	MaxSearchText   = 500
	MaxNodesIDs     = 100
	MaxNeighborhood = 1000
)

// Resolver holds the resolvers' dependencies. It is not regenerated.
type Resolver struct {
	Store  plan.Store
	Writer plan.Writer // nil: a read-only server
	Events *Broker     // nil: no subscriptions
	// NoPrefetch turns off compiling a measure page's selection into its
	// query (every level is then batched by the dataloader): for measuring.
	NoPrefetch bool
}

func (r *Resolver) loaders(ctx context.Context) *dataloader.Loaders {
	return dataloader.For(ctx, r.Store)
}

// related resolves a batched relationship field into a typed list.
func related[T plan.Node](ctx context.Context, r *Resolver, rel plan.Relation, n plan.Node) ([]T, error) {
	nodes, err := r.loaders(ctx).Related(ctx, rel, n)
	if err != nil {
		return nil, err
	}
	out := make([]T, 0, len(nodes))
	for _, x := range nodes {
		if t, ok := x.(T); ok {
			out = append(out, t)
		}
	}
	return out, nil
}

// relatedOne resolves a batched to-one relationship field.
func relatedOne[T plan.Node](ctx context.Context, r *Resolver, rel plan.Relation, n plan.Node) (T, error) {
	var zero T
	list, err := related[T](ctx, r, rel, n)
	if err != nil || len(list) == 0 {
		return zero, err
	}
	return list[0], nil
}

// ref resolves a to-one field held as an id on the node.
func ref[T plan.Node](ctx context.Context, r *Resolver, field plan.Relation, n plan.Node, id func(plan.Node) plan.ID) (T, error) {
	var zero T
	x, err := r.loaders(ctx).Ref(ctx, field, n, id)
	if err != nil || x == nil {
		return zero, err
	}
	t, _ := x.(T)
	return t, nil
}

// The references that to-one fields follow. A level may hold nodes of
// several types (search hits, nodes(ids:)): each returns "" for the others.
func sectionOfAspect(n plan.Node) plan.ID {
	if a, ok := n.(*plan.Aspect); ok {
		return a.SectionID
	}
	return ""
}

func planOfMeasure(n plan.Node) plan.ID {
	if m, ok := n.(*plan.Measure); ok {
		return m.PlanID
	}
	return ""
}

func sectionOfMeasure(n plan.Node) plan.ID {
	if m, ok := n.(*plan.Measure); ok {
		return m.SectionID
	}
	return ""
}

func aspectOfMeasure(n plan.Node) plan.ID {
	if m, ok := n.(*plan.Measure); ok && m.AspectID != nil {
		return *m.AspectID
	}
	return ""
}

func planOfSection(n plan.Node) plan.ID {
	if s, ok := n.(*plan.Section); ok {
		return s.PlanID
	}
	return ""
}

// connArgs are the arguments of a measures field.
type connArgs struct {
	filter  *model.MeasureFilter
	orderBy []*model.MeasureOrder
	first   *int
	after   *string
	last    *int
	before  *string
}

// buildMeasureQuery validates a connection's arguments and turns them into a
// store query.
func buildMeasureQuery(ctx context.Context, scope plan.Scope, a connArgs) (plan.MeasureQuery, error) {
	q := plan.MeasureQuery{Scope: scope}
	if a.first != nil && a.last != nil {
		return q, plan.Errorf(plan.EINVALID, "use either first (with after) or last (with before), not both")
	}
	for name, v := range map[string]*int{"first": a.first, "last": a.last} {
		if v == nil {
			continue
		}
		if *v < 0 {
			return q, plan.Errorf(plan.EINVALID, "%s must not be negative (got %d)", name, *v)
		}
		if *v > plan.MaxPageSize {
			return q, plan.Errorf(plan.EINVALID, "%s must be at most %d (got %d); page with after/before cursors", name, plan.MaxPageSize, *v)
		}
	}
	q.First, q.Last = a.first, a.last
	if q.First == nil && q.Last == nil {
		n := plan.DefaultPageSize
		q.First = &n
	}
	for _, o := range a.orderBy {
		if o == nil {
			continue
		}
		q.Order = append(q.Order, plan.Order{Field: plan.OrderField(o.Field), Desc: o.Direction == model.OrderDirectionDesc})
	}
	if len(q.Order) == 0 {
		q.Order = []plan.Order{{Field: plan.OrderCode}}
	}
	var err error
	if a.after != nil {
		if q.After, err = plan.DecodeCursor(q.Order, *a.after); err != nil {
			return q, err
		}
	}
	if a.before != nil {
		if q.Before, err = plan.DecodeCursor(q.Order, *a.before); err != nil {
			return q, err
		}
	}
	if f := a.filter; f != nil {
		for name, v := range map[string]*int{"filter.section": f.Section, "filter.aspect": f.Aspect} {
			if v != nil && *v < 1 {
				return q, plan.Errorf(plan.EINVALID, "%s must be 1 or more (sections and aspects are numbered from 1; got %d)", name, *v)
			}
		}
		q.Filter = plan.MeasureCriteria{Section: f.Section, Aspect: f.Aspect, Sectors: f.Sector, Projects: f.Project, Places: f.Place, Text: f.Text}
		if f.MilestoneYear != nil {
			q.Filter.MilestoneYearMin, q.Filter.MilestoneYearMax = f.MilestoneYear.Min, f.MilestoneYear.Max
			if f.MilestoneYear.Min == nil && f.MilestoneYear.Max == nil {
				// An open range still asks for a milestone: every year is >= 0.
				zero := 0
				q.Filter.MilestoneYearMin = &zero
			}
			if f.MilestoneYear.Min != nil && f.MilestoneYear.Max != nil && *f.MilestoneYear.Min > *f.MilestoneYear.Max {
				return q, plan.Errorf(plan.EINVALID, "filter.milestoneYear: min (%d) is greater than max (%d)", *f.MilestoneYear.Min, *f.MilestoneYear.Max)
			}
		}
		q.Filter.Statuses = f.Status
		if f.Event != nil {
			ef, err := eventFilter(f.Event)
			if err != nil {
				return q, err
			}
			q.Filter.Event = &ef
		}
		if f.Text != nil && len(*f.Text) > MaxSearchText {
			return q, plan.Errorf(plan.EINVALID, "filter.text is longer than %d characters", MaxSearchText)
		}
	}
	q.WantTotal = wantsField(ctx, "totalCount")
	q.CountOnly = !wantsField(ctx, "nodes") && !wantsField(ctx, "edges") && !wantsField(ctx, "pageInfo")
	return q, nil
}

// wantsField reports whether the current field's selection asks for name.
func wantsField(ctx context.Context, name string) bool {
	if graphql.GetFieldContext(ctx) == nil {
		return true
	}
	for _, f := range graphql.CollectFieldsCtx(ctx, nil) {
		if f.Name == name {
			return true
		}
	}
	return false
}

// measures resolves a measures connection of node n (nil: the whole graph).
func (r *Resolver) measures(ctx context.Context, scope plan.Scope, n plan.Node, a connArgs) (*model.MeasureConnection, error) {
	q, err := buildMeasureQuery(ctx, scope, a)
	if err != nil {
		return nil, err
	}
	if !r.NoPrefetch {
		q.Prefetch, q.Props = measurePrefetch(ctx), measureProps(ctx)
	}
	var page *plan.MeasurePage
	if n == nil {
		page, err = r.loaders(ctx).AllMeasures(ctx, q)
	} else {
		page, err = r.loaders(ctx).Measures(ctx, n, q)
	}
	if err != nil {
		return nil, err
	}
	conn := &model.MeasureConnection{
		Nodes:      page.Measures,
		Edges:      make([]*model.MeasureEdge, len(page.Measures)),
		PageInfo:   &model.PageInfo{HasNextPage: page.HasNextPage, HasPreviousPage: page.HasPreviousPage},
		TotalCount: page.TotalCount,
	}
	for i, m := range page.Measures {
		conn.Edges[i] = &model.MeasureEdge{Cursor: plan.EncodeCursor(q.Order, page.Keys[i]), Node: m}
	}
	if len(conn.Edges) > 0 {
		conn.PageInfo.StartCursor = &conn.Edges[0].Cursor
		conn.PageInfo.EndCursor = &conn.Edges[len(conn.Edges)-1].Cursor
	}
	return conn, nil
}

// parseID decodes a global id; a malformed one is a BAD_USER_INPUT error.
func parseID(s string) (plan.ID, error) { return plan.ParseGlobalID(s) }

func dateOf(s *string) *model.Date {
	if s == nil {
		return nil
	}
	d := model.Date(*s)
	return &d
}

func kindsOf(types []string) ([]plan.Kind, error) {
	var out []plan.Kind
	for _, t := range types {
		k, ok := plan.ParseKind(t)
		if !ok || k == plan.KindSource {
			names := make([]string, 0, len(plan.Kinds))
			for _, k := range plan.Kinds {
				if k != plan.KindSource {
					names = append(names, string(k))
				}
			}
			return nil, plan.Errorf(plan.EINVALID, "unknown type %q in types: use %s", t, strings.Join(names, ", "))
		}
		out = append(out, k)
	}
	return out, nil
}

func intOr(p *int, def int) int {
	if p == nil {
		return def
	}
	return *p
}

func checkRange(name string, v, lo, hi int) error {
	if v < lo || v > hi {
		return plan.Errorf(plan.EINVALID, "%s must be between %d and %d (got %d)", name, lo, hi, v)
	}
	return nil
}
