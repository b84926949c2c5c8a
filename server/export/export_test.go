package export_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"go.uber.org/zap"

	"github.com/shenzhenplan/kgapi/dataset"
	"github.com/shenzhenplan/kgapi/internal/testneo4j"
	"github.com/shenzhenplan/kgapi/plan"
	"github.com/shenzhenplan/kgapi/server"
	"github.com/shenzhenplan/kgapi/server/export"
	"github.com/shenzhenplan/kgapi/store"
)

func TestMain(m *testing.M) { os.Exit(testneo4j.Main(m)) }

const (
	planSlug    = "shenzhen-pdz-action-plan"
	parentSlug  = "shenzhen-demonstration-area-guideline"
	quotingSlug = "export-quoting-test"
	bundledFile = "../../data/shenzhen-2019-2025.yaml"
)

var (
	loadOnce sync.Once
	loadErr  error
	bundled  *dataset.Dataset
)

// quotingDataset is a small plan whose cells need CSV quoting, whose codes
// sort differently as text and in plan order, and whose place lies within
// another one the measure does not name.
func quotingDataset() *dataset.Dataset {
	src := "export-test-source"
	ref := func(excerpt string) []dataset.Ref { return []dataset.Ref{{Source: src, Excerpt: excerpt}} }
	link := func(to, excerpt string) dataset.Link { return dataset.Link{To: to, Source: src, Excerpt: excerpt} }
	return &dataset.Dataset{
		Sources: []dataset.Source{{ID: src, Title: "Export test source", URL: "https://example.org/export-test"}},
		Plans: []dataset.Plan{{
			Slug: quotingSlug, Title: "Export quoting test plan", Sources: ref("a test plan"),
			Sections: []dataset.Section{{
				Number: 1, Title: `Roads, rails and "ports"`, Sources: ref("section one"),
				Measures: []dataset.Measure{
					{
						Code: "S1.M1", Title: `Roads, bridges and "tunnels"`, TitleZh: "道路，桥梁", Status: dataset.StatusInProgress,
						Projects:   []dataset.Link{link("export-test-beta", "beta, the second"), link("export-test-alpha", "alpha, the first")},
						Places:     []dataset.Link{link("export-test-inner", "in the inner place")},
						Milestones: []dataset.Link{link("export-test-2030", "by 2030"), link("export-test-2027", "by 2027")},
						Sources:    ref(`roads, bridges and "tunnels"`),
					},
					{Code: "S1.M10", Title: "The tenth measure", Status: dataset.StatusPlanned, Sources: ref("the tenth")},
					{Code: "S1.M2", Title: "=1+2 looks like a formula", Sources: ref("a formula")},
				},
			}},
		}},
		Projects: []dataset.Project{
			{Slug: "export-test-alpha", Name: "Alpha", Sources: ref("alpha")},
			{Slug: "export-test-beta", Name: "Beta", Sources: ref("beta")},
		},
		Places: []dataset.Place{
			{Slug: "export-test-inner", Name: "Inner", Within: &dataset.Link{To: "export-test-outer", Source: src, Excerpt: "inner lies within outer"}, Sources: ref("inner")},
			{Slug: "export-test-outer", Name: "Outer", Sources: ref("outer")},
		},
		Milestones: []dataset.Milestone{
			{Slug: "export-test-2027", Year: 2027, Label: "2027", Sources: ref("2027")},
			{Slug: "export-test-2030", Year: 2030, Label: "2030", Sources: ref("2030")},
		},
	}
}

// setup loads the bundled dataset and the quoting plan once and serves the
// export handler beside the API, counting the Cypher round trips of each
// request in rt (when not nil).
func setup(t *testing.T, rt *plan.RoundTrips) (*store.Store, *httptest.Server) {
	t.Helper()
	st := testneo4j.Store(t)
	loadOnce.Do(func() {
		testneo4j.Wipe(t, st)
		ctx := context.Background()
		if bundled, loadErr = dataset.Parse(bundledFile); loadErr != nil {
			return
		}
		if loadErr = st.EnsureSchema(ctx); loadErr != nil {
			return
		}
		if _, loadErr = st.Load(ctx, store.ToRows(bundled, "shenzhen-2019-2025"), store.LoadOptions{}); loadErr != nil {
			return
		}
		_, loadErr = st.Load(ctx, store.ToRows(quotingDataset(), "export-test"), store.LoadOptions{})
	})
	if loadErr != nil {
		t.Fatalf("load test data: %v", loadErr)
	}
	ex := export.Handler(st, export.RequestBase, export.WithLogger(zap.NewNop()))
	mux := http.NewServeMux()
	mux.Handle("/export/", ex)
	mux.Handle("/id/", ex)
	mux.Handle("/", server.NewHandler(server.Deps{Store: st, Log: zap.NewNop()}))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rt != nil {
			r = r.WithContext(plan.WithRoundTrips(r.Context(), rt))
		}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return st, srv
}

type response struct {
	*http.Response
	body []byte
}

func do(t *testing.T, method, u string, hdr map[string]string) response {
	t.Helper()
	req, err := http.NewRequest(method, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{resp, b}
}

func get(t *testing.T, u string) response { t.Helper(); return do(t, http.MethodGet, u, nil) }

func readCSV(t *testing.T, b []byte) [][]string {
	t.Helper()
	r := csv.NewReader(bytes.NewReader(b))
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatalf("the CSV does not parse: %v\n%s", err, b)
	}
	return rows
}

// fileMeasure is a measure of the bundled file with its place in the plan.
type fileMeasure struct {
	dataset.Measure
	section      dataset.Section
	aspect       *dataset.Aspect
	milestoneYrs map[string]int
}

