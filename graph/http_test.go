package graph_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/shenzhenplan/kgapi/plan"
	"github.com/shenzhenplan/kgapi/server"
	"github.com/shenzhenplan/kgapi/store"
)

// Tests of errors and of the HTTP transport.

// noStack fails when a response body shows Go internals.
func noStack(t testing.TB, r response) {
	t.Helper()
	for _, s := range []string{"goroutine", ".go:", "runtime.", "panic"} {
		if strings.Contains(string(r.Body), s) {
			t.Errorf("the response shows %q: %s", s, r.Body)
		}
	}
}

func TestErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)

	t.Run("syntax error", func(t *testing.T) {
		r := post(t, e.url, "{ plans { slug }", nil)
		if len(r.Errors) == 0 || r.hasData() {
			t.Fatalf("want errors and no data: %s", r.Body)
		}
		if len(r.Errors[0].Locations) == 0 || r.Errors[0].Locations[0].Line != 1 {
			t.Errorf("want a location: %s", r.Body)
		}
		if r.Status >= 500 {
			t.Errorf("status %d", r.Status)
		}
		noStack(t, r)
	})
	t.Run("unknown field", func(t *testing.T) {
		r := post(t, e.url, "{\n  plans {\n    slug\n    nope\n  }\n}", nil)
		if len(r.Errors) == 0 || r.hasData() {
			t.Fatalf("want errors and no data: %s", r.Body)
		}
		err := wantError(t, r, "GRAPHQL_VALIDATION_FAILED", "nope")
		if len(err.Locations) == 0 || err.Locations[0].Line != 4 || err.Locations[0].Column != 5 {
			t.Errorf("want the location 4:5 of the field: %+v", err.Locations)
		}
		noStack(t, r)
	})
	t.Run("unknown argument and type", func(t *testing.T) {
		for _, q := range []string{`{ plans(first: 1) { slug } }`, `{ measures(orderBy: [{field: NOPE}]) { totalCount } }`, `{ nope }`, `{ plan { slug { x } } }`} {
			r := post(t, e.url, q, nil)
			wantError(t, r, "GRAPHQL_VALIDATION_FAILED")
			if r.hasData() {
				t.Errorf("%s: data %s", q, r.Data)
			}
			noStack(t, r)
		}
	})
	t.Run("bad variable type", func(t *testing.T) {
		for _, v := range []map[string]any{{"n": "ten"}, {"n": 1.5}, {"n": []int{1}}, {"n": map[string]any{"a": 1}}} {
			r := post(t, e.url, `query($n: Int) { measures(first: $n) { totalCount } }`, v)
			if len(r.Errors) == 0 || r.hasData() {
				t.Errorf("%v: want an error and no data: %s", v, r.Body)
			}
			noStack(t, r)
		}
		r := post(t, e.url, `query($s: String!) { project(slug: $s) { slug } }`, nil)
		if len(r.Errors) == 0 || r.hasData() {
			t.Errorf("missing required variable: %s", r.Body)
		}
	})
	t.Run("resolver error keeps the rest", func(t *testing.T) {
		// One failing field is null with its path; the others resolve.
		r := post(t, e.url, `{ plans { slug } bad: path(from: "??", to: "??") { truncated } }`, nil)
		err := wantError(t, r, plan.EINVALID, "??")
		if len(err.Path) != 1 || err.Path[0] != "bad" {
			t.Errorf("path = %v, want [bad]", err.Path)
		}
		if !strings.Contains(string(r.Data), `"plans":[`) {
			t.Errorf("plans should still resolve: %s", r.Data)
		}
		noStack(t, r)
	})
}

// closedPort returns a local port that nothing listens on.
func closedPort(t testing.TB) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func TestDatabaseOutage(t *testing.T) {
	t.Parallel()
	addr := closedPort(t)
	st, err := store.Open(store.Config{URI: "bolt://" + addr, User: "neo4j", Password: "whatever", QueryTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close(context.Background()) })
	srv := httptest.NewServer(server.NewHandler(server.Deps{Store: st, Log: zap.NewNop(), QueryTimeout: 10 * time.Second}))
	t.Cleanup(srv.Close)

	for _, q := range []string{`{ plans { slug } }`, `{ measures { totalCount nodes { code } } }`, `{ search(text: "Qianhai") { score } }`} {
		t.Run(q, func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			r := post(t, srv.URL+"/graphql", q, nil)
			took := time.Since(start)
			t.Logf("answered in %s: %s", took.Round(time.Millisecond), r.Body)
			if took > 6*time.Second {
				t.Errorf("took %s: an unreachable database must fail fast", took)
			}
			wantError(t, r, plan.EUNAVAIL)
			for _, leak := range []string{addr, "bolt://", "connection refused", "ConnectivityError"} {
				if strings.Contains(string(r.Body), leak) {
					t.Errorf("the error shows %q: %s", leak, r.Body)
				}
			}
			noStack(t, r)
		})
	}
	t.Run("readyz", func(t *testing.T) {
		t.Parallel()
		resp, err := http.Get(srv.URL + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusServiceUnavailable {
			t.Errorf("readyz = %d, want 503", resp.StatusCode)
		}
	})
}

