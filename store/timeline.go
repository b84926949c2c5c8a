package store

import (
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/shenzhenplan/kgapi/plan"
)

// timelineReach binds e to the events of the scope node `scope`, by the
// scope's kind: what a measure or project's events concern directly, a
// place's also the places within it, a plan's also its measures. Every
// fragment is from this table; nothing from a request.
var timelineReach = map[plan.Kind]string{
	"":               "MATCH (e:Event)",
	plan.KindMeasure: "MATCH (:Measure {id: scope})<-[:" + plan.RelTypeConcerns + "]-(e:Event)",
	plan.KindProject: "MATCH (:Project {id: scope})<-[:" + plan.RelTypeConcerns + "]-(e:Event)",
	plan.KindPlace:   "MATCH (:Place {id: scope})<-[:" + plan.RelTypeWithin + "*0..8]-(:Place)<-[:" + plan.RelTypeConcerns + "]-(e:Event)",
	plan.KindPlan:    "MATCH (e:Event) WHERE scope IN e.planIds",
}

// eventFilter is the condition of an EventFilter on e.
const eventFilter = `($kinds IS NULL OR e.kind IN $kinds) AND ($from IS NULL OR e.endDate >= $from) AND ($to IS NULL OR e.startDate <= $to) AND ($confirmed IS NULL OR e.confirmed = $confirmed)`

// Timeline implements plan.Store: for each scope, the events in date order
// (then slug) with their total, in one round trip.
func (s *Store) Timeline(ctx context.Context, q plan.EventQuery, scopeIDs []plan.ID) (map[plan.ID]*plan.EventPage, error) {
	reach, ok := timelineReach[q.Scope]
	if !ok {
		return nil, plan.Errorf(plan.EINVALID, "no timeline for %s", q.Scope)
	}
	scopes := idStrings(scopeIDs)
	if q.Scope == "" {
		scopes = []string{""}
	}
	params, size, err := timelineParams(q)
	if err != nil {
		return nil, err
	}
	params["scopes"] = scopes
	backward := q.Last != nil || q.Before != nil
	desc := q.Desc != backward // read backward pages in reverse, then turn them round
	dir := "ASC"
	cmp := ">"
	if desc {
		dir, cmp = "DESC", "<"
	}
	keyset := "($ckey IS NULL OR [e.startDate, e.slug] " + cmp + " $ckey)"
	total := "0 AS total"
	if q.WantTotal {
		total = "COUNT {\n  " + reach + "\n  WITH DISTINCT e WHERE " + eventFilter + "\n  RETURN e\n} AS total"
	}
	cypher := "UNWIND $scopes AS scope\nWITH scope, " + total + "\n" +
		"CALL {\n  WITH scope\n  " + reach + "\n  WITH DISTINCT e WHERE " + eventFilter + " AND " + keyset + "\n" +
		"  WITH e ORDER BY e.startDate " + dir + ", e.slug " + dir + " LIMIT $limit\n  RETURN collect(e) AS rows\n}\nRETURN scope, total, rows"
	recs, err := s.read(ctx, cypher, params)
	if err != nil {
		return nil, fmt.Errorf("timeline of %d %s nodes: %w", len(scopes), q.Scope, err)
	}
	out := make(map[plan.ID]*plan.EventPage, len(recs))
	for _, rec := range recs {
		scope, err := recordValue[string](rec, "scope")
		if err != nil {
			return nil, fmt.Errorf("timeline: %w", err)
		}
		total, err := recordValue[int64](rec, "total")
		if err != nil {
			return nil, fmt.Errorf("timeline: %w", err)
		}
		rows, err := recordValue[[]any](rec, "rows")
		if err != nil {
			return nil, fmt.Errorf("timeline: %w", err)
		}
		page := &plan.EventPage{TotalCount: int(total)}
		more := len(rows) > size
		if more {
			rows = rows[:size]
		}
		for _, r := range rows {
			props, err := nodeProps(r)
			if err != nil {
				return nil, fmt.Errorf("timeline: %w", err)
			}
			n, err := scanNode(props, nil)
			if err != nil {
				return nil, fmt.Errorf("timeline: %w", err)
			}
			e, ok := n.(*plan.Event)
			if !ok {
				return nil, fmt.Errorf("timeline: %s is not an event", n.NodeID())
			}
			page.Events = append(page.Events, e)
			page.Cursors = append(page.Cursors, eventCursor(q.Desc, prop[string](&propReader{m: props}, "startDate"), e.Slug))
		}
		if backward {
			slices.Reverse(page.Events)
			slices.Reverse(page.Cursors)
			page.HasPreviousPage, page.HasNextPage = more, q.Before != nil
		} else {
			page.HasNextPage, page.HasPreviousPage = more, q.After != nil
		}
		out[plan.ID(scope)] = page
	}
	return out, nil
}