func planMeasures(t *testing.T, ds *dataset.Dataset, slug string) []fileMeasure {
	t.Helper()
	years := map[string]int{}
	for _, m := range ds.Milestones {
		years[m.Slug] = m.Year
	}
	for _, p := range ds.Plans {
		if p.Slug != slug {
			continue
		}
		var out []fileMeasure
		for _, s := range p.Sections {
			for _, m := range s.Measures {
				out = append(out, fileMeasure{m, s, nil, years})
			}
			for i := range s.Aspects {
				for _, m := range s.Aspects[i].Measures {
					out = append(out, fileMeasure{m, s, &s.Aspects[i], years})
				}
			}
		}
		return out
	}
	t.Fatalf("no plan %q in the file", slug)
	return nil
}

// expectedRow is the CSV row the file implies for a measure.
func expectedRow(m fileMeasure, planSlug string) []string {
	keys := func(ls []dataset.Link, f func(dataset.Link) string) string {
		seen := map[string]bool{}
		var out []string
		for _, l := range ls {
			if k := f(l); !seen[k] {
				seen[k] = true
				out = append(out, k)
			}
		}
		sort.Strings(out)
		return strings.Join(out, "; ")
	}
	slug := func(l dataset.Link) string { return l.To }
	var years []int
	seenYear := map[int]bool{}
	for _, l := range m.Milestones {
		if y := m.milestoneYrs[l.To]; !seenYear[y] {
			seenYear[y] = true
			years = append(years, y)
		}
	}
	sort.Ints(years)
	yearCells := make([]string, len(years))
	for i, y := range years {
		yearCells[i] = strconv.Itoa(y)
	}
	var srcs []dataset.Link
	for _, r := range m.Sources {
		srcs = append(srcs, dataset.Link{To: r.Source})
	}
	status := m.Status
	if status == "" {
		status = dataset.StatusUnknown
	}
	aspect, aspectTitle := "", ""
	if m.aspect != nil {
		aspect, aspectTitle = strconv.Itoa(m.aspect.Number), m.aspect.Title
	}
	return []string{
		m.Code, m.Title, m.TitleZh, status, strconv.Itoa(m.section.Number), m.section.Title, aspect, aspectTitle,
		keys(m.Projects, slug), keys(m.Sectors, slug), keys(m.Places, slug), strings.Join(yearCells, "; "), keys(srcs, slug),
		plan.NewID(plan.KindMeasure, planSlug+"/"+m.Code).Global(),
	}
}

func TestMeasuresCSV(t *testing.T) {
	_, srv := setup(t, nil)
	r := get(t, srv.URL+"/export/"+planSlug+"/measures.csv")
	if r.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", r.StatusCode, r.body)
	}
	if ct := r.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	if cd := r.Header.Get("Content-Disposition"); cd != `attachment; filename="`+planSlug+`-measures.csv"` {
		t.Errorf("Content-Disposition %q", cd)
	}
	if bytes.HasPrefix(r.body, []byte("\uFEFF")) {
		t.Error("a byte order mark without ?bom=1")
	}
	rows := readCSV(t, r.body)
	if !reflect.DeepEqual(rows[0], export.CSVHeader) || strings.Join(rows[0], ",") != "code,title,title_zh,status,section,section_title,aspect,aspect_title,projects,sectors,places,milestone_years,sources,id" {
		t.Errorf("header %q", rows[0])
	}
	want := planMeasures(t, bundled, planSlug)
	if len(want) != 38 {
		t.Fatalf("the file has %d measures in %s, the test expects 38", len(want), planSlug)
	}
	if got := len(rows) - 1; got != len(want) {
		t.Fatalf("%d measure rows, want %d (the plan's measures in the file)", got, len(want))
	}
	sort.Slice(want, func(i, j int) bool { return store.CodeKey(want[i].Code) < store.CodeKey(want[j].Code) })
	for i, m := range want {
		if exp := expectedRow(m, planSlug); !reflect.DeepEqual(rows[i+1], exp) {
			t.Errorf("row %d:\n got %q\nwant %q", i+1, rows[i+1], exp)
		}
	}
	// One row spelt out, as a reader of the file would check it.
	s1m1 := rows[1]
	if s1m1[0] != "S1.M1" || s1m1[8] != "qianhai-free-trade-zone" || s1m1[10] != "qianhai" || s1m1[11] != "2025; 2030; 2035" ||
		s1m1[12] != "gbi-article" || s1m1[4] != "1" || s1m1[5] != "Seven big projects" || s1m1[6] != "" || s1m1[3] != "PLANNED" {
		t.Errorf("S1.M1 row %q", s1m1)
	}
	if !strings.Contains(string(r.body), "\r\n") {
		t.Error("rows do not end with CRLF (RFC 4180)")
	}
}

