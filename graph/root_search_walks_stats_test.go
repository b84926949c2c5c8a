// The root fields past the per-kind lookups of root_test.go: places and
// milestones, search, the walks (neighborhood, path) and stats, each
// checked against the bundled dataset.
package graph_test

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/shenzhenplan/kgapi/dataset"
	"github.com/shenzhenplan/kgapi/plan"
)

type placeJSON struct {
	ID       string       `json:"id"`
	Slug     string       `json:"slug"`
	Name     string       `json:"name"`
	NameZh   *string      `json:"nameZh"`
	Kind     *string      `json:"kind"`
	Within   *slugJSON    `json:"within"`
	Contains []slugJSON   `json:"contains"`
	Projects []slugJSON   `json:"projects"`
	Sources  []sourceJSON `json:"sources"`
	Measures struct {
		TotalCount int        `json:"totalCount"`
		Nodes      []codeJSON `json:"nodes"`
	} `json:"measures"`
}

const placeFields = `id slug name nameZh kind within { slug } contains { slug } projects { slug } sources { id title excerpt }
  measures(first: 100) { totalCount nodes { code } }`

func checkPlace(t testing.TB, x *expect, got placeJSON) {
	t.Helper()
	for _, p := range x.ds.Places {
		if p.Slug != got.Slug {
			continue
		}
		if got.ID != gid(plan.KindPlace, p.Slug) || got.Name != p.Name {
			t.Errorf("place %s = %s %q", p.Slug, got.ID, got.Name)
		}
		eqPtr(t, p.Slug+" nameZh", got.NameZh, opt(p.NameZh))
		eqPtr(t, p.Slug+" kind", got.Kind, opt(p.Kind))
		var gotWithin *string
		if got.Within != nil {
			gotWithin = &got.Within.Slug
		}
		eqPtr(t, p.Slug+" within", gotWithin, opt(x.within[p.Slug]))
		var contains, projects []string
		for child, parent := range x.within {
			if parent == p.Slug {
				contains = append(contains, child)
			}
		}
		for _, pr := range x.ds.Projects {
			for _, l := range pr.Places {
				if l.To == p.Slug {
					projects = appendNew(projects, pr.Slug)
				}
			}
		}
		eqStrings(t, p.Slug+" contains", sorted(slugsOf(got.Contains)), sorted(contains))
		eqStrings(t, p.Slug+" projects", sorted(slugsOf(got.Projects)), sorted(projects))
		eqStrings(t, p.Slug+" sources", sourcesOf(got.Sources), refsOf(refs(p.Sources)))
		// Measures located here or in a place within it.
		want := sortMeasures(x.where(func(m *measureX) bool {
			return slices.ContainsFunc(m.Places, func(pl string) bool { return x.inPlace(pl, p.Slug) })
		}), nil)
		eqStrings(t, p.Slug+" measures", codesOf(got.Measures.Nodes), codes(want))
		if got.Measures.TotalCount != len(want) {
			t.Errorf("%s measures totalCount = %d, want %d", p.Slug, got.Measures.TotalCount, len(want))
		}
		return
	}
	t.Errorf("place %q is not in the file", got.Slug)
}

func TestPlaces(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	checkPlaces(t, e)
}

func checkPlaces(t *testing.T, e *env) {
	var d struct{ Places []placeJSON }
	query(t, e.url, `{ places { `+placeFields+` } }`, nil, &d)
	var got []string
	for _, p := range d.Places {
		got = append(got, p.Slug)
		checkPlace(t, e.x, p)
	}
	want := slices.Clone(e.x.ds.Places)
	slices.SortStableFunc(want, func(a, b dataset.Place) int {
		return cmp.Or(strings.Compare(a.Name, b.Name), strings.Compare(a.Slug, b.Slug))
	})
	var wantSlugs []string
	for _, p := range want {
		wantSlugs = append(wantSlugs, p.Slug)
	}
	eqStrings(t, "places by name", got, wantSlugs)

	for _, p := range e.x.ds.Places {
		var d struct{ Place *placeJSON }
		query(t, e.url, `query($s: String!) { place(slug: $s) { `+placeFields+` } }`, map[string]any{"s": p.Slug}, &d)
		if d.Place == nil {
			t.Errorf("place(%s) = null", p.Slug)
			continue
		}
		checkPlace(t, e.x, *d.Place)
	}
	var u struct{ Place *placeJSON }
	query(t, e.url, `{ place(slug: "atlantis") { slug } }`, nil, &u)
	if u.Place != nil {
		t.Errorf("unknown place = %+v, want null", *u.Place)
	}
}

