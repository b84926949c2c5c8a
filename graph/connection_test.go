package graph_test

import (
	"cmp"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/shenzhenplan/kgapi/plan"
)

// Tests of measure connections: ordering, keyset pagination both ways and filters.

// ord is one sort key, as the API takes it.
type ord struct {
	Field string
	Desc  bool
}

func (o ord) String() string {
	if o.Desc {
		return o.Field + " DESC"
	}
	return o.Field + " ASC"
}

// orderVar is the orderBy variable for keys (nil: the default order).
func orderVar(keys []ord) any {
	if keys == nil {
		return nil
	}
	out := make([]map[string]any, len(keys))
	for i, k := range keys {
		dir := "ASC"
		if k.Desc {
			dir = "DESC"
		}
		out[i] = map[string]any{"field": k.Field, "direction": dir}
	}
	return out
}

// sortMeasures orders measures as the schema says: by the keys in turn
// (SECTION is section then aspect number; MILESTONE_YEAR is the earliest
// milestone year, measures without one last), ties broken by code in plan
// order (store.CodeKey), then by id. nil keys is the default, CODE ASC.
func sortMeasures(ms []*measureX, keys []ord) []*measureX {
	out := slices.Clone(ms)
	slices.SortStableFunc(out, func(a, b *measureX) int {
		for _, k := range keys {
			c := 0
			switch k.Field {
			case "CODE":
				c = strings.Compare(a.CodeKey, b.CodeKey)
			case "TITLE":
				c = strings.Compare(a.Title, b.Title)
			case "SECTION":
				c = cmp.Or(cmp.Compare(a.Section, b.Section), cmp.Compare(a.Aspect, b.Aspect))
			case "MILESTONE_YEAR":
				if (a.Year == nil) != (b.Year == nil) {
					if a.Year == nil {
						return 1
					}
					return -1
				}
				if a.Year != nil {
					c = cmp.Compare(*a.Year, *b.Year)
				}
			default:
				panic("unknown order field " + k.Field)
			}
			if k.Desc {
				c = -c
			}
			if c != 0 {
				return c
			}
		}
		return cmp.Or(strings.Compare(a.CodeKey, b.CodeKey), strings.Compare(a.RawID, b.RawID))
	})
	return out
}

type connJSON struct {
	TotalCount int `json:"totalCount"`
	Edges      []struct {
		Cursor string   `json:"cursor"`
		Node   codeJSON `json:"node"`
	} `json:"edges"`
	Nodes    []codeJSON   `json:"nodes"`
	PageInfo pageInfoJSON `json:"pageInfo"`
}

const connFields = `totalCount edges { cursor node { code } } nodes { code } pageInfo { hasNextPage hasPreviousPage startCursor endCursor }`

const connArgs = `filter: $filter, orderBy: $orderBy, first: $first, after: $after, last: $last, before: $before`

const connVars = `$filter: MeasureFilter, $orderBy: [MeasureOrder!], $first: Int, $after: String, $last: Int, $before: String`

// rootMeasures fetches a page of the root measures connection.
func rootMeasures(t testing.TB, url string, vars map[string]any) connJSON {
	t.Helper()
	var d struct{ Measures connJSON }
	query(t, url, `query(`+connVars+`) { measures(`+connArgs+`) { `+connFields+` } }`, vars, &d)
	return d.Measures
}

// nodeMeasures fetches a page of the measures connection of the node with the given id and type.
func nodeMeasures(id, typ string) func(t testing.TB, url string, vars map[string]any) connJSON {
	return func(t testing.TB, url string, vars map[string]any) connJSON {
		t.Helper()
		v := map[string]any{"id": id}
		for k, x := range vars {
			v[k] = x
		}
		var d struct{ Node *struct{ Measures connJSON } }
		query(t, url, `query($id: ID!, `+connVars+`) { node(id: $id) { ... on `+typ+` { measures(`+connArgs+`) { `+connFields+` } } } }`, v, &d)
		if d.Node == nil {
			t.Fatalf("node %s = null", id)
		}
		return d.Node.Measures
	}
}