func TestMeasuresCSVQuotingAndBOM(t *testing.T) {
	_, srv := setup(t, nil)
	u := srv.URL + "/export/" + quotingSlug + "/measures.csv"
	r := get(t, u)
	if r.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", r.StatusCode, r.body)
	}
	raw := string(r.body)
	for _, quoted := range []string{`"Roads, bridges and ""tunnels"""`, `"Roads, rails and ""ports"""`} {
		if !strings.Contains(raw, quoted) {
			t.Errorf("the CSV lacks the quoted cell %s:\n%s", quoted, raw)
		}
	}
	rows := readCSV(t, r.body)
	var codes []string
	for _, row := range rows[1:] {
		codes = append(codes, row[0])
	}
	if want := []string{"S1.M1", "S1.M2", "S1.M10"}; !reflect.DeepEqual(codes, want) {
		t.Errorf("codes %q, want plan order %q", codes, want)
	}
	m1 := rows[1]
	wantM1 := map[int]string{
		1: `Roads, bridges and "tunnels"`, 2: "道路，桥梁", 3: "IN_PROGRESS", 5: `Roads, rails and "ports"`,
		8: "export-test-alpha; export-test-beta", 10: "export-test-inner", 11: "2027; 2030", 12: "export-test-source",
	}
	for col, want := range wantM1 {
		if m1[col] != want {
			t.Errorf("S1.M1 %s = %q, want %q", export.CSVHeader[col], m1[col], want)
		}
	}
	if rows[2][1] != "=1+2 looks like a formula" || rows[2][3] != "UNKNOWN" {
		t.Errorf("S1.M2 row %q", rows[2])
	}

	// ?bom=1: a byte order mark, and formulas defused for Excel.
	r = get(t, u+"?bom=1")
	if !bytes.HasPrefix(r.body, []byte{0xEF, 0xBB, 0xBF}) {
		t.Fatalf("?bom=1 does not start with a UTF-8 BOM: % x", r.body[:min(8, len(r.body))])
	}
	rows = readCSV(t, bytes.TrimPrefix(r.body, []byte{0xEF, 0xBB, 0xBF}))
	if rows[0][0] != "code" {
		t.Errorf("header after the BOM %q", rows[0])
	}
	if rows[2][1] != "'=1+2 looks like a formula" {
		t.Errorf("?bom=1 leaves a formula live: %q", rows[2][1])
	}
	if rows[1][1] != `Roads, bridges and "tunnels"` {
		t.Errorf("?bom=1 changed an ordinary cell: %q", rows[1][1])
	}
}

// graphOf parses a JSON-LD export into its nodes by @id.
func graphOf(t *testing.T, b []byte) (map[string]any, map[string]map[string]any, []map[string]any) {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("the JSON-LD is not JSON: %v", err)
	}
	ctx, ok := doc["@context"].(map[string]any)
	if !ok {
		t.Fatalf("no @context object: %.300s", b)
	}
	items, _ := doc["@graph"].([]any)
	byID := map[string]map[string]any{}
	var nodes []map[string]any
	for _, it := range items {
		n, ok := it.(map[string]any)
		if !ok {
			t.Fatalf("a @graph item is %T", it)
		}
		id, _ := n["@id"].(string)
		if id == "" {
			t.Errorf("a node without @id: %v", n)
		}
		if byID[id] != nil {
			t.Errorf("two nodes with @id %s", id)
		}
		byID[id] = n
		nodes = append(nodes, n)
	}
	return ctx, byID, nodes
}

func types(n map[string]any) []string {
	switch t := n["@type"].(type) {
	case string:
		return []string{t}
	case []any:
		var out []string
		for _, x := range t {
			out = append(out, x.(string))
		}
		return out
	}
	return nil
}

