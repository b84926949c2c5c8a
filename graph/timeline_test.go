package graph_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/shenzhenplan/kgapi/dataset"
	"github.com/shenzhenplan/kgapi/plan"
)

type eventConn struct {
	TotalCount int
	PageInfo   struct {
		HasNextPage, HasPreviousPage bool
		EndCursor, StartCursor       *string
	}
	Nodes []struct {
		Slug, Date, Precision, Kind, Title string
		Confirmed                          bool
		TargetYear                         *int
	}
}

func (c eventConn) slugs() []string {
	out := make([]string, len(c.Nodes))
	for i, n := range c.Nodes {
		out[i] = n.Slug
	}
	return out
}

// bundledEvents are the bundled file's events in timeline order (first
// day, then slug), computed here from the file: the reference the API's
// timelines are checked against.
func bundledEvents(t *testing.T, keep func(dataset.Event) bool) []string {
	t.Helper()
	d, err := dataset.Parse(bundledFile)
	if err != nil {
		t.Fatal(err)
	}
	type ev struct{ start, slug string }
	var evs []ev
	for _, e := range d.Events {
		if keep != nil && !keep(e) {
			continue
		}
		start, _, _, err := plan.DateSpan(e.Date)
		if err != nil {
			t.Fatal(err)
		}
		evs = append(evs, ev{start, e.Slug})
	}
	slices.SortFunc(evs, func(a, b ev) int { return strings.Compare(a.start+"|"+a.slug, b.start+"|"+b.slug) })
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.slug
	}
	return out
}

const eventFields = `totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } nodes { slug date precision kind title confirmed targetYear }`

func TestEventsTimelineOrderAndPages(t *testing.T) {
	e := newEnv(t)
	all := bundledEvents(t, nil)
	if len(all) < 80 {
		t.Fatalf("bundled events = %d", len(all))
	}
	var r struct{ Events eventConn }
	query(t, e.url, `{ events(first: 100) { `+eventFields+` } }`, nil, &r)
	if got := r.Events.slugs(); !slices.Equal(got, all) || r.Events.TotalCount != len(all) {
		t.Fatalf("events: %d of %d, order differs from the file's dates: got %v\nwant %v", len(got), r.Events.TotalCount, got, all)
	}
	// Page forward by 7 and backward by 5: the same events, in order, none twice.
	var fwd []string
	var after any
	for {
		var p struct{ Events eventConn }
		query(t, e.url, `query($a: String) { events(first: 7, after: $a) { `+eventFields+` } }`, map[string]any{"a": after}, &p)
		fwd = append(fwd, p.Events.slugs()...)
		if !p.Events.PageInfo.HasNextPage {
			break
		}
		after = *p.Events.PageInfo.EndCursor
	}
	if !slices.Equal(fwd, all) {
		t.Errorf("paging forward by 7 gave %v", fwd)
	}
	var back []string
	var before any
	for {
		var p struct{ Events eventConn }
		query(t, e.url, `query($b: String) { events(last: 5, before: $b) { `+eventFields+` } }`, map[string]any{"b": before}, &p)
		back = append(p.Events.slugs(), back...)
		if !p.Events.PageInfo.HasPreviousPage {
			break
		}
		before = *p.Events.PageInfo.StartCursor
	}
	if !slices.Equal(back, all) {
		t.Errorf("paging backward by 5 gave %v", back)
	}
	var desc struct{ Events eventConn }
	query(t, e.url, `{ events(first: 100, order: DESC) { `+eventFields+` } }`, nil, &desc)
	rev := slices.Clone(all)
	slices.Reverse(rev)
	if !slices.Equal(desc.Events.slugs(), rev) {
		t.Errorf("DESC is not the reverse of ASC")
	}
}

