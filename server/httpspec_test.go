package server_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/shenzhenplan/kgapi/plan"
	"github.com/shenzhenplan/kgapi/server"
)

// A GET carrying a mutation (or a subscription) is refused with 405 and
// Allow: POST before any other check: with or without a token, rate limited
// or not, over a limit or not. Nothing reaches the database.
func TestGETMutationRefusedFirst(t *testing.T) {
	const mutation = `mutation { setMeasureStatus(code: "S1.M3", status: IN_PROGRESS, note: "sent with GET") { status } }`
	deep := `mutation { setMeasureStatus(code: "S1.M3", status: IN_PROGRESS, note: "deep") { statusHistory { status } section { plan { slug } } } }`
	persisted := func(doc string) string {
		sum := sha256.Sum256([]byte(doc))
		b, _ := json.Marshal(map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hex.EncodeToString(sum[:])}})
		return string(b)
	}
	cases := []struct {
		name          string
		deps          server.Deps
		query         string
		operationName string
		extensions    string // a persisted query sent by hash
		register      string // the document to register as a persisted query first (POST, no token)
		accept        string
		times         int // requests in a row (0: 1)
	}{
		{name: "Mutation", query: mutation},
		{name: "Subscription", query: `subscription { measureChanged(code: "S1.M3") { code } }`},
		{name: "MutationChosenByOperationName", query: `query Q { plans { slug } } ` + strings.Replace(mutation, "mutation", "mutation M", 1), operationName: "M"},
		{name: "GraphQLResponseJSON", query: mutation, accept: "application/graphql-response+json"},
		{name: "ReadTokenRequired", deps: server.Deps{ReadTokenRequired: true}, query: mutation},
		{name: "OverDepthLimit", deps: server.Deps{Limits: server.Limits{MaxDepth: 1, MaxComplexity: 1000, MaxAliases: 15, MaxBodyBytes: 1 << 20, MaxTokens: 10000, MaxBatch: 10}}, query: deep},
		{name: "OverComplexityLimit", deps: server.Deps{Limits: server.Limits{MaxDepth: 10, MaxComplexity: 1, MaxAliases: 15, MaxBodyBytes: 1 << 20, MaxTokens: 10000, MaxBatch: 10}}, query: deep},
		{name: "RateLimited", deps: server.Deps{RateLimit: 0.001, RateBurst: 1}, query: mutation, times: 3},
		{name: "PersistedQueryByHash", extensions: persisted(mutation), register: mutation},
	}
	for _, tc := range cases {
		tc.deps.Tokens = tokens(t)
		var rt plan.RoundTrips
		srv := guarded(t, &rt, tc.deps)
		if tc.register != "" {
			body, _ := json.Marshal(map[string]any{"query": tc.register, "extensions": json.RawMessage(tc.extensions)})
			if r := postRaw(t, srv.URL, body, ""); r.code() != "UNAUTHENTICATED" {
				t.Fatalf("%s: registering the persisted query without a token: %d %+v", tc.name, r.Status, r.Errors)
			}
		}
		for _, tok := range []struct{ name, value string }{{"NoToken", ""}, {"WrongToken", "not-the-secret"}, {"RightToken", secret}} {
			t.Run(tc.name+"/"+tok.name, func(t *testing.T) {
				v := url.Values{}
				if tc.query != "" {
					v.Set("query", tc.query)
				}
				if tc.operationName != "" {
					v.Set("operationName", tc.operationName)
				}
				if tc.extensions != "" {
					v.Set("extensions", tc.extensions)
				}
				before := rt.Count()
				for i := 0; i < max(tc.times, 1); i++ {
					req, _ := http.NewRequest(http.MethodGet, srv.URL+"/graphql?"+v.Encode(), nil)
					if tok.value != "" {
						req.Header.Set("Authorization", "Bearer "+tok.value)
					}
					if tc.accept != "" {
						req.Header.Set("Accept", tc.accept)
					}
					resp, err := http.DefaultClient.Do(req)
					if err != nil {
						t.Fatal(err)
					}
					b, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != http.MethodPost {
						t.Fatalf("request %d: %d, Allow %q: %s; want 405 with Allow: POST", i+1, resp.StatusCode, resp.Header.Get("Allow"), b)
					}
					var out struct {
						Data   *json.RawMessage `json:"data"`
						Errors []struct {
							Extensions map[string]any `json:"extensions"`
						} `json:"errors"`
					}
					if err := json.Unmarshal(b, &out); err != nil || len(out.Errors) != 1 || out.Errors[0].Extensions["code"] != "METHOD_NOT_ALLOWED" || bytes.Contains(b, []byte(`"data"`)) {
						t.Errorf("request %d: body %s, want one METHOD_NOT_ALLOWED error and no data entry", i+1, b)
					}
					want := "application/json"
					if tc.accept != "" {
						want = tc.accept
					}
					if ct := resp.Header.Get("Content-Type"); ct != want {
						t.Errorf("request %d: Content-Type %q, want %q", i+1, ct, want)
					}
				}
				if n := rt.Count() - before; n != 0 {
					t.Errorf("%d Cypher round trips for a refused request", n)
				}
			})
		}
	}
	t.Run("QueriesStillServedWithGET", func(t *testing.T) {
		srv := guarded(t, nil, server.Deps{Tokens: tokens(t)})
		resp, err := http.Get(srv.URL + "/graphql?query=" + url.QueryEscape("{ plans { slug } }"))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !bytes.Contains(b, []byte(`"slug"`)) {
			t.Errorf("GET query: %d %s", resp.StatusCode, b)
		}
	})
}

