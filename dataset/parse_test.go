package dataset

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/shenzhenplan/kgapi/plan"
)

const bundled = "../data/shenzhen-2019-2025.yaml"

func TestParseBundled(t *testing.T) {
	d, err := Parse(bundled)
	if err != nil {
		t.Fatalf("Parse(%s): %v", bundled, err)
	}
	if err := d.Validate(); err != nil {
		t.Fatalf("Validate on the parsed dataset: %v", err)
	}
	if got := len(d.Plans); got != 2 {
		t.Errorf("plans = %d, want 2", got)
	}
	ap := d.Plans[1]
	if ap.Slug != "shenzhen-pdz-action-plan" || ap.DeclaredMeasureCount != 127 || ap.Tranches != 3 || ap.GoalYear != 2025 {
		t.Errorf("action plan = %q declared %d tranches %d goalYear %d", ap.Slug, ap.DeclaredMeasureCount, ap.Tranches, ap.GoalYear)
	}
	if ap.Parent == nil || ap.Parent.To != "shenzhen-demonstration-area-guideline" {
		t.Errorf("action plan parent = %+v", ap.Parent)
	}
	if got := d.Sources[1].PublishedOn; got != "2019-08-18" {
		t.Errorf("xinhua publishedOn = %q, want 2019-08-18", got)
	}
	if m := d.Milestones[3]; m.Slug != "2050" || m.Year != 2050 || !m.Approximate || m.Label != "mid-21st century" {
		t.Errorf("milestone 2050 = %+v", m)
	}
	if m := ap.Sections[1].Aspects[2].Measures[0]; m.Code != "S2.A3.M1" || m.Status != StatusInProgress {
		t.Errorf("S2.A3.M1 = %q %q", m.Code, m.Status)
	}
}

// TestCountsBundled checks Counts of the bundled file against numbers
// computed here by walking a generic decode of the YAML.
func TestCountsBundled(t *testing.T) {
	data, err := os.ReadFile(bundled)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	want := genericCounts(doc)

	d, err := Parse(bundled)
	if err != nil {
		t.Fatal(err)
	}
	got := d.Counts()
	for label, n := range want.Nodes {
		if got.Nodes[label] != n {
			t.Errorf("nodes %s = %d, want %d", label, got.Nodes[label], n)
		}
	}
	for typ, n := range want.Rels {
		if got.Rels[typ] != n {
			t.Errorf("rels %s = %d, want %d", typ, got.Rels[typ], n)
		}
	}
	// Spot checks that the generic walk is itself sane.
	// DUE_BY: S1.M1 and Qianhai 2025/2030/2035, S1.M3 and the Hetao centre 2025/2035.
	if want.Nodes["Measure"] != 38 || want.Rels["DUE_BY"] != 10 || want.Rels["PARENT"] != 1 {
		t.Errorf("generic walk: measures %d, DUE_BY %d, PARENT %d; want 38, 10, 1",
			want.Nodes["Measure"], want.Rels["DUE_BY"], want.Rels["PARENT"])
	}
	if len(got.Nodes) != len(plan.Kinds) || len(got.Rels) != len(plan.RelTypes()) {
		t.Errorf("Counts has %d labels and %d types, want %d and %d", len(got.Nodes), len(got.Rels), len(plan.Kinds), len(plan.RelTypes()))
	}
	total := 0
	for _, n := range got.Nodes {
		total += n
	}
	for _, n := range got.Rels {
		total += n
	}
	if got.Total() != total {
		t.Errorf("Total() = %d, want %d", got.Total(), total)
	}
}

