package plan

import (
	"context"
	"fmt"
	"strconv"
	"time"
)

// Event is a dated happening in the life of the plan, its measures,
// projects and places, as public sources report it: an approval, a law in
// force, an opening, a delay, a target set.
type Event struct {
	ID    ID
	Slug  string
	Kind  EventKind
	Title string
	// Date is as precise as the sources allow: "2020", "2020-04" or
	// "2020-04-27" (Precision says which).
	Date      string
	Precision DatePrecision
	// DateNote says why the date is approximate or implied, when it is.
	DateNote *string
	// TargetYear is the year a TARGET_SET or DELAYED event's target is for.
	TargetYear *int
	// Confirmed is true when an official or mainstream source supports the
	// event; false when only reposts do, or the source leaves doubt.
	Confirmed  bool
	Quantities []Quantity
}

// Quantity is an amount an event reports: an area, a count, a sum.
type Quantity struct {
	Of    string
	Value float64
	Unit  string
}

// EventKind is what kind of happening an event is.
type EventKind string

// The kinds of events.
const (
	EventAnnounced EventKind = "ANNOUNCED"
	EventApproved  EventKind = "APPROVED"
	EventIssued    EventKind = "ISSUED"
	EventLaunched  EventKind = "LAUNCHED"
	EventInForce   EventKind = "IN_FORCE"
	EventOpened    EventKind = "OPENED"
	EventCompleted EventKind = "COMPLETED"
	EventExpanded  EventKind = "EXPANDED"
	EventDelayed   EventKind = "DELAYED"
	EventTargetSet EventKind = "TARGET_SET"
	EventReported  EventKind = "REPORTED"
)

// EventKinds lists every kind of event.
var EventKinds = []EventKind{EventAnnounced, EventApproved, EventIssued, EventLaunched, EventInForce, EventOpened,
	EventCompleted, EventExpanded, EventDelayed, EventTargetSet, EventReported}

// Acts reports whether an event of kind k is a step of the work itself
// (approved, issued, launched, in force, opened, completed, expanded,
// delayed or a figure reported), as against words about it (announced, a
// target set): the steps are what Measure.statusAsOf reads as work under way.
func (k EventKind) Acts() bool { return k != EventAnnounced && k != EventTargetSet }

// DatePrecision is how precise an event's date is.
type DatePrecision string

// The precisions of a date.
const (
	PrecisionDay   DatePrecision = "DAY"
	PrecisionMonth DatePrecision = "MONTH"
	PrecisionYear  DatePrecision = "YEAR"
)

// DateSpan reads a date of an event ("YYYY", "YYYY-MM" or "YYYY-MM-DD")
// as the first and last day it may stand for, and its precision.
func DateSpan(s string) (first, last string, p DatePrecision, err error) {
	switch len(s) {
	case 4:
		y, err := strconv.Atoi(s)
		if err != nil || y < 1000 {
			break
		}
		return s + "-01-01", s + "-12-31", PrecisionYear, nil
	case 7:
		t, err := time.Parse("2006-01", s)
		if err != nil {
			break
		}
		return t.Format("2006-01-02"), t.AddDate(0, 1, -1).Format("2006-01-02"), PrecisionMonth, nil
	case 10:
		t, err := time.Parse("2006-01-02", s)
		if err != nil {
			break
		}
		return s, t.Format("2006-01-02"), PrecisionDay, nil
	}
	return "", "", "", fmt.Errorf("date %q: want YYYY, YYYY-MM or YYYY-MM-DD", s)
}

// EventCriteria narrows events; fields combine with AND, values in a list
// with OR. From and To are ISO days: an event is kept when the span its
// date stands for meets [From, To].
type EventCriteria struct {
	Kinds     []EventKind
	From, To  *string
	Confirmed *bool
}

// EventQuery asks for one page of a timeline: the events of each scope
// node (a measure, project, place or plan; every event when Scope is ""),
// ordered by date (then slug), oldest first unless Desc.
type EventQuery struct {
	Scope  Kind
	Filter EventCriteria
	Desc   bool
	// WantTotal asks for TotalCount (counting is skipped otherwise).
	WantTotal bool
	First     *int
	After     *string
	Last      *int
	Before    *string
}

// EventKey is an EventQuery as a comparable value: the key under which
// the dataloader shares one timeline read among the nodes of a level.
type EventKey struct {
	Scope               Kind
	Kinds               string // the kinds, joined by commas
	From, To            string
	Confirmed           int8 // 0 any, 1 true, 2 false
	Desc                bool
	First, Last         int // -1 when not given
	After, Before       string
	HasAfter, HasBefore bool
	Total               bool
}

// Key is q as an EventKey.
func (q EventQuery) Key() EventKey {
	k := EventKey{Scope: q.Scope, Desc: q.Desc, First: -1, Last: -1, Total: q.WantTotal}
	for i, kind := range q.Filter.Kinds {
		if i > 0 {
			k.Kinds += ","
		}
		k.Kinds += string(kind)
	}
	if q.Filter.From != nil {
		k.From = *q.Filter.From
	}
	if q.Filter.To != nil {
		k.To = *q.Filter.To
	}
	if c := q.Filter.Confirmed; c != nil {
		k.Confirmed = 2
		if *c {
			k.Confirmed = 1
		}
	}
	if q.First != nil {
		k.First = *q.First
	}
	if q.Last != nil {
		k.Last = *q.Last
	}
	if q.After != nil {
		k.After, k.HasAfter = *q.After, true
	}
	if q.Before != nil {
		k.Before, k.HasBefore = *q.Before, true
	}
	return k
}

// EventPage is one page of a timeline.
type EventPage struct {
	Events          []*Event
	Cursors         []string
	HasNextPage     bool
	HasPreviousPage bool
	TotalCount      int
}

// StatusAnswer is a measure's status on a day and the evidence behind it.
type StatusAnswer struct {
	Status Status
	AsOf   string
	// Basis says which rule answered: "status history", "events",
	// "dataset" or "before the plan".
	Basis string
	// Change is the recorded status change that answered, if one did.
	Change *StatusChange
	// Events are the events on or before the day that concern the measure
	// or a project it advances, newest first.
	Events []*Event
}

// Timeline reads events.
type Timeline interface {
	// Timeline answers a page of events for each scope id (or of every
	// event when q.Scope is "") in one round trip.
	Timeline(ctx context.Context, q EventQuery, scopeIDs []ID) (map[ID]*EventPage, error)
	// StatusAsOf answers each measure's status on day asOf (YYYY-MM-DD) in
	// one round trip.
	StatusAsOf(ctx context.Context, measureIDs []ID, asOf string) (map[ID]*StatusAnswer, error)
}

func (n *Event) NodeID() ID { return n.ID }

// IsEntity marks an event as an Apollo Federation entity.
func (n *Event) IsEntity() {}
