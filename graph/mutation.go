package graph

import (
	"context"

	"github.com/shenzhenplan/kgapi/graph/model"
	"github.com/shenzhenplan/kgapi/plan"
)

// recorded returns ctx with a receipt for the writes it makes (the
// request's, when the HTTP layer made one) and that receipt.
func recorded(ctx context.Context) (context.Context, *plan.Receipt) {
	if rc := plan.ReceiptFrom(ctx); rc != nil {
		return ctx, rc
	}
	rc := &plan.Receipt{}
	return plan.WithReceipt(ctx, rc), rc
}

// changed tells the broker that this process committed the change of
// measure m that the receipt's last entry records.
func (r *Resolver) changed(rc *plan.Receipt, m *plan.Measure, by string) {
	seqs := rc.Seqs()
	if len(seqs) == 0 {
		return
	}
	r.Events.Local(plan.Change{Seq: seqs[len(seqs)-1], Kind: plan.ChangeMutation, IDs: []plan.ID{m.ID}, By: by})
}

func (r *Resolver) writer() (plan.Writer, error) {
	if r.Writer == nil {
		return nil, plan.Errorf(plan.EUNAVAIL, "this server is read-only")
	}
	return r.Writer, nil
}

// editor is who makes a change (the token's name) and the writer to make it with.
func (r *Resolver) editor(ctx context.Context) (string, plan.Writer, error) {
	by, err := actor(ctx)
	if err != nil {
		return "", nil, err
	}
	w, err := r.writer()
	return by, w, err
}

func (r *Resolver) setMeasureStatus(ctx context.Context, code string, status plan.Status, note *string, asOf *model.Date, planSlug *string) (*plan.Measure, error) {
	by, w, err := r.editor(ctx)
	if err != nil {
		return nil, err
	}
	if note != nil && len(*note) > 2000 {
		return nil, plan.Errorf(plan.EINVALID, "note is longer than 2000 characters")
	}
	var date *string
	if asOf != nil {
		s := string(*asOf)
		date = &s
	}
	ctx, rc := recorded(ctx)
	m, err := w.SetMeasureStatus(ctx, deref(planSlug), code, status, note, date, by)
	if err != nil {
		return nil, err
	}
	r.changed(rc, m, by)
	return m, nil
}

func (r *Resolver) upsertMeasure(ctx context.Context, in model.MeasureInput) (*plan.Measure, error) {
	by, w, err := r.editor(ctx)
	if err != nil {
		return nil, err
	}
	mi := plan.MeasureWrite{Plan: in.Plan, Code: in.Code, Title: in.Title, TitleZh: in.TitleZh, Description: in.Description, Status: in.Status}
	for _, s := range in.Sources {
		mi.Sources = append(mi.Sources, plan.SourceRef{Source: s.Source, Excerpt: s.Excerpt})
	}
	ctx, rc := recorded(ctx)
	m, _, err := w.UpsertMeasure(ctx, mi, by)
	if err != nil {
		return nil, err
	}
	r.changed(rc, m, by)
	return m, nil
}

func (r *Resolver) linkMeasure(ctx context.Context, in model.LinkInput, remove bool) (*plan.Measure, error) {
	by, w, err := r.editor(ctx)
	if err != nil {
		return nil, err
	}
	li := plan.LinkWrite{Plan: deref(in.Plan), Code: in.Code, Kind: in.Kind, Target: in.Target}
	if in.Source != nil {
		if remove {
			return nil, plan.Errorf(plan.EINVALID, "unlinkMeasure takes no source")
		}
		li.Source = &plan.SourceRef{Source: in.Source.Source, Excerpt: in.Source.Excerpt}
	}
	ctx, rc := recorded(ctx)
	m, err := w.LinkMeasure(ctx, li, remove, by)
	if err != nil {
		return nil, err
	}
	r.changed(rc, m, by)
	return m, nil
}

func (r *Resolver) measureChanged(ctx context.Context, code, planSlug *string, after *int) (<-chan *plan.Measure, error) {
	changes, err := r.changes(ctx, after)
	if err != nil {
		return nil, err
	}
	out := make(chan *plan.Measure, 1)
	go func() {
		defer close(out)
		for c := range changes {
			var ids []plan.ID
			for _, id := range c.IDs {
				if matches(id, code, planSlug) {
					ids = append(ids, id)
				}
			}
			if len(ids) == 0 {
				continue
			}
			nodes, err := r.Store.Nodes(ctx, ids)
			if err != nil {
				continue // the store logs it; the measure's next change brings it again
			}
			for _, id := range ids {
				m, ok := nodes[id].(*plan.Measure)
				if !ok {
					continue
				}
				select {
				case out <- m:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return out, nil
}

// changes is the change log from after (from now when nil), in order, to
// an authenticated subscriber.
func (r *Resolver) changes(ctx context.Context, after *int) (<-chan plan.Change, error) {
	if _, err := actor(ctx); err != nil {
		return nil, err
	}
	if r.Events == nil {
		return nil, plan.Errorf(plan.EUNAVAIL, "this server has no subscriptions")
	}
	if after == nil {
		if n, ok := ctx.Value(resumeKey{}).(int); ok {
			after = &n
		}
	}
	if after != nil && *after < 0 {
		return nil, plan.Errorf(plan.EINVALID, "after must be a sequence number (0 or more)")
	}
	return changeStream(ctx, r.Events, r.Store, after)
}

type resumeKey struct{}

// WithResume returns a context whose subscriptions resume after change
// seq when they do not say `after` themselves: an SSE client's
// Last-Event-ID.
func WithResume(ctx context.Context, seq int) context.Context {
	return context.WithValue(ctx, resumeKey{}, seq)
}

// changeEvents is the changes subscription: each change as a pointer.
func (r *Resolver) changeEvents(ctx context.Context, after *int) (<-chan *plan.Change, error) {
	changes, err := r.changes(ctx, after)
	if err != nil {
		return nil, err
	}
	out := make(chan *plan.Change, 1)
	go func() {
		defer close(out)
		for c := range changes {
			select {
			case out <- &c:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}

// changeMeasures is Change.measures: the measures as they are now (one
// round trip), those since deleted left out.
func (r *Resolver) changeMeasures(ctx context.Context, c *plan.Change) ([]*plan.Measure, error) {
	if len(c.IDs) == 0 {
		return []*plan.Measure{}, nil
	}
	nodes, err := r.Store.Nodes(ctx, c.IDs)
	if err != nil {
		return nil, err
	}
	out := make([]*plan.Measure, 0, len(c.IDs))
	for _, id := range c.IDs {
		if m, ok := nodes[id].(*plan.Measure); ok {
			out = append(out, m)
		}
	}
	return out, nil
}

func (r *Resolver) statusHistory(ctx context.Context, m *plan.Measure) ([]*plan.StatusChange, error) {
	w, err := r.writer()
	if err != nil {
		return []*plan.StatusChange{}, nil
	}
	h, err := r.loaders(ctx).StatusHistory(ctx, m, w)
	if err != nil {
		return nil, err
	}
	out := make([]*plan.StatusChange, len(h))
	for i := range h {
		out[i] = &h[i]
	}
	return out, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// optString is s, nil when empty.
func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