// CORS as the README says, for each setting of CORS_ORIGINS: a preflight
// and a POST from a listed origin, an unlisted one and no origin.
func TestCORS(t *testing.T) {
	const listed, unlisted = "https://app.example.org", "https://evil.example"
	type want struct {
		allowOrigin string // Access-Control-Allow-Origin ("": none)
		credentials bool   // Access-Control-Allow-Credentials: true
	}
	none := want{}
	cases := []struct {
		name    string
		origins []string
		want    map[string]want // by request Origin
	}{
		{"Empty", nil, map[string]want{listed: none, unlisted: none, "": none}},
		{"Any", []string{"*"}, map[string]want{listed: {allowOrigin: "*"}, unlisted: {allowOrigin: "*"}, "": none}},
		{"List", []string{listed, "http://localhost:5173"}, map[string]want{listed: {allowOrigin: listed, credentials: true}, unlisted: none, "": none}},
	}
	for _, tc := range cases {
		srv := guarded(t, nil, server.Deps{CORSOrigins: tc.origins})
		for _, origin := range []string{listed, unlisted, ""} {
			w := tc.want[origin]
			name := origin
			if name == "" {
				name = "NoOrigin"
			}
			check := func(t *testing.T, resp *http.Response, preflight bool) {
				t.Helper()
				h := resp.Header
				if got := h.Get("Access-Control-Allow-Origin"); got != w.allowOrigin {
					t.Errorf("Access-Control-Allow-Origin %q, want %q", got, w.allowOrigin)
				}
				if got := h.Get("Access-Control-Allow-Credentials") == "true"; got != w.credentials {
					t.Errorf("Access-Control-Allow-Credentials %q, want credentials %v", h.Get("Access-Control-Allow-Credentials"), w.credentials)
				}
				if w.allowOrigin == "" {
					for k := range h {
						if strings.HasPrefix(k, "Access-Control-") {
							t.Errorf("%s: %q for an origin not allowed", k, h.Get(k))
						}
					}
				}
				if preflight && w.allowOrigin != "" {
					if m := h.Get("Access-Control-Allow-Methods"); !strings.Contains(m, http.MethodPost) {
						t.Errorf("Access-Control-Allow-Methods %q lacks POST", m)
					}
					if hs := strings.ToLower(h.Get("Access-Control-Allow-Headers")); !strings.Contains(hs, "authorization") || !strings.Contains(hs, "content-type") {
						t.Errorf("Access-Control-Allow-Headers %q lacks authorization or content-type", hs)
					}
				}
				// The request id, and a write's bookmark and change seq (README: Scaling out).
				const exposed = "X-Request-Id, X-Neo4j-Bookmark, X-Change-Seq"
				if !preflight && w.allowOrigin != "" && h.Get("Access-Control-Expose-Headers") != exposed {
					t.Errorf("Access-Control-Expose-Headers %q, want %s", h.Get("Access-Control-Expose-Headers"), exposed)
				}
			}
			t.Run(tc.name+"/Preflight/"+name, func(t *testing.T) {
				req, _ := http.NewRequest(http.MethodOptions, srv.URL+"/graphql", nil)
				if origin != "" {
					req.Header.Set("Origin", origin)
				}
				req.Header.Set("Access-Control-Request-Method", http.MethodPost)
				req.Header.Set("Access-Control-Request-Headers", "authorization,content-type") // as browsers send it: lower case, sorted
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode/100 != 2 {
					t.Errorf("preflight status %d", resp.StatusCode)
				}
				check(t, resp, true)
			})
			t.Run(tc.name+"/POST/"+name, func(t *testing.T) {
				req, _ := http.NewRequest(http.MethodPost, srv.URL+"/graphql", strings.NewReader(`{"query":"{ __typename }"}`))
				req.Header.Set("Content-Type", "application/json")
				if origin != "" {
					req.Header.Set("Origin", origin)
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				// The server answers; whether the page may read it is the browser's call, from the headers.
				if resp.StatusCode != http.StatusOK || !bytes.Contains(b, []byte(`"__typename":"Query"`)) {
					t.Errorf("POST: %d %s", resp.StatusCode, b)
				}
				check(t, resp, false)
			})
		}
	}
}