func TestMilestones(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var d struct {
		Milestones []struct {
			ID          string       `json:"id"`
			Slug        string       `json:"slug"`
			Year        int          `json:"year"`
			Date        *string      `json:"date"`
			Approximate bool         `json:"approximate"`
			Label       string       `json:"label"`
			Sources     []sourceJSON `json:"sources"`
			Measures    struct {
				TotalCount int        `json:"totalCount"`
				Nodes      []codeJSON `json:"nodes"`
			} `json:"measures"`
		}
	}
	query(t, e.url, `{ milestones { id slug year date approximate label sources { id title excerpt } measures(first: 100) { totalCount nodes { code } } } }`, nil, &d)
	want := slices.Clone(e.x.ds.Milestones)
	slices.SortStableFunc(want, func(a, b dataset.Milestone) int {
		return cmp.Or(cmp.Compare(a.Year, b.Year), strings.Compare(a.Slug, b.Slug))
	})
	if len(d.Milestones) != len(want) {
		t.Fatalf("milestones: %d, want %d", len(d.Milestones), len(want))
	}
	for i, w := range want {
		got := d.Milestones[i]
		if got.Slug != w.Slug || got.ID != gid(plan.KindMilestone, w.Slug) || got.Year != w.Year || got.Approximate != w.Approximate || got.Label != w.Label {
			t.Errorf("milestones[%d] = %+v, want %+v (by year)", i, got, w)
		}
		eqPtr(t, w.Slug+" date", got.Date, opt(w.Date))
		eqStrings(t, w.Slug+" sources", sourcesOf(got.Sources), refsOf(refs(w.Sources)))
		ms := sortMeasures(e.x.where(func(m *measureX) bool { return slices.Contains(m.Milestones, w.Slug) }), nil)
		eqStrings(t, w.Slug+" measures", codesOf(got.Measures.Nodes), codes(ms))
		if got.Measures.TotalCount != len(ms) {
			t.Errorf("%s measures totalCount = %d, want %d", w.Slug, got.Measures.TotalCount, len(ms))
		}
	}
}

// ---------------------------------------------------------------------------
// search

// tokens splits text into lower-case words the way a word tokenizer does:
// letters and digits, joined by an apostrophe or a full stop between two of
// them ("city's" is one word).
func tokens(text string) []string {
	rs := []rune(strings.ToLower(text))
	word := func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }
	var out []string
	var cur []rune
	for i, r := range rs {
		switch {
		case word(r):
			cur = append(cur, r)
		case strings.ContainsRune("'’.", r) && len(cur) > 0 && i+1 < len(rs) && word(rs[i+1]):
			cur = append(cur, r)
		default:
			if len(cur) > 0 {
				out = append(out, string(cur))
			}
			cur = nil
		}
	}
	if len(cur) > 0 {
		out = append(out, string(cur))
	}
	return out
}

// searchSets returns the nodes that must match words (a field holds one
// of them as a whole word, or for Chinese as a substring) and those that may
// (a field holds one as a substring, case-insensitively).
func searchSets(x *expect, words []string) (must, may []string) {
	for id, texts := range x.texts {
		for _, txt := range texts {
			low := strings.ToLower(txt)
			for _, w := range words {
				if strings.Contains(low, w) {
					may = appendNew(may, id)
					if slices.Contains(tokens(txt), w) || !isLatin(w) {
						must = appendNew(must, id)
					}
				}
			}
		}
	}
	return sorted(must), sorted(may)
}

