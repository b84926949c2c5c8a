package graph_test

import (
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/shenzhenplan/kgapi/plan"
)

// TestOrganizations reads the bundled organisations, a kind whose file
// format, rows and scan derive from the graph model alone, through every
// field and the way back from their events, and compares them with the
// data file.
func TestOrganizations(t *testing.T) {
	e := newEnv(t)
	type org struct {
		Slug, Name string
		NameZh     *string
		Level      *string
		Events     []struct{ Slug, Date string }
		Sources    []struct{ ID, Claim string }
	}
	var got struct{ Organizations []org }
	query(t, e.url, `{ organizations { slug name nameZh level events { slug date } sources { id claim } } }`, nil, &got)

	want := e.x.ds.Records[plan.KindOrganization]
	if len(want) < 2 || len(got.Organizations) != len(want) {
		t.Fatalf("organizations: got %d, the file has %d (want at least 2)", len(got.Organizations), len(want))
	}
	if !sort.SliceIsSorted(got.Organizations, func(i, j int) bool { return got.Organizations[i].Name < got.Organizations[j].Name }) {
		t.Error("organizations are not ordered by name")
	}
	bySlug := map[string]org{}
	for _, o := range got.Organizations {
		bySlug[o.Slug] = o
	}
	for _, r := range want {
		o, ok := bySlug[r.Slug]
		if !ok {
			t.Errorf("%s: missing", r.Slug)
			continue
		}
		str := func(p *string) any {
			if p == nil {
				return nil
			}
			return *p
		}
		if o.Name != r.Props["name"] || str(o.NameZh) != r.Props["nameZh"] || str(o.Level) != r.Props["level"] {
			t.Errorf("%s: name %q nameZh %v level %v; file %v", r.Slug, o.Name, str(o.NameZh), str(o.Level), r.Props)
		}
		var slugs, wantSlugs []string
		for i, ev := range o.Events {
			slugs = append(slugs, ev.Slug)
			if i > 0 && o.Events[i-1].Date > ev.Date {
				t.Errorf("%s: events not oldest first: %s after %s", r.Slug, ev.Date, o.Events[i-1].Date)
			}
		}
		for _, l := range r.Links["events"] {
			if !slices.Contains(wantSlugs, l.To) {
				wantSlugs = append(wantSlugs, l.To)
			}
		}
		slices.Sort(slugs)
		slices.Sort(wantSlugs)
		if !slices.Equal(slugs, wantSlugs) {
			t.Errorf("%s: events %v, file %v", r.Slug, slugs, wantSlugs)
		}
		if len(o.Sources) != len(r.Sources) {
			t.Errorf("%s: %d sources, file %d", r.Slug, len(o.Sources), len(r.Sources))
		}
		for _, s := range o.Sources {
			if strings.TrimSpace(s.Claim) == "" {
				t.Errorf("%s: source %s without its claim", r.Slug, s.ID)
			}
		}
	}

	// The way back, from an event two bodies acted in, by name; and a slug
	// that names nothing.
	var back struct {
		Event struct{ Organizations []struct{ Slug string } }
		None  *struct{ Slug string } `json:"none"`
	}
	query(t, e.url, `{ event(slug: "central-opinions-dated-2019") { organizations { slug } }
		none: organization(slug: "no-such-body") { slug } }`, nil, &back)
	var acted []string
	for _, o := range back.Event.Organizations {
		acted = append(acted, o.Slug)
	}
	if strings.Join(acted, " ") != "cpc-central-committee state-council" {
		t.Errorf("central-opinions-dated-2019 organizations = %v, want [cpc-central-committee state-council]", acted)
	}
	if back.None != nil {
		t.Errorf("organization(slug: no-such-body) = %+v, want null", back.None)
	}
}