// genericCounts counts nodes and relationships from a map[string]any decode,
// independently of the package's types.
func genericCounts(doc map[string]any) Counts {
	c := Counts{Nodes: map[string]int{}, Rels: map[string]int{}}
	rels := map[string]map[string]bool{}
	add := func(typ string, parts ...any) {
		if rels[typ] == nil {
			rels[typ] = map[string]bool{}
		}
		rels[typ][fmt.Sprint(parts...)] = true
	}
	list := func(m map[string]any, key string) []map[string]any {
		var out []map[string]any
		items, _ := m[key].([]any)
		for _, it := range items {
			out = append(out, it.(map[string]any))
		}
		return out
	}
	supported := func(node string, m map[string]any) {
		for _, r := range list(m, "sources") {
			add("SUPPORTED_BY", node, "|", r["source"], "|", r["excerpt"], "|", r["claim"])
		}
	}
	linked := func(typ, node string, m map[string]any, key string) {
		for _, l := range list(m, key) {
			add(typ, node, "->", l["to"])
		}
	}
	measures := func(plan, container string, m map[string]any) {
		for _, ms := range list(m, "measures") {
			c.Nodes["Measure"]++
			id := fmt.Sprint("measure:", plan, "/", ms["code"])
			add("PART_OF", id, "->", container)
			linked("ADVANCES", id, ms, "projects")
			linked("IN_SECTOR", id, ms, "sectors")
			linked("LOCATED_IN", id, ms, "places")
			linked("DUE_BY", id, ms, "milestones")
			supported(id, ms)
		}
	}
	c.Nodes["Source"] = len(list(doc, "sources"))
	for _, p := range list(doc, "plans") {
		c.Nodes["Plan"]++
		id := fmt.Sprint("plan:", p["slug"])
		if par, ok := p["parent"].(map[string]any); ok {
			add("PARENT", id, "->", par["to"])
		}
		linked("HAS_MILESTONE", id, p, "milestones")
		supported(id, p)
		for _, s := range list(p, "sections") {
			c.Nodes["Section"]++
			sid := fmt.Sprint(id, "/section:", s["number"])
			add("HAS_SECTION", id, "->", sid)
			supported(sid, s)
			measures(fmt.Sprint(p["slug"]), sid, s)
			for _, a := range list(s, "aspects") {
				c.Nodes["Aspect"]++
				aid := fmt.Sprint(sid, "/aspect:", a["number"])
				add("HAS_ASPECT", sid, "->", aid)
				supported(aid, a)
				measures(fmt.Sprint(p["slug"]), aid, a)
			}
		}
	}
	for _, kind := range []struct{ key, label string }{
		{"projects", "Project"}, {"sectors", "Sector"}, {"places", "Place"}, {"milestones", "Milestone"},
	} {
		for _, n := range list(doc, kind.key) {
			c.Nodes[kind.label]++
			id := fmt.Sprint(kind.label, ":", n["slug"])
			supported(id, n)
			linked("LOCATED_IN", id, n, "places")
			linked("IN_SECTOR", id, n, "sectors")
			if kind.label == "Project" {
				linked("DUE_BY", id, n, "milestones")
			}
			if w, ok := n["within"].(map[string]any); ok {
				add("WITHIN", id, "->", w["to"])
			}
		}
	}
	for _, e := range list(doc, "events") {
		c.Nodes["Event"]++
		id := fmt.Sprint("Event:", e["slug"])
		supported(id, e)
		for _, key := range []string{"measures", "projects", "places", "plans"} {
			items, _ := e[key].([]any)
			for _, to := range items {
				add("CONCERNS", id, "->", key, ":", to)
			}
		}
	}
	// The kinds whose format derives from the model: a list of items, each
	// with its key, cited links under its relationship fields and sources.
	for _, k := range plan.RecordKinds() {
		for _, n := range list(doc, k.Records) {
			c.Nodes[string(k.Kind)]++
			id := fmt.Sprint(k.Kind, ":", n[k.Key])
			supported(id, n)
			for _, e := range k.LinkEdges() {
				linked(e.Type, id, n, e.Field)
			}
		}
	}
	for _, typ := range plan.RelTypes() {
		c.Rels[typ] = len(rels[typ])
	}
	return c
}