func isLatin(s string) bool {
	for _, r := range s {
		if r > unicode.MaxLatin1 {
			return false
		}
	}
	return true
}

type hitJSON struct {
	Score   float64 `json:"score"`
	Snippet *string `json:"snippet"`
	Node    struct {
		Typename string `json:"__typename"`
		ID       string `json:"id"`
	} `json:"node"`
}

const searchQuery = `query($text: String!, $types: [String!], $first: Int) { search(text: $text, types: $types, first: $first) {
  score snippet node { __typename id } } }`

func TestSearch(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, c := range []struct {
		text  string
		types []string
	}{
		{"Qianhai", nil},
		{"qianhai", nil},
		{"science city", nil},
		{"前海", nil},
		{"Qianhai", []string{"Project"}},
		{"science city", []string{"measure", "Place"}},
	} {
		t.Run(fmt.Sprintf("%s %v", c.text, c.types), func(t *testing.T) {
			words := strings.Fields(strings.ToLower(c.text))
			must, may := searchSets(e.x, words)
			if c.types != nil {
				keep := func(id string) bool {
					return !slices.ContainsFunc(c.types, func(ty string) bool { return strings.EqualFold(ty, e.x.types[id]) })
				}
				must = slices.DeleteFunc(must, keep)
				may = slices.DeleteFunc(may, keep)
			}
			if len(must) == 0 {
				t.Fatalf("the file has no node with %q: the test needs one", c.text)
			}
			var d struct{ Search []hitJSON }
			query(t, e.url, searchQuery, map[string]any{"text": c.text, "types": c.types, "first": 100}, &d)
			var got []string
			for i, h := range d.Search {
				if slices.Contains(got, h.Node.ID) {
					t.Errorf("hit %s twice", h.Node.ID)
				}
				got = append(got, h.Node.ID)
				if !slices.Contains(may, h.Node.ID) {
					t.Errorf("hit %s (%s %q) does not contain %q", h.Node.ID, h.Node.Typename, e.x.labels[h.Node.ID], c.text)
				}
				if h.Node.Typename != e.x.types[h.Node.ID] {
					t.Errorf("hit %s is a %s, want %s", h.Node.ID, h.Node.Typename, e.x.types[h.Node.ID])
				}
				if h.Score <= 0 || (i > 0 && h.Score > d.Search[i-1].Score) {
					t.Errorf("hit %d score %v: scores must be positive and non-increasing", i, h.Score)
				}
				if h.Snippet == nil || !slices.ContainsFunc(words, func(w string) bool { return strings.Contains(strings.ToLower(*h.Snippet), w) }) {
					t.Errorf("hit %s snippet %v does not show %q", h.Node.ID, fmtPtr(h.Snippet), c.text)
				}
			}
			for _, id := range must {
				if !slices.Contains(got, id) {
					t.Errorf("%q should find %s %q", c.text, e.x.types[id], e.x.labels[id])
				}
			}
			if len(words) > 1 && len(d.Search) > 0 {
				// The best hit holds all the words.
				top := strings.ToLower(strings.Join(e.x.texts[d.Search[0].Node.ID], " "))
				for _, w := range words {
					if !slices.Contains(tokens(top), w) {
						t.Errorf("top hit %q lacks %q", e.x.labels[d.Search[0].Node.ID], w)
					}
				}
			}
		})
	}
	t.Run("first limits the hits", func(t *testing.T) {
		must, _ := searchSets(e.x, []string{"science", "city"})
		var d struct{ Search []hitJSON }
		query(t, e.url, searchQuery, map[string]any{"text": "science city", "first": 2}, &d)
		if len(d.Search) != min(2, len(must)) {
			t.Errorf("first 2: %d hits", len(d.Search))
		}
		query(t, e.url, `{ search(text: "science city") { score } }`, nil, &d)
		if len(d.Search) != min(10, len(must)) {
			t.Errorf("default first (10): %d hits, %d match", len(d.Search), len(must))
		}
	})
	t.Run("Lucene syntax is taken literally", func(t *testing.T) {
		for _, text := range []string{`title:(x AND`, `"unclosed`, `*`, `?`, `AND`, `OR NOT`, `\`, `a~`, `[1 TO`, `{}`, `/re/`, `&& ||`, `!`, `^2`, `-`, `+`, `  `, ``, `Qianhai)`, `name:"Qianhai`} {
			r := post(t, e.url, searchQuery, map[string]any{"text": text, "first": 100})
			if len(r.Errors) > 0 || !r.hasData() {
				t.Errorf("search(%q): %s", text, r.Body)
			}
		}
		// The words of such text are still found.
		var d struct{ Search []hitJSON }
		query(t, e.url, searchQuery, map[string]any{"text": `(Qianhai`, "first": 100}, &d)
		must, _ := searchSets(e.x, []string{"qianhai"})
		var got []string
		for _, h := range d.Search {
			got = append(got, h.Node.ID)
		}
		eqStrings(t, "search (Qianhai", sorted(got), must)
	})
	t.Run("bad arguments", func(t *testing.T) {
		for _, v := range []map[string]any{
			{"text": "x", "first": 0}, {"text": "x", "first": 101}, {"text": "x", "types": []string{"Source"}},
			{"text": "x", "types": []string{"Nope"}}, {"text": strings.Repeat("x", 501)},
		} {
			wantError(t, post(t, e.url, searchQuery, v), plan.EINVALID)
		}
	})
}