// timelineParams are the parameters of a timeline query: the filter, the
// cursor's key and the page size plus one (to tell whether more follow);
// and the page size.
func timelineParams(q plan.EventQuery) (map[string]any, int, error) {
	p := eventFilterParams(q.Filter, "")
	p["ckey"] = nil
	if q.First != nil && q.Last != nil {
		return nil, 0, plan.Errorf(plan.EINVALID, "give first or last, not both")
	}
	if q.After != nil && q.Before != nil {
		return nil, 0, plan.Errorf(plan.EINVALID, "give after or before, not both")
	}
	n := plan.DefaultPageSize
	switch {
	case q.First != nil:
		n = *q.First
	case q.Last != nil:
		n = *q.Last
	}
	if n < 0 || n > plan.MaxPageSize {
		return nil, 0, plan.Errorf(plan.EINVALID, "page size %d out of range: 0 to %d", n, plan.MaxPageSize)
	}
	p["limit"] = int64(n + 1)
	for _, c := range []*string{q.After, q.Before} {
		if c == nil {
			continue
		}
		date, slug, err := decodeEventCursor(q.Desc, *c)
		if err != nil {
			return nil, 0, err
		}
		p["ckey"] = []string{date, slug}
	}
	return p, n, nil
}

// eventFilterParams are the parameters of eventFilter for f, their names
// prefixed with prefix (a measure query's event filter uses "e").
func eventFilterParams(f plan.EventCriteria, prefix string) map[string]any {
	p := map[string]any{prefix + "kinds": nil, prefix + "from": nil, prefix + "to": nil, prefix + "confirmed": nil}
	if len(f.Kinds) > 0 {
		ks := make([]string, len(f.Kinds))
		for i, k := range f.Kinds {
			ks[i] = string(k)
		}
		p[prefix+"kinds"] = ks
	}
	if f.From != nil {
		p[prefix+"from"] = *f.From
	}
	if f.To != nil {
		p[prefix+"to"] = *f.To
	}
	if f.Confirmed != nil {
		p[prefix+"confirmed"] = *f.Confirmed
	}
	return p
}

// eventCursor is the opaque cursor of an event in a timeline: its order,
// first day and slug.
func eventCursor(desc bool, start, slug string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(eventOrder(desc) + "|" + start + "|" + slug))
}

func decodeEventCursor(desc bool, c string) (start, slug string, err error) {
	bad := plan.Errorf(plan.EINVALID, "invalid cursor %q: use a cursor returned by this timeline with the same order", c)
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return "", "", bad
	}
	parts := strings.SplitN(string(raw), "|", 3)
	if len(parts) != 3 || parts[0] != eventOrder(desc) {
		return "", "", bad
	}
	return parts[1], parts[2], nil
}

func eventOrder(desc bool) string {
	if desc {
		return "ev-desc"
	}
	return "ev-asc"
}

