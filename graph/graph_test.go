package graph_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/shenzhenplan/kgapi/dataset"
	"github.com/shenzhenplan/kgapi/internal/testneo4j"
	"github.com/shenzhenplan/kgapi/plan"
	"github.com/shenzhenplan/kgapi/server"
	"github.com/shenzhenplan/kgapi/store"
)

func TestMain(m *testing.M) { os.Exit(testneo4j.Main(m)) }

// bundledFile is the bundled dataset, relative to the graph folder.
const bundledFile = "../data/shenzhen-2019-2025.yaml"

var (
	bundledOnce sync.Once
	bundledErr  = errors.New("the bundled dataset was not loaded (see the first test's failure)")
	bundledX    *expect
)

// loadBundled wipes the test database and loads the bundled dataset into
// it, once per test binary, and returns what the file says.
func loadBundled(t testing.TB) *expect {
	t.Helper()
	testneo4j.Connection(t) // skips under -short
	bundledOnce.Do(func() {
		ds, err := dataset.Parse(bundledFile)
		if err != nil {
			bundledErr = fmt.Errorf("parse %s: %w", bundledFile, err)
			return
		}
		s := testneo4j.Store(t)
		testneo4j.Wipe(t, s)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if err := s.EnsureSchema(ctx); err != nil {
			bundledErr = fmt.Errorf("ensure schema: %w", err)
			return
		}
		name := strings.TrimSuffix(filepath.Base(bundledFile), filepath.Ext(bundledFile))
		if _, err := s.Load(ctx, store.ToRows(ds, name), store.LoadOptions{}); err != nil {
			bundledErr = fmt.Errorf("load %s: %w", bundledFile, err)
			return
		}
		bundledX = newExpect(ds)
		bundledErr = nil
	})
	if bundledErr != nil {
		t.Fatal(bundledErr)
	}
	return bundledX
}

// env is one test's view of the API over the bundled data.
type env struct {
	x   *expect
	st  *store.Store
	url string // the /graphql endpoint
	srv *httptest.Server
}

// newEnv loads the bundled data (once) and serves the API for this test.
func newEnv(t *testing.T) *env {
	t.Helper()
	x := loadBundled(t)
	st := testneo4j.Store(t)
	srv := httptest.NewServer(server.NewHandler(server.Deps{Store: st, Log: zap.NewNop(), Limits: bigLimits()}))
	t.Cleanup(srv.Close)
	return &env{x: x, st: st, url: srv.URL + "/graphql", srv: srv}
}

// gqlError is one entry of a response's errors.
type gqlError struct {
	Message   string         `json:"message"`
	Path      []any          `json:"path"`
	Locations []gqlLocation  `json:"locations"`
	Ext       map[string]any `json:"extensions"`
}

type gqlLocation struct {
	Line   int `json:"line"`
	Column int `json:"column"`
}

func (e gqlError) code() string {
	c, _ := e.Ext["code"].(string)
	return c
}

// response is a decoded GraphQL response with its HTTP envelope.
type response struct {
	Status int
	Header http.Header
	Body   []byte
	Data   json.RawMessage `json:"data"`
	Errors []gqlError      `json:"errors"`
}

// hasData reports whether the response carries a non-null data member.
func (r response) hasData() bool {
	return len(r.Data) > 0 && string(r.Data) != "null"
}

// codes lists the extensions.code of every error.
func (r response) codes() []string {
	var out []string
	for _, e := range r.Errors {
		out = append(out, e.code())
	}
	return out
}

// post sends a GraphQL request as a JSON POST and decodes the answer.
func post(t testing.TB, url, query string, vars map[string]any) response {
	t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	return do(t, req)
}

// do sends req and decodes a GraphQL response.
func do(t testing.TB, req *http.Request) response {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	out := response{Status: resp.StatusCode, Header: resp.Header, Body: b}
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("%s %s: status %d, body is not a GraphQL response: %v\n%s", req.Method, req.URL, resp.StatusCode, err, b)
	}
	return out
}