func strs(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, x := range v {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

func has(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// refTerms are the context's terms whose values are node IRIs.
var refTerms = []string{"about", "inScheme", "topConceptOf", "hasTopConcept", "broader", "isBasedOn", "projects", "places",
	"sectors", "milestones", "containedInPlace", "isPartOf", "wasDerivedFrom"}

func TestJSONLD(t *testing.T) {
	_, srv := setup(t, nil)
	base := srv.URL
	iri := func(id plan.ID) string { return base + "/id/" + id.Global() }
	r := get(t, base+"/export/"+planSlug+".jsonld")
	if r.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", r.StatusCode, r.body)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/ld+json" {
		t.Errorf("Content-Type %q", ct)
	}
	ctx, byID, nodes := graphOf(t, r.body)
	for term, want := range map[string]string{"schema": "https://schema.org/", "skos": "http://www.w3.org/2004/02/skos/core#", "prov": "http://www.w3.org/ns/prov#"} {
		if ctx[term] != want {
			t.Errorf("@context %s = %v, want %s", term, ctx[term], want)
		}
	}
	for _, term := range append(refTerms, "name", "identifier", "actionStatus", "citation", "text", "endDate", "status") {
		if ctx[term] == nil {
			t.Errorf("@context does not define %q", term)
		}
	}

	p := byID[iri(plan.NewID(plan.KindPlan, planSlug))]
	if p == nil {
		t.Fatal("the plan is not in the graph")
	}
	if ts := types(p); !has(ts, "CreativeWork") || !has(ts, "ConceptScheme") {
		t.Errorf("plan types %q", ts)
	}
	if p["isBasedOn"] != iri(plan.NewID(plan.KindPlan, parentSlug)) || byID[iri(plan.NewID(plan.KindPlan, parentSlug))] == nil {
		t.Errorf("plan isBasedOn %v, or the parent plan is missing", p["isBasedOn"])
	}
	if got := len(strs(p["hasTopConcept"])); got != 3 {
		t.Errorf("the plan has %d top concepts, want its 3 sections", got)
	}

	// Every measure of the file, once.
	want := planMeasures(t, bundled, planSlug)
	var codes, wantCodes []string
	for _, n := range nodes {
		if has(types(n), "Action") {
			codes = append(codes, n["identifier"].(string))
			if !has(types(n), "Concept") || n["inScheme"] != p["@id"] || n["broader"] == nil || n["name"] == nil {
				t.Errorf("measure %v lacks types, scheme, broader or name: %v", n["identifier"], n)
			}
		}
	}
	for _, m := range want {
		wantCodes = append(wantCodes, m.Code)
	}
	sort.Strings(codes)
	sort.Strings(wantCodes)
	if !reflect.DeepEqual(codes, wantCodes) {
		t.Errorf("measures in the JSON-LD %q\nwant %q", codes, wantCodes)
	}

	// S1.M1 and its links, as in the file.
	m := byID[iri(plan.NewID(plan.KindMeasure, planSlug+"/S1.M1"))]
	if m == nil {
		t.Fatal("S1.M1 is not in the graph")
	}
	checks := map[string]any{
		"identifier":   "S1.M1",
		"name":         "Further reform of the Qianhai free trade zone",
		"actionStatus": "schema:PotentialActionStatus",
		"status":       "PLANNED",
		"broader":      iri(plan.NewID(plan.KindSection, planSlug+"/S1")),
		"projects":     []any{iri(plan.NewID(plan.KindProject, "qianhai-free-trade-zone"))},
		"places":       []any{iri(plan.NewID(plan.KindPlace, "qianhai"))},
		"milestones":   []any{iri(plan.NewID(plan.KindMilestone, "2025")), iri(plan.NewID(plan.KindMilestone, "2030")), iri(plan.NewID(plan.KindMilestone, "2035"))},
		"endDate":      map[string]any{"@value": "2025", "@type": "xsd:gYear"},
	}
	for k, v := range checks {
		if !reflect.DeepEqual(m[k], v) {
			t.Errorf("S1.M1 %s = %v, want %v", k, m[k], v)
		}
	}
	src := iri(plan.NewID(plan.KindSource, "gbi-article"))
	if !has(strs(m["wasDerivedFrom"]), src) {
		t.Errorf("S1.M1 wasDerivedFrom %v, want %s", m["wasDerivedFrom"], src)
	}
	var quoted, linkQuoted bool
	cites, _ := m["citation"].([]any)
	for _, c := range cites {
		q := c.(map[string]any)
		if q["@type"] != "Quotation" || q["isPartOf"] != src {
			t.Errorf("citation %v", q)
		}
		if q["text"] == "further reform of the Qianhai free trade zone" && q["about"] == nil {
			quoted = true
		}
		if q["supports"] == "projects" && q["about"] == iri(plan.NewID(plan.KindProject, "qianhai-free-trade-zone")) {
			linkQuoted = true
		}
	}
	if !quoted || !linkQuoted {
		t.Errorf("S1.M1 citations lack its excerpt (%v) or its project link's (%v): %v", quoted, linkQuoted, cites)
	}
	if pl := byID[iri(plan.NewID(plan.KindPlace, "qianhai"))]; pl == nil || pl["nameZh"] != "前海" || !has(types(pl), "Place") {
		t.Errorf("place Qianhai: %v", pl)
	}
	if s := byID[src]; s == nil || s["url"] == nil || !has(types(s), "CreativeWork") {
		t.Errorf("source gbi-article: %v", s)
	}

	// Every @id is under the base, and every IRI a node links to is a node of the graph.
	for id, n := range byID {
		if !strings.HasPrefix(id, base+"/") {
			t.Errorf("@id %s is not under %s", id, base)
		}
		for _, term := range refTerms {
			for _, target := range strs(n[term]) {
				if byID[target] == nil {
					t.Errorf("%s %s %s: no such node in the export", id, term, target)
				}
			}
		}
		cs, _ := n["citation"].([]any)
		for _, c := range cs {
			for _, term := range []string{"isPartOf", "about"} {
				if target, ok := c.(map[string]any)[term].(string); ok && byID[target] == nil {
					t.Errorf("%s citation %s %s: no such node", id, term, target)
				}
			}
		}
	}

	// Every key of every node is a term of the @context (JSON-LD drops the others silently).
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if !strings.HasPrefix(k, "@") && ctx[k] == nil {
					t.Errorf("key %q is not defined in the @context", k)
				}
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	for _, n := range nodes {
		walk(n)
	}

	// The same document twice: byte for byte, same ETag; If-None-Match gives 304.
	again := get(t, base+"/export/"+planSlug+".jsonld")
	if !bytes.Equal(again.body, r.body) || again.Header.Get("ETag") != r.Header.Get("ETag") || r.Header.Get("ETag") == "" {
		t.Error("two exports of the same data differ")
	}
	nm := do(t, http.MethodGet, base+"/export/"+planSlug+".jsonld", map[string]string{"If-None-Match": r.Header.Get("ETag")})
	if nm.StatusCode != http.StatusNotModified || len(nm.body) != 0 {
		t.Errorf("If-None-Match: status %d, %d bytes", nm.StatusCode, len(nm.body))
	}
}

// A place the measure names lies within another: the export holds both,
// linked with schema:containedInPlace.
func TestJSONLDWithin(t *testing.T) {
	_, srv := setup(t, nil)
	iri := func(id plan.ID) string { return srv.URL + "/id/" + id.Global() }
	r := get(t, srv.URL+"/export/"+quotingSlug+".jsonld")
	if r.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", r.StatusCode, r.body)
	}
	_, byID, _ := graphOf(t, r.body)
	inner := byID[iri(plan.NewID(plan.KindPlace, "export-test-inner"))]
	outer := iri(plan.NewID(plan.KindPlace, "export-test-outer"))
	if inner == nil || inner["containedInPlace"] != outer || byID[outer] == nil {
		t.Fatalf("inner place %v, outer present: %v", inner, byID[outer] != nil)
	}
	m := byID[iri(plan.NewID(plan.KindMeasure, quotingSlug+"/S1.M1"))]
	if m["actionStatus"] != "schema:ActiveActionStatus" || m["nameZh"] != "道路，桥梁" {
		t.Errorf("S1.M1: %v", m)
	}
	if m["endDate"].(map[string]any)["@value"] != "2027" {
		t.Errorf("S1.M1 endDate %v, want the earliest milestone 2027", m["endDate"])
	}
	m2 := byID[iri(plan.NewID(plan.KindMeasure, quotingSlug+"/S1.M2"))]
	if m2["status"] != "UNKNOWN" || m2["actionStatus"] != nil {
		t.Errorf("S1.M2 status %v, actionStatus %v", m2["status"], m2["actionStatus"])
	}
}

// Every @id of the export resolves: /id/<global id> redirects (303) to a
// GraphQL query that the real API answers with that very node.
func TestIDsResolve(t *testing.T) {
	_, srv := setup(t, nil)
	r := get(t, srv.URL+"/export/"+planSlug+".jsonld")
	_, byID, _ := graphOf(t, r.body)
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	measure := plan.NewID(plan.KindMeasure, planSlug+"/S1.M1")
	t.Run("redirect target", func(t *testing.T) {
		resp, err := noFollow.Get(srv.URL + "/id/" + measure.Global())
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("status %d, want 303", resp.StatusCode)
		}
		loc, err := url.Parse(resp.Header.Get("Location"))
		if err != nil || loc.Path != "/graphql" || srv.URL+"/graphql" != loc.Scheme+"://"+loc.Host+loc.Path {
			t.Fatalf("Location %q", resp.Header.Get("Location"))
		}
		q := loc.Query().Get("query")
		if q != export.NodeQuery(measure) || !strings.Contains(q, `node(id: "`+measure.Global()+`")`) || !strings.Contains(q, "... on Measure") {
			t.Errorf("query %q", q)
		}
	})

	n := 0
	for id, node := range byID {
		gid, ok := strings.CutPrefix(id, srv.URL+"/id/")
		if !ok {
			continue // the dataset's own URL
		}
		n++
		r := get(t, id) // follows the redirect to the real GraphQL handler
		var out struct {
			Data struct {
				Node map[string]any `json:"node"`
			} `json:"data"`
			Errors []any `json:"errors"`
		}
		if err := json.Unmarshal(r.body, &out); err != nil || r.StatusCode != http.StatusOK {
			t.Fatalf("%s: status %d, %s", id, r.StatusCode, r.body)
		}
		if len(out.Errors) > 0 || out.Data.Node["id"] != gid {
			t.Errorf("%s resolves to %s", id, r.body)
			continue
		}
		want, _ := plan.ParseGlobalID(gid)
		if out.Data.Node["__typename"] != string(want.Kind()) {
			t.Errorf("%s: __typename %v, want %s", id, out.Data.Node["__typename"], want.Kind())
		}
		if ident, ok := node["identifier"].(string); ok && want.Kind() == plan.KindMeasure && out.Data.Node["code"] != ident {
			t.Errorf("%s: code %v, the export says %s", id, out.Data.Node["code"], ident)
		}
	}
	if n < 38 {
		t.Errorf("resolved %d ids, want at least the 38 measures", n)
	}

	for name, tc := range map[string]struct {
		path   string
		status int
	}{
		"unknown id":   {"/id/" + plan.NewID(plan.KindMeasure, planSlug+"/S9.M9").Global(), http.StatusNotFound},
		"malformed id": {"/id/not-an-id!", http.StatusBadRequest},
		"unknown kind": {"/id/" + plan.ID("Nope:x").Global(), http.StatusBadRequest},
		"empty":        {"/id/", http.StatusNotFound},
	} {
		t.Run(name, func(t *testing.T) {
			resp, err := noFollow.Get(srv.URL + tc.path)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tc.status)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	_, srv := setup(t, nil)
	cases := []struct {
		name, method, path string
		status             int
	}{
		{"unknown plan JSON-LD", "GET", "/export/no-such-plan.jsonld", 404},
		{"unknown plan CSV", "GET", "/export/no-such-plan/measures.csv", 404},
		{"upper case", "GET", "/export/Shenzhen.jsonld", 400},
		{"underscore", "GET", "/export/not_a_slug/measures.csv", 400},
		{"double hyphen", "GET", "/export/a--b.jsonld", 400},
		{"trailing hyphen", "GET", "/export/a-/measures.csv", 400},
		{"percent-encoded", "GET", "/export/%C3%A9t%C3%A9.jsonld", 400},
		{"too long", "GET", "/export/" + strings.Repeat("a", 201) + ".jsonld", 400},
		{"empty slug", "GET", "/export/.jsonld", 400},
		{"unknown format", "GET", "/export/" + planSlug + ".xml", 404},
		{"unknown file", "GET", "/export/" + planSlug + "/projects.csv", 404},
		{"POST", "POST", "/export/" + planSlug + ".jsonld", 405},
		{"DELETE id", "DELETE", "/id/" + plan.NewID(plan.KindPlan, planSlug).Global(), 405},
		{"PUT CSV", "PUT", "/export/" + planSlug + "/measures.csv", 405},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := do(t, tc.method, srv.URL+tc.path, nil)
			if r.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", r.StatusCode, tc.status, r.body)
			}
			if ct := r.Header.Get("Content-Type"); ct != "text/plain; charset=utf-8" {
				t.Errorf("Content-Type %q", ct)
			}
			if len(r.body) == 0 || len(r.body) > 200 {
				t.Errorf("message %q: want a short one", r.body)
			}
			if r.Header.Get("Content-Disposition") != "" {
				t.Errorf("an error with Content-Disposition %q", r.Header.Get("Content-Disposition"))
			}
			if tc.status == 405 && r.Header.Get("Allow") != "GET, HEAD" {
				t.Errorf("Allow %q", r.Header.Get("Allow"))
			}
		})
	}
	t.Run("HEAD", func(t *testing.T) {
		g := get(t, srv.URL+"/export/"+planSlug+"/measures.csv")
		h := do(t, http.MethodHead, srv.URL+"/export/"+planSlug+"/measures.csv", nil)
		if h.StatusCode != 200 || len(h.body) != 0 || h.Header.Get("Content-Length") != strconv.Itoa(len(g.body)) || h.Header.Get("ETag") != g.Header.Get("ETag") {
			t.Errorf("HEAD: status %d, %d bytes, Content-Length %q (GET has %d bytes)", h.StatusCode, len(h.body), h.Header.Get("Content-Length"), len(g.body))
		}
	})
	t.Run("vocabulary", func(t *testing.T) {
		// Every kg: term of the context is described at /export/vocab, so its IRI resolves too.
		r := get(t, srv.URL+"/export/vocab")
		var doc map[string]any
		if r.StatusCode != 200 || json.Unmarshal(r.body, &doc) != nil || r.Header.Get("Content-Type") != "application/ld+json" {
			t.Fatalf("vocabulary: status %d: %.300s", r.StatusCode, r.body)
		}
		for term, def := range export.Context(srv.URL) {
			iri, _ := def.(string)
			if m, ok := def.(map[string]any); ok {
				iri, _ = m["@id"].(string)
			}
			if name, ok := strings.CutPrefix(iri, "kg:"); ok && !strings.Contains(string(r.body), `"`+srv.URL+"/export/vocab#"+name+`"`) {
				t.Errorf("term %s (%s) is not described at /export/vocab", term, iri)
			}
		}
	})
}

