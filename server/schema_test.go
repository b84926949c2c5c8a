package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/shenzhenplan/kgapi/graph"
)

// publishedSchema is the public contract, the file clients are given.
const publishedSchema = "../schema.graphqls"

// TestSchemaServedMatchesPublished introspects the API over HTTP, the way a
// client sees it, rebuilds an SDL from the answer, and compares it with the
// published schema.graphqls: types, fields, arguments, default values,
// input fields, enum values, interfaces, directives, deprecations and every
// description. A difference (typically schema.graphqls edited without
// `make generate`, or generated code edited by hand) fails with a diff:
// "-" lines are in schema.graphqls only, "+" lines are what the server serves.
func TestSchemaServedMatchesPublished(t *testing.T) {
	srv := api(t)

	served := introspect(t, srv.URL+"/graphql")
	src, err := os.ReadFile(publishedSchema)
	if err != nil {
		t.Fatal(err)
	}
	published, err := schemaFromSDL(string(src))
	if err != nil {
		t.Fatalf("%s does not load: %v", publishedSchema, err)
	}

	want, got := printSchema(published), printSchema(served)
	if n := strings.Count(got, "\n"); n < 100 {
		t.Fatalf("the introspection answer printed as only %d lines; is introspection on?\n%s", n, got)
	}
	if want != got {
		t.Errorf("the schema the server serves differs from %s (- published only, + served only):\n%s\n"+
			"If schema.graphqls is right, run `make generate`; if the served schema is right, fix schema.graphqls.",
			publishedSchema, lineDiff(want, got, 3))
	}
}

// TestSchemaDiffCatchesChanges makes sure the comparison above is not
// vacuous: each edit of the published SDL must show up in the diff.
func TestSchemaDiffCatchesChanges(t *testing.T) {
	src, err := os.ReadFile(publishedSchema)
	if err != nil {
		t.Fatal(err)
	}
	base, err := schemaFromSDL(string(src))
	if err != nil {
		t.Fatal(err)
	}
	basePrinted := printSchema(base)
	edits := []struct {
		name, old, new, wantLine string
	}{
		{"RemovedField", "  \"Who issued the plan.\"\n  issuer: String\n", "", "-  issuer: String"},
		{"ChangedFieldType", "  goalYear: Int\n", "  goalYear: String\n", "+  goalYear: String"},
		{"ChangedDefault", "    depth: Int = 1\n", "    depth: Int = 2\n", "+    depth: Int = 2"},
		{"RemovedEnumValue", "  \"Not known.\"\n  UNKNOWN\n", "", "-  UNKNOWN"},
		{"ChangedDescription", "\"Where a measure stands.\"\nenum MeasureStatus", "\"Where a measure is.\"\nenum MeasureStatus", `+"Where a measure is."`},
		{"AddedArgument", "  stats(\"Slug of the plan.\" plan: String): Stats!", "  stats(\"Slug of the plan.\" plan: String, year: Int): Stats!", "+    year: Int"},
		{"Deprecated", "  titleZh: String\n  \"Who issued", "  titleZh: String @deprecated(reason: \"gone\")\n  \"Who issued", `+  titleZh: String @deprecated(reason: "gone")`},
	}
	for _, e := range edits {
		t.Run(e.name, func(t *testing.T) {
			if strings.Count(string(src), e.old) != 1 {
				t.Skipf("schema.graphqls no longer contains %q exactly once; update this case", e.old)
			}
			s, err := schemaFromSDL(strings.Replace(string(src), e.old, e.new, 1))
			if err != nil {
				t.Fatal(err)
			}
			printed := printSchema(s)
			if printed == basePrinted {
				t.Fatalf("the edit %q → %q is not seen", e.old, e.new)
			}
			if d := lineDiff(basePrinted, printed, 0); !strings.Contains(d, e.wantLine) {
				t.Errorf("diff lacks %q:\n%s", e.wantLine, d)
			}
		})
	}
}

// --- the schema model: what introspection tells -----------------------------

type schemaModel struct {
	Description      *string
	QueryType        *named
	MutationType     *named
	SubscriptionType *named
	Types            []typeModel
	Directives       []directiveModel
}

type named struct{ Name string }

type typeRef struct {
	Kind   string
	Name   *string
	OfType *typeRef
}

type typeModel struct {
	Kind           string
	Name           string
	Description    *string
	SpecifiedByURL *string
	IsOneOf        *bool
	Fields         []fieldModel
	InputFields    []inputValue
	Interfaces     []named
	EnumValues     []enumValue
}

type fieldModel struct {
	Name              string
	Description       *string
	Args              []inputValue
	Type              typeRef
	IsDeprecated      bool
	DeprecationReason *string
}