// StatusAsOf implements plan.Store: each measure's status on day asOf, from
// the status changes recorded through the API that took effect by then,
// else from the confirmed events by then that concern the measure or a
// project it advances (work under way), else the status its sources give.
func (s *Store) StatusAsOf(ctx context.Context, ids []plan.ID, asOf string) (map[plan.ID]*plan.StatusAnswer, error) {
	recs, err := s.read(ctx, `UNWIND $ids AS key
MATCH (m:Measure {id: key})
RETURN key, m.status AS status, m.statusSetBy IS NOT NULL AS edited,
  COLLECT { MATCH (m)-[:HAS_STATUS_CHANGE]->(c:StatusChange)
    WITH c, coalesce(c.asOf, substring(c.recordedAt, 0, 10)) AS day WHERE day <= $asOf
    RETURN c {.status, .note, .asOf, .recordedAt, .by} ORDER BY day DESC, c.seq DESC LIMIT 1 } AS changes,
  COLLECT { MATCH (m)-[:`+plan.RelTypeAdvances+`*0..1]->(x)<-[:`+plan.RelTypeConcerns+`]-(e:Event)
    WHERE (x = m OR x:Project) AND e.endDate <= $asOf
    WITH DISTINCT e ORDER BY e.startDate DESC, e.slug LIMIT 10 RETURN e } AS events`,
		map[string]any{"ids": idStrings(ids), "asOf": asOf})
	if err != nil {
		return nil, fmt.Errorf("status of %d measures as of %s: %w", len(ids), asOf, err)
	}
	out := make(map[plan.ID]*plan.StatusAnswer, len(recs))
	for _, rec := range recs {
		key, ans, err := scanStatusAnswer(rec, asOf)
		if err != nil {
			return nil, fmt.Errorf("status as of %s: %w", asOf, err)
		}
		out[plan.ID(key)] = ans
	}
	return out, nil
}

// scanStatusAnswer reads one row of StatusAsOf and applies its rules.
func scanStatusAnswer(rec *neo4j.Record, asOf string) (string, *plan.StatusAnswer, error) {
	key, err := recordValue[string](rec, "key")
	if err != nil {
		return "", nil, err
	}
	status, err := recordValue[string](rec, "status")
	if err != nil {
		return "", nil, err
	}
	edited, err := recordValue[bool](rec, "edited")
	if err != nil {
		return "", nil, err
	}
	changes, err := recordValue[[]any](rec, "changes")
	if err != nil {
		return "", nil, err
	}
	events, err := recordValue[[]any](rec, "events")
	if err != nil {
		return "", nil, err
	}
	ans := &plan.StatusAnswer{AsOf: asOf, Events: []*plan.Event{}}
	acted := false
	for _, x := range events {
		props, err := nodeProps(x)
		if err != nil {
			return "", nil, err
		}
		n, err := scanNode(props, nil)
		if err != nil {
			return "", nil, err
		}
		e, ok := n.(*plan.Event)
		if !ok {
			return "", nil, fmt.Errorf("%s is not an event", n.NodeID())
		}
		ans.Events = append(ans.Events, e)
		acted = acted || (e.Confirmed && e.Kind.Acts())
	}
	switch {
	case len(changes) > 0:
		m, err := as[map[string]any](changes[0], "status change")
		if err != nil {
			return "", nil, err
		}
		p := &propReader{m: m}
		c := &plan.StatusChange{Status: plan.Status(p.str("status")), Note: p.optStr("note"), AsOf: p.optStr("asOf"),
			RecordedAt: p.str("recordedAt"), By: p.str("by")}
		if p.err != nil {
			return "", nil, p.err
		}
		ans.Status, ans.Basis, ans.Change = c.Status, "status history", c
	case acted && (status == string(plan.StatusPlanned) || status == string(plan.StatusUnknown) || edited):
		ans.Status, ans.Basis = plan.StatusInProgress, "events"
	case edited:
		// Every recorded change took effect after asOf, and the status the
		// sources gave was replaced by the first of them.
		ans.Status, ans.Basis = plan.StatusUnknown, "before the first recorded change"
	default:
		ans.Status, ans.Basis = plan.Status(status), "dataset"
	}
	if ans.Status == "" {
		ans.Status = plan.StatusUnknown
	}
	return key, ans, nil
}