// The export takes a fixed number of round trips: the same for the plan
// with 38 measures as for its parent with none.
func TestRoundTrips(t *testing.T) {
	st, _ := setup(t, nil)
	count := func(slug string) (int, *store.PlanExport) {
		var rt plan.RoundTrips
		e, err := st.ExportPlan(plan.WithRoundTrips(context.Background(), &rt), slug)
		if err != nil {
			t.Fatal(err)
		}
		return rt.Count(), e
	}
	big, e := count(planSlug)
	small, parent := count(parentSlug)
	if len(e.Measures) != 38 || parent == nil || len(parent.Measures) != 0 {
		t.Fatalf("exports hold %d and %v measures", len(e.Measures), parent)
	}
	if big != small || big > 2 {
		t.Errorf("round trips: %d for 38 measures, %d for none; want the same, at most 2", big, small)
	}
	if n, missing := count("no-such-plan"); n != 1 || missing != nil {
		t.Errorf("an unknown plan: %d round trips, export %v", n, missing)
	}
	if parent.Plan.Slug != parentSlug || parent.Parent != nil || len(parent.Milestones) != 3 {
		t.Errorf("parent export: plan %s, parent %v, %d milestones", parent.Plan.Slug, parent.Parent, len(parent.Milestones))
	}

	// Over HTTP too, for both formats.
	for _, path := range []string{"/measures.csv", ".jsonld"} {
		var counts []int
		for _, slug := range []string{planSlug, parentSlug} {
			var rt plan.RoundTrips
			_, srv := setup(t, &rt)
			if r := get(t, srv.URL+"/export/"+slug+path); r.StatusCode != 200 {
				t.Fatalf("%s%s: status %d", slug, path, r.StatusCode)
			}
			counts = append(counts, rt.Count())
		}
		if counts[0] != counts[1] || counts[0] > 2 {
			t.Errorf("%s: round trips %v for 38 and 0 measures", path, counts)
		}
	}

	// The parent's CSV is its header alone.
	_, srv := setup(t, nil)
	rows := readCSV(t, get(t, srv.URL+"/export/"+parentSlug+"/measures.csv").body)
	if len(rows) != 1 {
		t.Errorf("the parent plan's CSV has %d rows, want the header alone", len(rows))
	}
}

