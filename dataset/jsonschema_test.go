package dataset

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/shenzhenplan/kgapi/plan"
)

var updateSchema = flag.Bool("update-schema", false, "rewrite data/plan.records.schema.json from the graph model")

const recordsSchemaFile = "../data/plan.records.schema.json"

// recordsSchema is the JSON Schema of the lists whose format derives from
// the graph model (plan.KindModel.Records): what records.go parses,
// written from the same table.
func recordsSchema() map[string]any {
	ref := func(def string) map[string]any { return map[string]any{"$ref": "plan.schema.json#/$defs/" + def} }
	lists, defs := map[string]any{}, map[string]any{}
	for _, k := range plan.RecordKinds() {
		name := noun(k.Kind)
		props := map[string]any{}
		required := []string{}
		for _, p := range k.StoredProps() {
			var s map[string]any
			switch {
			case p.Name == k.Key:
				s = ref("slug")
			case p.Type == plan.PropInt:
				s = map[string]any{"type": "integer"}
			case p.Type == plan.PropBool:
				s = map[string]any{"type": "boolean"}
			case p.Type == plan.PropStrings:
				s = map[string]any{"type": "array", "minItems": 1, "items": ref("text")}
			case strings.HasSuffix(p.Field, "Zh"):
				s = ref("textZh")
			default:
				s = ref("text")
			}
			props[p.Field] = s
			if p.Required || p.Name == k.Key {
				required = append(required, p.Field)
			}
		}
		for _, e := range k.LinkEdges() {
			props[e.Field] = map[string]any{
				"description": "Links to " + noun(e.To) + " slugs (" + e.Type + ").",
				"$ref":        "plan.schema.json#/$defs/links",
			}
		}
		props["sources"] = ref("sourceRefs")
		defs[name] = map[string]any{
			"type": "object", "additionalProperties": false,
			"required": append(required, "sources"), "properties": props,
		}
		lists[k.Records] = map[string]any{"type": "array", "items": map[string]any{"$ref": "#/$defs/" + name}}
	}
	return map[string]any{
		"$schema":     "https://json-schema.org/draft/2020-12/schema",
		"$id":         "plan.records.schema.json",
		"title":       "plankg/v1: the lists whose format derives from the graph model",
		"description": "Generated from plan/graphmodel.go (KindModel.Records) by `go test ./dataset -run TestRecordsSchema -update-schema`; do not edit. plan.schema.json includes it.",
		"type":        "object",
		"properties":  lists,
		"$defs":       defs,
	}
}

// TestRecordsSchema checks that the generated schema file is that of the
// model, and that the main schema includes it.
func TestRecordsSchema(t *testing.T) {
	want, err := json.MarshalIndent(recordsSchema(), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	want = append(want, '\n')
	if *updateSchema {
		if err := os.WriteFile(recordsSchemaFile, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(recordsSchemaFile)
	if err != nil {
		t.Fatalf("%v (run go test ./dataset -run TestRecordsSchema -update-schema)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is not the model's: run go test ./dataset -run TestRecordsSchema -update-schema", recordsSchemaFile)
	}
	var main struct {
		Ref         string `json:"$ref"`
		Unevaluated *bool  `json:"unevaluatedProperties"`
	}
	raw, err := os.ReadFile("../data/plan.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &main); err != nil {
		t.Fatal(err)
	}
	if main.Ref != "plan.records.schema.json" || main.Unevaluated == nil || *main.Unevaluated {
		t.Errorf("plan.schema.json: $ref %q, unevaluatedProperties %v; want it to include plan.records.schema.json and allow no other key", main.Ref, main.Unevaluated)
	}
}
