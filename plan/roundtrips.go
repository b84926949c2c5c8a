package plan

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// RoundTrips counts the store's round trips made with a context. Counters
// nest: a round trip counts in every counter of the context chain. The
// HTTP layer puts one in every request (the round-trips metric and log
// field); the store counts into it (CountRoundTrip).
type RoundTrips struct {
	n      atomic.Int64
	parent *RoundTrips
}

// Count is the number of round trips so far.
func (r *RoundTrips) Count() int { return int(r.n.Load()) }

type roundTripsKey struct{}

// WithRoundTrips returns a context whose round trips are counted in r.
func WithRoundTrips(ctx context.Context, r *RoundTrips) context.Context {
	if outer, ok := ctx.Value(roundTripsKey{}).(*RoundTrips); ok && outer != r {
		r.parent = outer
	}
	return context.WithValue(ctx, roundTripsKey{}, r)
}

// CountRoundTrip counts one round trip in every counter ctx carries.
func CountRoundTrip(ctx context.Context) {
	r, _ := ctx.Value(roundTripsKey{}).(*RoundTrips)
	for ; r != nil; r = r.parent {
		r.n.Add(1)
	}
}

// RoundTripLog records every round trip made with a context: its
// parameterised text, the names and types of its parameters (never their
// values, which may hold user input), how long it took and how many rows it
// returned. The API fills one per response for X-Debug: plan (DEBUG_PLAN);
// a context without one records nothing and pays one context lookup per
// round trip.
type RoundTripLog struct {
	start   time.Time
	mu      sync.Mutex
	began   int // round trips begun, numbering them in the order they started
	entries []RoundTrip
}

// RoundTrip is one entry of a RoundTripLog: one transaction sent to Neo4j.
type RoundTrip struct {
	// Kind is "read" (a managed read transaction), "write" (a managed write
	// transaction, possibly of several statements) or "auto" (an auto-commit
	// statement: schema and dry-run loads).
	Kind string `json:"kind"`
	// Cypher is the text sent; a write transaction's statements are joined
	// by ";\n" in the order they ran (the last attempt's, if retried).
	Cypher string `json:"cypher"`
	// Params maps each parameter's name to its type (string, integer,
	// float, boolean, null, map, list<…>): never its value.
	Params map[string]string `json:"params"`
	// StartMs is when it started, in milliseconds since the log was made.
	StartMs float64 `json:"startMs"`
	// Ms is how long it took, the session and the transaction included.
	Ms float64 `json:"ms"`
	// Rows is the number of records returned (absent for writes).
	Rows *int `json:"rows,omitempty"`
	// Failed says the round trip ended in an error (the response says which).
	Failed bool `json:"failed,omitempty"`

	seq int
}

// NewRoundTripLog returns an empty log whose clock starts now.
func NewRoundTripLog() *RoundTripLog { return &RoundTripLog{start: time.Now()} }

// Entries are the round trips so far, in the order they started.
func (l *RoundTripLog) Entries() []RoundTrip {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := slices.Clone(l.entries)
	slices.SortFunc(out, func(a, b RoundTrip) int { return a.seq - b.seq })
	if out == nil {
		out = []RoundTrip{}
	}
	return out
}

// Begin starts an entry now; the returned function records it, with its
// start, duration and place in the order filled in.
func (l *RoundTripLog) Begin() func(RoundTrip) {
	began := time.Now()
	l.mu.Lock()
	l.began++
	seq := l.began
	l.mu.Unlock()
	return func(e RoundTrip) {
		e.StartMs, e.Ms, e.seq = millis(began.Sub(l.start)), millis(time.Since(began)), seq
		l.mu.Lock()
		l.entries = append(l.entries, e)
		l.mu.Unlock()
	}
}

func millis(d time.Duration) float64 {
	return float64(d.Microseconds()) / 1000
}

type roundTripLogKey struct{}

// WithRoundTripLog returns a context whose round trips are recorded in l.
func WithRoundTripLog(ctx context.Context, l *RoundTripLog) context.Context {
	return context.WithValue(ctx, roundTripLogKey{}, l)
}

// RoundTripLogFrom is the log ctx carries, or nil.
func RoundTripLogFrom(ctx context.Context) *RoundTripLog {
	l, _ := ctx.Value(roundTripLogKey{}).(*RoundTripLog)
	return l
}
