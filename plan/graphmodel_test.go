package plan_test

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/shenzhenplan/kgapi/plan"
)

// TestModelIsConsistent checks the graph model against itself: every edge
// reaches a kind of the model through a relationship type the model
// declares between those kinds, every batched relation the API names is
// one the model derives, and every scope is held by the Measure kind.
func TestModelIsConsistent(t *testing.T) {
	rels := map[string]plan.RelType{}
	for _, r := range plan.Model.Rels {
		if _, dup := rels[r.Type]; dup {
			t.Errorf("relationship type %s declared twice", r.Type)
		}
		rels[r.Type] = r
	}
	seen := map[plan.Kind]bool{}
	for _, k := range plan.Model.Kinds {
		if seen[k.Kind] {
			t.Errorf("kind %s declared twice", k.Kind)
		}
		seen[k.Kind] = true
		fields := map[string]bool{"id": true}
		field := func(f string) {
			if fields[f] {
				t.Errorf("%s.%s declared twice", k.Kind, f)
			}
			fields[f] = true
		}
		for _, p := range k.Props {
			if p.Field != "" {
				field(p.Field)
			}
			if p.Name == "" && p.Search {
				t.Errorf("%s.%s: a computed field cannot be searched", k.Kind, p.Field)
			}
		}
		for _, e := range k.Edges {
			field(e.Field)
			if _, ok := plan.KindOf(e.To); !ok {
				t.Errorf("%s.%s reaches unknown kind %s", k.Kind, e.Field, e.To)
			}
			if e.Type == "" && e.Ref == "" {
				t.Errorf("%s.%s has neither a relationship type nor a reference", k.Kind, e.Field)
			}
			if !e.One && e.Fanout <= 0 {
				t.Errorf("%s.%s: a to-many field needs its fan-out (the cost model charges it)", k.Kind, e.Field)
			}
			if e.Ref != "" && !e.One {
				t.Errorf("%s.%s: a reference is to-one", k.Kind, e.Field)
			}
			if e.Type == "" {
				continue
			}
			r, ok := rels[e.Type]
			if !ok {
				t.Errorf("%s.%s walks undeclared type %s", k.Kind, e.Field, e.Type)
				continue
			}
			from, to := k.Kind, e.To
			if e.In {
				from, to = to, from
			}
			if !slices.Contains(r.From, from) || !slices.Contains(r.To, to) {
				t.Errorf("%s.%s: %s does not connect %s to %s", k.Kind, e.Field, e.Type, from, to)
			}
		}
		if k.Sourced {
			field("sources")
			if !slices.Contains(rels[plan.RelTypeSupportedBy].From, k.Kind) {
				t.Errorf("%s is sourced but %s does not start at it", k.Kind, plan.RelTypeSupportedBy)
			}
		}
		for _, f := range k.Computed {
			field(f)
		}
		for _, f := range k.Brief {
			if !fields[f] {
				t.Errorf("%s: brief field %q is not a field of the kind", k.Kind, f)
			}
		}
	}
	for _, rel := range []plan.Relation{
		plan.RelPlanParent, plan.RelPlanSections, plan.RelPlanMilestones, plan.RelPlanSources,
		plan.RelSectionPlan, plan.RelSectionAspects, plan.RelSectionSources, plan.RelAspectSection, plan.RelAspectSources,
		plan.RelMeasureProjects, plan.RelMeasureSectors, plan.RelMeasurePlaces, plan.RelMeasureMilestone, plan.RelMeasureSources,
		plan.RelProjectPlaces, plan.RelProjectSectors, plan.RelProjectSources, plan.RelSectorProjects, plan.RelSectorSources,
		plan.RelPlaceWithin, plan.RelPlaceContains, plan.RelPlaceProjects, plan.RelPlaceSources, plan.RelMilestoneSources,
	} {
		if _, ok := plan.Traversals[rel]; !ok {
			t.Errorf("relation %s is not in the model", rel)
		}
	}
	for _, ms := range plan.MeasureScopes {
		if (ms.Prop == "") == (ms.Rel == "") {
			t.Errorf("scope %s: Measure must hold it through exactly one of a property or a relationship (prop %q, rel %q)", ms.Scope, ms.Prop, ms.Rel)
		}
	}
}

