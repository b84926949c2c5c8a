// Package model holds the GraphQL-only types: the ones gqlgen generates
// (models_gen.go) and the hand-written connections and scalars below.
package model

import (
	"io"
	"strconv"
	"time"

	"github.com/shenzhenplan/kgapi/plan"
)

// Date is an ISO 8601 calendar date (YYYY-MM-DD).
type Date string

// MarshalGQL writes the date as a string.
func (d Date) MarshalGQL(w io.Writer) { _, _ = io.WriteString(w, strconv.Quote(string(d))) }

// UnmarshalGQL accepts only valid YYYY-MM-DD dates.
func (d *Date) UnmarshalGQL(v any) error {
	s, ok := v.(string)
	if !ok {
		return plan.Errorf(plan.EINVALID, "a Date must be a string YYYY-MM-DD")
	}
	if _, err := time.Parse(time.DateOnly, s); err != nil {
		return plan.Errorf(plan.EINVALID, "invalid Date %q: use YYYY-MM-DD", s)
	}
	*d = Date(s)
	return nil
}

// MeasureConnection is a page of measures.
type MeasureConnection struct {
	Edges      []*MeasureEdge
	Nodes      []*plan.Measure
	PageInfo   *PageInfo
	TotalCount int
}

// MeasureEdge is a measure with its cursor.
type MeasureEdge struct {
	Cursor string
	Node   *plan.Measure
}

// ProjectConnection is a page of projects.
type ProjectConnection struct {
	Edges      []*ProjectEdge
	Nodes      []*plan.Project
	PageInfo   *PageInfo
	TotalCount int
}

// ProjectEdge is a project with its cursor.
type ProjectEdge struct {
	Cursor string
	Node   *plan.Project
}

// EventConnection is a page of events.
type EventConnection struct {
	Edges      []*EventEdge
	Nodes      []*plan.Event
	PageInfo   *PageInfo
	TotalCount int
}

// EventEdge is an event with its cursor.
type EventEdge struct {
	Cursor string
	Node   *plan.Event
}