// fixture is a small valid dataset exercising every kind of node and link.
const fixture = `format: plankg/v1
sources:
  - id: src
    title: "Source"
    file: src.txt
  - id: other
    title: "Other"
    publishedOn: 2020-01-31
plans:
  - slug: parent-plan
    title: "Parent"
    sources:
      - { source: src, excerpt: "the parent plan" }
  - slug: child-plan
    title: "Child"
    goalYear: 2025
    declaredMeasureCount: 5
    parent: { to: parent-plan, source: src, excerpt: "the parent plan" }
    milestones:
      - { to: "2025", source: src, excerpt: "by 2025" }
    sources:
      - { source: src, excerpt: "the child plan" }
    sections:
      - number: 1
        title: "One"
        sources:
          - { source: src, excerpt: "section one" }
        measures:
          - code: S1.M1
            title: "First"
            status: PLANNED
            projects:
              - { to: harbour, source: src, excerpt: "the harbour project" }
            milestones:
              - { to: "2025", source: src, excerpt: "by 2025" }
            sources:
              - { source: src, excerpt: "first measure" }
      - number: 2
        title: "Two"
        sources:
          - { source: src, excerpt: "section two" }
        aspects:
          - number: 1
            title: "Aspect one"
            sources:
              - { source: src, excerpt: "aspect one" }
            measures:
              - code: S2.A1.M1
                title: "Second"
                sectors:
                  - { to: tech, source: src, excerpt: "tech sector" }
                places:
                  - { to: district, source: src, excerpt: "in the district" }
                sources:
                  - { source: src, excerpt: "second measure" }
projects:
  - slug: harbour
    name: "Harbour"
    places:
      - { to: district, source: src, excerpt: "in the district" }
    sectors:
      - { to: tech, source: src, excerpt: "tech sector" }
    sources:
      - { source: src, excerpt: "the harbour project" }
sectors:
  - slug: tech
    name: "Tech"
    sources:
      - { source: src, excerpt: "tech sector" }
places:
  - slug: city
    name: "City"
    sources:
      - { source: src, excerpt: "the city" }
  - slug: district
    name: "District"
    within: { to: city, source: src, excerpt: "in the city" }
    sources:
      - { source: src, excerpt: "in the district" }
milestones:
  - slug: "2025"
    year: 2025
    date: 2025-12-31
    label: "2025"
    sources:
      - { source: src, excerpt: "by 2025" }
`

// fixtureSource is src.txt: every excerpt above occurs in it, some across
// line breaks and runs of spaces.
const fixtureSource = `Of the parent plan and the child plan:
section one, section   two and aspect one.
The first measure, the second
measure, the harbour project, the tech sector.
It lies in the district, in the city. To be done by 2025.
`

// writeFixture writes the source file into a temporary folder and returns it.
func writeFixture(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "src.txt"), []byte(fixtureSource), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// lineOf returns the 1-based line of the n-th (1-based) occurrence of sub in s.
func lineOf(t *testing.T, s, sub string, n int) int {
	t.Helper()
	off := 0
	for range n {
		i := strings.Index(s[off:], sub)
		if i < 0 {
			t.Fatalf("%q does not occur %d times in the input", sub, n)
		}
		off += i + len(sub)
	}
	return strings.Count(s[:off-len(sub)], "\n") + 1
}

// replace replaces the single occurrence of old in s.
func replace(t *testing.T, s, old, new string) string {
	t.Helper()
	if c := strings.Count(s, old); c != 1 {
		t.Fatalf("%q occurs %d times in the fixture, want 1", old, c)
	}
	return strings.Replace(s, old, new, 1)
}

func TestParseFixtureValid(t *testing.T) {
	dir := writeFixture(t)
	d, err := ParseBytes("x.yaml", []byte(fixture), dir)
	if err != nil {
		t.Fatalf("fixture: %v", err)
	}
	m := d.Plans[1].Sections[1].Aspects[0].Measures[0]
	if m.Status != StatusUnknown {
		t.Errorf("absent status = %q, want %q", m.Status, StatusUnknown)
	}
	c := d.Counts()
	wantNodes := map[string]int{"Plan": 2, "Section": 2, "Aspect": 1, "Measure": 2, "Project": 1,
		"Sector": 1, "Place": 2, "Milestone": 1, "Source": 2}
	wantRels := map[string]int{"HAS_SECTION": 2, "HAS_ASPECT": 1, "PART_OF": 2, "ADVANCES": 1, "IN_SECTOR": 2,
		"LOCATED_IN": 2, "WITHIN": 1, "DUE_BY": 1, "HAS_MILESTONE": 1, "PARENT": 1, "SUPPORTED_BY": 12}
	for k, n := range wantNodes {
		if c.Nodes[k] != n {
			t.Errorf("nodes %s = %d, want %d", k, c.Nodes[k], n)
		}
	}
	for k, n := range wantRels {
		if c.Rels[k] != n {
			t.Errorf("rels %s = %d, want %d", k, c.Rels[k], n)
		}
	}
}