type fetchFunc func(t testing.TB, url string, vars map[string]any) connJSON

// checkPage checks the invariants of one page.
func checkPage(t testing.TB, i int, c connJSON, size, total int) []string {
	t.Helper()
	if c.TotalCount != total {
		t.Errorf("page %d: totalCount = %d, want %d", i, c.TotalCount, total)
	}
	if len(c.Edges) > size || len(c.Nodes) != len(c.Edges) {
		t.Fatalf("page %d: %d edges and %d nodes for a page of %d", i, len(c.Edges), len(c.Nodes), size)
	}
	var out []string
	for j, ed := range c.Edges {
		if ed.Cursor == "" || ed.Node.Code != c.Nodes[j].Code {
			t.Errorf("page %d edge %d: cursor %q, node %s, nodes[%d] %s", i, j, ed.Cursor, ed.Node.Code, j, c.Nodes[j].Code)
		}
		out = append(out, ed.Node.Code)
	}
	if len(c.Edges) > 0 {
		if deref(c.PageInfo.StartCursor) != c.Edges[0].Cursor || deref(c.PageInfo.EndCursor) != c.Edges[len(c.Edges)-1].Cursor {
			t.Errorf("page %d: startCursor/endCursor do not match the first/last edge", i)
		}
	} else if c.PageInfo.StartCursor != nil || c.PageInfo.EndCursor != nil {
		t.Errorf("page %d: empty page with cursors %v/%v", i, fmtPtr(c.PageInfo.StartCursor), fmtPtr(c.PageInfo.EndCursor))
	}
	return out
}

// walkForward pages with first/after to the end and returns the codes seen.
func walkForward(t testing.TB, url string, fetch fetchFunc, base map[string]any, size, total int) []string {
	t.Helper()
	var got []string
	var after any
	for i := 0; ; i++ {
		if i > total+2 {
			t.Fatalf("paging forward by %d does not end (%d seen)", size, len(got))
		}
		v := map[string]any{"first": size, "after": after}
		for k, x := range base {
			v[k] = x
		}
		c := fetch(t, url, v)
		got = append(got, checkPage(t, i, c, size, total)...)
		if i == 0 && c.PageInfo.HasPreviousPage {
			t.Errorf("first page: hasPreviousPage = true")
		}
		if want := len(got) < total; c.PageInfo.HasNextPage != want {
			t.Errorf("page %d: hasNextPage = %v after %d of %d", i, c.PageInfo.HasNextPage, len(got), total)
		}
		if !c.PageInfo.HasNextPage || c.PageInfo.EndCursor == nil {
			if c.PageInfo.EndCursor != nil {
				// After the last item: an empty page, nothing next.
				v["after"] = *c.PageInfo.EndCursor
				end := fetch(t, url, v)
				if len(end.Edges) != 0 || end.PageInfo.HasNextPage {
					t.Errorf("after the last cursor: %d edges, hasNextPage %v", len(end.Edges), end.PageInfo.HasNextPage)
				}
			}
			return got
		}
		after = *c.PageInfo.EndCursor
	}
}

// walkBackward pages with last/before to the start and returns the codes in order.
func walkBackward(t testing.TB, url string, fetch fetchFunc, base map[string]any, size, total int) []string {
	t.Helper()
	var got []string
	var before any
	for i := 0; ; i++ {
		if i > total+2 {
			t.Fatalf("paging backward by %d does not end (%d seen)", size, len(got))
		}
		v := map[string]any{"last": size, "before": before}
		for k, x := range base {
			v[k] = x
		}
		c := fetch(t, url, v)
		got = append(checkPage(t, i, c, size, total), got...)
		if i == 0 && c.PageInfo.HasNextPage {
			t.Errorf("last page: hasNextPage = true")
		}
		if want := len(got) < total; c.PageInfo.HasPreviousPage != want {
			t.Errorf("page %d from the end: hasPreviousPage = %v after %d of %d", i, c.PageInfo.HasPreviousPage, len(got), total)
		}
		if !c.PageInfo.HasPreviousPage || c.PageInfo.StartCursor == nil {
			if c.PageInfo.StartCursor != nil {
				v["before"] = *c.PageInfo.StartCursor
				start := fetch(t, url, v)
				if len(start.Edges) != 0 || start.PageInfo.HasPreviousPage {
					t.Errorf("before the first cursor: %d edges, hasPreviousPage %v", len(start.Edges), start.PageInfo.HasPreviousPage)
				}
			}
			return got
		}
		before = *c.PageInfo.StartCursor
	}
}