// ---------------------------------------------------------------------------
// neighborhood and path

type subgraphJSON struct {
	Nodes []struct {
		ID    string `json:"id"`
		Type  string `json:"type"`
		Label string `json:"label"`
	} `json:"nodes"`
	Edges []struct {
		ID     string `json:"id"`
		Source string `json:"source"`
		Target string `json:"target"`
		Type   string `json:"type"`
	} `json:"edges"`
	Truncated bool `json:"truncated"`
}

const subgraphFields = `nodes { id type label } edges { id source target type } truncated`

func (g subgraphJSON) ids() []string {
	var out []string
	for _, n := range g.Nodes {
		out = append(out, n.ID)
	}
	return out
}

func (g subgraphJSON) edgeStrings() []string {
	var out []string
	for _, ed := range g.Edges {
		out = append(out, edge{ed.Source, ed.Type, ed.Target}.String())
	}
	return sorted(out)
}

// checkNodes compares the types and labels of a subgraph's nodes with the file.
func checkNodes(t testing.TB, x *expect, g subgraphJSON) {
	t.Helper()
	seen := map[string]bool{}
	for _, n := range g.Nodes {
		if seen[n.ID] {
			t.Errorf("node %s twice", n.ID)
		}
		seen[n.ID] = true
		if n.Type != x.types[n.ID] || n.Label != x.labels[n.ID] {
			t.Errorf("node %s = %s %q, want %s %q", n.ID, n.Type, n.Label, x.types[n.ID], x.labels[n.ID])
		}
	}
	ids := map[string]bool{}
	for _, ed := range g.Edges {
		if ids[ed.ID] || ed.ID == "" {
			t.Errorf("edge id %q empty or repeated", ed.ID)
		}
		ids[ed.ID] = true
	}
}

// centreProject is a project of the file that measures advance and that is located somewhere.
func centreProject(t testing.TB, x *expect) dataset.Project {
	for _, p := range x.ds.Projects {
		if len(p.Places) > 0 && len(x.where(func(m *measureX) bool { return slices.Contains(m.Projects, p.Slug) })) > 0 {
			return p
		}
	}
	t.Fatal("no project with measures and places in the file")
	return dataset.Project{}
}