// TestCountsCollapse checks that duplicate links and duplicate source
// entries collapse, and that distinct excerpts do not.
func TestCountsCollapse(t *testing.T) {
	dir := writeFixture(t)
	src := replace(t, fixture, `              - { to: harbour, source: src, excerpt: "the harbour project" }
`, `              - { to: harbour, source: src, excerpt: "the harbour project" }
              - { to: harbour, source: src, excerpt: "harbour project" }
`)
	src = replace(t, src, `              - { source: src, excerpt: "first measure" }
`, `              - { source: src, excerpt: "first measure" }
              - { source: src, excerpt: "first measure" }
              - { source: src, excerpt: "The first measure" }
`)
	d, err := ParseBytes("x.yaml", []byte(src), dir)
	if err != nil {
		t.Fatal(err)
	}
	c := d.Counts()
	if c.Rels["ADVANCES"] != 1 {
		t.Errorf("ADVANCES = %d, want 1 (duplicate link collapses)", c.Rels["ADVANCES"])
	}
	if c.Rels["SUPPORTED_BY"] != 13 {
		t.Errorf("SUPPORTED_BY = %d, want 13 (one more distinct excerpt)", c.Rels["SUPPORTED_BY"])
	}
}

func TestParseInvalid(t *testing.T) {
	tests := []struct {
		name     string
		edit     func(t *testing.T, s string) string
		at       string // text on the expected line
		nth      int    // occurrence of at (0 means 1)
		path     string
		msg      string // may hold a %d: the line of first
		first    string // text on the line of a first definition ("" means at)
		noSource bool   // do not write src.txt
	}{
		{
			name: "unknown key",
			edit: func(t *testing.T, s string) string {
				return replace(t, s, "    title: \"Child\"\n", "    title: \"Child\"\n    summry: \"typo\"\n")
			},
			at: "summry", path: "plans[1].summry", msg: `unknown key "summry" (did you mean "summary"?)`,
		},
		{
			name: "missing required field",
			edit: func(t *testing.T, s string) string { return replace(t, s, "    title: \"Parent\"\n", "") },
			at:   "- slug: parent-plan", path: "plans[0].title", msg: `missing required field "title"`,
		},
		{
			name: "empty required field",
			edit: func(t *testing.T, s string) string { return replace(t, s, `name: "Tech"`, `name: ""`) },
			at:   `name: ""`, path: "sectors[0].name", msg: "must not be empty",
		},
		{
			name: "empty optional field",
			edit: func(t *testing.T, s string) string {
				return replace(t, s, "    title: \"Child\"\n", "    title: \"Child\"\n    domains: []\n")
			},
			at: "domains: []", path: "plans[1].domains", msg: "empty value: omit the key instead",
		},
		{
			name: "duplicate sector slug",
			edit: func(t *testing.T, s string) string {
				return replace(t, s, "sectors:\n  - slug: tech\n", "sectors:\n  - slug: tech\n    name: \"Tech again\"\n    sources:\n      - { source: src, excerpt: \"tech sector\" }\n  - slug: tech\n")
			},
			at: "- slug: tech", nth: 2, path: "sectors[1].slug", msg: `duplicate sector slug "tech" (first defined at line %d, sectors[0].slug)`,
		},
		{
			name: "duplicate source id",
			edit: func(t *testing.T, s string) string { return replace(t, s, "  - id: other\n", "  - id: src\n") },
			at:   "- id: src", nth: 2, path: "sources[1].id", msg: `duplicate source id "src" (first defined at line %d, sources[0].id)`,
		},
		{
			name: "duplicate key",
			edit: func(t *testing.T, s string) string {
				return replace(t, s, "    name: \"City\"\n", "    name: \"City\"\n    name: \"Town\"\n")
			},
			at: `name: "Town"`, first: `name: "City"`, path: "places[0].name", msg: `duplicate key "name" (first at line %d)`,
		},
		{
			name: "dangling project link",
			edit: func(t *testing.T, s string) string { return replace(t, s, "{ to: harbour,", "{ to: harbor,") },
			at:   "to: harbor", path: "plans[1].sections[0].measures[0].projects[0].to", msg: `unknown project "harbor"`,
		},
		{
			name: "link to a node of the wrong kind",
			edit: func(t *testing.T, s string) string {
				return replace(t, s, `- { to: district, source: src, excerpt: "in the district" }
                sources:`, `- { to: tech, source: src, excerpt: "in the district" }
                sources:`)
			},
			at: `- { to: tech, source: src, excerpt: "in the district" }`, path: "plans[1].sections[1].aspects[0].measures[0].places[0].to", msg: `unknown place "tech"`,
		},
		{
			name: "unknown source",
			edit: func(t *testing.T, s string) string {
				return replace(t, s, `{ source: src, excerpt: "section one" }`, `{ source: srcx, excerpt: "section one" }`)
			},
			at: "srcx", path: "plans[1].sections[0].sources[0].source", msg: `unknown source "srcx"`,
		},
		{
			name: "excerpt not in source file",
			edit: func(t *testing.T, s string) string {
				return replace(t, s, `excerpt: "aspect one"`, `excerpt: "aspect uno"`)
			},
			at: "aspect uno", path: "plans[1].sections[1].aspects[0].sources[0].excerpt", msg: `excerpt "aspect uno" does not occur in the file of source "src"`,
		},
		{
			name:     "missing source file",
			edit:     func(t *testing.T, s string) string { return s },
			noSource: true,
			at:       "file: src.txt", path: "sources[0].file", msg: "source file src.txt not found",
		},
		{
			name: "source file outside the folder",
			edit: func(t *testing.T, s string) string { return replace(t, s, "file: src.txt", "file: ../src.txt") },
			at:   "file: ../src.txt", path: "sources[0].file", msg: `invalid file path "../src.txt"`,
		},
		{
			name: "excerpt too long",
			edit: func(t *testing.T, s string) string {
				return replace(t, s, `excerpt: "the harbour project" }
sectors`, `excerpt: "`+strings.Repeat("x", 301)+`" }
sectors`)
			},
			at: "xxxxx", path: "projects[0].sources[0].excerpt", msg: "excerpt too long: 301 characters, at most 300",
		},
		{
			name: "impossible milestone year",
			edit: func(t *testing.T, s string) string { return replace(t, s, "year: 2025", "year: 1025") },
			at:   "year: 1025", path: "milestones[0].year", msg: "impossible year 1025: must be within 1900..2200",
		},
		{
			name: "impossible goal year",
			edit: func(t *testing.T, s string) string { return replace(t, s, "goalYear: 2025", "goalYear: 20250") },
			at:   "goalYear", path: "plans[1].goalYear", msg: "impossible year 20250",
		},
		{
			name: "bad date",
			edit: func(t *testing.T, s string) string { return replace(t, s, "date: 2025-12-31", "date: 2025-02-30") },
			at:   "date: 2025-02-30", path: "milestones[0].date", msg: `invalid date "2025-02-30": no such day`,
		},
		{
			name: "date not ISO",
			edit: func(t *testing.T, s string) string {
				return replace(t, s, "publishedOn: 2020-01-31", `publishedOn: "31/01/2020"`)
			},
			at: "publishedOn", path: "sources[1].publishedOn", msg: `invalid date "31/01/2020": must be an ISO date YYYY-MM-DD`,
		},
		{
			name: "milestone date outside its year",
			edit: func(t *testing.T, s string) string { return replace(t, s, "date: 2025-12-31", "date: 2026-01-01") },
			at:   "date: 2026-01-01", path: "milestones[0].date", msg: "date 2026-01-01 is not in the milestone's year 2025",
		},
		{
			name: "bad UTF-8",
			edit: func(t *testing.T, s string) string { return replace(t, s, `name: "Harbour"`, "name: \"Harb\xffour\"") },
			at:   "name: \"Harb", msg: "invalid UTF-8: byte 0xff at column 16",
		},
		{
			name: "control character escaped in a string",
			edit: func(t *testing.T, s string) string { return replace(t, s, `name: "Harbour"`, `name: "Harb\u0007our"`) },
			at:   `name: "Harb`, path: "projects[0].name", msg: "control character U+0007 is not allowed",
		},
		{
			name: "raw control character",
			edit: func(t *testing.T, s string) string { return replace(t, s, `name: "Harbour"`, "name: \"Harb\x00our\"") },
			at:   `name: "Harb`, msg: "control character U+0000 at column 16 is not allowed",
		},
		{
			name: "wrong section in measure code",
			edit: func(t *testing.T, s string) string { return replace(t, s, "code: S2.A1.M1", "code: S3.A1.M1") },
			at:   "code: S3.A1.M1", path: "plans[1].sections[1].aspects[0].measures[0].code",
			msg: `measure code "S3.A1.M1" names section 3 but the measure is in section 2 (expected S2.A1.M1)`,
		},
		{
			name: "measure code without its aspect",
			edit: func(t *testing.T, s string) string { return replace(t, s, "code: S2.A1.M1", "code: S2.M1") },
			at:   "code: S2.M1", path: "plans[1].sections[1].aspects[0].measures[0].code",
			msg: `measure code "S2.M1" lacks the aspect`,
		},
		{
			name: "malformed measure code",
			edit: func(t *testing.T, s string) string { return replace(t, s, "code: S1.M1", "code: S1-M1") },
			at:   "code: S1-M1", path: "plans[1].sections[0].measures[0].code", msg: `invalid measure code "S1-M1"`,
		},
		{
			name: "duplicate section number",
			edit: func(t *testing.T, s string) string {
				return replace(t, s, "      - number: 2\n", "      - number: 1\n")
			},
			at: "- number: 1", nth: 2, path: "plans[1].sections[1].number", msg: "duplicate section number 1 (first at line %d, plans[1].sections[0].number)",
		},
		{
			name: "within cycle",
			edit: func(t *testing.T, s string) string {
				return replace(t, s, "    name: \"City\"\n", "    name: \"City\"\n    within: { to: district, source: src, excerpt: \"in the city\" }\n")
			},
			at: "to: district, source: src, excerpt: \"in the city\"", path: "places[0].within.to", msg: `within cycle: "city" -> "district" -> "city"`,
		},
		{
			name: "within itself",
			edit: func(t *testing.T, s string) string {
				return replace(t, s, `within: { to: city,`, `within: { to: district,`)
			},
			at: "within: { to: district", path: "places[1].within.to", msg: `place "district" cannot lie within itself`,
		},
		{
			name: "own parent",
			edit: func(t *testing.T, s string) string {
				return replace(t, s, "parent: { to: parent-plan", "parent: { to: child-plan")
			},
			at: "parent: { to: child-plan", path: "plans[1].parent.to", msg: `plan "child-plan" cannot be its own parent`,
		},
		{
			name: "parent cycle",
			edit: func(t *testing.T, s string) string {
				return replace(t, s, "    title: \"Parent\"\n", "    title: \"Parent\"\n    parent: { to: child-plan, source: src, excerpt: \"the child plan\" }\n")
			},
			at: "parent: { to: child-plan", path: "plans[0].parent.to", msg: `parent cycle: "parent-plan" -> "child-plan" -> "parent-plan"`,
		},
		{
			name: "wrong type: string for integer",
			edit: func(t *testing.T, s string) string {
				return replace(t, s, "declaredMeasureCount: 5", "declaredMeasureCount: five")
			},
			at: "declaredMeasureCount", path: "plans[1].declaredMeasureCount", msg: `must be an integer, got the string "five"`,
		},
		{
			name: "wrong type: unquoted year slug",
			edit: func(t *testing.T, s string) string { return replace(t, s, `slug: "2025"`, `slug: 2025`) },
			at:   "slug: 2025", path: "milestones[0].slug", msg: `must be a string, got the integer 2025 (quote it: "2025")`,
		},
		{
			name: "wrong type: list for mapping",
			edit: func(t *testing.T, s string) string {
				return replace(t, s, "within: { to: city, source: src, excerpt: \"in the city\" }", "within: [city]")
			},
			at: "within: [city]", path: "places[1].within", msg: "must be a mapping, got a list",
		},
		{
			name: "bad slug",
			edit: func(t *testing.T, s string) string { return replace(t, s, "slug: harbour", "slug: Harbour_1") },
			at:   "slug: Harbour_1", path: "projects[0].slug", msg: `invalid project slug "Harbour_1"`,
		},
		{
			name: "bad status",
			edit: func(t *testing.T, s string) string { return replace(t, s, "status: PLANNED", "status: planned") },
			at:   "status: planned", path: "plans[1].sections[0].measures[0].status", msg: `invalid status "planned"`,
		},
		{
			name: "declared measure count too small",
			edit: func(t *testing.T, s string) string {
				return replace(t, s, "declaredMeasureCount: 5", "declaredMeasureCount: 1")
			},
			at: "declaredMeasureCount", path: "plans[1].declaredMeasureCount", msg: "declares 1 measures but the plan lists 2",
		},
		{
			name: "non-positive number",
			edit: func(t *testing.T, s string) string {
				return replace(t, s, "          - number: 1\n", "          - number: 0\n")
			},
			at: "- number: 0", path: "plans[1].sections[1].aspects[0].number", msg: "must be a positive integer, got 0",
		},
		{
			name: "wrong format",
			edit: func(t *testing.T, s string) string { return replace(t, s, "format: plankg/v1", "format: plankg/v2") },
			at:   "format:", path: "format", msg: `must be "plankg/v1", got "plankg/v2"`,
		},
		{
			name: "YAML syntax error",
			edit: func(t *testing.T, s string) string { return replace(t, s, `    name: "Tech"`, `    name: Tech: x`) },
			at:   `name: Tech: x`, msg: "YAML syntax: mapping values are not allowed in this context",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if !tc.noSource {
				dir = writeFixture(t)
			}
			src := tc.edit(t, fixture)
			const name = "data/x.yaml"
			_, err := ParseBytes(name, []byte(src), dir)
			var verr *ValidationError
			if !errors.As(err, &verr) {
				t.Fatalf("err = %v, want a *ValidationError", err)
			}
			nth := max(tc.nth, 1)
			prefix := fmt.Sprintf("%s:%d: ", name, lineOf(t, src, tc.at, nth))
			if tc.path != "" {
				prefix += tc.path + ": "
			}
			msg := tc.msg
			if strings.Contains(msg, "%d") {
				first := cmp.Or(tc.first, tc.at)
				msg = fmt.Sprintf(msg, lineOf(t, src, first, 1))
			}
			for _, p := range verr.Problems {
				if strings.HasPrefix(p.String(), prefix) && strings.Contains(p.Msg, msg) {
					if !strings.Contains(err.Error(), p.String()) {
						t.Errorf("Error() does not list %q", p.String())
					}
					return
				}
			}
			t.Errorf("no problem %q…%q in:\n%v", prefix, msg, err)
		})
	}
}