var orderings = [][]ord{
	nil, // default: CODE ASC
	{{"CODE", false}},
	{{"CODE", true}},
	{{"TITLE", false}},
	{{"TITLE", true}},
	{{"SECTION", true}},
	{{"MILESTONE_YEAR", false}},
	{{"MILESTONE_YEAR", true}, {"TITLE", false}},
	{{"SECTION", false}, {"TITLE", true}},
}

func orderName(keys []ord) string {
	if keys == nil {
		return "default"
	}
	var s []string
	for _, k := range keys {
		s = append(s, k.String())
	}
	return strings.Join(s, ", ")
}

func TestPagination(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, keys := range orderings {
		want := codes(sortMeasures(e.x.measures, keys))
		for _, size := range []int{1, 3, 7, 100} {
			t.Run(fmt.Sprintf("%s by %d", orderName(keys), size), func(t *testing.T) {
				t.Parallel()
				base := map[string]any{"orderBy": orderVar(keys)}
				fwd := walkForward(t, e.url, rootMeasures, base, size, len(want))
				eqStrings(t, "forward", fwd, want)
				back := walkBackward(t, e.url, rootMeasures, base, size, len(want))
				eqStrings(t, "backward", back, want)
			})
		}
	}
}

// TestNestedPagination pages a node's measure connection with a filter.
func TestNestedPagination(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.x.ds.Plans[len(e.x.ds.Plans)-1]
	var sec int
	for _, s := range p.Sections {
		if len(s.Aspects) > 0 {
			sec = s.Number
		}
	}
	cases := []struct {
		name   string
		fetch  fetchFunc
		filter map[string]any
		keys   []ord
		keep   func(*measureX) bool
	}{
		{"section measures", nodeMeasures(gid(plan.KindSection, fmt.Sprintf("%s/S%d", p.Slug, sec)), "Section"), nil,
			[]ord{{"TITLE", true}}, func(m *measureX) bool { return m.Plan == p.Slug && m.Section == sec }},
		{"plan measures, status filter", nodeMeasures(gid(plan.KindPlan, p.Slug), "Plan"), map[string]any{"status": []string{"PLANNED"}},
			[]ord{{"SECTION", true}, {"CODE", true}}, func(m *measureX) bool { return m.Plan == p.Slug && m.Status == "PLANNED" }},
		// (Milestones hold at most two measures of the bundled data since
		// targets come from sources per measure: a milestone's page is
		// paged at scale by store/planner_test.go.)
		{"plan measures, text filter", nodeMeasures(gid(plan.KindPlan, p.Slug), "Plan"), map[string]any{"text": "reform"},
			[]ord{{"TITLE", false}}, func(m *measureX) bool {
				return m.Plan == p.Slug && matchFilter(e.x, m, map[string]any{"text": "reform"})
			}},
	}
	for _, c := range cases {
		want := codes(sortMeasures(e.x.where(c.keep), c.keys))
		for _, size := range []int{2, 5} {
			t.Run(fmt.Sprintf("%s by %d", c.name, size), func(t *testing.T) {
				t.Parallel()
				if len(want) <= size {
					t.Fatalf("only %d measures: the case does not page", len(want))
				}
				base := map[string]any{"orderBy": orderVar(c.keys), "filter": c.filter}
				eqStrings(t, "forward", walkForward(t, e.url, c.fetch, base, size, len(want)), want)
				eqStrings(t, "backward", walkBackward(t, e.url, c.fetch, base, size, len(want)), want)
			})
		}
	}
}

func TestPaginationErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	q := `query(` + connVars + `) { measures(` + connArgs + `) { ` + connFields + ` } }`
	cursor := func(keys []ord) string {
		c := rootMeasures(t, e.url, map[string]any{"orderBy": orderVar(keys), "first": 3})
		return *c.PageInfo.EndCursor
	}
	codeAsc, codeDesc, title, section := cursor([]ord{{"CODE", false}}), cursor([]ord{{"CODE", true}}), cursor([]ord{{"TITLE", false}}), cursor([]ord{{"SECTION", false}})
	raw := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	cases := []struct {
		name  string
		vars  map[string]any
		words []string
	}{
		{"first over the cap", map[string]any{"first": 101}, []string{"100"}},
		{"last over the cap", map[string]any{"last": 101}, []string{"100"}},
		{"negative first", map[string]any{"first": -1}, nil},
		{"negative last", map[string]any{"last": -1}, nil},
		{"first and last", map[string]any{"first": 1, "last": 1}, nil},
		{"CODE ASC cursor with TITLE", map[string]any{"after": codeAsc, "orderBy": orderVar([]ord{{"TITLE", false}})}, nil},
		{"CODE DESC cursor with CODE ASC", map[string]any{"after": codeDesc}, nil},
		{"TITLE cursor as before with CODE", map[string]any{"last": 2, "before": title}, nil},
		{"SECTION cursor with SECTION, TITLE", map[string]any{"after": section, "orderBy": orderVar([]ord{{"SECTION", false}, {"TITLE", false}})}, nil},
		{"garbage cursor", map[string]any{"after": "garbage!"}, nil},
		{"empty cursor", map[string]any{"after": ""}, nil},
		{"base64 garbage", map[string]any{"after": raw("not json")}, nil},
		{"wrong key types", map[string]any{"after": raw(`{"o":"CODE,","k":[1,2,3]}`)}, nil},
		{"wrong key count", map[string]any{"after": raw(`{"o":"CODE,","k":["a"]}`)}, nil},
		{"null key", map[string]any{"after": raw(`{"o":"CODE,","k":[null,"a","b"]}`)}, nil},
		{"fractional key", map[string]any{"after": raw(`{"o":"SECTION,","k":[1.5,0,"a","b"]}`), "orderBy": orderVar([]ord{{"SECTION", false}})}, nil},
		{"project cursor", map[string]any{"after": gid(plan.KindProject, "x")}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := post(t, e.url, q, c.vars)
			wantError(t, r, plan.EINVALID, c.words...)
			if strings.Contains(string(r.Body), "goroutine") || strings.Contains(string(r.Body), ".go:") {
				t.Errorf("stack trace in %s", r.Body)
			}
		})
	}
	t.Run("the same cursor in a nested connection with the same order", func(t *testing.T) {
		// Cursors are keysets: a CODE cursor of the root connection is valid in a plan's.
		p := e.x.planWithMeasures()
		var d struct{ Plan struct{ Measures connJSON } }
		query(t, e.url, `query($p: String, $after: String) { plan(slug: $p) { measures(first: 100, after: $after) { `+connFields+` } } }`,
			map[string]any{"p": p, "after": codeAsc}, &d)
		eqStrings(t, "plan measures after the third", codesOf(d.Plan.Measures.Nodes), codes(sortMeasures(e.x.where(func(m *measureX) bool {
			return m.Plan == p && m.CodeKey > sortMeasures(e.x.measures, nil)[2].CodeKey
		}), nil)))
	})
	t.Run("first 0 and 100 are allowed", func(t *testing.T) {
		c := rootMeasures(t, e.url, map[string]any{"first": 0})
		if len(c.Edges) != 0 || c.TotalCount != len(e.x.measures) || c.PageInfo.HasNextPage != (len(e.x.measures) > 0) {
			t.Errorf("first 0: %+v", c)
		}
		c = rootMeasures(t, e.url, map[string]any{"first": 100})
		if len(c.Edges) != min(100, len(e.x.measures)) {
			t.Errorf("first 100: %d edges", len(c.Edges))
		}
	})
}