type inputValue struct {
	Name              string
	Description       *string
	Type              typeRef
	DefaultValue      *string
	IsDeprecated      bool
	DeprecationReason *string
}

type enumValue struct {
	Name              string
	Description       *string
	IsDeprecated      bool
	DeprecationReason *string
}

type directiveModel struct {
	Name         string
	Description  *string
	IsRepeatable bool
	Locations    []string
	Args         []inputValue
}

const introspectionQuery = `query SchemaCheck {
  __schema {
    description
    queryType { name }
    mutationType { name }
    subscriptionType { name }
    types { ...FullType }
    directives {
      name description isRepeatable locations
      args(includeDeprecated: true) { ...InputValue }
    }
  }
}
fragment FullType on __Type {
  kind name description specifiedByURL isOneOf
  fields(includeDeprecated: true) {
    name description
    args(includeDeprecated: true) { ...InputValue }
    type { ...TypeRef }
    isDeprecated deprecationReason
  }
  inputFields(includeDeprecated: true) { ...InputValue }
  interfaces { name }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
}
fragment InputValue on __InputValue {
  name description type { ...TypeRef } defaultValue isDeprecated deprecationReason
}
fragment TypeRef on __Type {
  kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } }
}`

// introspect asks the server for its schema over HTTP, as any client would.
func introspect(t *testing.T, url string) *schemaModel {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": introspectionQuery, "operationName": "SchemaCheck"})
	resp, err := http.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out struct {
		Data *struct {
			Schema *schemaModel `json:"__schema"`
		}
		Errors []struct{ Message string }
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("introspection: status %d, not JSON: %.500s", resp.StatusCode, raw)
	}
	if resp.StatusCode != http.StatusOK || len(out.Errors) > 0 || out.Data == nil || out.Data.Schema == nil {
		t.Fatalf("introspection failed: status %d: %.1000s", resp.StatusCode, raw)
	}
	return out.Data.Schema
}

