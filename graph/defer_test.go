package graph_test

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"

	"go.uber.org/zap"

	"github.com/shenzhenplan/kgapi/plan"
	"github.com/shenzhenplan/kgapi/server"
)

// acceptDefer is the Accept header Apollo Client sends with @defer.
const acceptDefer = "multipart/mixed;deferSpec=20220824,application/json"

// payload is one part of an incremental response: the initial payload
// (data) or a subsequent one (incremental).
type payload struct {
	Data        json.RawMessage `json:"data"`
	Errors      []gqlError      `json:"errors"`
	HasNext     *bool           `json:"hasNext"`
	Incremental []struct {
		Data   json.RawMessage `json:"data"`
		Path   []any           `json:"path"`
		Label  string          `json:"label"`
		Errors []gqlError      `json:"errors"`
	} `json:"incremental"`
}

// postAccept posts a query with the Accept header and returns the status,
// the media type and the parts: one for a JSON answer, each part of a
// multipart/mixed one.
func postAccept(t *testing.T, url, accept, query string, vars map[string]any) (int, string, []payload, []byte) {
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
	req.Header.Set("Accept", accept)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	media, params, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if err != nil {
		t.Fatalf("Content-Type %q: %v", resp.Header.Get("Content-Type"), err)
	}
	var parts []payload
	if media != "multipart/mixed" {
		var p payload
		if err := json.Unmarshal(raw, &p); err != nil {
			t.Fatalf("%s answer is not JSON: %v\n%s", media, err, raw)
		}
		return resp.StatusCode, media, []payload{p}, raw
	}
	if params["deferspec"] != "20220824" {
		t.Errorf("Content-Type %q: want deferSpec=20220824", resp.Header.Get("Content-Type"))
	}
	mr := multipart.NewReader(bytes.NewReader(raw), params["boundary"])
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("multipart: %v\n%s", err, raw)
		}
		if ct := part.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Errorf("part Content-Type %q, want application/json", ct)
		}
		var p payload
		if err := json.NewDecoder(part).Decode(&p); err != nil {
			t.Fatalf("part is not JSON: %v\n%s", err, raw)
		}
		parts = append(parts, p)
	}
	return resp.StatusCode, media, parts, raw
}