func TestNeighborhood(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := centreProject(t, e.x)
	centre := gid(plan.KindProject, p.Slug)
	const q = `query($id: ID!, $depth: Int, $limit: Int) { neighborhood(id: $id, depth: $depth, limit: $limit) { ` + subgraphFields + ` } }`
	for _, depth := range []int{1, 2, 3} {
		t.Run(fmt.Sprint("depth ", depth), func(t *testing.T) {
			var d struct{ Neighborhood subgraphJSON }
			query(t, e.url, q, map[string]any{"id": centre, "depth": depth}, &d)
			g := d.Neighborhood
			want := e.x.ball(centre, depth)
			eqStrings(t, "nodes", sorted(g.ids()), sorted(want))
			eqStrings(t, "edges", g.edgeStrings(), e.x.edgesAmong(want))
			checkNodes(t, e.x, g)
			if g.Truncated {
				t.Error("truncated = true, want false")
			}
			if len(g.Nodes) == 0 || g.Nodes[0].ID != centre {
				t.Errorf("the first node should be the centre %s", centre)
			}
			if depth == 1 {
				// The measures that advance the project, per the file.
				for _, m := range e.x.where(func(m *measureX) bool { return slices.Contains(m.Projects, p.Slug) }) {
					if !slices.Contains(g.ids(), m.ID) {
						t.Errorf("depth 1 of %s lacks measure %s", p.Slug, m.Code)
					}
				}
			}
		})
	}
	t.Run("default depth is 1", func(t *testing.T) {
		var d struct{ Neighborhood subgraphJSON }
		query(t, e.url, `query($id: ID!) { neighborhood(id: $id) { `+subgraphFields+` } }`, map[string]any{"id": centre}, &d)
		eqStrings(t, "nodes", sorted(d.Neighborhood.ids()), sorted(e.x.ball(centre, 1)))
	})
	t.Run("limit truncates", func(t *testing.T) {
		if len(e.x.ball(centre, 1)) < 3 {
			t.Skip("centre has fewer than two neighbours")
		}
		var d struct{ Neighborhood subgraphJSON }
		query(t, e.url, q, map[string]any{"id": centre, "depth": 1, "limit": 2}, &d)
		g := d.Neighborhood
		if !g.Truncated || len(g.Nodes) != 2 || g.Nodes[0].ID != centre {
			t.Errorf("limit 2: %+v", g)
		}
		for _, id := range g.ids() {
			if !slices.Contains(e.x.ball(centre, 1), id) {
				t.Errorf("limit 2: %s is not a neighbour", id)
			}
		}
		eqStrings(t, "edges among the kept nodes", g.edgeStrings(), e.x.edgesAmong(g.ids()))
	})
	// Nodes and edges are leaf objects, which internal/gqlgen marshals
	// without gqlgen's per-element resolution: aliases, __typename,
	// fragments and @include/@skip must read as they would through it.
	t.Run("aliases, __typename, fragments and directives on nodes and edges", func(t *testing.T) {
		const q = `query($id: ID!, $no: Boolean!) { neighborhood(id: $id) {
  nodes { __typename key: id id ...N kind: type label @skip(if: true) }
  edges { id @include(if: $no) t: __typename from: source type ... on GraphEdge { to: target } }
} }
fragment N on GraphNode { name: label }`
		var d struct {
			Neighborhood struct {
				Nodes []map[string]any
				Edges []map[string]any
			}
		}
		query(t, e.url, q, map[string]any{"id": centre, "no": false}, &d)
		var plain struct{ Neighborhood subgraphJSON }
		query(t, e.url, `query($id: ID!) { neighborhood(id: $id) { `+subgraphFields+` } }`, map[string]any{"id": centre}, &plain)
		g := plain.Neighborhood
		if len(d.Neighborhood.Nodes) != len(g.Nodes) || len(d.Neighborhood.Edges) != len(g.Edges) || len(g.Edges) == 0 {
			t.Fatalf("%d nodes and %d edges, want %d and %d (and some edges)", len(d.Neighborhood.Nodes), len(d.Neighborhood.Edges), len(g.Nodes), len(g.Edges))
		}
		for i, n := range d.Neighborhood.Nodes {
			want := map[string]any{"__typename": "GraphNode", "key": g.Nodes[i].ID, "id": g.Nodes[i].ID, "name": g.Nodes[i].Label, "kind": g.Nodes[i].Type}
			if !maps.Equal(n, want) {
				t.Errorf("node %d = %v, want %v", i, n, want)
			}
		}
		for i, ed := range d.Neighborhood.Edges {
			want := map[string]any{"t": "GraphEdge", "from": g.Edges[i].Source, "type": g.Edges[i].Type, "to": g.Edges[i].Target}
			if !maps.Equal(ed, want) {
				t.Errorf("edge %d = %v, want %v", i, ed, want)
			}
		}
	})
	t.Run("errors", func(t *testing.T) {
		for _, v := range []map[string]any{
			{"id": centre, "depth": 0}, {"id": centre, "depth": 4}, {"id": centre, "limit": 0}, {"id": centre, "limit": 1001}, {"id": "@@"},
		} {
			wantError(t, post(t, e.url, q, v), plan.EINVALID)
		}
		unknown := gid(plan.KindProject, "no-such-project")
		r := post(t, e.url, q, map[string]any{"id": unknown})
		wantError(t, r, plan.ENOTFOUND)
	})
}

