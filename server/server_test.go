package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/shenzhenplan/kgapi/dataset"
	"github.com/shenzhenplan/kgapi/internal/testneo4j"
	"github.com/shenzhenplan/kgapi/server"
	"github.com/shenzhenplan/kgapi/store"
)

func TestMain(m *testing.M) { os.Exit(testneo4j.Main(m)) }

var loadOnce sync.Once

// api serves the bundled dataset from the test database.
func api(t *testing.T, origins ...string) *httptest.Server {
	t.Helper()
	st := testneo4j.Store(t)
	loadOnce.Do(func() {
		testneo4j.Wipe(t, st)
		ds, err := dataset.Parse("../data/shenzhen-2019-2025.yaml")
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		if err := st.EnsureSchema(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Load(ctx, store.ToRows(ds, "shenzhen-2019-2025"), store.LoadOptions{}); err != nil {
			t.Fatal(err)
		}
	})
	srv := httptest.NewServer(server.NewHandler(server.Deps{Store: st, Log: zap.NewNop(), CORSOrigins: origins}))
	t.Cleanup(srv.Close)
	return srv
}

// The README's example queries return what the README says.
func TestReadmeExamples(t *testing.T) {
	srv := api(t)
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	// A query block followed at once by its answer block (neither holds a
	// backtick, so a match never spans other blocks).
	re := regexp.MustCompile("```graphql\n([^`]*)```\n```json\n([^`]*)```")
	pairs := re.FindAllStringSubmatch(string(readme), -1)
	if len(pairs) < 3 {
		t.Fatalf("found %d query/answer pairs in the README, want at least 3", len(pairs))
	}
	for _, p := range pairs {
		query, want := strings.TrimSpace(p[1]), strings.TrimSpace(p[2])
		t.Run(query[:min(40, len(query))], func(t *testing.T) {
			body, _ := json.Marshal(map[string]any{"query": query})
			resp, err := http.Post(srv.URL+"/graphql", "application/json", bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			got, _ := io.ReadAll(resp.Body)
			var g, w any
			if err := json.Unmarshal(got, &g); err != nil {
				t.Fatalf("answer is not JSON: %s", got)
			}
			if err := json.Unmarshal([]byte(want), &w); err != nil {
				t.Fatalf("README answer is not JSON: %v", err)
			}
			if !reflect.DeepEqual(g, w) {
				t.Errorf("query %s\n got: %s\nwant: %s", query, got, want)
			}
		})
	}
}

func TestHTTP(t *testing.T) {
	srv := api(t, "https://app.example.org")
	get := func(t *testing.T, path string, hdr map[string]string) (*http.Response, string) {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	q := url.QueryEscape("{ plan { declaredMeasureCount } }")
	cases := []struct {
		name       string
		path       string
		hdr        map[string]string
		wantStatus int
		wantBody   string
		check      func(t *testing.T, r *http.Response)
	}{
		{"Healthz", "/healthz", nil, 200, "ok", nil},
		{"Readyz", "/readyz", nil, 200, "ready", nil},
		{"GraphiQL", "/", nil, 200, "<html", func(t *testing.T, r *http.Response) {
			if !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") {
				t.Errorf("content type %q", r.Header.Get("Content-Type"))
			}
		}},
		{"GetQuery", "/graphql?query=" + q, nil, 200, `"declaredMeasureCount":127`, nil},
		{"GraphQLResponseJSON", "/graphql?query=" + q, map[string]string{"Accept": "application/graphql-response+json"}, 200, `127`, func(t *testing.T, r *http.Response) {
			if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/graphql-response+json") {
				t.Errorf("content type %q, want application/graphql-response+json", ct)
			}
		}},
		{"RequestIDKept", "/healthz", map[string]string{"X-Request-Id": "abc-123"}, 200, "ok", func(t *testing.T, r *http.Response) {
			if r.Header.Get("X-Request-Id") != "abc-123" {
				t.Errorf("request id %q", r.Header.Get("X-Request-Id"))
			}
		}},
		{"CORSAllowedOrigin", "/graphql?query=" + q, map[string]string{"Origin": "https://app.example.org"}, 200, "127", func(t *testing.T, r *http.Response) {
			if r.Header.Get("Access-Control-Allow-Origin") != "https://app.example.org" || r.Header.Get("Access-Control-Allow-Credentials") != "true" {
				t.Errorf("CORS headers for an allowed origin: %v", r.Header)
			}
		}},
		{"CORSOtherOrigin", "/graphql?query=" + q, map[string]string{"Origin": "https://evil.example.com"}, 200, "127", func(t *testing.T, r *http.Response) {
			if r.Header.Get("Access-Control-Allow-Origin") != "" || r.Header.Get("Access-Control-Allow-Credentials") != "" {
				t.Errorf("CORS headers for a foreign origin: %v", r.Header)
			}
		}},
		// GraphQL over HTTP: a request error is 200 with application/json, 400 with application/graphql-response+json.
		{"SyntaxErrorHasLocationsNoStack", "/graphql?query=" + url.QueryEscape("{ plan { "), nil, 200, `"locations"`, nil},
		{"SyntaxErrorGraphQLResponseJSON", "/graphql?query=" + url.QueryEscape("{ plan { "), map[string]string{"Accept": "application/graphql-response+json"}, 400, `"locations"`, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, body := get(t, tc.path, tc.hdr)
			if r.StatusCode != tc.wantStatus {
				t.Errorf("status %d, want %d: %s", r.StatusCode, tc.wantStatus, body)
			}
			if !strings.Contains(body, tc.wantBody) {
				t.Errorf("body lacks %q: %.300s", tc.wantBody, body)
			}
			if strings.Contains(body, "goroutine") || strings.Contains(body, ".go:") {
				t.Errorf("body shows a stack trace: %.300s", body)
			}
			if tc.check != nil {
				tc.check(t, r)
			}
		})
	}
}

// With Neo4j down the API still serves: /readyz says not ready and queries
// get a coded error quickly.
func TestDatabaseDown(t *testing.T) {
	st, err := store.Open(store.Config{URI: "bolt://127.0.0.1:1", User: "neo4j", Password: "x", QueryTimeout: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close(context.Background())
	srv := httptest.NewServer(server.NewHandler(server.Deps{Store: st, Log: zap.NewNop(), QueryTimeout: 3 * time.Second}))
	defer srv.Close()
	r, err := http.Get(srv.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("/readyz status %d, want 503", r.StatusCode)
	}
	start := time.Now()
	r, err = http.Post(srv.URL+"/graphql", "application/json", strings.NewReader(`{"query":"{ plans { slug } }"}`))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(r.Body)
	r.Body.Close()
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("the query took %s with the database down, want an error within the deadline", took)
	}
	if !strings.Contains(string(b), `"DATABASE_UNAVAILABLE"`) && !strings.Contains(string(b), `"TIMEOUT"`) {
		t.Errorf("body lacks a coded database error: %s", b)
	}
}
