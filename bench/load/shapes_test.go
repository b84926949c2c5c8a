package load

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// The walk's checks accept any correct capped walk and refuse the wrong
// ones (no database needed).
func TestWalkChecks(t *testing.T) {
	f := &walkFacts{
		start: "Place:a",
		dist: map[string]int{
			"Place:a": 0, "Measure:p/S1.M1": 1, "Project:x": 1,
			"Section:p/S1": 2, "Sector:s": 2, "Measure:p/S1.M2": 3,
		},
		n1: 2,
	}
	node := func(id string) hoodNode {
		kind, _, _ := strings.Cut(id, ":")
		return hoodNode{ID: id, Type: kind}
	}
	nodes := func(ids ...string) []hoodNode {
		var out []hoodNode
		for _, id := range ids {
			out = append(out, node(id))
		}
		return out
	}
	all := nodes("Place:a", "Measure:p/S1.M1", "Project:x", "Section:p/S1", "Sector:s", "Measure:p/S1.M2")
	edge := hoodEdge{Source: "Measure:p/S1.M1", Type: "LOCATED_IN", Target: "Place:a"}
	for _, c := range []struct {
		name      string
		truncated bool
		nodes     []hoodNode
		edges     []hoodEdge
		wantErr   string // "" when correct
	}{
		{"whole", false, all, []hoodEdge{edge}, ""},
		{"cut, says so", true, nodes("Place:a", "Project:x", "Measure:p/S1.M1", "Sector:s"), []hoodEdge{edge}, ""},
		{"cut, does not say so", false, nodes("Place:a", "Project:x", "Measure:p/S1.M1"), nil, "truncated is false"},
		{"start not first", true, nodes("Project:x", "Place:a", "Measure:p/S1.M1"), nil, "not the start"},
		{"a neighbour missing", true, nodes("Place:a", "Project:x"), nil, "the start alone has 2 neighbours"},
		{"farther node before a neighbour", true, nodes("Place:a", "Sector:s", "Project:x"), nil, "come first"},
		{"twice", true, nodes("Place:a", "Project:x", "Measure:p/S1.M1", "Project:x"), nil, "twice"},
		{"too far", true, nodes("Place:a", "Project:x", "Measure:p/S1.M1", "Plan:q"), nil, "not within 3 hops"},
		{"edge to outside", true, nodes("Place:a", "Project:x", "Measure:p/S1.M1"),
			[]hoodEdge{{Source: "Measure:p/S1.M1", Type: "IN_SECTOR", Target: "Sector:s"}}, "outside the nodes"},
		{"impossible edge", false, all, []hoodEdge{{Source: "Measure:p/S1.M2", Type: "LOCATED_IN", Target: "Place:a"}}, "no such edge"},
		{"wrong type", true, []hoodNode{node("Place:a"), {ID: "Project:x", Type: "Place"}, node("Measure:p/S1.M1")}, nil, "has type"},
	} {
		err := f.checkGraph(c.truncated, c.nodes, c.edges)
		switch {
		case c.wantErr == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)):
			t.Errorf("%s: got %v, want an error saying %q", c.name, err, c.wantErr)
		}
	}

	// Not truncated, with the exact answer known: it must be that answer.
	f.exact = (&hoodAnswer{Nodes: slices.Clone(all), Edges: []hoodEdge{edge}}).canon()
	if err := f.checkGraph(false, all, nil); err == nil || !strings.Contains(err.Error(), "differs") {
		t.Errorf("an edge missing from an exact answer: got %v", err)
	}
	if err := f.checkGraph(false, all, []hoodEdge{edge}); err != nil {
		t.Errorf("the exact answer: %v", err)
	}

	// The peer's tree.
	first := map[string]int{"within": 0, "contains": 0, "projects": 1, "measures": 1}
	tree := func(s string) map[string]any {
		var m map[string]any
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	for _, c := range []struct{ name, body, wantErr string }{
		{"right", `{"id": "Place:a", "within": null, "contains": [], "projects": [{"id": "Project:x", "measures": [{"id": "Measure:p/S1.M1", "places": [{"id": "Place:a"}]}]}],
			"measures": [{"id": "Measure:p/S1.M1", "sectors": [{"id": "Sector:s", "measures": [{"id": "Measure:p/S1.M2"}]}]}]}`, ""},
		{"other root", `{"id": "Project:x", "within": null, "contains": [], "projects": [], "measures": []}`, "not the start"},
		{"a list cut", `{"id": "Place:a", "within": null, "contains": [], "projects": [], "measures": [{"id": "Measure:p/S1.M1"}]}`, "projects lists 0"},
		{"too deep", `{"id": "Place:a", "within": null, "contains": [], "projects": [{"id": "Project:x"}],
			"measures": [{"id": "Measure:p/S1.M1", "sectors": [{"id": "Measure:p/S1.M2"}]}]}`, "not within 2 hops"},
	} {
		err := f.checkTree(tree(c.body), first)
		switch {
		case c.wantErr == "" && err != nil:
			t.Errorf("tree %s: %v", c.name, err)
		case c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)):
			t.Errorf("tree %s: got %v, want an error saying %q", c.name, err, c.wantErr)
		}
	}
}
