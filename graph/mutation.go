package graph

import (
	"context"

	"github.com/shenzhenplan/kgapi/graph/model"
	"github.com/shenzhenplan/kgapi/plan"
)

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
	m, err := w.SetMeasureStatus(ctx, deref(planSlug), code, status, note, date, by)
	if err != nil {
		return nil, err
	}
	r.Events.Publish(m.ID)
	return m, nil
}

func (r *Resolver) upsertMeasure(ctx context.Context, in model.MeasureInput) (*plan.Measure, error) {
	by, w, err := r.editor(ctx)
	if err != nil {
		return nil, err
	}
	mi := plan.MeasureInput{Plan: in.Plan, Code: in.Code, Title: in.Title, TitleZh: in.TitleZh, Description: in.Description, Status: in.Status}
	for _, s := range in.Sources {
		mi.Sources = append(mi.Sources, plan.SourceRef{Source: s.Source, Excerpt: s.Excerpt})
	}
	m, _, err := w.UpsertMeasure(ctx, mi, by)
	if err != nil {
		return nil, err
	}
	r.Events.Publish(m.ID)
	return m, nil
}

func (r *Resolver) linkMeasure(ctx context.Context, in model.LinkInput, remove bool) (*plan.Measure, error) {
	by, w, err := r.editor(ctx)
	if err != nil {
		return nil, err
	}
	li := plan.LinkInput{Plan: deref(in.Plan), Code: in.Code, Kind: in.Kind, Target: in.Target}
	if in.Source != nil {
		if remove {
			return nil, plan.Errorf(plan.EINVALID, "unlinkMeasure takes no source")
		}
		li.Source = &plan.SourceRef{Source: in.Source.Source, Excerpt: in.Source.Excerpt}
	}
	m, err := w.LinkMeasure(ctx, li, remove, by)
	if err != nil {
		return nil, err
	}
	r.Events.Publish(m.ID)
	return m, nil
}

func (r *Resolver) measureChanged(ctx context.Context, code, planSlug *string) (<-chan *plan.Measure, error) {
	if _, err := actor(ctx); err != nil {
		return nil, err
	}
	if r.Events == nil {
		return nil, plan.Errorf(plan.EUNAVAIL, "this server has no subscriptions")
	}
	ids := r.Events.Subscribe(ctx)
	out := make(chan *plan.Measure, 1)
	go func() {
		defer close(out)
		for id := range ids {
			if !matches(id, code, planSlug) {
				continue
			}
			nodes, err := r.Store.Nodes(ctx, []plan.ID{id})
			if err != nil {
				continue // the next change brings it again; the error is the store's to log
			}
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
	}()
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
