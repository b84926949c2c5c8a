package store

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/shenzhenplan/kgapi/plan"
)

// The plan shows each parameter's type, never its value.
func TestParamTypes(t *testing.T) {
	var nilPtr *int
	cases := []struct {
		name  string
		value any
		want  string
	}{
		{"Nil", nil, "null"},
		{"String", "secret input", "string"},
		{"Int", 3, "integer"},
		{"Int64", int64(3), "integer"},
		{"Float", 0.5, "float"},
		{"Bool", true, "boolean"},
		{"NilPointer", nilPtr, "null"},
		{"Strings", []string{"a"}, "list<string>"},
		{"AnyOfStrings", []any{"a", "b"}, "list<string>"},
		{"AnyMixed", []any{"a", 1}, "list"},
		{"AnyEmpty", []any{}, "list"},
		{"Maps", []map[string]any{{"id": "x"}}, "list<map>"},
		{"Map", map[string]any{"id": "x"}, "map"},
		{"Time", time.Unix(0, 0), "datetime"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := paramType(reflect.ValueOf(c.value)); got != c.want {
				t.Errorf("paramType(%#v) = %q, want %q", c.value, got, c.want)
			}
		})
	}
}

// Without a log in the context nothing is recorded; with one, each round
// trip is, in the order they started, and counted as before.
func TestRoundTripLog(t *testing.T) {
	var rt plan.RoundTrips
	ctx := plan.WithRoundTrips(context.Background(), &rt)
	beginTrip(ctx, "read")("RETURN 1", nil, 1, nil) // no log: nothing to record into
	l := plan.NewRoundTripLog()
	ctx = plan.WithRoundTripLog(ctx, l)
	first := beginTrip(ctx, "read")
	second := beginTrip(ctx, "write")
	second("CREATE (n)", map[string]any{"text": "user input"}, -1, nil)
	first("MATCH (n) RETURN n", map[string]any{"ids": []string{"a"}}, 2, nil)
	got := l.Entries()
	if rt.Count() != 3 || len(got) != 2 {
		t.Fatalf("%d round trips counted, %d logged; want 3 and 2", rt.Count(), len(got))
	}
	if got[0].Cypher != "MATCH (n) RETURN n" || *got[0].Rows != 2 || got[0].Params["ids"] != "list<string>" {
		t.Errorf("first entry: %+v", got[0])
	}
	if got[1].Kind != "write" || got[1].Rows != nil || got[1].Params["text"] != "string" {
		t.Errorf("second entry: %+v", got[1])
	}
}