// eventRowOf is the events.csv row the file says an event has: every field
// as the file gives it, multi-valued cells sorted and joined with "; ".
func eventRowOf(ds *dataset.Dataset, ev dataset.Event) []string {
	join := func(v []string) string {
		v = append([]string(nil), v...)
		sort.Strings(v)
		out := v[:0]
		for i, s := range v {
			if i == 0 || s != v[i-1] {
				out = append(out, s)
			}
		}
		return strings.Join(out, "; ")
	}
	urls := map[string]string{}
	for _, s := range ds.Sources {
		urls[s.ID] = s.URL
	}
	var qs, srcURLs, facts, srcs, measures []string
	for _, q := range ev.Quantities {
		qs = append(qs, q.Of+": "+strconv.FormatFloat(q.Value, 'f', -1, 64)+" "+q.Unit)
	}
	for _, r := range ev.Sources {
		if urls[r.Source] != "" {
			srcURLs = append(srcURLs, urls[r.Source])
		}
		if r.Fact != "" {
			facts = append(facts, r.Fact)
		}
		srcs = append(srcs, r.Source)
	}
	for _, m := range ev.Measures {
		measures = append(measures, strings.TrimPrefix(m, planSlug+"/"))
	}
	_, _, precision, _ := plan.DateSpan(ev.Date)
	target := ""
	if ev.Target != 0 {
		target = strconv.Itoa(ev.Target)
	}
	// Measures sort in code order in the export (S1.M10 after S1.M2).
	sort.Slice(measures, func(i, j int) bool { return store.CodeKey(measures[i]) < store.CodeKey(measures[j]) })
	return []string{
		ev.Slug, ev.Date, string(precision), ev.DateNote, ev.Kind, ev.Title, strconv.FormatBool(ev.Confirmed), target,
		strings.Join(qs, "; "), strings.Join(measures, "; "), join(ev.Projects), join(ev.Places), join(ev.Plans),
		join(srcURLs), join(facts), join(srcs), plan.NewID(plan.KindEvent, ev.Slug).Global(),
	}
}

