package server

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// encodeResponse writes what json.Marshal writes, member for member, but
// the data as it is.
func TestEncodeResponseMatchesJSONMarshal(t *testing.T) {
	yes := true
	for _, tc := range []struct {
		name string
		r    graphql.Response
	}{
		{"data", graphql.Response{Data: json.RawMessage(`{"a":[1,2,{"b":"<x> & \"y\""}]}`)}},
		{"no data", graphql.Response{}},
		{"errors and null data", graphql.Response{Data: json.RawMessage(`null`), Errors: gqlerror.List{{Message: "bad", Path: ast.Path{ast.PathName("a"), ast.PathIndex(2)}, Extensions: map[string]any{"code": "BAD_USER_INPUT"}}}}},
		{"every member", graphql.Response{Data: json.RawMessage(`{"x":1}`), Label: "l", Path: ast.Path{ast.PathName("p")}, HasNext: &yes, Extensions: map[string]any{"plan": []any{"a"}, "data": 0}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := encodeResponse(&tc.r)
			if err != nil {
				t.Fatal(err)
			}
			want, err := json.Marshal(&tc.r)
			if err != nil {
				t.Fatal(err)
			}
			var g, w any
			if err := json.Unmarshal(got, &g); err != nil {
				t.Fatalf("not JSON: %s: %v", got, err)
			}
			if err := json.Unmarshal(want, &w); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(g, w) {
				t.Errorf("got %s, json.Marshal gives %s", got, want)
			}
		})
	}
}