// query posts a query that must succeed and decodes its data into v.
func query(t testing.TB, url, q string, vars map[string]any, v any) {
	t.Helper()
	r := post(t, url, q, vars)
	if len(r.Errors) > 0 || r.Status != http.StatusOK {
		t.Fatalf("query failed (status %d): %s\nquery: %s\nvars: %v", r.Status, r.Body, q, vars)
	}
	if err := json.Unmarshal(r.Data, v); err != nil {
		t.Fatalf("decode data: %v\n%s", err, r.Data)
	}
}

// wantError checks that r failed with one error of code whose message
// contains every one of words, and returns it.
func wantError(t testing.TB, r response, code string, words ...string) gqlError {
	t.Helper()
	if len(r.Errors) == 0 {
		t.Fatalf("want a %s error, got none: %s", code, r.Body)
	}
	for _, e := range r.Errors {
		if e.code() != code {
			continue
		}
		for _, w := range words {
			if !strings.Contains(e.Message, w) {
				t.Errorf("error %q should mention %q", e.Message, w)
			}
		}
		return e
	}
	t.Fatalf("want a %s error, got codes %v: %s", code, r.codes(), r.Body)
	return gqlError{}
}

// gid is the global id of the node of kind k with natural key key.
func gid(k plan.Kind, key string) string { return plan.NewID(k, key).Global() }

// ---------------------------------------------------------------------------
// What the dataset file says, in the shapes the tests compare against.

type srcRef struct {
	ID      string // global id of the source
	Excerpt string
}

type measureX struct {
	Plan        string // plan slug
	Code        string
	CodeKey     string
	ID          string // global id
	RawID       string // plan.ID text
	Title       string
	TitleZh     string
	Description string
	Status      string
	Section     int
	Aspect      int // 0 when none
	Year        *int
	Projects    []string
	Sectors     []string
	Places      []string
	Milestones  []string
	Sources     []srcRef
}

// edge is a relationship of the graph between two global ids.
type edge struct{ From, Type, To string }

func (e edge) String() string { return e.From + " -" + e.Type + "-> " + e.To }

type expect struct {
	ds       *dataset.Dataset
	measures []*measureX // every measure, in file order
	byCode   map[string]*measureX
	years    map[string]int    // milestone slug → year
	within   map[string]string // place slug → the place that contains it
	edges    map[edge]bool     // every non-provenance relationship
	labels   map[string]string // global id → display label
	types    map[string]string // global id → node type
	texts    map[string][]string
	sources  map[string]dataset.Source
}