// events.csv holds every event of the bundled file that concerns the plan,
// its parent, a measure, project or place of the plan, each row exactly as
// the file gives the event, by date.
func TestEventsCSV(t *testing.T) {
	st, srv := setup(t, nil)
	r := get(t, srv.URL+"/export/"+planSlug+"/events.csv")
	if r.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", r.StatusCode, r.body)
	}
	if ct := r.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	if cd := r.Header.Get("Content-Disposition"); cd != `attachment; filename="`+planSlug+`-events.csv"` {
		t.Errorf("Content-Disposition %q", cd)
	}
	rows := readCSV(t, r.body)
	if !reflect.DeepEqual(rows[0], export.EventsCSVHeader) {
		t.Fatalf("header %q", rows[0])
	}
	rows = rows[1:]
	byFile := map[string]dataset.Event{}
	for _, ev := range bundled.Events {
		byFile[ev.Slug] = ev
	}
	// Every event the plan's timeline holds is there (those of the plan and its measures).
	e, err := st.ExportPlan(context.Background(), planSlug)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(e.Events) || len(rows) < 78 {
		t.Errorf("%d rows, %d events in the export; want at least the plan timeline's 78", len(rows), len(e.Events))
	}
	got := map[string][]string{}
	var starts []string
	for _, row := range rows {
		if len(row) != len(export.EventsCSVHeader) {
			t.Fatalf("row %q has %d cells", row, len(row))
		}
		ev, ok := byFile[row[0]]
		if !ok {
			t.Errorf("row %q: no such event in the file", row[0])
			continue
		}
		got[row[0]] = row
		first, _, _, _ := plan.DateSpan(row[1])
		starts = append(starts, first+" "+row[0])
		if want := eventRowOf(bundled, ev); !reflect.DeepEqual(row, want) {
			t.Errorf("row of %s:\n got %q\nwant %q", row[0], row, want)
		}
	}
	if !sort.StringsAreSorted(starts) {
		t.Errorf("rows are not by date, then slug: %q", starts)
	}
	for _, ev := range bundled.Events {
		if _, ok := got[ev.Slug]; !ok && (len(ev.Measures) > 0 || has(ev.Plans, planSlug)) {
			t.Errorf("event %s concerns the plan or its measures but has no row", ev.Slug)
		}
	}

	// Real rows, spelled out.
	wantRows := map[string][]string{
		"qianhai-zone-expanded-2021": {"qianhai-zone-expanded-2021", "2021-09-06", "DAY", "the page (2021-09-07) says the plan was made public on Monday", "EXPANDED",
			"Central plan enlarges the Qianhai cooperation zone", "true", "", "area before: 14.92 km2; area after: 120.56 km2"},
		"qianhai-target-2035-set-2023": {"qianhai-target-2035-set-2023", "2023-12-21", "DAY", "", "TARGET_SET",
			"Qianhai plan sets its 2035 goals", "true", "2035", ""},
		"chinext-reform-plan-approved-2020": {"chinext-reform-plan-approved-2020", "2020-04-27", "DAY", "", "APPROVED",
			"Central reform commission approves the ChiNext reform and registration-system plan", "true", "", ""},
	}
	for slug, want := range wantRows {
		if row := got[slug]; row == nil || !reflect.DeepEqual(row[:len(want)], want) {
			t.Errorf("row %s = %q, want it to start %q", slug, row, want)
		}
	}
	if row := got["qianhai-zone-expanded-2021"]; row != nil {
		if row[10] != "qianhai-free-trade-zone" || row[14] != "F20" ||
			!strings.Contains(row[13], "http://english.scio.gov.cn/topnews/2021-09/07/content_77737331.htm") {
			t.Errorf("qianhai-zone-expanded-2021: projects %q, facts %q, urls %q", row[10], row[14], row[13])
		}
	}

	// ?bom=1 for Excel; HEAD; an unknown plan.
	if b := get(t, srv.URL+"/export/"+planSlug+"/events.csv?bom=1").body; !bytes.HasPrefix(b, []byte("\uFEFFslug,")) {
		t.Errorf("?bom=1 starts %q", b[:min(len(b), 12)])
	}
	if r := get(t, srv.URL+"/export/no-such-plan/events.csv"); r.StatusCode != http.StatusNotFound {
		t.Errorf("unknown plan: status %d", r.StatusCode)
	}
	// The parent plan's events are those that concern it.
	rows = readCSV(t, get(t, srv.URL+"/export/"+parentSlug+"/events.csv").body)[1:]
	for _, row := range rows {
		if !has(strings.Split(row[12], "; "), parentSlug) {
			t.Errorf("the parent's events.csv holds %s, which does not concern it", row[0])
		}
	}
}

