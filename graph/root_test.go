package graph_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/shenzhenplan/kgapi/dataset"
	"github.com/shenzhenplan/kgapi/plan"
)

// Tests of every root field of Query against the bundled dataset.

type slugJSON struct {
	Slug string `json:"slug"`
}

func slugsOf(l []slugJSON) []string {
	out := make([]string, len(l))
	for i, s := range l {
		out[i] = s.Slug
	}
	return out
}

type codeJSON struct {
	Code string `json:"code"`
}

func codesOf(l []codeJSON) []string {
	out := make([]string, len(l))
	for i, c := range l {
		out[i] = c.Code
	}
	return out
}

type sourceJSON struct {
	ID      string  `json:"id"`
	Title   string  `json:"title"`
	Excerpt *string `json:"excerpt"`
}

// sourcesOf renders sources as "id|excerpt", sorted (the schema gives no order).
func sourcesOf(l []sourceJSON) []string {
	out := make([]string, len(l))
	for i, s := range l {
		out[i] = s.ID + "|" + deref(s.Excerpt)
	}
	return sorted(out)
}

func refsOf(l []srcRef) []string {
	out := make([]string, len(l))
	for i, s := range l {
		out[i] = s.ID + "|" + s.Excerpt
	}
	return sorted(out)
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func opt(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func optInt(n int) *int {
	if n == 0 {
		return nil
	}
	return &n
}

func eqStrings(t testing.TB, what string, got, want []string) {
	t.Helper()
	if got == nil {
		got = []string{}
	}
	if want == nil {
		want = []string{}
	}
	if !slices.Equal(got, want) {
		t.Errorf("%s:\n got %q\nwant %q", what, got, want)
	}
}

func eqPtr[T comparable](t testing.TB, what string, got, want *T) {
	t.Helper()
	if (got == nil) != (want == nil) || (got != nil && *got != *want) {
		t.Errorf("%s = %v, want %v", what, fmtPtr(got), fmtPtr(want))
	}
}

func fmtPtr[T any](p *T) string {
	if p == nil {
		return "null"
	}
	return fmt.Sprint(*p)
}

const nodeQuery = `query($id: ID!) { node(id: $id) { __typename id
  ... on Plan { slug } ... on Section { number } ... on Aspect { number } ... on Measure { code }
  ... on Project { slug } ... on Sector { slug } ... on Place { slug } ... on Milestone { year } ... on Source { title } } }`

type nodeJSON struct {
	Typename string `json:"__typename"`
	ID       string `json:"id"`
	Slug     string `json:"slug"`
	Number   int    `json:"number"`
	Code     string `json:"code"`
	Year     int    `json:"year"`
	Title    string `json:"title"`
}

// anyNodes is one id of every kind of node, with what identifies it.
func anyNodes(x *expect) []struct {
	id, typ, key string
} {
	ds := x.ds
	p := ds.Plans[len(ds.Plans)-1]
	var sec, asp string
	for _, s := range p.Sections {
		sec = fmt.Sprint(s.Number)
		if len(s.Aspects) > 0 && asp == "" {
			asp = fmt.Sprint(s.Aspects[0].Number)
			sec = fmt.Sprint(s.Number)
			break
		}
	}
	m := x.measures[len(x.measures)-1]
	return []struct{ id, typ, key string }{
		{gid(plan.KindPlan, p.Slug), "Plan", p.Slug},
		{gid(plan.KindSection, p.Slug+"/S"+sec), "Section", sec},
		{gid(plan.KindAspect, p.Slug+"/S"+sec+".A"+asp), "Aspect", asp},
		{m.ID, "Measure", m.Code},
		{gid(plan.KindProject, ds.Projects[0].Slug), "Project", ds.Projects[0].Slug},
		{gid(plan.KindSector, ds.Sectors[0].Slug), "Sector", ds.Sectors[0].Slug},
		{gid(plan.KindPlace, ds.Places[0].Slug), "Place", ds.Places[0].Slug},
		{gid(plan.KindMilestone, ds.Milestones[0].Slug), "Milestone", fmt.Sprint(ds.Milestones[0].Year)},
		{gid(plan.KindSource, ds.Sources[0].ID), "Source", ds.Sources[0].Title},
	}
}

func (n nodeJSON) key() string {
	switch n.Typename {
	case "Plan", "Project", "Sector", "Place":
		return n.Slug
	case "Section", "Aspect":
		return fmt.Sprint(n.Number)
	case "Measure":
		return n.Code
	case "Milestone":
		return fmt.Sprint(n.Year)
	case "Source":
		return n.Title
	}
	return ""
}

func TestNode(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, c := range anyNodes(e.x) {
		t.Run(c.typ, func(t *testing.T) {
			var d struct{ Node *nodeJSON }
			query(t, e.url, nodeQuery, map[string]any{"id": c.id}, &d)
			if d.Node == nil {
				t.Fatalf("node(%s) = null", c.id)
			}
			if d.Node.Typename != c.typ || d.Node.ID != c.id || d.Node.key() != c.key {
				t.Errorf("node = %+v, want %s %s %s", *d.Node, c.typ, c.id, c.key)
			}
		})
	}
	t.Run("unknown id is null without error", func(t *testing.T) {
		for _, id := range []string{gid(plan.KindProject, "no-such-project"), gid(plan.KindMeasure, e.x.measures[0].Plan+"/S99.M99")} {
			var d struct{ Node *nodeJSON }
			query(t, e.url, nodeQuery, map[string]any{"id": id}, &d)
			if d.Node != nil {
				t.Errorf("node(%s) = %+v, want null", id, *d.Node)
			}
		}
	})
	t.Run("malformed id is BAD_USER_INPUT", func(t *testing.T) {
		for _, id := range []string{"!!!", "", plan.ID("Nope:x").Global(), plan.ID("plan:x").Global(), plan.ID("Plan:").Global(), "UGxhbg"} {
			r := post(t, e.url, nodeQuery, map[string]any{"id": id})
			wantError(t, r, plan.EINVALID)
			var d struct{ Node *nodeJSON }
			if r.hasData() {
				_ = json.Unmarshal(r.Data, &d)
			}
			if d.Node != nil {
				t.Errorf("node(%q) = %+v, want null", id, *d.Node)
			}
		}
	})
}

func TestNodes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	all := anyNodes(e.x)
	unknown := gid(plan.KindPlace, "atlantis")
	ids := []string{all[3].id, unknown, "%%%malformed", all[6].id, all[3].id, all[8].id}
	r := post(t, e.url, `query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }`, map[string]any{"ids": ids})
	wantError(t, r, plan.EINVALID, "%%%malformed")
	if len(r.Errors) != 1 {
		t.Errorf("want exactly one error, got %s", r.Body)
	}
	var d struct{ Nodes []*nodeJSON }
	if err := json.Unmarshal(r.Data, &d); err != nil || len(d.Nodes) != len(ids) {
		t.Fatalf("nodes: want %d entries, got %s (%v)", len(ids), r.Data, err)
	}
	want := []*struct{ typ, id string }{{all[3].typ, all[3].id}, nil, nil, {all[6].typ, all[6].id}, {all[3].typ, all[3].id}, {all[8].typ, all[8].id}}
	for i, w := range want {
		got := d.Nodes[i]
		switch {
		case w == nil && got != nil:
			t.Errorf("nodes[%d] (%s) = %+v, want null", i, ids[i], *got)
		case w != nil && got == nil:
			t.Errorf("nodes[%d] = null, want %s %s", i, w.typ, w.id)
		case w != nil && (got.Typename != w.typ || got.ID != w.id):
			t.Errorf("nodes[%d] = %+v, want %s %s", i, *got, w.typ, w.id)
		}
	}

	t.Run("at most 100 ids", func(t *testing.T) {
		many := make([]string, 101)
		for i := range many {
			many[i] = all[0].id
		}
		r := post(t, e.url, `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, map[string]any{"ids": many})
		wantError(t, r, plan.EINVALID, "100")
	})
}

const planFields = `slug title titleZh issuer summary goal goalYear declaredMeasureCount catalogedMeasureCount tranches domains parent { slug }`

type planJSON struct {
	ID                    string    `json:"id"`
	Slug                  string    `json:"slug"`
	Title                 string    `json:"title"`
	TitleZh               *string   `json:"titleZh"`
	Issuer                *string   `json:"issuer"`
	Summary               *string   `json:"summary"`
	Goal                  *string   `json:"goal"`
	GoalYear              *int      `json:"goalYear"`
	DeclaredMeasureCount  *int      `json:"declaredMeasureCount"`
	CatalogedMeasureCount int       `json:"catalogedMeasureCount"`
	Tranches              *int      `json:"tranches"`
	Domains               []string  `json:"domains"`
	Parent                *slugJSON `json:"parent"`
}

// checkPlan compares a plan with the file.
func checkPlan(t testing.TB, x *expect, got planJSON) {
	t.Helper()
	for _, p := range x.ds.Plans {
		if p.Slug != got.Slug {
			continue
		}
		if got.Title != p.Title {
			t.Errorf("%s title = %q, want %q", p.Slug, got.Title, p.Title)
		}
		eqPtr(t, p.Slug+" titleZh", got.TitleZh, opt(p.TitleZh))
		eqPtr(t, p.Slug+" issuer", got.Issuer, opt(p.Issuer))
		eqPtr(t, p.Slug+" summary", got.Summary, opt(p.Summary))
		eqPtr(t, p.Slug+" goal", got.Goal, opt(p.Goal))
		eqPtr(t, p.Slug+" goalYear", got.GoalYear, optInt(p.GoalYear))
		eqPtr(t, p.Slug+" declaredMeasureCount", got.DeclaredMeasureCount, optInt(p.DeclaredMeasureCount))
		eqPtr(t, p.Slug+" tranches", got.Tranches, optInt(p.Tranches))
		if n := len(x.measuresOfPlan(p.Slug)); got.CatalogedMeasureCount != n {
			t.Errorf("%s catalogedMeasureCount = %d, want %d (measures of the plan in the file)", p.Slug, got.CatalogedMeasureCount, n)
		}
		eqStrings(t, p.Slug+" domains", got.Domains, p.Domains)
		var parent *string
		if p.Parent != nil {
			parent = &p.Parent.To
		}
		var gotParent *string
		if got.Parent != nil {
			gotParent = &got.Parent.Slug
		}
		eqPtr(t, p.Slug+" parent", gotParent, parent)
		return
	}
	t.Errorf("plan %q is not in the file", got.Slug)
}

func TestPlans(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var d struct{ Plans []planJSON }
	query(t, e.url, `{ plans { `+planFields+` } }`, nil, &d)
	if len(d.Plans) != len(e.x.ds.Plans) {
		t.Fatalf("plans: %d, want %d", len(d.Plans), len(e.x.ds.Plans))
	}
	var got []string
	for _, p := range d.Plans {
		got = append(got, p.Slug)
		checkPlan(t, e.x, p)
	}
	eqStrings(t, "plans (by slug)", got, e.x.planSlugs())
}

func TestPlan(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, p := range e.x.ds.Plans {
		t.Run(p.Slug, func(t *testing.T) {
			var d struct{ Plan *planJSON }
			query(t, e.url, `query($s: String) { plan(slug: $s) { id `+planFields+` } }`, map[string]any{"s": p.Slug}, &d)
			if d.Plan == nil {
				t.Fatal("plan = null")
			}
			if d.Plan.ID != gid(plan.KindPlan, p.Slug) {
				t.Errorf("id = %s, want %s", d.Plan.ID, gid(plan.KindPlan, p.Slug))
			}
			checkPlan(t, e.x, *d.Plan)
		})
	}
	t.Run("without slug: the first plan with measures", func(t *testing.T) {
		var d struct{ Plan *planJSON }
		query(t, e.url, `{ plan { `+planFields+` } }`, nil, &d)
		if d.Plan == nil || d.Plan.Slug != e.x.planWithMeasures() {
			t.Fatalf("plan = %+v, want %s", d.Plan, e.x.planWithMeasures())
		}
		checkPlan(t, e.x, *d.Plan)
		// The Shenzhen plan declares 127 measures and catalogues those of the file.
		if d.Plan.DeclaredMeasureCount == nil || *d.Plan.DeclaredMeasureCount != 127 {
			t.Errorf("declaredMeasureCount = %v, want 127", fmtPtr(d.Plan.DeclaredMeasureCount))
		}
	})
	t.Run("unknown slug is null", func(t *testing.T) {
		var d struct{ Plan *planJSON }
		query(t, e.url, `{ plan(slug: "no-such-plan") { slug } }`, nil, &d)
		if d.Plan != nil {
			t.Errorf("plan = %+v, want null", *d.Plan)
		}
	})
}

// measureFields asks for a measure and every relationship it has.
const measureFields = `id code title titleZh description status
  plan { slug catalogedMeasureCount }
  section { id number title plan { slug } }
  aspect { id number title section { number } }
  projects { slug } sectors { slug } places { slug } milestones { slug year }
  sources { id title excerpt }`

type measureJSON struct {
	ID          string  `json:"id"`
	Code        string  `json:"code"`
	Title       string  `json:"title"`
	TitleZh     *string `json:"titleZh"`
	Description *string `json:"description"`
	Status      string  `json:"status"`
	Plan        *struct {
		Slug                  string `json:"slug"`
		CatalogedMeasureCount int    `json:"catalogedMeasureCount"`
	} `json:"plan"`
	Section *struct {
		ID     string    `json:"id"`
		Number int       `json:"number"`
		Title  string    `json:"title"`
		Plan   *slugJSON `json:"plan"`
	} `json:"section"`
	Aspect *struct {
		ID      string `json:"id"`
		Number  int    `json:"number"`
		Title   string `json:"title"`
		Section *struct {
			Number int `json:"number"`
		} `json:"section"`
	} `json:"aspect"`
	Projects   []slugJSON `json:"projects"`
	Sectors    []slugJSON `json:"sectors"`
	Places     []slugJSON `json:"places"`
	Milestones []struct {
		Slug string `json:"slug"`
		Year int    `json:"year"`
	} `json:"milestones"`
	Sources []sourceJSON `json:"sources"`
}

// checkMeasure compares a measure and its relationships with the file.
func checkMeasure(t testing.TB, x *expect, got measureJSON) {
	t.Helper()
	var w *measureX
	for _, m := range x.measures {
		if m.ID == got.ID {
			w = m
		}
	}
	if w == nil {
		t.Errorf("measure %s (%s) is not in the file", got.Code, got.ID)
		return
	}
	c := w.Code
	if got.Code != w.Code || got.Title != w.Title || got.Status != w.Status {
		t.Errorf("%s = %q %q %s, want %q %q %s", c, got.Code, got.Title, got.Status, w.Code, w.Title, w.Status)
	}
	eqPtr(t, c+" titleZh", got.TitleZh, opt(w.TitleZh))
	eqPtr(t, c+" description", got.Description, opt(w.Description))
	if got.Plan == nil || got.Plan.Slug != w.Plan || got.Plan.CatalogedMeasureCount != len(x.measuresOfPlan(w.Plan)) {
		t.Errorf("%s plan = %+v, want %s with %d measures", c, got.Plan, w.Plan, len(x.measuresOfPlan(w.Plan)))
	}
	secID := gid(plan.KindSection, fmt.Sprintf("%s/S%d", w.Plan, w.Section))
	if got.Section == nil || got.Section.ID != secID || got.Section.Number != w.Section || got.Section.Plan == nil || got.Section.Plan.Slug != w.Plan {
		t.Errorf("%s section = %+v, want S%d of %s", c, got.Section, w.Section, w.Plan)
	} else if got.Section.Title != strings.TrimPrefix(x.labels[secID], fmt.Sprintf("Section %d: ", w.Section)) {
		t.Errorf("%s section title = %q, label in file %q", c, got.Section.Title, x.labels[secID])
	}
	if w.Aspect == 0 {
		if got.Aspect != nil {
			t.Errorf("%s aspect = %+v, want null", c, *got.Aspect)
		}
	} else {
		aid := gid(plan.KindAspect, fmt.Sprintf("%s/S%d.A%d", w.Plan, w.Section, w.Aspect))
		if got.Aspect == nil || got.Aspect.ID != aid || got.Aspect.Number != w.Aspect || got.Aspect.Section == nil || got.Aspect.Section.Number != w.Section {
			t.Errorf("%s aspect = %+v, want S%d.A%d", c, got.Aspect, w.Section, w.Aspect)
		} else if "Aspect "+fmt.Sprint(w.Aspect)+": "+got.Aspect.Title != x.labels[aid] {
			t.Errorf("%s aspect title = %q, file %q", c, got.Aspect.Title, x.labels[aid])
		}
	}
	eqStrings(t, c+" projects", sorted(slugsOf(got.Projects)), sorted(w.Projects))
	eqStrings(t, c+" sectors", sorted(slugsOf(got.Sectors)), sorted(w.Sectors))
	eqStrings(t, c+" places", sorted(slugsOf(got.Places)), sorted(w.Places))
	var ms []string
	for _, m := range got.Milestones {
		ms = append(ms, m.Slug)
		if m.Year != x.years[m.Slug] {
			t.Errorf("%s milestone %s year = %d, want %d", c, m.Slug, m.Year, x.years[m.Slug])
		}
	}
	eqStrings(t, c+" milestones", sorted(ms), sorted(w.Milestones))
	eqStrings(t, c+" sources (id|excerpt)", sourcesOf(got.Sources), refsOf(w.Sources))
	checkSourceTitles(t, x, c, got.Sources)
}

func checkSourceTitles(t testing.TB, x *expect, what string, l []sourceJSON) {
	t.Helper()
	for _, s := range l {
		found := false
		for id, src := range x.sources {
			if gid(plan.KindSource, id) == s.ID {
				found = true
				if s.Title != src.Title {
					t.Errorf("%s: source %s title = %q, want %q", what, id, s.Title, src.Title)
				}
			}
		}
		if !found {
			t.Errorf("%s: source %s is not in the file", what, s.ID)
		}
	}
}

func TestMeasure(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, m := range []*measureX{e.x.measures[0], e.x.measures[len(e.x.measures)/2], e.x.measures[len(e.x.measures)-1]} {
		t.Run(m.Code, func(t *testing.T) {
			for _, p := range []any{nil, m.Plan} {
				var d struct{ Measure *measureJSON }
				query(t, e.url, `query($c: String!, $p: String) { measure(code: $c, plan: $p) { `+measureFields+` } }`,
					map[string]any{"c": m.Code, "p": p}, &d)
				if d.Measure == nil {
					t.Fatalf("measure(%s, plan %v) = null", m.Code, p)
				}
				checkMeasure(t, e.x, *d.Measure)
			}
		})
	}
	t.Run("unknown code or other plan is null", func(t *testing.T) {
		var other string
		for _, s := range e.x.planSlugs() {
			if len(e.x.measuresOfPlan(s)) == 0 {
				other = s
			}
		}
		for _, v := range []map[string]any{{"c": "S99.M1"}, {"c": "s1.m1"}, {"c": e.x.measures[0].Code, "p": other}, {"c": e.x.measures[0].Code, "p": "no-such-plan"}} {
			var d struct{ Measure *measureJSON }
			query(t, e.url, `query($c: String!, $p: String) { measure(code: $c, plan: $p) { code } }`, v, &d)
			if d.Measure != nil {
				t.Errorf("measure(%v) = %s, want null", v, d.Measure.Code)
			}
		}
	})
}

func TestMeasuresRoot(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var d struct {
		Measures struct {
			TotalCount int        `json:"totalCount"`
			Nodes      []codeJSON `json:"nodes"`
			Edges      []struct {
				Cursor string   `json:"cursor"`
				Node   codeJSON `json:"node"`
			} `json:"edges"`
			PageInfo pageInfoJSON `json:"pageInfo"`
		}
	}
	query(t, e.url, `{ measures { totalCount nodes { code } edges { cursor node { code } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`, nil, &d)
	all := sortMeasures(e.x.measures, nil)
	if d.Measures.TotalCount != len(all) {
		t.Errorf("totalCount = %d, want %d (all measures of the file)", d.Measures.TotalCount, len(all))
	}
	const defaultPage = 20
	want := codes(all[:min(defaultPage, len(all))])
	eqStrings(t, "default page (20, by code)", codesOf(d.Measures.Nodes), want)
	var edgeCodes []string
	for _, ed := range d.Measures.Edges {
		edgeCodes = append(edgeCodes, ed.Node.Code)
		if ed.Cursor == "" {
			t.Errorf("edge %s has an empty cursor", ed.Node.Code)
		}
	}
	eqStrings(t, "edges", edgeCodes, want)
	pi := d.Measures.PageInfo
	if pi.HasNextPage != (len(all) > defaultPage) || pi.HasPreviousPage {
		t.Errorf("pageInfo = %+v", pi)
	}
	if len(d.Measures.Edges) > 0 && (deref(pi.StartCursor) != d.Measures.Edges[0].Cursor || deref(pi.EndCursor) != d.Measures.Edges[len(d.Measures.Edges)-1].Cursor) {
		t.Errorf("start/end cursors %v/%v do not match the edges", fmtPtr(pi.StartCursor), fmtPtr(pi.EndCursor))
	}
}

const projectFields = `id slug name nameZh kind description places { slug } sectors { slug } sources { id title excerpt }
  measures(first: 100) { totalCount nodes { code } }`

type projectJSON struct {
	ID          string       `json:"id"`
	Slug        string       `json:"slug"`
	Name        string       `json:"name"`
	NameZh      *string      `json:"nameZh"`
	Kind        *string      `json:"kind"`
	Description *string      `json:"description"`
	Places      []slugJSON   `json:"places"`
	Sectors     []slugJSON   `json:"sectors"`
	Sources     []sourceJSON `json:"sources"`
	Measures    struct {
		TotalCount int        `json:"totalCount"`
		Nodes      []codeJSON `json:"nodes"`
	} `json:"measures"`
}

func checkProject(t testing.TB, x *expect, got projectJSON) {
	t.Helper()
	for _, p := range x.ds.Projects {
		if p.Slug != got.Slug {
			continue
		}
		if got.ID != gid(plan.KindProject, p.Slug) || got.Name != p.Name {
			t.Errorf("project %s = %s %q", p.Slug, got.ID, got.Name)
		}
		eqPtr(t, p.Slug+" nameZh", got.NameZh, opt(p.NameZh))
		eqPtr(t, p.Slug+" kind", got.Kind, opt(p.Kind))
		eqPtr(t, p.Slug+" description", got.Description, opt(p.Description))
		var places, sectors []string
		for _, l := range p.Places {
			places = appendNew(places, l.To)
		}
		for _, l := range p.Sectors {
			sectors = appendNew(sectors, l.To)
		}
		eqStrings(t, p.Slug+" places", sorted(slugsOf(got.Places)), sorted(places))
		eqStrings(t, p.Slug+" sectors", sorted(slugsOf(got.Sectors)), sorted(sectors))
		eqStrings(t, p.Slug+" sources", sourcesOf(got.Sources), refsOf(refs(p.Sources)))
		checkSourceTitles(t, x, p.Slug, got.Sources)
		want := sortMeasures(x.where(func(m *measureX) bool { return slices.Contains(m.Projects, p.Slug) }), nil)
		eqStrings(t, p.Slug+" measures", codesOf(got.Measures.Nodes), codes(want))
		if got.Measures.TotalCount != len(want) {
			t.Errorf("%s measures totalCount = %d, want %d", p.Slug, got.Measures.TotalCount, len(want))
		}
		return
	}
	t.Errorf("project %q is not in the file", got.Slug)
}

func TestProject(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, p := range e.x.ds.Projects {
		t.Run(p.Slug, func(t *testing.T) {
			var d struct{ Project *projectJSON }
			query(t, e.url, `query($s: String!) { project(slug: $s) { `+projectFields+` } }`, map[string]any{"s": p.Slug}, &d)
			if d.Project == nil {
				t.Fatal("project = null")
			}
			checkProject(t, e.x, *d.Project)
		})
	}
	var d struct{ Project *projectJSON }
	query(t, e.url, `{ project(slug: "no-such-project") { slug } }`, nil, &d)
	if d.Project != nil {
		t.Errorf("unknown project = %+v, want null", *d.Project)
	}
}

type pageInfoJSON struct {
	HasNextPage     bool    `json:"hasNextPage"`
	HasPreviousPage bool    `json:"hasPreviousPage"`
	StartCursor     *string `json:"startCursor"`
	EndCursor       *string `json:"endCursor"`
}

func TestProjects(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var want []string
	for _, p := range e.x.ds.Projects {
		want = append(want, p.Slug)
	}
	want = sorted(want)
	const q = `query($first: Int, $after: String) { projects(first: $first, after: $after) {
  totalCount nodes { slug } edges { cursor node { ` + projectFields + ` } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`
	type page struct {
		Projects struct {
			TotalCount int        `json:"totalCount"`
			Nodes      []slugJSON `json:"nodes"`
			Edges      []struct {
				Cursor string      `json:"cursor"`
				Node   projectJSON `json:"node"`
			} `json:"edges"`
			PageInfo pageInfoJSON `json:"pageInfo"`
		}
	}
	for _, size := range []int{1, 2, 4, 100} {
		t.Run(fmt.Sprint("first ", size), func(t *testing.T) {
			var got []string
			var after any
			for i := 0; ; i++ {
				if i > len(want)+1 {
					t.Fatal("paging does not end")
				}
				var d page
				query(t, e.url, q, map[string]any{"first": size, "after": after}, &d)
				c := d.Projects
				if c.TotalCount != len(want) {
					t.Errorf("page %d: totalCount = %d, want %d", i, c.TotalCount, len(want))
				}
				if len(c.Nodes) != len(c.Edges) || len(c.Nodes) > size {
					t.Fatalf("page %d: %d nodes, %d edges, size %d", i, len(c.Nodes), len(c.Edges), size)
				}
				for j, ed := range c.Edges {
					if ed.Node.Slug != c.Nodes[j].Slug {
						t.Errorf("edges and nodes differ at %d", j)
					}
					checkProject(t, e.x, ed.Node)
					got = append(got, ed.Node.Slug)
				}
				if i == 0 && c.PageInfo.HasPreviousPage {
					t.Errorf("first page: hasPreviousPage = true")
				}
				if len(c.Edges) > 0 && (deref(c.PageInfo.StartCursor) != c.Edges[0].Cursor || deref(c.PageInfo.EndCursor) != c.Edges[len(c.Edges)-1].Cursor) {
					t.Errorf("page %d: start/end cursors do not match the edges", i)
				}
				if c.PageInfo.HasNextPage != (len(got) < len(want)) {
					t.Errorf("page %d: hasNextPage = %v after %d of %d", i, c.PageInfo.HasNextPage, len(got), len(want))
				}
				if !c.PageInfo.HasNextPage {
					// Past the end: an empty page that still counts every project.
					var d page
					query(t, e.url, q, map[string]any{"first": size, "after": c.PageInfo.EndCursor}, &d)
					if len(d.Projects.Nodes) != 0 || d.Projects.PageInfo.HasNextPage || d.Projects.TotalCount != len(want) {
						t.Errorf("after the last cursor: %+v", d.Projects)
					}
					break
				}
				after = *c.PageInfo.EndCursor
			}
			eqStrings(t, "projects walked by slug", got, want)
		})
	}
	t.Run("bad arguments", func(t *testing.T) {
		for _, v := range []map[string]any{{"first": 101}, {"first": -1}, {"after": "garbage"}, {"after": gid(plan.KindSector, "culture")}} {
			wantError(t, post(t, e.url, q, v), plan.EINVALID)
		}
	})
}

type sectorJSON struct {
	ID       string       `json:"id"`
	Slug     string       `json:"slug"`
	Name     string       `json:"name"`
	NameZh   *string      `json:"nameZh"`
	Projects []slugJSON   `json:"projects"`
	Sources  []sourceJSON `json:"sources"`
	Measures struct {
		TotalCount int        `json:"totalCount"`
		Nodes      []codeJSON `json:"nodes"`
	} `json:"measures"`
}

const sectorFields = `id slug name nameZh projects { slug } sources { id title excerpt } measures(first: 100) { totalCount nodes { code } }`

func checkSector(t testing.TB, x *expect, got sectorJSON) {
	t.Helper()
	for _, s := range x.ds.Sectors {
		if s.Slug != got.Slug {
			continue
		}
		if got.ID != gid(plan.KindSector, s.Slug) || got.Name != s.Name {
			t.Errorf("sector %s = %s %q", s.Slug, got.ID, got.Name)
		}
		eqPtr(t, s.Slug+" nameZh", got.NameZh, opt(s.NameZh))
		var projects []string
		for _, p := range x.ds.Projects {
			for _, l := range p.Sectors {
				if l.To == s.Slug {
					projects = appendNew(projects, p.Slug)
				}
			}
		}
		eqStrings(t, s.Slug+" projects", sorted(slugsOf(got.Projects)), sorted(projects))
		eqStrings(t, s.Slug+" sources", sourcesOf(got.Sources), refsOf(refs(s.Sources)))
		want := sortMeasures(x.where(func(m *measureX) bool { return slices.Contains(m.Sectors, s.Slug) }), nil)
		eqStrings(t, s.Slug+" measures", codesOf(got.Measures.Nodes), codes(want))
		if got.Measures.TotalCount != len(want) {
			t.Errorf("%s measures totalCount = %d, want %d", s.Slug, got.Measures.TotalCount, len(want))
		}
		return
	}
	t.Errorf("sector %q is not in the file", got.Slug)
}

func TestSectors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var d struct{ Sectors []sectorJSON }
	query(t, e.url, `{ sectors { `+sectorFields+` } }`, nil, &d)
	var got []string
	for _, s := range d.Sectors {
		got = append(got, s.Slug)
		checkSector(t, e.x, s)
	}
	// Every sector, by name.
	want := slices.Clone(e.x.ds.Sectors)
	slices.SortStableFunc(want, func(a, b dataset.Sector) int {
		return strings.Compare(a.Name+"\x00"+a.Slug, b.Name+"\x00"+b.Slug)
	})
	var wantSlugs []string
	for _, s := range want {
		wantSlugs = append(wantSlugs, s.Slug)
	}
	eqStrings(t, "sectors by name", got, wantSlugs)

	for _, s := range e.x.ds.Sectors {
		var d struct{ Sector *sectorJSON }
		query(t, e.url, `query($s: String!) { sector(slug: $s) { `+sectorFields+` } }`, map[string]any{"s": s.Slug}, &d)
		if d.Sector == nil {
			t.Errorf("sector(%s) = null", s.Slug)
			continue
		}
		checkSector(t, e.x, *d.Sector)
	}
	var u struct{ Sector *sectorJSON }
	query(t, e.url, `{ sector(slug: "no-such-sector") { slug } }`, nil, &u)
	if u.Sector != nil {
		t.Errorf("unknown sector = %+v, want null", *u.Sector)
	}
}