func TestPath(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const q = `query($from: ID!, $to: ID!, $max: Int) { path(from: $from, to: $to, maxDepth: $max) { ` + subgraphFields + ` } }`
	p := centreProject(t, e.x)
	proj, place := gid(plan.KindProject, p.Slug), gid(plan.KindPlace, p.Places[0].To)

	check := func(t *testing.T, from, to string, g *subgraphJSON) {
		t.Helper()
		if g == nil {
			t.Fatalf("path %s → %s = null", e.x.labels[from], e.x.labels[to])
		}
		d := e.x.distance(from, to)
		if len(g.Nodes) != d+1 || len(g.Edges) != d {
			t.Fatalf("path %s → %s: %d nodes %d edges, want a shortest path of %d hops", e.x.labels[from], e.x.labels[to], len(g.Nodes), len(g.Edges), d)
		}
		if g.Nodes[0].ID != from || g.Nodes[d].ID != to {
			t.Errorf("path should run from %s to %s: %v", from, to, g.ids())
		}
		checkNodes(t, e.x, *g)
		for i, ed := range g.Edges {
			a, b := g.Nodes[i].ID, g.Nodes[i+1].ID
			if !e.x.edges[edge{ed.Source, ed.Type, ed.Target}] || !(ed.Source == a && ed.Target == b || ed.Source == b && ed.Target == a) {
				t.Errorf("edge %d %s does not join %s and %s in the file", i, edge{ed.Source, ed.Type, ed.Target}, a, b)
			}
		}
	}

	t.Run("project to its place", func(t *testing.T) {
		var d struct{ Path *subgraphJSON }
		query(t, e.url, q, map[string]any{"from": proj, "to": place}, &d)
		check(t, proj, place, d.Path)
		if d.Path != nil && len(d.Path.Edges) == 1 && d.Path.Edges[0].Type != "LOCATED_IN" {
			t.Errorf("edge type = %s, want LOCATED_IN", d.Path.Edges[0].Type)
		}
	})
	// A measure far from that place: found within maxDepth hops, not within fewer.
	far := e.x.measures[0]
	for _, m := range e.x.measures {
		if e.x.distance(m.ID, place) > e.x.distance(far.ID, place) {
			far = m
		}
	}
	dist := e.x.distance(far.ID, place)
	t.Run(fmt.Sprintf("measure %s to %s (%d hops)", far.Code, p.Places[0].To, dist), func(t *testing.T) {
		var d struct{ Path *subgraphJSON }
		query(t, e.url, q, map[string]any{"from": far.ID, "to": place, "max": dist}, &d)
		check(t, far.ID, place, d.Path)
		query(t, e.url, q, map[string]any{"from": far.ID, "to": place, "max": dist - 1}, &d)
		if d.Path != nil {
			t.Errorf("maxDepth %d: path = %v, want null", dist-1, d.Path.ids())
		}
	})
	t.Run("unconnected is null", func(t *testing.T) {
		// Sources are provenance, outside the graph a path follows.
		src := gid(plan.KindSource, e.x.ds.Sources[0].ID)
		if e.x.distance(proj, src) != -1 {
			t.Fatal("expected the source to be unconnected")
		}
		var d struct{ Path *subgraphJSON }
		query(t, e.url, q, map[string]any{"from": proj, "to": src}, &d)
		if d.Path != nil {
			t.Errorf("path = %v, want null", d.Path.ids())
		}
		query(t, e.url, q, map[string]any{"from": proj, "to": gid(plan.KindPlace, "atlantis")}, &d)
		if d.Path != nil {
			t.Errorf("path to an unknown node = %v, want null", d.Path.ids())
		}
	})
	t.Run("same node", func(t *testing.T) {
		var d struct{ Path *subgraphJSON }
		query(t, e.url, q, map[string]any{"from": proj, "to": proj}, &d)
		if d.Path == nil || len(d.Path.Nodes) != 1 || d.Path.Nodes[0].ID != proj || len(d.Path.Edges) != 0 {
			t.Errorf("path to itself = %+v", d.Path)
		}
	})
	t.Run("errors", func(t *testing.T) {
		for _, v := range []map[string]any{
			{"from": proj, "to": place, "max": 0}, {"from": proj, "to": place, "max": 11}, {"from": "??", "to": place}, {"from": proj, "to": "??"},
		} {
			wantError(t, post(t, e.url, q, v), plan.EINVALID)
		}
	})
}