func TestDefer(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	slug := e.x.planWithMeasures()
	project := centreProject(t, e.x)
	pid := gid(plan.KindProject, project.Slug)

	type deferred struct {
		path  []any
		label string
		keys  []string // the keys of its data
	}
	for _, tc := range []struct {
		name    string
		query   string
		vars    map[string]any
		initial []string   // keys of the initial data
		later   []deferred // in any order
	}{
		{"a plan's stats", `query($slug: String) { plan(slug: $slug) { title ... @defer { stats { measures bySection { key count } } } } }`,
			map[string]any{"slug": slug}, []string{"plan"}, []deferred{{[]any{"plan"}, "", []string{"stats"}}}},
		{"labelled, under a field", `query($slug: String) { plan(slug: $slug) { title ... @defer(label: "outline") { sections { title } } } }`,
			map[string]any{"slug": slug}, []string{"plan"}, []deferred{{[]any{"plan"}, "outline", []string{"sections"}}}},
		{"two labels, two parts", `query($id: ID!) { node(id: $id) { id ... on Project { name ... @defer(label: "measures") { measures(first: 5) { nodes { code status } } } } }
  plan { title ... @defer(label: "stats") { stats { measures byStatus { key count } } } } }`,
			map[string]any{"id": pid}, []string{"node", "plan"}, []deferred{{[]any{"node"}, "measures", []string{"measures"}}, {[]any{"plan"}, "stats", []string{"stats"}}}},
		{"a named fragment", `query($slug: String!) { project(slug: $slug) { name ...Timeline @defer(label: "timeline") } }
  fragment Timeline on Project { measures(first: 5) { nodes { code milestones { year } statusHistory { status } } } }`,
			map[string]any{"slug": project.Slug}, []string{"project"}, []deferred{{[]any{"project"}, "timeline", []string{"measures"}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, media, parts, raw := postAccept(t, e.url, acceptDefer, tc.query, tc.vars)
			if status != http.StatusOK || media != "multipart/mixed" {
				t.Fatalf("status %d, %s; want 200 multipart/mixed\n%s", status, media, raw)
			}
			if len(parts) != 1+len(tc.later) {
				t.Fatalf("%d parts, want %d\n%s", len(parts), 1+len(tc.later), raw)
			}
			first := parts[0]
			if first.HasNext == nil || !*first.HasNext || len(first.Errors) > 0 {
				t.Fatalf("initial payload: hasNext %v, errors %v; want hasNext true\n%s", first.HasNext, first.Errors, raw)
			}
			if got := keysOf(t, first.Data); !reflect.DeepEqual(got, tc.initial) {
				t.Errorf("initial data has %v, want %v (the deferred fields come later)", got, tc.initial)
			}
			want := map[string]deferred{}
			for _, d := range tc.later {
				want[d.label] = d
			}
			for i, p := range parts[1:] {
				last := i == len(parts)-2
				if p.HasNext == nil || *p.HasNext == last {
					t.Errorf("part %d: hasNext %v, want %v", i+2, p.HasNext, !last)
				}
				if len(p.Incremental) != 1 {
					t.Fatalf("part %d: %d incremental results, want 1\n%s", i+2, len(p.Incremental), raw)
				}
				inc := p.Incremental[0]
				d, ok := want[inc.Label]
				if !ok {
					t.Fatalf("part %d: unexpected label %q\n%s", i+2, inc.Label, raw)
				}
				delete(want, inc.Label)
				if len(inc.Errors) > 0 {
					t.Errorf("part %d: errors %v", i+2, inc.Errors)
				}
				if !reflect.DeepEqual(inc.Path, d.path) {
					t.Errorf("part %d: path %v, want %v", i+2, inc.Path, d.path)
				}
				if got := keysOf(t, inc.Data); !reflect.DeepEqual(got, d.keys) {
					t.Errorf("part %d: data has %v, want %v", i+2, got, d.keys)
				}
			}
		})
	}

	t.Run("the deferred data is the data asked without @defer", func(t *testing.T) {
		var plain struct {
			Stats json.RawMessage `json:"stats"`
		}
		query(t, e.url, `query($slug: String) { stats(plan: $slug) { measures bySection { key count } byStatus { key count } } }`, map[string]any{"slug": slug}, &plain)
		_, _, parts, raw := postAccept(t, e.url, acceptDefer, `query($slug: String) { plan(slug: $slug) { title ... @defer { stats { measures bySection { key count } byStatus { key count } } } } }`, map[string]any{"slug": slug})
		var got struct {
			Stats json.RawMessage `json:"stats"`
		}
		if len(parts) != 2 || len(parts[1].Incremental) != 1 || json.Unmarshal(parts[1].Incremental[0].Data, &got) != nil {
			t.Fatalf("not one deferred part:\n%s", raw)
		}
		if !bytes.Equal(got.Stats, plain.Stats) {
			t.Errorf("deferred stats %s, want %s", got.Stats, plain.Stats)
		}
	})

	t.Run("JSON when nothing is deferred", func(t *testing.T) {
		for _, q := range []string{
			`{ plan { title } }`,
			`{ plan { title } ... @defer(if: false) { stats { measures } } }`,
			`query($d: Boolean!) { plan { title ... @defer(if: $d) { stats { measures } } } }`,
			// gqlgen resolves root fields in the initial payload, deferred or not.
			`{ plan { title } ... @defer { stats { measures } } }`,
		} {
			status, media, parts, raw := postAccept(t, e.url, acceptDefer, q, map[string]any{"d": false})
			if status != http.StatusOK || media != "application/json" || len(parts) != 1 || parts[0].HasNext != nil || len(parts[0].Errors) > 0 {
				t.Errorf("%s: status %d, %s, %d parts; want one JSON answer without hasNext\n%s", q, status, media, len(parts), raw)
			}
		}
	})

	t.Run("ErrDeferWithoutMultipart", func(t *testing.T) {
		// A client that does not take multipart/mixed would get the initial
		// payload only: the request is refused before it runs.
		for _, tc := range []struct{ accept, media string }{
			{"application/json", "application/json"},
			{"application/graphql-response+json", "application/graphql-response+json"},
		} {
			status, media, parts, raw := postAccept(t, e.url, tc.accept, `{ plan { title ... @defer { stats { measures } } } }`, nil)
			wantStatus := http.StatusOK
			if tc.media != "application/json" {
				wantStatus = http.StatusBadRequest
			}
			if status != wantStatus || media != tc.media || len(parts) != 1 || parts[0].Data != nil {
				t.Errorf("Accept %s: status %d, %s; want %d %s, errors and no data\n%s", tc.accept, status, media, wantStatus, tc.media, raw)
			}
			wantError(t, response{Body: raw, Errors: parts[0].Errors}, plan.EINVALID, "multipart/mixed")
		}
	})
}

// TestDeferLimits: the limits, guards and complexity budget apply to an
// operation with deferred fragments as to any: computed on the whole
// document before it runs, answered in JSON without data.
func TestDeferLimits(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	srv := httptest.NewServer(server.NewHandler(server.Deps{Store: e.st, Log: zap.NewNop()})) // the default limits
	t.Cleanup(srv.Close)
	url := srv.URL + "/graphql"
	deep := "plan { sections { plan { sections { plan { sections { plan { sections { plan { sections { title } } } } } } } } } }"
	for _, tc := range []struct {
		name, query, code string
		words             []string
	}{
		{"complexity", `{ plan { title } ... @defer { sectors { measures(first: 100) { nodes { projects { measures(first: 100) { nodes { code } } } } } } } }`,
			"", []string{"complex"}},
		{"depth", `{ plan { title } ... @defer { ` + deep + ` } }`, "", []string{"deep"}},
		{"aliases", `{ plan { title } ... @defer { ` + strings.Repeat("a: plan { title } ", 1) + aliases(16) + ` } }`, "", []string{"alias"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, media, parts, raw := postAccept(t, url, acceptDefer, tc.query, nil)
			if media != "application/json" || len(parts) != 1 || parts[0].Data != nil || len(parts[0].Errors) == 0 {
				t.Fatalf("status %d, %s; want a JSON request error without data\n%s", status, media, raw)
			}
			if tc.code != "" {
				wantError(t, response{Body: raw, Errors: parts[0].Errors}, tc.code, tc.words...)
				return
			}
			msg := strings.ToLower(parts[0].Errors[0].Message)
			for _, w := range tc.words {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q should mention %q", parts[0].Errors[0].Message, w)
				}
			}
		})
	}
}

func aliases(n int) string {
	var b strings.Builder
	for i := range n {
		b.WriteString("p" + string(rune('a'+i)) + ": plan { title } ")
	}
	return b.String()
}

// keysOf lists the keys of a JSON object, sorted.
func keysOf(t *testing.T, data json.RawMessage) []string {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("data is not an object: %v\n%s", err, data)
	}
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