// matchFilter says whether m passes the MeasureFilter f (as sent in GraphQL):
// fields combine with AND, values of a list with OR.
func matchFilter(x *expect, m *measureX, f map[string]any) bool {
	anyOf := func(have []string, want any) bool {
		return slices.ContainsFunc(have, func(s string) bool { return slices.Contains(want.([]string), s) })
	}
	for k, v := range f {
		ok := true
		switch k {
		case "section":
			ok = m.Section == v.(int)
		case "aspect":
			ok = m.Aspect == v.(int)
		case "sector":
			ok = anyOf(m.Sectors, v)
		case "project":
			ok = anyOf(m.Projects, v)
		case "place":
			ok = slices.ContainsFunc(m.Places, func(p string) bool {
				return slices.ContainsFunc(v.([]string), func(target string) bool { return x.inPlace(p, target) })
			})
		case "milestoneYear":
			r := v.(map[string]any)
			ok = slices.ContainsFunc(m.Milestones, func(s string) bool {
				y := x.years[s]
				lo, hasLo := r["min"].(int)
				hi, hasHi := r["max"].(int)
				return (!hasLo || y >= lo) && (!hasHi || y <= hi)
			})
		case "status":
			ok = slices.Contains(v.([]string), m.Status)
		case "text":
			t := strings.ToLower(strings.TrimSpace(v.(string)))
			ok = t == "" || slices.ContainsFunc([]string{m.Code, m.Title, m.TitleZh, m.Description}, func(s string) bool {
				return strings.Contains(strings.ToLower(s), t)
			})
		default:
			panic("unknown filter field " + k)
		}
		if !ok {
			return false
		}
	}
	return true
}

// filterCases are filters of every field, alone and combined.
func filterCases(x *expect) []map[string]any {
	var projects, places, sectors []string
	for _, m := range x.measures {
		projects = append(projects, m.Projects...)
		places = append(places, m.Places...)
		sectors = append(sectors, m.Sectors...)
	}
	projects, places, sectors = slices.Compact(sorted(projects)), slices.Compact(sorted(places)), slices.Compact(sorted(sectors))
	year := *x.measures[0].Year
	return []map[string]any{
		{"section": 1}, {"section": 2}, {"section": 3}, {"section": 99},
		{"aspect": 3}, {"section": 2, "aspect": 4}, {"section": 1, "aspect": 1},
		{"sector": sectors[:1]}, {"sector": sectors[:3]}, {"sector": []string{"no-such-sector"}},
		{"project": projects[:1]}, {"project": projects[len(projects)-2:]},
		{"place": places[:1]}, {"place": places}, {"place": []string{"atlantis"}},
		{"milestoneYear": map[string]any{"min": year}}, {"milestoneYear": map[string]any{"max": year - 1}},
		{"milestoneYear": map[string]any{"min": year, "max": year}}, {"milestoneYear": map[string]any{"min": year + 1}},
		{"milestoneYear": map[string]any{"max": year}}, {"milestoneYear": map[string]any{}},
		{"status": []string{"IN_PROGRESS"}}, {"status": []string{"PLANNED", "IN_PROGRESS"}}, {"status": []string{"COMPLETED", "UNKNOWN"}},
		{"text": "qianhai"}, {"text": "QIANHAI"}, {"text": "S2.A3"}, {"text": "s1.m1"}, {"text": "  Reform "}, {"text": ""}, {"text": "city's"},
		{"text": strings.ToUpper(x.measures[len(x.measures)-1].Title)},
		{"section": 2, "status": []string{"IN_PROGRESS"}, "text": "reform"},
		{"sector": sectors, "status": []string{"IN_PROGRESS"}},
		{"project": projects, "place": places},
		{"project": projects[:1], "place": places[len(places)-1:]},
		{"aspect": 7, "sector": sectors, "milestoneYear": map[string]any{"max": year}},
		{"section": 2, "aspect": 1, "project": projects, "place": places, "milestoneYear": map[string]any{"min": year, "max": year}, "status": []string{"PLANNED"}, "text": "build"},
	}
}