// The JSON-LD holds the events as schema:Event with their date, what they
// concern and their sources (prov:wasDerivedFrom and a qualified derivation
// with the claim and the public fact's id).
func TestJSONLDEvents(t *testing.T) {
	_, srv := setup(t, nil)
	base := srv.URL
	iri := func(id plan.ID) string { return base + "/id/" + id.Global() }
	r := get(t, base+"/export/"+planSlug+".jsonld")
	if r.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", r.StatusCode, r.body)
	}
	ctx, byID, nodes := graphOf(t, r.body)
	if ctx["Event"] != "schema:Event" || ctx["startDate"] != "schema:startDate" {
		t.Errorf("@context Event %v, startDate %v", ctx["Event"], ctx["startDate"])
	}
	var events int
	for _, n := range nodes {
		if has(types(n), "Event") {
			events++
			if n["name"] == nil || n["startDate"] == nil || len(strs(n["about"])) == 0 || len(strs(n["wasDerivedFrom"])) == 0 {
				t.Errorf("event %v lacks a name, startDate, about or source", n["identifier"])
			}
		}
	}
	csvRows := readCSV(t, get(t, base+"/export/"+planSlug+"/events.csv").body)
	if events != len(csvRows)-1 {
		t.Errorf("%d events in the JSON-LD, %d in events.csv", events, len(csvRows)-1)
	}

	ev := byID[iri(plan.NewID(plan.KindEvent, "qianhai-zone-expanded-2021"))]
	if ev == nil {
		t.Fatal("qianhai-zone-expanded-2021 is not in the graph")
	}
	for k, v := range map[string]any{
		"@type":         "Event",
		"identifier":    "qianhai-zone-expanded-2021",
		"name":          "Central plan enlarges the Qianhai cooperation zone",
		"startDate":     map[string]any{"@value": "2021-09-06", "@type": "xsd:date"},
		"eventKind":     "EXPANDED",
		"datePrecision": "DAY",
		"confirmed":     true,
	} {
		if !reflect.DeepEqual(ev[k], v) {
			t.Errorf("event %s = %v, want %v", k, ev[k], v)
		}
	}
	about := strs(ev["about"])
	for _, id := range []plan.ID{plan.NewID(plan.KindProject, "qianhai-free-trade-zone"), plan.NewID(plan.KindPlace, "qianhai")} {
		if !has(about, iri(id)) {
			t.Errorf("event about %q lacks %s", about, iri(id))
		}
	}
	qs, _ := ev["additionalProperty"].([]any)
	if len(qs) != 2 || qs[1].(map[string]any)["name"] != "area after" || qs[1].(map[string]any)["value"] != 120.56 || qs[1].(map[string]any)["unitText"] != "km2" {
		t.Errorf("quantities %v", qs)
	}
	var claimed bool
	ds, _ := ev["qualifiedDerivation"].([]any)
	for _, d := range ds {
		d := d.(map[string]any)
		src, _ := d["entity"].(string)
		if d["@type"] != "Derivation" || byID[src] == nil || !has(strs(ev["wasDerivedFrom"]), src) || d["claim"] == nil || d["fact"] != "F20" {
			t.Errorf("derivation %v", d)
		}
		if s := byID[src]; s != nil && s["url"] == "http://english.scio.gov.cn/topnews/2021-09/07/content_77737331.htm" {
			claimed = s["authority"] == "OFFICIAL" && strings.Contains(d["claim"].(string), "14.92 to 120.56 sq km")
		}
	}
	if !claimed {
		t.Errorf("no derivation from the official SCIO page with its claim: %v", ds)
	}
	// Month and year precision type the date accordingly.
	if m := byID[iri(plan.NewID(plan.KindEvent, "qianhai-hk-firms-2021"))]; m == nil ||
		!reflect.DeepEqual(m["startDate"], map[string]any{"@value": "2021-08", "@type": "xsd:gYearMonth"}) {
		t.Errorf("qianhai-hk-firms-2021: %v", m)
	}
	if tgt := byID[iri(plan.NewID(plan.KindEvent, "qianhai-target-2035-set-2023"))]; tgt == nil || tgt["targetYear"] != "2035" {
		t.Errorf("qianhai-target-2035-set-2023: %v", tgt)
	}
}

// TestJSONLDRecords: the organisations that acted in the export's events,
// a kind the export knows only from the graph model, are in the JSON-LD
// with their properties, the events they acted in and their citations, and
// the vocabulary describes their class and terms.
func TestJSONLDRecords(t *testing.T) {
	_, srv := setup(t, nil)
	base := srv.URL
	iri := func(id plan.ID) string { return base + "/id/" + id.Global() }
	r := get(t, base+"/export/"+planSlug+".jsonld")
	if r.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", r.StatusCode, r.body)
	}
	_, byID, nodes := graphOf(t, r.body)
	var orgs int
	for _, n := range nodes {
		if has(types(n), "Organization") {
			orgs++
			if n["identifier"] == nil || n["name"] == nil || len(strs(n["events"])) == 0 || len(strs(n["wasDerivedFrom"])) == 0 {
				t.Errorf("organisation %v lacks an identifier, name, events or source", n["identifier"])
			}
			for _, ev := range strs(n["events"]) {
				if byID[ev] == nil {
					t.Errorf("organisation %v acted in %s, which the export lacks", n["identifier"], ev)
				}
			}
		}
	}
	if orgs < 2 {
		t.Errorf("%d organisations in the export, want every one that acted in its events (9 in the bundled data)", orgs)
	}
	sc := byID[iri(plan.NewID(plan.KindOrganization, "state-council"))]
	if sc == nil {
		t.Fatal("state-council is not in the graph")
	}
	if sc["name"] != "State Council" || sc["level"] != "national" ||
		!reflect.DeepEqual(strs(sc["events"]), []string{iri(plan.NewID(plan.KindEvent, "central-opinions-dated-2019"))}) {
		t.Errorf("state-council = %v", sc)
	}
	var vocab struct {
		Graph []map[string]any `json:"@graph"`
	}
	if err := json.Unmarshal(get(t, base+"/export/vocab").body, &vocab); err != nil {
		t.Fatal(err)
	}
	terms := map[string]bool{}
	for _, term := range vocab.Graph {
		id, _ := term["@id"].(string)
		terms[id[strings.LastIndex(id, "#")+1:]] = true
	}
	for _, want := range []string{"Organization", "level", "events"} {
		if !terms[want] {
			t.Errorf("the vocabulary lacks kg:%s", want)
		}
	}
}