func newExpect(ds *dataset.Dataset) *expect {
	x := &expect{ds: ds, byCode: map[string]*measureX{}, years: map[string]int{}, within: map[string]string{},
		edges: map[edge]bool{}, labels: map[string]string{}, types: map[string]string{}, texts: map[string][]string{},
		sources: map[string]dataset.Source{}}
	node := func(k plan.Kind, key, label string, texts ...string) string {
		id := gid(k, key)
		x.labels[id], x.types[id], x.texts[id] = label, string(k), texts
		return id
	}
	link := func(from string, typ string, to string) { x.edges[edge{from, typ, to}] = true }
	for _, s := range ds.Sources {
		x.sources[s.ID] = s
	}
	for _, m := range ds.Milestones {
		x.years[m.Slug] = m.Year
		node(plan.KindMilestone, m.Slug, m.Label, m.Label)
	}
	for _, s := range ds.Sectors {
		node(plan.KindSector, s.Slug, s.Name, s.Name, s.NameZh)
	}
	for _, p := range ds.Places {
		id := node(plan.KindPlace, p.Slug, p.Name, p.Name, p.NameZh)
		if p.Within != nil {
			x.within[p.Slug] = p.Within.To
			link(id, "WITHIN", gid(plan.KindPlace, p.Within.To))
		}
	}
	for _, p := range ds.Projects {
		id := node(plan.KindProject, p.Slug, p.Name, p.Name, p.NameZh, p.Description)
		for _, l := range p.Places {
			link(id, "LOCATED_IN", gid(plan.KindPlace, l.To))
		}
		for _, l := range p.Sectors {
			link(id, "IN_SECTOR", gid(plan.KindSector, l.To))
		}
		for _, l := range p.Milestones {
			link(id, "DUE_BY", gid(plan.KindMilestone, l.To))
		}
	}
	for _, p := range ds.Plans {
		pid := node(plan.KindPlan, p.Slug, p.Title, p.Title, p.TitleZh, p.Summary)
		if p.Parent != nil {
			link(pid, "PARENT", gid(plan.KindPlan, p.Parent.To))
		}
		for _, l := range p.Milestones {
			link(pid, "HAS_MILESTONE", gid(plan.KindMilestone, l.To))
		}
		for _, sec := range p.Sections {
			sid := node(plan.KindSection, fmt.Sprintf("%s/S%d", p.Slug, sec.Number), fmt.Sprintf("Section %d: %s", sec.Number, sec.Title), sec.Title, sec.Summary)
			link(pid, "HAS_SECTION", sid)
			add := func(parent string, aspect int, m dataset.Measure) {
				mx := &measureX{Plan: p.Slug, Code: m.Code, CodeKey: store.CodeKey(m.Code), Title: m.Title, TitleZh: m.TitleZh,
					Description: m.Description, Status: m.Status, Section: sec.Number, Aspect: aspect}
				if mx.Status == "" {
					mx.Status = dataset.StatusUnknown
				}
				mx.RawID = string(plan.NewID(plan.KindMeasure, p.Slug+"/"+m.Code))
				mx.ID = node(plan.KindMeasure, p.Slug+"/"+m.Code, m.Code+" "+m.Title, m.Code, m.Title, m.TitleZh, m.Description)
				link(mx.ID, "PART_OF", parent)
				for _, l := range m.Projects {
					mx.Projects = appendNew(mx.Projects, l.To)
					link(mx.ID, "ADVANCES", gid(plan.KindProject, l.To))
				}
				for _, l := range m.Sectors {
					mx.Sectors = appendNew(mx.Sectors, l.To)
					link(mx.ID, "IN_SECTOR", gid(plan.KindSector, l.To))
				}
				for _, l := range m.Places {
					mx.Places = appendNew(mx.Places, l.To)
					link(mx.ID, "LOCATED_IN", gid(plan.KindPlace, l.To))
				}
				for _, l := range m.Milestones {
					mx.Milestones = appendNew(mx.Milestones, l.To)
					link(mx.ID, "DUE_BY", gid(plan.KindMilestone, l.To))
					if y, ok := x.years[l.To]; ok && (mx.Year == nil || y < *mx.Year) {
						mx.Year = &y
					}
				}
				mx.Sources = refs(m.Sources)
				x.measures = append(x.measures, mx)
				x.byCode[p.Slug+"/"+m.Code] = mx
			}
			for _, m := range sec.Measures {
				add(sid, 0, m)
			}
			for _, a := range sec.Aspects {
				aid := node(plan.KindAspect, fmt.Sprintf("%s/S%d.A%d", p.Slug, sec.Number, a.Number), fmt.Sprintf("Aspect %d: %s", a.Number, a.Title), a.Title, a.Summary)
				link(sid, "HAS_ASPECT", aid)
				for _, m := range a.Measures {
					add(aid, a.Number, m)
				}
			}
		}
	}
	keys := ds.MeasureKeys()
	for _, e := range ds.Events {
		id := node(plan.KindEvent, e.Slug, e.Title, e.Title)
		for _, m := range e.Measures {
			link(id, "CONCERNS", gid(plan.KindMeasure, keys[m]))
		}
		for _, to := range []struct {
			k     plan.Kind
			slugs []string
		}{{plan.KindProject, e.Projects}, {plan.KindPlace, e.Places}, {plan.KindPlan, e.Plans}} {
			for _, slug := range to.slugs {
				link(id, "CONCERNS", gid(to.k, slug))
			}
		}
	}
	// The kinds whose format derives from the model: labelled by their
	// Label property, searched by their searchable ones.
	for _, k := range plan.RecordKinds() {
		for _, r := range ds.Records[k.Kind] {
			label, _ := r.Props[k.Label].(string)
			var texts []string
			for _, p := range k.Props {
				if s, ok := r.Props[p.Name].(string); ok && p.Search {
					texts = append(texts, s)
				}
			}
			id := node(k.Kind, r.Slug, label, texts...)
			for _, e := range k.LinkEdges() {
				for _, l := range r.Links[e.Field] {
					link(id, e.Type, gid(e.To, l.To))
				}
			}
		}
	}
	return x
}