func TestHTTP(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	get := func(t *testing.T, q string, vars string, accept string) response {
		t.Helper()
		u := e.url + "?query=" + url.QueryEscape(q)
		if vars != "" {
			u += "&variables=" + url.QueryEscape(vars)
		}
		req, err := http.NewRequest(http.MethodGet, u, nil)
		if err != nil {
			t.Fatal(err)
		}
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		return do(t, req)
	}

	t.Run("GET query", func(t *testing.T) {
		r := get(t, `{ plans { slug } }`, "", "")
		if r.Status != http.StatusOK || len(r.Errors) > 0 {
			t.Fatalf("GET: %d %s", r.Status, r.Body)
		}
		if n := strings.Count(string(r.Data), `"slug"`); n != len(e.x.ds.Plans) {
			t.Errorf("GET plans: %d slugs, want %d", n, len(e.x.ds.Plans))
		}
		if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Errorf("Content-Type = %q", ct)
		}
	})
	t.Run("GET with variables", func(t *testing.T) {
		p := e.x.ds.Projects[0]
		r := get(t, `query($s: String!) { project(slug: $s) { name } }`, `{"s":"`+p.Slug+`"}`, "")
		if r.Status != http.StatusOK || !strings.Contains(string(r.Data), p.Name) {
			t.Errorf("GET with variables: %d %s", r.Status, r.Body)
		}
	})
	t.Run("graphql-response+json", func(t *testing.T) {
		const media = "application/graphql-response+json"
		r := get(t, `{ plans { slug } }`, "", media)
		if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, media) || len(r.Errors) > 0 {
			t.Errorf("GET Accept %s: Content-Type %q, %s", media, ct, r.Body)
		}
		req, _ := http.NewRequest(http.MethodPost, e.url, strings.NewReader(`{"query":"{ plans { slug } }"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", media)
		r = do(t, req)
		if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, media) || len(r.Errors) > 0 {
			t.Errorf("POST Accept %s: Content-Type %q, %s", media, ct, r.Body)
		}
		// A request error with that media type is a 4xx.
		r = get(t, `{ plans { slug }`, "", media)
		if r.Status < 400 || r.Status >= 500 || len(r.Errors) == 0 {
			t.Errorf("syntax error with %s: %d %s", media, r.Status, r.Body)
		}
	})
	t.Run("GET rejects what is not a valid query", func(t *testing.T) {
		// GraphQL over HTTP: a mutation or subscription is the wrong method
		// (405), a missing query an invalid request (400); a document that
		// does not parse or validate is a request error: 200 with
		// application/json, 400 with application/graphql-response+json.
		// Never a "data" entry.
		cases := []struct {
			q, accept string
			status    int
		}{
			{`mutation { plans { slug } }`, "", http.StatusMethodNotAllowed},
			{`subscription { plans { slug } }`, "", http.StatusMethodNotAllowed},
			{``, "", http.StatusBadRequest},
			{`{ plans { slug }`, "", http.StatusOK},
			{`{ nope }`, "", http.StatusOK},
			{`{ plans { slug }`, "application/graphql-response+json", http.StatusBadRequest},
			{`{ nope }`, "application/graphql-response+json", http.StatusBadRequest},
		}
		for _, tc := range cases {
			r := get(t, tc.q, "", tc.accept)
			t.Logf("GET %q (Accept %q): %d %s", tc.q, tc.accept, r.Status, r.Body)
			if len(r.Errors) == 0 || r.Status != tc.status || bytes.Contains(r.Body, []byte(`"data"`)) {
				t.Errorf("GET %q (Accept %q): %d %s, want %d with errors and no data entry", tc.q, tc.accept, r.Status, r.Body, tc.status)
			}
			if tc.status == http.StatusMethodNotAllowed && r.Header.Get("Allow") != http.MethodPost {
				t.Errorf("GET %q: Allow %q, want POST", tc.q, r.Header.Get("Allow"))
			}
			noStack(t, r)
		}
	})
	t.Run("malformed POST body", func(t *testing.T) {
		// Served in a goroutine with a deadline: a handler that never returns
		// must fail this test, not hang the test binary (httptest.Server.Close
		// would wait for it forever).
		h := server.NewHandler(server.Deps{Store: e.st, Log: zap.NewNop()})
		for _, body := range []string{`{"query": `, `not json`, `[]`} {
			t.Run(body, func(t *testing.T) {
				t.Parallel()
				req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				rec := httptest.NewRecorder()
				done := make(chan struct{})
				go func() {
					defer close(done)
					h.ServeHTTP(rec, req)
				}()
				select {
				case <-done:
				case <-time.After(3 * time.Second):
					t.Fatalf("POST with the body %q: the handler has not returned after 3s (it hangs)", body)
				}
				var r response
				r.Status, r.Body = rec.Code, rec.Body.Bytes()
				if err := json.Unmarshal(r.Body, &r); err != nil {
					t.Fatalf("POST %q: %d, body is not JSON: %s", body, r.Status, r.Body)
				}
				if r.Status < 400 || r.Status >= 500 || len(r.Errors) == 0 {
					t.Errorf("POST %q: %d %s, want a 4xx with errors", body, r.Status, r.Body)
				}
				noStack(t, r)
			})
		}
	})
	t.Run("health and request id", func(t *testing.T) {
		for path, want := range map[string]int{"/healthz": 200, "/readyz": 200} {
			req, _ := http.NewRequest(http.MethodGet, e.srv.URL+path, nil)
			req.Header.Set("X-Request-Id", "test-req-1")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != want || resp.Header.Get("X-Request-Id") != "test-req-1" {
				t.Errorf("%s: %d, X-Request-Id %q", path, resp.StatusCode, resp.Header.Get("X-Request-Id"))
			}
		}
	})
}