// ---------------------------------------------------------------------------
// stats

type countJSON struct {
	Key   string `json:"key"`
	Label string `json:"label"`
	Count int    `json:"count"`
}

type statsJSON struct {
	Measures        int         `json:"measures"`
	Projects        int         `json:"projects"`
	Sectors         int         `json:"sectors"`
	Places          int         `json:"places"`
	BySection       []countJSON `json:"bySection"`
	ByAspect        []countJSON `json:"byAspect"`
	BySector        []countJSON `json:"bySector"`
	ByMilestoneYear []countJSON `json:"byMilestoneYear"`
	ByStatus        []countJSON `json:"byStatus"`
}

func fmtCounts(l []countJSON) []string {
	var out []string
	for _, c := range l {
		out = append(out, fmt.Sprintf("%s|%s|%d", c.Key, c.Label, c.Count))
	}
	return out
}

// wantStats computes the stats of the plan (all plans for "") from the file.
func wantStats(x *expect, slug string) statsJSON {
	var ms []*measureX
	for _, m := range x.measures {
		if slug == "" || m.Plan == slug {
			ms = append(ms, m)
		}
	}
	st := statsJSON{Measures: len(ms)}
	var projects, sectors, places []string
	for _, p := range x.ds.Plans {
		if slug != "" && p.Slug != slug {
			continue
		}
		for _, sec := range p.Sections {
			n := 0
			for _, m := range ms {
				if m.Plan == p.Slug && m.Section == sec.Number {
					n++
				}
			}
			if n > 0 {
				st.BySection = append(st.BySection, countJSON{fmt.Sprintf("S%d", sec.Number), sec.Title, n})
			}
			for _, a := range sec.Aspects {
				n := 0
				for _, m := range ms {
					if m.Plan == p.Slug && m.Section == sec.Number && m.Aspect == a.Number {
						n++
					}
				}
				if n > 0 {
					st.ByAspect = append(st.ByAspect, countJSON{fmt.Sprintf("S%d.A%d", sec.Number, a.Number), a.Title, n})
				}
			}
		}
	}
	bySector, byYear, byStatus := map[string]int{}, map[int]int{}, map[string]int{}
	for _, m := range ms {
		for _, s := range m.Projects {
			projects = appendNew(projects, s)
		}
		for _, s := range m.Sectors {
			sectors = appendNew(sectors, s)
			bySector[s]++
		}
		for _, s := range m.Places {
			places = appendNew(places, s)
		}
		var years []int
		for _, s := range m.Milestones {
			if !slices.Contains(years, x.years[s]) {
				years = append(years, x.years[s])
				byYear[x.years[s]]++
			}
		}
		byStatus[m.Status]++
	}
	st.Projects, st.Sectors, st.Places = len(projects), len(sectors), len(places)
	if slug == "" {
		st.Projects, st.Sectors, st.Places = len(x.ds.Projects), len(x.ds.Sectors), len(x.ds.Places)
	}
	for _, s := range x.ds.Sectors {
		if n := bySector[s.Slug]; n > 0 {
			st.BySector = append(st.BySector, countJSON{s.Slug, s.Name, n})
		}
	}
	for _, m := range x.ds.Milestones {
		if n := byYear[m.Year]; n > 0 {
			st.ByMilestoneYear = append(st.ByMilestoneYear, countJSON{fmt.Sprint(m.Year), m.Label, n})
			delete(byYear, m.Year)
		}
	}
	slices.SortFunc(st.ByMilestoneYear, func(a, b countJSON) int { return strings.Compare(a.Key, b.Key) })
	for s, n := range byStatus {
		st.ByStatus = append(st.ByStatus, countJSON{s, s, n})
	}
	slices.SortFunc(st.ByStatus, func(a, b countJSON) int { return strings.Compare(a.Key, b.Key) })
	return st
}

