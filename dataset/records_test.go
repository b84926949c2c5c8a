package dataset

import (
	"errors"
	"strings"
	"testing"

	"github.com/shenzhenplan/kgapi/plan"
)

// recordFixture is the event fixture with an organisation: a kind whose
// format derives from the graph model (plan.KindModel.Records).
func recordFixture(t *testing.T) string {
	t.Helper()
	return eventFixture(t) + `organizations:
  - slug: harbour-board
    name: "Harbour Board"
    level: "municipal"
    events:
      - { to: harbour-opened, source: gov-page, fact: F1, claim: "The board opened the harbour." }
    sources:
      - { source: gov-page, fact: F1, claim: "The government page names the board." }
`
}

func TestRecordsValid(t *testing.T) {
	d, err := ParseBytes("x.yaml", []byte(recordFixture(t)), writeFixture(t))
	if err != nil {
		t.Fatalf("fixture with an organisation: %v", err)
	}
	rs := d.Records[plan.KindOrganization]
	if len(rs) != 1 {
		t.Fatalf("organisations = %d, want 1", len(rs))
	}
	r := rs[0]
	if r.Slug != "harbour-board" || r.Props["name"] != "Harbour Board" || r.Props["level"] != "municipal" ||
		len(r.Links["events"]) != 1 || r.Links["events"][0].To != "harbour-opened" || len(r.Sources) != 1 {
		t.Errorf("record = %+v", r)
	}
	if _, given := r.Props["nameZh"]; given {
		t.Error("nameZh is absent from the file but present in Props")
	}
	c := d.Counts()
	if c.Nodes["Organization"] != 1 || c.Rels["ACTED_IN"] != 1 {
		t.Errorf("counts: organisations %d, ACTED_IN %d; want 1 and 1", c.Nodes["Organization"], c.Rels["ACTED_IN"])
	}
}

// TestRecordsInvalid: the rules the model gives a derived format (the key
// and required properties, property types, known link targets, cited
// links and sources, no unknown keys) are checked like the hand-written
// kinds', with the same messages.
func TestRecordsInvalid(t *testing.T) {
	tests := []struct {
		name, old, new, msg string
	}{
		{"missing name", "    name: \"Harbour Board\"\n", "", `missing required field "name"`},
		{"missing slug", "  - slug: harbour-board\n    name:", "  - name:", `missing required field "slug"`},
		{"bad slug", "slug: harbour-board", "slug: Harbour Board", `invalid organization slug "Harbour Board"`},
		{"name not a string", `name: "Harbour Board"`, "name: [a, b]", "must be a string"},
		{"empty level", `level: "municipal"`, `level: ""`, "empty value: omit the key instead"},
		{"unknown key", `level: "municipal"`, `levle: "municipal"`, `unknown key "levle" (did you mean "level"?)`},
		{"unknown event", "to: harbour-opened", "to: harbour-closed", `unknown event "harbour-closed"`},
		{"link without citation", `{ to: harbour-opened, source: gov-page, fact: F1, claim: "The board opened the harbour." }`, `{ to: harbour-opened }`, `missing required field "source"`},
		{"link with an excerpt of a web page", `{ to: harbour-opened, source: gov-page, fact: F1, claim: "The board opened the harbour." }`, `{ to: harbour-opened, source: gov-page, excerpt: "opened" }`, "cite it by a claim in our own words"},
		{"no sources", "    sources:\n      - { source: gov-page, fact: F1, claim: \"The government page names the board.\" }\n", "", `missing required field "sources"`},
		{"duplicate slug", "    sources:\n      - { source: gov-page, fact: F1, claim: \"The government page names the board.\" }\n",
			"    sources:\n      - { source: gov-page, fact: F1, claim: \"The government page names the board.\" }\n  - slug: harbour-board\n    name: \"Again\"\n    sources:\n      - { source: src, excerpt: \"x\" }\n",
			`duplicate organization slug "harbour-board"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := replace(t, recordFixture(t), tc.old, tc.new)
			_, err := ParseBytes("x.yaml", []byte(src), writeFixture(t))
			var verr *ValidationError
			if !errors.As(err, &verr) {
				t.Fatalf("err = %v, want a *ValidationError", err)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("problems:\n%v\nwant one containing %q", err, tc.msg)
			}
		})
	}
}
