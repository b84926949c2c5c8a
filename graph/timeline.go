package graph

import (
	"context"
	"time"

	"github.com/shenzhenplan/kgapi/graph/model"
	"github.com/shenzhenplan/kgapi/plan"
)

// eventArgs are the arguments of a timeline or of Query.events.
type eventArgs struct {
	filter        *model.EventFilter
	order         *model.OrderDirection
	first, last   *int
	after, before *string
}

// eventFilter maps a GraphQL event filter onto the domain's.
func eventFilter(f *model.EventFilter) (plan.EventCriteria, error) {
	if f == nil {
		return plan.EventCriteria{}, nil
	}
	out := plan.EventCriteria{Kinds: f.Kind, Confirmed: f.Confirmed}
	if f.From != nil {
		s := string(*f.From)
		out.From = &s
	}
	if f.To != nil {
		s := string(*f.To)
		out.To = &s
	}
	if out.From != nil && out.To != nil && *out.From > *out.To {
		return out, plan.Errorf(plan.EINVALID, "event filter: from (%s) is after to (%s)", *out.From, *out.To)
	}
	return out, nil
}

// timeline answers the timeline of n (of every event when n is nil).
func (r *Resolver) timeline(ctx context.Context, scope plan.Kind, n plan.Node, a eventArgs) (*model.EventConnection, error) {
	f, err := eventFilter(a.filter)
	if err != nil {
		return nil, err
	}
	for name, v := range map[string]*int{"first": a.first, "last": a.last} {
		if v != nil && (*v < 0 || *v > plan.MaxPageSize) {
			return nil, plan.Errorf(plan.EINVALID, "%s must be between 0 and %d, got %d", name, plan.MaxPageSize, *v)
		}
	}
	q := plan.EventQuery{Scope: scope, Filter: f, Desc: a.order != nil && *a.order == model.OrderDirectionDesc,
		First: a.first, After: a.after, Last: a.last, Before: a.before, WantTotal: wantsField(ctx, "totalCount")}
	var page *plan.EventPage
	if n == nil {
		page, err = r.loaders(ctx).AllEvents(ctx, q)
	} else {
		page, err = r.loaders(ctx).Timeline(ctx, n, q)
	}
	if err != nil {
		return nil, err
	}
	conn := &model.EventConnection{
		Nodes:      page.Events,
		Edges:      make([]*model.EventEdge, len(page.Events)),
		PageInfo:   &model.PageInfo{HasNextPage: page.HasNextPage, HasPreviousPage: page.HasPreviousPage},
		TotalCount: page.TotalCount,
	}
	if conn.Nodes == nil {
		conn.Nodes = []*plan.Event{}
	}
	for i, e := range page.Events {
		conn.Edges[i] = &model.EventEdge{Cursor: page.Cursors[i], Node: e}
	}
	if len(conn.Edges) > 0 {
		conn.PageInfo.StartCursor = &conn.Edges[0].Cursor
		conn.PageInfo.EndCursor = &conn.Edges[len(conn.Edges)-1].Cursor
	}
	return conn, nil
}

// statusAsOf is a measure's status on a day, with its evidence.
func (r *Resolver) statusAsOf(ctx context.Context, m *plan.Measure, asOf model.Date) (*plan.StatusAnswer, error) {
	return r.loaders(ctx).StatusAsOf(ctx, m, string(asOf))
}

// today is the current day in UTC, as a Date.
func today() model.Date { return model.Date(time.Now().UTC().Format(time.DateOnly)) }