func appendNew(l []string, s string) []string {
	if slices.Contains(l, s) {
		return l
	}
	return append(l, s)
}

// refs turns provenance into the (source id, excerpt) pairs the API shows,
// duplicates collapsed.
func refs(rs []dataset.Ref) []srcRef {
	var out []srcRef
	for _, r := range rs {
		s := srcRef{ID: gid(plan.KindSource, r.Source), Excerpt: r.Excerpt}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// measure returns the measure with code in the plan that has measures.
func (x *expect) measure(t testing.TB, code string) *measureX {
	t.Helper()
	for _, m := range x.measures {
		if m.Code == code {
			return m
		}
	}
	t.Fatalf("no measure %s in the dataset", code)
	return nil
}

// planWithMeasures is the slug of the first plan (by slug) that has measures.
func (x *expect) planWithMeasures() string {
	slugs := x.planSlugs()
	for _, s := range slugs {
		for _, m := range x.measures {
			if m.Plan == s {
				return s
			}
		}
	}
	return slugs[0]
}

func (x *expect) planSlugs() []string {
	var out []string
	for _, p := range x.ds.Plans {
		out = append(out, p.Slug)
	}
	slices.Sort(out)
	return out
}

func (x *expect) measuresOfPlan(slug string) []*measureX {
	var out []*measureX
	for _, m := range x.measures {
		if m.Plan == slug {
			out = append(out, m)
		}
	}
	return out
}

// inPlace reports whether place (or a place containing it) is target.
func (x *expect) inPlace(place, target string) bool {
	for seen := 0; place != "" && seen < 20; seen++ {
		if place == target {
			return true
		}
		place = x.within[place]
	}
	return false
}

// where filters the measures with keep.
func (x *expect) where(keep func(*measureX) bool) []*measureX {
	var out []*measureX
	for _, m := range x.measures {
		if keep(m) {
			out = append(out, m)
		}
	}
	return out
}

// codes lists measure codes.
func codes(ms []*measureX) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Code
	}
	return out
}

// sorted returns a sorted copy of l.
func sorted(l []string) []string {
	out := slices.Clone(l)
	slices.Sort(out)
	if out == nil {
		out = []string{}
	}
	return out
}

// neighbours lists the ids one hop from id (either direction).
func (x *expect) neighbours(id string) []string {
	var out []string
	for e := range x.edges {
		if e.From == id {
			out = appendNew(out, e.To)
		}
		if e.To == id {
			out = appendNew(out, e.From)
		}
	}
	return out
}

// ball returns every id at most depth hops from id.
func (x *expect) ball(id string, depth int) []string {
	seen := []string{id}
	frontier := []string{id}
	for d := 0; d < depth; d++ {
		var next []string
		for _, f := range frontier {
			for _, n := range x.neighbours(f) {
				if !slices.Contains(seen, n) {
					seen = append(seen, n)
					next = append(next, n)
				}
			}
		}
		frontier = next
	}
	return seen
}

// distance is the number of hops between two ids, or -1.
func (x *expect) distance(from, to string) int {
	for d := 0; d <= len(x.labels); d++ {
		if slices.Contains(x.ball(from, d), to) {
			return d
		}
	}
	return -1
}

// edgesAmong lists the edges whose two ends are in ids, as strings.
func (x *expect) edgesAmong(ids []string) []string {
	var out []string
	for e := range x.edges {
		if slices.Contains(ids, e.From) && slices.Contains(ids, e.To) {
			out = append(out, e.String())
		}
	}
	return sorted(out)
}

// bigLimits are the default limits with a complexity budget that lets a test
// ask for 100 rich items: these tests are about answers, not limits.
func bigLimits() server.Limits {
	l := server.DefaultLimits
	l.MaxComplexity = 100000
	return l
}
