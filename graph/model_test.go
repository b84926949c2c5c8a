package graph_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/shenzhenplan/kgapi/graph/generated"
	"github.com/shenzhenplan/kgapi/plan"
)

// TestModelMatchesSchema checks the graph model against the public
// contract: every kind is a GraphQL object type whose fields are exactly
// the model's fields of the kind (props, edges, sources and computed
// fields), so that a field the schema gains is declared in the model, and
// the projection the planner derives from the model cannot miss it.
func TestModelMatchesSchema(t *testing.T) {
	schema := generated.NewExecutableSchema(generated.Config{}).Schema()
	for _, k := range plan.Kinds {
		def := schema.Types[string(k)]
		if def == nil {
			t.Errorf("kind %s is not a type of the schema", k)
			continue
		}
		var inSchema, inModel []string
		for _, f := range def.Fields {
			inSchema = append(inSchema, f.Name)
		}
		for f := range plan.FieldProps[k] {
			inModel = append(inModel, f)
		}
		slices.Sort(inSchema)
		slices.Sort(inModel)
		if !slices.Equal(inSchema, inModel) {
			t.Errorf("%s: schema fields %v, model fields %v", k, inSchema, inModel)
		}
	}
	// The store derives the link kinds from Measure's relationships.
	measure, _ := plan.KindOf(plan.KindMeasure)
	var linked []string
	for _, e := range measure.Edges {
		if e.Type != "" && e.Ref == "" {
			linked = append(linked, strings.ToUpper(string(e.To)))
		}
	}
	var enum []string
	for _, v := range schema.Types["LinkKind"].EnumValues {
		enum = append(enum, v.Name)
	}
	slices.Sort(linked)
	slices.Sort(enum)
	if !slices.Equal(linked, enum) {
		t.Errorf("LinkKind is %v in the schema, the model links measures to %v", enum, linked)
	}
}