// schemaFromSDL loads SDL with gqlparser (as gqlgen does) and describes it the
// way introspection would.
func schemaFromSDL(sdl string) (*schemaModel, error) {
	// With what gqlgen adds for Apollo Federation, as the server loads it.
	s, err := gqlparser.LoadSchema(append([]*ast.Source{{Name: "schema.graphqls", Input: sdl}}, graph.FederationSources()...)...)
	if err != nil {
		return nil, err
	}
	m := &schemaModel{Description: optional(s.Description)}
	root := func(d *ast.Definition) *named {
		if d == nil {
			return nil
		}
		return &named{Name: d.Name}
	}
	m.QueryType, m.MutationType, m.SubscriptionType = root(s.Query), root(s.Mutation), root(s.Subscription)
	for _, d := range s.Types {
		tm := typeModel{Kind: string(d.Kind), Name: d.Name, Description: optional(d.Description)}
		switch d.Kind {
		case ast.Scalar:
			if sb := d.Directives.ForName("specifiedBy"); sb != nil {
				if u := sb.Arguments.ForName("url"); u != nil {
					tm.SpecifiedByURL = &u.Value.Raw
				}
			}
		case ast.Object, ast.Interface:
			for _, f := range d.Fields {
				if strings.HasPrefix(f.Name, "__") {
					continue // __schema, __type, __typename: not listed by introspection
				}
				fm := fieldModel{Name: f.Name, Description: optional(f.Description), Type: refOf(s, f.Type)}
				fm.IsDeprecated, fm.DeprecationReason = deprecation(f.Directives)
				for _, a := range f.Arguments {
					fm.Args = append(fm.Args, argOf(s, a.Name, a.Description, a.Type, a.DefaultValue, a.Directives))
				}
				tm.Fields = append(tm.Fields, fm)
			}
			for _, i := range d.Interfaces {
				tm.Interfaces = append(tm.Interfaces, named{Name: i})
			}
		case ast.InputObject:
			oneOf := d.Directives.ForName("oneOf") != nil
			tm.IsOneOf = &oneOf
			for _, f := range d.Fields {
				tm.InputFields = append(tm.InputFields, argOf(s, f.Name, f.Description, f.Type, f.DefaultValue, f.Directives))
			}
		case ast.Enum:
			for _, v := range d.EnumValues {
				ev := enumValue{Name: v.Name, Description: optional(v.Description)}
				ev.IsDeprecated, ev.DeprecationReason = deprecation(v.Directives)
				tm.EnumValues = append(tm.EnumValues, ev)
			}
		case ast.Union:
			// printed from the union's members (none in this schema)
		}
		m.Types = append(m.Types, tm)
	}
	for _, d := range s.Directives {
		dm := directiveModel{Name: d.Name, Description: optional(d.Description), IsRepeatable: d.IsRepeatable}
		for _, l := range d.Locations {
			dm.Locations = append(dm.Locations, string(l))
		}
		for _, a := range d.Arguments {
			dm.Args = append(dm.Args, argOf(s, a.Name, a.Description, a.Type, a.DefaultValue, a.Directives))
		}
		m.Directives = append(m.Directives, dm)
	}
	return m, nil
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func deprecation(ds ast.DirectiveList) (bool, *string) {
	d := ds.ForName("deprecated")
	if d == nil {
		return false, nil
	}
	if r := d.Arguments.ForName("reason"); r != nil && r.Value != nil {
		return true, &r.Value.Raw
	}
	return true, nil
}

func argOf(s *ast.Schema, name, desc string, typ *ast.Type, def *ast.Value, ds ast.DirectiveList) inputValue {
	iv := inputValue{Name: name, Description: optional(desc), Type: refOf(s, typ)}
	if def != nil {
		v := def.String()
		iv.DefaultValue = &v
	}
	iv.IsDeprecated, iv.DeprecationReason = deprecation(ds)
	return iv
}

func refOf(s *ast.Schema, t *ast.Type) typeRef {
	if t.NonNull {
		inner := *t
		inner.NonNull = false
		r := refOf(s, &inner)
		return typeRef{Kind: "NON_NULL", OfType: &r}
	}
	if t.Elem != nil {
		r := refOf(s, t.Elem)
		return typeRef{Kind: "LIST", OfType: &r}
	}
	name := t.NamedType
	kind := "UNKNOWN"
	if d := s.Types[name]; d != nil {
		kind = string(d.Kind)
	}
	return typeRef{Kind: kind, Name: &name}
}

// --- printing: a canonical SDL, one fact per line ------------------------------

// printSchema prints m as SDL in a canonical form: types and directives by
// name, fields, arguments and values in declared order, every description as
// a one-line quoted string (so that whitespace differences show), deprecation
// reasons spelled out. Introspection's own __ types are left out.
func printSchema(m *schemaModel) string {
	var b strings.Builder
	desc := func(indent string, d *string) {
		if d != nil {
			fmt.Fprintf(&b, "%s%s\n", indent, strconv.Quote(*d))
		}
	}
	depr := func(is bool, reason *string) string {
		if !is {
			return ""
		}
		r := "No longer supported" // the spec's default reason
		if reason != nil {
			r = *reason
		}
		return " @deprecated(reason: " + strconv.Quote(r) + ")"
	}
	arg := func(indent string, a inputValue) {
		desc(indent, a.Description)
		fmt.Fprintf(&b, "%s%s: %s", indent, a.Name, refString(a.Type))
		if a.DefaultValue != nil {
			fmt.Fprintf(&b, " = %s", *a.DefaultValue)
		}
		b.WriteString(depr(a.IsDeprecated, a.DeprecationReason))
		b.WriteString("\n")
	}

	desc("", m.Description)
	b.WriteString("schema {\n")
	for _, r := range []struct {
		op string
		t  *named
	}{{"query", m.QueryType}, {"mutation", m.MutationType}, {"subscription", m.SubscriptionType}} {
		if r.t != nil {
			fmt.Fprintf(&b, "  %s: %s\n", r.op, r.t.Name)
		}
	}
	b.WriteString("}\n")

	types := append([]typeModel(nil), m.Types...)
	sort.Slice(types, func(i, j int) bool { return types[i].Name < types[j].Name })
	for _, t := range types {
		if strings.HasPrefix(t.Name, "__") {
			continue
		}
		b.WriteString("\n")
		desc("", t.Description)
		switch t.Kind {
		case "SCALAR":
			fmt.Fprintf(&b, "scalar %s", t.Name)
			if t.SpecifiedByURL != nil {
				fmt.Fprintf(&b, " @specifiedBy(url: %s)", strconv.Quote(*t.SpecifiedByURL))
			}
			b.WriteString("\n")
		case "OBJECT", "INTERFACE":
			kw := map[string]string{"OBJECT": "type", "INTERFACE": "interface"}[t.Kind]
			fmt.Fprintf(&b, "%s %s", kw, t.Name)
			if len(t.Interfaces) > 0 {
				names := make([]string, len(t.Interfaces))
				for i, n := range t.Interfaces {
					names[i] = n.Name
				}
				fmt.Fprintf(&b, " implements %s", strings.Join(names, " & "))
			}
			b.WriteString(" {\n")
			for _, f := range t.Fields {
				desc("  ", f.Description)
				b.WriteString("  " + f.Name)
				if len(f.Args) > 0 {
					b.WriteString("(\n")
					for _, a := range f.Args {
						arg("    ", a)
					}
					b.WriteString("  )")
				}
				fmt.Fprintf(&b, ": %s%s\n", refString(f.Type), depr(f.IsDeprecated, f.DeprecationReason))
			}
			b.WriteString("}\n")
		case "INPUT_OBJECT":
			fmt.Fprintf(&b, "input %s", t.Name)
			if t.IsOneOf != nil && *t.IsOneOf {
				b.WriteString(" @oneOf")
			}
			b.WriteString(" {\n")
			for _, f := range t.InputFields {
				arg("  ", f)
			}
			b.WriteString("}\n")
		case "ENUM":
			fmt.Fprintf(&b, "enum %s {\n", t.Name)
			for _, v := range t.EnumValues {
				desc("  ", v.Description)
				fmt.Fprintf(&b, "  %s%s\n", v.Name, depr(v.IsDeprecated, v.DeprecationReason))
			}
			b.WriteString("}\n")
		default: // UNION and anything newer: name the kind, so a difference shows
			fmt.Fprintf(&b, "%s %s\n", strings.ToLower(t.Kind), t.Name)
		}
	}

	dirs := append([]directiveModel(nil), m.Directives...)
	sort.Slice(dirs, func(i, j int) bool { return dirs[i].Name < dirs[j].Name })
	for _, d := range dirs {
		b.WriteString("\n")
		desc("", d.Description)
		fmt.Fprintf(&b, "directive @%s", d.Name)
		if len(d.Args) > 0 {
			b.WriteString("(\n")
			for _, a := range d.Args {
				arg("  ", a)
			}
			b.WriteString(")")
		}
		if d.IsRepeatable {
			b.WriteString(" repeatable")
		}
		fmt.Fprintf(&b, " on %s\n", strings.Join(d.Locations, " | "))
	}
	return b.String()
}

func refString(r typeRef) string {
	switch r.Kind {
	case "NON_NULL":
		if r.OfType == nil {
			return "?!"
		}
		return refString(*r.OfType) + "!"
	case "LIST":
		if r.OfType == nil {
			return "[?]"
		}
		return "[" + refString(*r.OfType) + "]"
	}
	if r.Name == nil {
		return "?"
	}
	return *r.Name
}

// --- a small line diff (longest common subsequence), unified style -------------

// lineDiff returns the lines of a and b that differ, "-" for a's and "+" for
// b's, with context lines of context around each change, under "@@ @@"
// headers naming the definition changed. Empty when a == b.
func lineDiff(a, b string, context int) string {
	x, y := strings.Split(a, "\n"), strings.Split(b, "\n")
	n, m := len(x), len(y)
	// lcs[i][j]: length of the longest common subsequence of x[i:] and y[j:].
	lcs := make([][]int32, n+1)
	for i := range lcs {
		lcs[i] = make([]int32, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if x[i] == y[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	type op struct {
		kind byte // ' ', '-', '+'
		line string
		at   int // line number in a (1-based) of this or the next line of a
	}
	var ops []op
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && x[i] == y[j]:
			ops = append(ops, op{' ', x[i], i + 1})
			i, j = i+1, j+1
		case i < n && (j == m || lcs[i+1][j] >= lcs[i][j+1]):
			ops = append(ops, op{'-', x[i], i + 1})
			i++
		default:
			ops = append(ops, op{'+', y[j], i + 1})
			j++
		}
	}
	show := make([]bool, len(ops))
	for k, o := range ops {
		if o.kind != ' ' {
			for c := max(0, k-context); c <= min(len(ops)-1, k+context); c++ {
				show[c] = true
			}
		}
	}
	// where names the definition a change is in: the header line before it,
	// or after it for a description printed just above its definition.
	isHeader := func(l string) bool {
		for _, kw := range []string{"schema ", "scalar ", "type ", "interface ", "union ", "enum ", "input ", "directive "} {
			if strings.HasPrefix(l, kw) {
				return true
			}
		}
		return false
	}
	where := func(k int) string {
		if strings.HasPrefix(ops[k].line, `"`) {
			for f := k; f < len(ops); f++ {
				if isHeader(ops[f].line) {
					return strings.TrimSuffix(ops[f].line, " {")
				}
			}
		}
		for b := k; b >= 0; b-- {
			if isHeader(ops[b].line) {
				return strings.TrimSuffix(ops[b].line, " {")
			}
		}
		return "top"
	}
	var out strings.Builder
	for k, o := range ops {
		if !show[k] {
			continue
		}
		if k == 0 || !show[k-1] {
			first := k
			for first < len(ops)-1 && ops[first].kind == ' ' {
				first++
			}
			fmt.Fprintf(&out, "@@ %s (line %d of the printed SDL) @@\n", where(first), o.at)
		}
		fmt.Fprintf(&out, "%c%s\n", o.kind, o.line)
	}
	return out.String()
}
