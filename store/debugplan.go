package store

import (
	"context"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
)

// RoundTripLog records every Cypher round trip made with a context: its
// parameterised text, the names and types of its parameters (never their
// values, which may hold user input), how long it took and how many rows it
// returned. The API fills one per response for X-Debug: plan (DEBUG_PLAN);
// a context without one records nothing and pays one context lookup per
// round trip, the one countRoundTrip already makes.
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

type roundTripLogKey struct{}

// WithRoundTripLog returns a context whose Cypher round trips are recorded in l.
func WithRoundTripLog(ctx context.Context, l *RoundTripLog) context.Context {
	return context.WithValue(ctx, roundTripLogKey{}, l)
}

// finishTrip completes an entry begun by beginTrip.
type finishTrip func(cypher string, params map[string]any, rows int, err error)

func noTrip(string, map[string]any, int, error) {}

// beginTrip counts a round trip (countRoundTrip) and, when ctx carries a
// RoundTripLog, starts its entry; the returned function records it. rows < 0
// means unknown.
func beginTrip(ctx context.Context, kind string) finishTrip {
	countRoundTrip(ctx)
	l, _ := ctx.Value(roundTripLogKey{}).(*RoundTripLog)
	if l == nil {
		return noTrip
	}
	began := time.Now()
	l.mu.Lock()
	l.began++
	seq := l.began
	l.mu.Unlock()
	return func(cypher string, params map[string]any, rows int, err error) {
		e := RoundTrip{
			Kind: kind, Cypher: cypher, Params: paramTypes(params),
			StartMs: millis(began.Sub(l.start)), Ms: millis(time.Since(began)), Failed: err != nil, seq: seq,
		}
		if rows >= 0 {
			e.Rows = &rows
		}
		l.mu.Lock()
		l.entries = append(l.entries, e)
		l.mu.Unlock()
	}
}

func millis(d time.Duration) float64 {
	return float64(d.Microseconds()) / 1000
}

// paramTypes maps each parameter's name to its type's name.
func paramTypes(params map[string]any) map[string]string {
	out := make(map[string]string, len(params))
	for k, v := range params {
		out[k] = paramType(reflect.ValueOf(v))
	}
	return out
}

func paramType(v reflect.Value) string {
	if !v.IsValid() {
		return "null"
	}
	if _, ok := v.Interface().(time.Time); ok {
		return "datetime"
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return "null"
		}
		return paramType(v.Elem())
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "float"
	case reflect.Map, reflect.Struct:
		return "map"
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return "bytes"
		}
		if v.Type().Elem().Kind() != reflect.Interface {
			return "list<" + paramType(reflect.Zero(v.Type().Elem())) + ">"
		}
		// []any: the type of the elements when they agree.
		elem := ""
		for i := 0; i < v.Len(); i++ {
			t := paramType(v.Index(i))
			if elem != "" && t != elem {
				return "list"
			}
			elem = t
		}
		if elem == "" {
			return "list"
		}
		return "list<" + elem + ">"
	}
	return v.Kind().String()
}

// recordingTx remembers the statements a write transaction runs, for the
// RoundTripLog; the embedded transaction does the work.
type recordingTx struct {
	neo4j.ManagedTransaction
	cyphers []string
	params  map[string]any
}

func (t *recordingTx) Run(ctx context.Context, cypher string, params map[string]any) (neo4j.ResultWithContext, error) {
	t.cyphers = append(t.cyphers, cypher)
	for k, v := range params {
		t.params[k] = v
	}
	return t.ManagedTransaction.Run(ctx, cypher, params)
}

func (t *recordingTx) text() string { return strings.Join(t.cyphers, ";\n") }