func TestStats(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const q = `query($plan: String) { stats(plan: $plan) { measures projects sectors places
  bySection { key label count } byAspect { key label count } bySector { key label count }
  byMilestoneYear { key label count } byStatus { key label count } } }`
	for _, slug := range append([]string{""}, e.x.planSlugs()...) {
		t.Run("plan "+slug, func(t *testing.T) {
			var v map[string]any
			if slug != "" {
				v = map[string]any{"plan": slug}
			}
			var d struct{ Stats statsJSON }
			query(t, e.url, q, v, &d)
			got, want := d.Stats, wantStats(e.x, slug)
			if got.Measures != want.Measures || got.Projects != want.Projects || got.Sectors != want.Sectors || got.Places != want.Places {
				t.Errorf("measures/projects/sectors/places = %d/%d/%d/%d, want %d/%d/%d/%d", got.Measures, got.Projects, got.Sectors, got.Places,
					want.Measures, want.Projects, want.Sectors, want.Places)
			}
			eqStrings(t, "bySection (by section)", fmtCounts(got.BySection), fmtCounts(want.BySection))
			eqStrings(t, "byAspect (by section, aspect)", fmtCounts(got.ByAspect), fmtCounts(want.ByAspect))
			eqStrings(t, "byMilestoneYear (by year)", fmtCounts(got.ByMilestoneYear), fmtCounts(want.ByMilestoneYear))
			eqStrings(t, "byStatus", sorted(fmtCounts(got.ByStatus)), sorted(fmtCounts(want.ByStatus)))
			eqStrings(t, "bySector", sorted(fmtCounts(got.BySector)), sorted(fmtCounts(want.BySector)))
			for i := 1; i < len(got.BySector); i++ {
				if got.BySector[i].Count > got.BySector[i-1].Count {
					t.Errorf("bySector is not most first: %v", fmtCounts(got.BySector))
				}
			}
		})
	}
	t.Run("unknown plan", func(t *testing.T) {
		wantError(t, post(t, e.url, q, map[string]any{"plan": "no-such-plan"}), plan.ENOTFOUND)
	})
}