// TestParseManyProblems checks that every problem of a file is listed, in
// line order, and counted.
func TestParseManyProblems(t *testing.T) {
	dir := writeFixture(t)
	src := fixture
	src = replace(t, src, "    title: \"Parent\"\n", "    titel: \"Parent\"\n") // unknown key + missing title
	src = replace(t, src, "{ to: harbour,", "{ to: harbor,")                    // dangling link
	src = replace(t, src, "code: S2.A1.M1", "code: S2.A2.M1")                   // wrong aspect in code
	src = replace(t, src, "year: 2025", "year: \"2025\"")                       // wrong type
	src = replace(t, src, `excerpt: "section two"`, `excerpt: "section deux"`)  // not in the source
	_, err := ParseBytes("x.yaml", []byte(src), dir)
	var verr *ValidationError
	if !errors.As(err, &verr) {
		t.Fatalf("err = %v, want a *ValidationError", err)
	}
	want := []string{
		fmt.Sprintf("x.yaml:%d: plans[0].title: missing required field", lineOf(t, src, "slug: parent-plan", 1)),
		fmt.Sprintf("x.yaml:%d: plans[0].titel: unknown key", lineOf(t, src, "titel", 1)),
		fmt.Sprintf("x.yaml:%d: plans[1].sections[0].measures[0].projects[0].to: unknown project", lineOf(t, src, "harbor", 1)),
		fmt.Sprintf("x.yaml:%d: plans[1].sections[1].sources[0].excerpt: excerpt \"section deux\"", lineOf(t, src, "section deux", 1)),
		fmt.Sprintf("x.yaml:%d: plans[1].sections[1].aspects[0].measures[0].code: measure code \"S2.A2.M1\" names aspect 2", lineOf(t, src, "S2.A2.M1", 1)),
		fmt.Sprintf("x.yaml:%d: milestones[0].year: must be an integer", lineOf(t, src, "year: \"2025\"", 1)),
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, fmt.Sprintf("invalid dataset: %d problems\n", len(want))) {
		t.Errorf("Error() does not start with the count %d:\n%s", len(want), msg)
	}
	lines := strings.Split(msg, "\n")[1:]
	if len(lines) != len(want) {
		t.Fatalf("%d problems, want %d:\n%s", len(lines), len(want), msg)
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w) {
			t.Errorf("problem %d = %q, want prefix %q", i, lines[i], w)
		}
	}
}

