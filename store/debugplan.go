package store

import (
	"context"
	"reflect"
	"strings"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/shenzhenplan/kgapi/plan"
)

// finishTrip completes an entry begun by beginTrip.
type finishTrip func(cypher string, params map[string]any, rows int, err error)

func noTrip(string, map[string]any, int, error) {}

// beginTrip counts a round trip (plan.CountRoundTrip) and, when ctx carries
// a plan.RoundTripLog, starts its entry; the returned function records it.
// rows < 0 means unknown.
func beginTrip(ctx context.Context, kind string) finishTrip {
	plan.CountRoundTrip(ctx)
	l := plan.RoundTripLogFrom(ctx)
	if l == nil {
		return noTrip
	}
	record := l.Begin()
	return func(cypher string, params map[string]any, rows int, err error) {
		e := plan.RoundTrip{Kind: kind, Cypher: cypher, Params: paramTypes(params), Failed: err != nil}
		if rows >= 0 {
			e.Rows = &rows
		}
		record(e)
	}
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
// plan.RoundTripLog; the embedded transaction does the work.
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