// TestModelDerivations pins what the model derives for the kinds whose
// format is spelled out by hand, so that a change to the table shows in
// review as a change of behaviour. The kinds whose format derives from the
// model (and their relationship types) are left out of the lists here:
// TestRecordKinds checks what is derived for them.
func TestModelDerivations(t *testing.T) {
	derived := map[string]bool{}
	for _, k := range plan.RecordKinds() {
		derived[string(k.Kind)] = true
		for _, e := range k.LinkEdges() {
			derived[e.Type] = true
		}
	}
	hand := func(s string) string {
		return strings.Join(slices.DeleteFunc(strings.Fields(s), func(w string) bool { return derived[w] }), " ")
	}
	tests := []struct {
		name, got, want string
	}{
		{"kinds", join(plan.Kinds), "Plan Section Aspect Measure Project Sector Place Milestone Event Source"},
		{"walked", strings.Join(plan.WalkedRelTypes(), " "), "HAS_SECTION HAS_ASPECT PART_OF ADVANCES IN_SECTOR LOCATED_IN WITHIN DUE_BY HAS_MILESTONE PARENT CONCERNS"},
		{"exported", strings.Join(plan.ExportedRelTypes(), " "), "HAS_SECTION HAS_ASPECT PART_OF ADVANCES IN_SECTOR LOCATED_IN WITHIN DUE_BY HAS_MILESTONE PARENT CONCERNS SUPPORTED_BY"},
		{"search kinds", func() string { k, _ := plan.SearchIndexed(); return join(k) }(), "Plan Section Aspect Measure Project Sector Place Milestone Event"},
		{"search props", func() string { _, p := plan.SearchIndexed(); return strings.Join(p, " ") }(), "title titleZh summary code description name nameZh label"},
		{"Measure.section", strings.Join(plan.FieldProps[plan.KindMeasure]["section"], " "), "sectionId"},
		{"Plan.catalogedMeasureCount", strings.Join(plan.FieldProps[plan.KindPlan]["catalogedMeasureCount"], " "), ""},
		{"Measure.projects", string(plan.Traversals[plan.RelMeasureProjects].To) + " " + plan.Traversals[plan.RelMeasureProjects].Type, "Project ADVANCES"},
		{"Place.contains", func() string {
			t := plan.Traversals[plan.RelPlaceContains]
			return t.Type + map[bool]string{true: " in", false: " out"}[t.In]
		}(), "WITHIN in"},
		{"scopes", func() string {
			var out []string
			for _, ms := range plan.MeasureScopes {
				out = append(out, string(ms.Scope)+":"+ms.Prop+ms.Rel+"/"+ms.Nests)
			}
			return strings.Join(out, " ")
		}(), "plan:plan/ section:sectionId/ aspect:aspectId/ project:ADVANCES/ sector:IN_SECTOR/ place:LOCATED_IN/WITHIN milestone:DUE_BY/"},
	}
	for _, tt := range tests {
		if got := hand(tt.got); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
}

func join(ks []plan.Kind) string {
	s := make([]string, len(ks))
	for i, k := range ks {
		s[i] = string(k)
	}
	return strings.Join(s, " ")
}

// TestRecordKinds checks every kind whose data-file format derives from the
// model: the file names it by slug, a data file can give everything its Go
// type holds (each field tagged `kg` is the id or a stored property of a
// type the store can scan), and its links reach kinds a file names by slug.
func TestRecordKinds(t *testing.T) {
	scannable := map[plan.PropType][]string{
		plan.PropString: {"string", "*string"}, plan.PropID: {"string", "*string"},
		plan.PropInt: {"int", "*int"}, plan.PropBool: {"bool"}, plan.PropStrings: {"[]string"},
	}
	searchKinds, _ := plan.SearchIndexed()
	rels := map[string]plan.RelType{}
	for _, r := range plan.Model.Rels {
		rels[r.Type] = r
	}
	for _, k := range plan.RecordKinds() {
		t.Run(string(k.Kind), func(t *testing.T) {
			if k.Key != "slug" || !k.Sourced || k.New == nil {
				t.Fatalf("key %q, sourced %v, New set %v: want slug, true, true", k.Key, k.Sourced, k.New != nil)
			}
			props := map[string]plan.Prop{}
			for _, p := range k.StoredProps() {
				props[p.Name] = p
			}
			if _, ok := props[k.Label]; !ok {
				t.Errorf("label %q is not a stored property", k.Label)
			}
			n := k.New()
			v := reflect.ValueOf(n).Elem()
			tagged := map[string]bool{}
			for i := range v.NumField() {
				f := v.Type().Field(i)
				name, ok := f.Tag.Lookup("kg")
				if !ok {
					continue
				}
				tagged[name] = true
				if name == "id" {
					if f.Type != reflect.TypeOf(plan.ID("")) {
						t.Errorf("%s: the id field is %s, want plan.ID", f.Name, f.Type)
					}
					continue
				}
				p, ok := props[name]
				if !ok {
					t.Errorf("%s: tagged %q, which is no stored property of %s", f.Name, name, k.Kind)
					continue
				}
				if !slices.Contains(scannable[p.Type], f.Type.String()) {
					t.Errorf("%s: a %s cannot hold property %s (want one of %v)", f.Name, f.Type, name, scannable[p.Type])
				}
			}
			if !tagged["id"] {
				t.Error("no field tagged `kg:\"id\"`")
			}
			for name := range props {
				if !tagged[name] {
					t.Errorf("property %s has no field tagged `kg:%q`", name, name)
				}
			}
			for _, e := range k.LinkEdges() {
				to, _ := plan.KindOf(e.To)
				if to.Key != "slug" {
					t.Errorf("%s reaches %s, which a data file does not name by slug", e.Field, e.To)
				}
				if r := rels[e.Type]; r.Walk != slices.Contains(plan.WalkedRelTypes(), e.Type) || r.Export != slices.Contains(plan.ExportedRelTypes(), e.Type) {
					t.Errorf("%s: %s walked %v exported %v, the model says %v %v", e.Field, e.Type,
						slices.Contains(plan.WalkedRelTypes(), e.Type), slices.Contains(plan.ExportedRelTypes(), e.Type), r.Walk, r.Export)
				}
			}
			searched := slices.ContainsFunc(k.Props, func(p plan.Prop) bool { return p.Search })
			if !slices.Contains(plan.Kinds, k.Kind) || searched != slices.Contains(searchKinds, k.Kind) {
				t.Errorf("in Kinds %v, in the full-text index %v (has a searchable property: %v)",
					slices.Contains(plan.Kinds, k.Kind), slices.Contains(searchKinds, k.Kind), searched)
			}
		})
	}
}
