package dataset

import (
	"bufio"
	"errors"
	"os"
	"regexp"
	"strings"
	"testing"
)

// eventFixture is the fixture with two web pages (one official, one a
// repost) and an event that cites the official one.
func eventFixture(t *testing.T) string {
	t.Helper()
	s := replace(t, fixture, "plans:\n", `  - id: gov-page
    title: "A government page"
    url: "https://example.gov/page"
    authority: official
  - id: repost-page
    title: "A repost"
    url: "https://example.com/repost"
    authority: repost
plans:
`)
	return s + `events:
  - slug: harbour-opened
    kind: OPENED
    title: "The harbour opens"
    date: "2021-05"
    confirmed: true
    quantities:
      - { of: "berths", value: 4, unit: "berths" }
    measures: [S1.M1]
    projects: [harbour]
    sources:
      - { source: gov-page, fact: F1, claim: "The government says the harbour opened in May 2021." }
      - { source: repost-page, fact: F1, claim: "A repost says the same." }
`
}

func TestEventsValid(t *testing.T) {
	d, err := ParseBytes("x.yaml", []byte(eventFixture(t)), writeFixture(t))
	if err != nil {
		t.Fatalf("fixture with an event: %v", err)
	}
	if len(d.Events) != 1 {
		t.Fatalf("events = %d, want 1", len(d.Events))
	}
	e := d.Events[0]
	if e.Date != "2021-05" || !e.Confirmed || len(e.Quantities) != 1 || e.Quantities[0].Value != 4 || e.Sources[0].Fact != "F1" {
		t.Errorf("event = %+v", e)
	}
	c := d.Counts()
	if c.Nodes["Event"] != 1 || c.Rels["CONCERNS"] != 2 {
		t.Errorf("counts: events %d, CONCERNS %d; want 1 and 2", c.Nodes["Event"], c.Rels["CONCERNS"])
	}
}

// TestEventsInvalid: the loader refuses a claim that names no known
// source, a confirmed event that only reposts support, an excerpt of a web
// page, a claim on a bundled file, and malformed events.
func TestEventsInvalid(t *testing.T) {
	tests := []struct {
		name, old, new, msg string
	}{
		{"claim with an unknown source", "source: gov-page, fact: F1", "source: no-such-page, fact: F1", `unknown source "no-such-page"`},
		{"confirmed by reposts only", "      - { source: gov-page, fact: F1, claim: \"The government says the harbour opened in May 2021.\" }\n", "", "only reposts support it"},
		{"excerpt of a web page", `{ source: gov-page, fact: F1, claim: "The government says the harbour opened in May 2021." }`, `{ source: gov-page, excerpt: "opened" }`, "cite it by a claim in our own words"},
		{"claim on a bundled file", `{ source: repost-page, fact: F1, claim: "A repost says the same." }`, `{ source: src, claim: "The file says so." }`, "cite it by a verbatim excerpt"},
		{"web page without a claim", `{ source: repost-page, fact: F1, claim: "A repost says the same." }`, `{ source: repost-page, fact: F1 }`, "a claim in our own words is required"},
		{"bad fact id", "source: repost-page, fact: F1", "source: repost-page, fact: X1", `invalid fact id "X1"`},
		{"date too precise a format", `date: "2021-05"`, `date: "May 2021"`, "must be YYYY, YYYY-MM or YYYY-MM-DD"},
		{"no such day", `date: "2021-05"`, `date: "2021-02-30"`, "must be YYYY, YYYY-MM or YYYY-MM-DD"},
		{"unknown kind", "kind: OPENED", "kind: HAPPENED", `invalid event kind "HAPPENED"`},
		{"target set without a year", "kind: OPENED", "kind: TARGET_SET", "needs target"},
		{"target on an opening", "    confirmed: true\n", "    confirmed: true\n    target: 2030\n", "only TARGET_SET and DELAYED"},
		{"unknown measure", "measures: [S1.M1]", "measures: [S9.M9]", `unknown measure code "S9.M9"`},
		{"unknown project", "projects: [harbour]", "projects: [airport]", `unknown project "airport"`},
		{"concerns nothing", "    measures: [S1.M1]\n    projects: [harbour]\n", "", "must concern something"},
		{"web page without url", "    url: \"https://example.com/repost\"\n", "", "needs its url"},
		{"unknown authority", "authority: repost", "authority: blog", `invalid authority "blog"`},
		{"value not a number", "value: 4", "value: four", "must be a number"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := replace(t, eventFixture(t), tc.old, tc.new)
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

// TestBundledEventsRestOnCheckedFacts checks every citation of a web page
// in the bundled data against the public facts (data/sources/public-facts.md)
// and their checks (data/sources/fact-checks.md): it names a fact that the
// list has and that was verified, and the page it cites is the fact's own
// page or the page the check read.
func TestBundledEventsRestOnCheckedFacts(t *testing.T) {
	d, err := Parse(bundled)
	if err != nil {
		t.Fatal(err)
	}
	urlRE := regexp.MustCompile(`https?://[^\s|)]+`)
	rows := func(path string) map[string]string {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		out := map[string]string{}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			if m := regexp.MustCompile(`^\| (F\d+) \|`).FindStringSubmatch(sc.Text()); m != nil {
				out[m[1]] += sc.Text()
			}
		}
		return out
	}
	facts, checks := rows("../data/sources/public-facts.md"), rows("../data/sources/fact-checks.md")
	if len(facts) != 82 || len(checks) != 82 {
		t.Fatalf("facts %d, checks %d; want 82 each", len(facts), len(checks))
	}
	web := map[string]Source{}
	for _, s := range d.Sources {
		if s.Web() {
			web[s.ID] = s
		}
	}
	cite := func(where string, r Ref) {
		s, ok := web[r.Source]
		if !ok {
			return
		}
		fact, check := facts[r.Fact], checks[r.Fact]
		switch {
		case r.Fact == "":
			t.Errorf("%s cites web page %s without a fact id", where, r.Source)
		case fact == "":
			t.Errorf("%s cites fact %s, which the public facts do not have", where, r.Fact)
		case !strings.Contains(check, "| verified"):
			t.Errorf("%s cites fact %s, which was not verified: %s", where, r.Fact, check)
		}
		pages := strings.Join(urlRE.FindAllString(fact+" "+check, -1), " ")
		if !strings.Contains(pages, strings.TrimRight(s.URL, "/")) {
			t.Errorf("%s cites %s (%s) for fact %s, which is neither the fact's page nor the page its check read", where, r.Source, s.URL, r.Fact)
		}
	}
	n := 0
	for _, e := range d.Events {
		if len(e.Sources) == 0 {
			t.Errorf("event %s has no source", e.Slug)
		}
		for _, r := range e.Sources {
			cite("event "+e.Slug, r)
			n++
		}
	}
	for _, p := range d.Projects {
		for _, l := range p.Milestones {
			cite("project "+p.Slug+" target", l.Ref())
		}
	}
	for kind, rs := range d.Records {
		for _, r := range rs {
			for _, ref := range r.Sources {
				cite(string(kind)+" "+r.Slug, ref)
			}
			for field, ls := range r.Links {
				for _, l := range ls {
					cite(string(kind)+" "+r.Slug+" "+field+" "+l.To, l.Ref())
				}
			}
		}
	}
	if n < 82 {
		t.Errorf("only %d citations of events", n)
	}
}