func TestEventsFilters(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name, filter string
		keep         func(dataset.Event) bool
	}{
		{"kinds", `{kind: [IN_FORCE, OPENED]}`, func(ev dataset.Event) bool { return ev.Kind == "IN_FORCE" || ev.Kind == "OPENED" }},
		{"unconfirmed", `{confirmed: false}`, func(ev dataset.Event) bool { return !ev.Confirmed }},
		{"a year's span meets the range", `{from: "2021-03-01", to: "2021-06-30"}`, func(ev dataset.Event) bool {
			first, last, _, _ := plan.DateSpan(ev.Date)
			return last >= "2021-03-01" && first <= "2021-06-30"
		}},
		{"targets set since 2023", `{kind: [TARGET_SET], from: "2023-01-01"}`, func(ev dataset.Event) bool {
			_, last, _, _ := plan.DateSpan(ev.Date)
			return ev.Kind == "TARGET_SET" && last >= "2023-01-01"
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want := bundledEvents(t, tc.keep)
			if len(want) == 0 {
				t.Fatal("the filter keeps no event of the file: the case tests nothing")
			}
			var r struct{ Events eventConn }
			query(t, e.url, `{ events(first: 100, filter: `+tc.filter+`) { `+eventFields+` } }`, nil, &r)
			if got := r.Events.slugs(); !slices.Equal(got, want) || r.Events.TotalCount != len(want) {
				t.Errorf("got %v (total %d), want %v", got, r.Events.TotalCount, want)
			}
		})
	}
	r := post(t, e.url, `{ events(filter: {from: "2022-01-01", to: "2021-01-01"}) { totalCount } }`, nil)
	wantError(t, r, "BAD_USER_INPUT", "from", "after")
	r = post(t, e.url, `{ events(after: "bm90IGEgY3Vyc29y") { totalCount } }`, nil)
	wantError(t, r, "BAD_USER_INPUT", "cursor")
}

// TestTimelinesOfNodes: the ChiNext reform's timeline from approval to
// first listings, Qianhai's targets, the status of a measure on two days,
// and measures filtered by their events, all against the bundled data.
func TestTimelinesOfNodes(t *testing.T) {
	e := newEnv(t)
	var r struct {
		Measure struct {
			Before, After string
			Evidence      struct {
				Status, Basis string
				Events        []struct{ Slug string }
			}
			Timeline eventConn
		}
		Project struct {
			Milestones []struct{ Year int }
			Timeline   eventConn
		}
		Measures struct{ Nodes []struct{ Code string } }
		Plan     struct{ Timeline eventConn }
	}
	query(t, e.url, `{
  measure(code: "S1.M7") {
    before: status(asOf: "2019-12-31") after: status(asOf: "2021-01-01")
    evidence: statusEvidence(asOf: "2021-01-01") { status basis events { slug } }
    timeline { `+eventFields+` }
  }
  project(slug: "qianhai-free-trade-zone") { milestones { year } timeline(filter: {kind: [TARGET_SET]}) { `+eventFields+` } }
  measures(first: 50, filter: {event: {kind: [IN_FORCE]}}) { nodes { code } }
  plan(slug: "shenzhen-pdz-action-plan") { timeline(first: 1) { `+eventFields+` } }
}`, nil, &r)
	m := r.Measure
	if m.Before != "PLANNED" || m.After != "IN_PROGRESS" || m.Evidence.Basis != "events" || len(m.Evidence.Events) == 0 {
		t.Errorf("S1.M7 status: 2019 %s, 2021 %s by %q with %d events", m.Before, m.After, m.Evidence.Basis, len(m.Evidence.Events))
	}
	tl := m.Timeline.Nodes
	if len(tl) < 4 || tl[0].Kind != "APPROVED" || tl[0].Date != "2020-04-27" || tl[0].Precision != "DAY" {
		t.Fatalf("S1.M7 timeline = %+v", tl)
	}
	var listed bool
	for _, n := range tl {
		listed = listed || (n.Date == "2020-08-24" && strings.Contains(n.Title, "18"))
	}
	if !listed {
		t.Errorf("S1.M7 timeline has no first listings on 2020-08-24: %+v", tl)
	}
	var years []int
	for _, ms := range r.Project.Milestones {
		years = append(years, ms.Year)
	}
	if !slices.Equal(years, []int{2025, 2030, 2035}) {
		t.Errorf("Qianhai milestones = %v, want 2025 2030 2035", years)
	}
	targets := map[int]bool{}
	for _, n := range r.Project.Timeline.Nodes {
		if n.Kind != "TARGET_SET" || n.TargetYear == nil {
			t.Errorf("Qianhai target event %+v", n)
			continue
		}
		targets[*n.TargetYear] = true
	}
	if !targets[2025] || !targets[2030] || !targets[2035] {
		t.Errorf("Qianhai target events cover %v", targets)
	}
	d, err := dataset.Parse(bundledFile)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for _, ev := range d.Events {
		if ev.Kind == "IN_FORCE" {
			for _, c := range ev.Measures {
				want[c] = true
			}
		}
	}
	got := map[string]bool{}
	for _, n := range r.Measures.Nodes {
		got[n.Code] = true
	}
	if len(want) == 0 || len(got) != len(want) {
		t.Errorf("measures with an IN_FORCE event: got %v, want %v", got, want)
	}
	for c := range want {
		if !got[c] {
			t.Errorf("measure %s has an IN_FORCE event but the filter missed it", c)
		}
	}
	if r.Plan.Timeline.TotalCount == 0 || len(r.Plan.Timeline.Nodes) != 1 || !r.Plan.Timeline.PageInfo.HasNextPage {
		t.Errorf("plan timeline = %+v", r.Plan.Timeline)
	}
}