func TestParseEdgeInputs(t *testing.T) {
	tests := []struct {
		name, src, msg string
	}{
		{"empty file", "", "empty file"},
		{"comments only", "# nothing\n", "empty file"},
		{"not a mapping", "- a\n- b\n", "must be a mapping, got a list"},
		{"two documents", "format: plankg/v1\n---\nformat: plankg/v1\n", "a second YAML document"},
		{"alias", "format: &f plankg/v1\nsources: *f\n", "YAML aliases are not supported"},
		{"missing everything", "format: plankg/v1\n", `sources: missing required field "sources"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseBytes("e.yaml", []byte(tc.src), t.TempDir())
			var verr *ValidationError
			if !errors.As(err, &verr) {
				t.Fatalf("err = %v, want a *ValidationError", err)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error does not mention %q:\n%v", tc.msg, err)
			}
		})
	}
}

func TestParseMissingFile(t *testing.T) {
	_, err := Parse(filepath.Join(t.TempDir(), "nope.yaml"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("err = %v, want one wrapping os.ErrNotExist", err)
	}
}

// TestValidateInMemory checks Validate on datasets built in Go: problems
// carry paths but no file or line.
func TestValidateInMemory(t *testing.T) {
	dir := writeFixture(t)
	d, err := ParseBytes("x.yaml", []byte(fixture), dir)
	if err != nil {
		t.Fatal(err)
	}
	d.Plans[1].Sections[0].Measures[0].Projects[0].To = "nowhere"
	d.Plans[1].Sections[0].Measures[0].Status = ""
	d.Milestones[0].Year = 3000
	d.Places[0].Within = &Link{To: "district", Source: "src", Excerpt: "in the city"}
	err = d.Validate()
	var verr *ValidationError
	if !errors.As(err, &verr) {
		t.Fatalf("err = %v, want a *ValidationError", err)
	}
	want := []string{
		`plans[1].sections[0].measures[0].status: invalid status ""`,
		`plans[1].sections[0].measures[0].projects[0].to: unknown project "nowhere"`,
		`milestones[0].year: impossible year 3000`,
		`places[0].within.to: within cycle: "city" -> "district" -> "city"`,
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), "\n"+w) {
			t.Errorf("Validate error lacks %q:\n%v", w, err)
		}
	}
	if len(verr.Problems) != len(want) {
		t.Errorf("%d problems, want %d:\n%v", len(verr.Problems), len(want), err)
	}
}

// FuzzParseBytes checks that no input makes the parser panic, and that a
// dataset it accepts validates and counts.
func FuzzParseBytes(f *testing.F) {
	f.Add([]byte(fixture))
	if data, err := os.ReadFile(bundled); err == nil {
		f.Add(data)
	}
	f.Add([]byte("format: plankg/v1\nsources: [{id: a, title: b}]\nplans: [{slug: p, title: t, sources: [{source: a, excerpt: x}]}]\n"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := ParseBytes("f.yaml", data, dir)
		if err != nil {
			var verr *ValidationError
			if !errors.As(err, &verr) || len(verr.Problems) == 0 {
				t.Fatalf("err = %v, want a *ValidationError with problems", err)
			}
			return
		}
		if err := d.Validate(); err != nil {
			t.Fatalf("parsed dataset does not validate: %v", err)
		}
		d.Counts()
	})
}
