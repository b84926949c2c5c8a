package graph_test

import (
	"net/http"
	"testing"

	"github.com/shenzhenplan/kgapi/plan"
)

// lookupJSON is what the lookup tests select on the node found.
type lookupJSON struct {
	Lookup *struct {
		Typename string     `json:"__typename"`
		ID       string     `json:"id"`
		Code     string     `json:"code"`
		Slug     string     `json:"slug"`
		Places   []slugJSON `json:"places"`
	} `json:"lookup"`
}

const lookupQuery = `query($by: NodeKey!) { lookup(by: $by) { __typename id
  ... on Measure { code }
  ... on Project { slug places { slug } }
  ... on Plan { slug } ... on Sector { slug } ... on Place { slug } ... on Milestone { slug } } }`

func TestLookup(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	x := e.x
	m := x.measures[0]
	pr := x.ds.Projects[0]
	ms := x.ds.Milestones[0]

	t.Run("OK", func(t *testing.T) {
		for _, tc := range []struct {
			name     string
			by       map[string]any
			typename string
			id       string // "": null
		}{
			{"id", map[string]any{"id": m.ID}, "Measure", m.ID},
			{"measure code and plan", map[string]any{"measure": map[string]any{"code": m.Code, "plan": m.Plan}}, "Measure", m.ID},
			{"measure code alone", map[string]any{"measure": map[string]any{"code": m.Code}}, "Measure", m.ID},
			{"plan slug", map[string]any{"slug": map[string]any{"kind": "PLAN", "slug": m.Plan}}, "Plan", gid(plan.KindPlan, m.Plan)},
			{"project slug", map[string]any{"slug": map[string]any{"kind": "PROJECT", "slug": pr.Slug}}, "Project", gid(plan.KindProject, pr.Slug)},
			{"sector slug", map[string]any{"slug": map[string]any{"kind": "SECTOR", "slug": x.ds.Sectors[0].Slug}}, "Sector", gid(plan.KindSector, x.ds.Sectors[0].Slug)},
			{"place slug", map[string]any{"slug": map[string]any{"kind": "PLACE", "slug": x.ds.Places[0].Slug}}, "Place", gid(plan.KindPlace, x.ds.Places[0].Slug)},
			{"milestone slug", map[string]any{"slug": map[string]any{"kind": "MILESTONE", "slug": ms.Slug}}, "Milestone", gid(plan.KindMilestone, ms.Slug)},
			{"unknown id", map[string]any{"id": gid(plan.KindMeasure, m.Plan+"/S99.M99")}, "", ""},
			{"unknown code", map[string]any{"measure": map[string]any{"code": "S99.M99"}}, "", ""},
			{"unknown slug", map[string]any{"slug": map[string]any{"kind": "PROJECT", "slug": "no-such-project"}}, "", ""},
			{"a slug of another kind", map[string]any{"slug": map[string]any{"kind": "SECTOR", "slug": pr.Slug}}, "", ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				var d lookupJSON
				query(t, e.url, lookupQuery, map[string]any{"by": tc.by}, &d)
				switch {
				case tc.id == "" && d.Lookup != nil:
					t.Fatalf("lookup(%v) = %+v, want null", tc.by, *d.Lookup)
				case tc.id == "":
					return
				case d.Lookup == nil:
					t.Fatalf("lookup(%v) = null, want %s", tc.by, tc.id)
				case d.Lookup.ID != tc.id || d.Lookup.Typename != tc.typename:
					t.Fatalf("lookup(%v) = %s %s, want %s %s", tc.by, d.Lookup.Typename, d.Lookup.ID, tc.typename, tc.id)
				}
			})
		}
	})

	t.Run("OK literal", func(t *testing.T) {
		// A literal argument, and the selection a slug lookup brings along.
		var d lookupJSON
		query(t, e.url, `{ lookup(by: {slug: {kind: PROJECT, slug: "`+pr.Slug+`"}}) { id ... on Project { slug places { slug } } } }`, nil, &d)
		if d.Lookup == nil || d.Lookup.Slug != pr.Slug {
			t.Fatalf("lookup = %+v, want project %s", d.Lookup, pr.Slug)
		}
		var want []string
		for _, l := range pr.Places {
			want = appendNew(want, l.To)
		}
		if got := slugsOf(d.Lookup.Places); !equalSets(got, want) {
			t.Errorf("places of %s = %v, want %v", pr.Slug, got, want)
		}
	})

	t.Run("ErrOneOf", func(t *testing.T) {
		// gqlparser enforces @oneOf on a literal (a validation error); a
		// whole input in a variable is checked by the resolver
		// (BAD_USER_INPUT naming the fields).
		for _, tc := range []struct {
			name  string
			query string
			vars  map[string]any
			code  string
			words []string
		}{
			{"literal: no field", `{ lookup(by: {}) { id } }`, nil, "GRAPHQL_VALIDATION_FAILED", []string{"NodeKey", "exactly one"}},
			{"literal: two fields", `{ lookup(by: {id: "` + m.ID + `", slug: {kind: PLAN, slug: "x"}}) { id } }`, nil, "GRAPHQL_VALIDATION_FAILED", []string{"NodeKey", "exactly one"}},
			{"literal: a null field", `{ lookup(by: {id: null}) { id } }`, nil, "GRAPHQL_VALIDATION_FAILED", []string{"NodeKey.id", "non-null"}},
			{"variable: no field", lookupQuery, map[string]any{"by": map[string]any{}}, plan.EINVALID, []string{"by:", "exactly one of id, measure or slug", "none"}},
			{"variable: two fields", lookupQuery, map[string]any{"by": map[string]any{"id": m.ID, "slug": map[string]any{"kind": "PLAN", "slug": m.Plan}}}, plan.EINVALID, []string{"exactly one of id, measure or slug", "not id and slug"}},
			{"variable: three fields", lookupQuery, map[string]any{"by": map[string]any{"id": m.ID, "measure": map[string]any{"code": m.Code}, "slug": map[string]any{"kind": "PLAN", "slug": m.Plan}}}, plan.EINVALID, []string{"not id and measure and slug"}},
			{"variable: a null field", lookupQuery, map[string]any{"by": map[string]any{"id": nil}}, plan.EINVALID, []string{"by.id must not be null"}},
			{"variable: a field null beside another", lookupQuery, map[string]any{"by": map[string]any{"id": nil, "measure": map[string]any{"code": m.Code}}}, plan.EINVALID, []string{"not id and measure"}},
			{"variable inside: nullable", `query($id: ID) { lookup(by: {id: $id}) { id } }`, map[string]any{"id": m.ID}, "GRAPHQL_VALIDATION_FAILED", []string{"non-nullable", "NodeKey"}},
			{"malformed id", lookupQuery, map[string]any{"by": map[string]any{"id": "not-an-id"}}, plan.EINVALID, nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := post(t, e.url, tc.query, tc.vars)
				if r.Status != http.StatusOK {
					t.Errorf("status %d, want 200 (application/json)", r.Status)
				}
				wantError(t, r, tc.code, tc.words...)
			})
		}
	})
}

func equalSets(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	seen := map[string]int{}
	for _, s := range a {
		seen[s]++
	}
	for _, s := range b {
		if seen[s]--; seen[s] < 0 {
			return false
		}
	}
	return true
}