func TestFilters(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	nonEmpty := 0
	for _, f := range filterCases(e.x) {
		name, _ := json.Marshal(f)
		want := codes(sortMeasures(e.x.where(func(m *measureX) bool { return matchFilter(e.x, m, f) }), nil))
		if len(want) > 0 && len(want) < len(e.x.measures) {
			nonEmpty++
		}
		t.Run(string(name), func(t *testing.T) {
			t.Parallel()
			c := rootMeasures(t, e.url, map[string]any{"filter": f, "first": 100})
			eqStrings(t, "measures", codesOf(c.Nodes), want)
			if c.TotalCount != len(want) {
				t.Errorf("totalCount = %d, want %d", c.TotalCount, len(want))
			}
			// A small page counts every match.
			c = rootMeasures(t, e.url, map[string]any{"filter": f, "first": 2, "orderBy": orderVar([]ord{{"TITLE", true}})})
			wantTitle := codes(sortMeasures(e.x.where(func(m *measureX) bool { return matchFilter(e.x, m, f) }), []ord{{"TITLE", true}}))
			eqStrings(t, "first 2 by title desc", codesOf(c.Nodes), wantTitle[:min(2, len(wantTitle))])
			if c.TotalCount != len(want) || c.PageInfo.HasNextPage != (len(want) > 2) {
				t.Errorf("first 2: totalCount %d hasNextPage %v, want %d %v", c.TotalCount, c.PageInfo.HasNextPage, len(want), len(want) > 2)
			}
		})
	}
	if nonEmpty < 15 {
		t.Errorf("only %d filter cases select a proper subset: the cases no longer fit the data", nonEmpty)
	}
	t.Run("errors", func(t *testing.T) {
		q := `query(` + connVars + `) { measures(` + connArgs + `) { totalCount } }`
		wantError(t, post(t, e.url, q, map[string]any{"filter": map[string]any{"milestoneYear": map[string]any{"min": 2030, "max": 2020}}}), plan.EINVALID, "min", "max")
		wantError(t, post(t, e.url, q, map[string]any{"filter": map[string]any{"text": strings.Repeat("a", 501)}}), plan.EINVALID)
		r := post(t, e.url, q, map[string]any{"filter": map[string]any{"status": []string{"DONE"}}})
		if len(r.Errors) == 0 || r.hasData() {
			t.Errorf("unknown status: %s", r.Body)
		}
	})
	t.Run("in nested connections", func(t *testing.T) {
		p := e.x.planWithMeasures()
		for _, f := range filterCases(e.x) {
			var d struct {
				Plan struct {
					Measures connJSON `json:"measures"`
				}
			}
			query(t, e.url, `query($p: String, $f: MeasureFilter) { plan(slug: $p) { measures(filter: $f, first: 100) { `+connFields+` } } }`,
				map[string]any{"p": p, "f": f}, &d)
			want := codes(sortMeasures(e.x.where(func(m *measureX) bool { return m.Plan == p && matchFilter(e.x, m, f) }), nil))
			eqStrings(t, fmt.Sprintf("plan measures %v", f), codesOf(d.Plan.Measures.Nodes), want)
			if d.Plan.Measures.TotalCount != len(want) {
				t.Errorf("plan measures %v totalCount = %d, want %d", f, d.Plan.Measures.TotalCount, len(want))
			}
		}
	})
}