// TestEventByKeys: an event is found by its slug (event, lookup with each
// SlugKind the schema has) and by its global id, with its sources' claims.
func TestEventByKeys(t *testing.T) {
	e := newEnv(t)
	slugOf := map[string]string{"PLAN": "shenzhen-pdz-action-plan", "PROJECT": "qianhai-free-trade-zone", "SECTOR": "green-finance",
		"PLACE": "qianhai", "MILESTONE": "2030", "EVENT": "qianhai-zone-expanded-2021"}
	// A kind whose format derives from the model: its first node in the file.
	for _, k := range plan.RecordKinds() {
		if rs := e.x.ds.Records[k.Kind]; len(rs) > 0 {
			slugOf[strings.ToUpper(string(k.Kind))] = rs[0].Slug
		}
	}
	var kinds struct {
		Type struct{ EnumValues []struct{ Name string } } `json:"__type"`
	}
	query(t, e.url, `{ __type(name: "SlugKind") { enumValues { name } } }`, nil, &kinds)
	if len(kinds.Type.EnumValues) != len(slugOf) {
		t.Fatalf("SlugKind has %d values, the test knows %d", len(kinds.Type.EnumValues), len(slugOf))
	}
	for _, v := range kinds.Type.EnumValues {
		var r struct {
			Lookup *struct {
				Typename string `json:"__typename"`
				ID       string
			}
		}
		query(t, e.url, `query($k: SlugKind!, $s: String!) { lookup(by: {slug: {kind: $k, slug: $s}}) { __typename id } }`,
			map[string]any{"k": v.Name, "s": slugOf[v.Name]}, &r)
		if r.Lookup == nil || !strings.EqualFold(r.Lookup.Typename, v.Name) {
			t.Errorf("lookup by %s slug %q = %+v", v.Name, slugOf[v.Name], r.Lookup)
		}
	}
	var r struct {
		Event struct {
			ID, Kind, Date string
			Quantities     []struct {
				Of    string
				Value float64
				Unit  string
			}
			Projects []struct{ Slug string }
			Sources  []struct {
				Authority, Claim, Fact string
				Excerpt                *string
			}
		}
	}
	query(t, e.url, `{ event(slug: "qianhai-zone-expanded-2021") { id kind date quantities { of value unit } projects { slug } sources { authority claim fact excerpt } } }`, nil, &r)
	ev := r.Event
	if ev.Kind != "EXPANDED" || ev.Date != "2021-09-06" || len(ev.Projects) != 1 || ev.Projects[0].Slug != "qianhai-free-trade-zone" {
		t.Errorf("event = %+v", ev)
	}
	var area bool
	for _, q := range ev.Quantities {
		area = area || (q.Value == 120.56 && q.Unit == "km2")
	}
	if !area {
		t.Errorf("quantities = %+v, want the 120.56 km2 area", ev.Quantities)
	}
	for _, s := range ev.Sources {
		if s.Claim == "" || s.Fact == "" || s.Authority == "" || s.Excerpt != nil {
			t.Errorf("source of an event = %+v: want a claim, a fact id and an authority, no excerpt", s)
		}
	}
	var n struct{ Node struct{ Title string } }
	query(t, e.url, `query($id: ID!) { node(id: $id) { ... on Event { title } } }`, map[string]any{"id": ev.ID}, &n)
	if n.Node.Title == "" {
		t.Errorf("node(id) of an event has no title")
	}
}
