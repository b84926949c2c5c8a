package server_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shenzhenplan/kgapi/app"
	"github.com/shenzhenplan/kgapi/plan"
	"github.com/shenzhenplan/kgapi/server"
)

func sha(text string) string {
	sum := sha256.Sum256([]byte(text))
	return hex.EncodeToString(sum[:])
}

func writeManifest(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "persisted-documents.json")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// A manifest is validated when it is loaded, at start-up: every problem
// names the file and the entry.
func TestLoadManifest(t *testing.T) {
	const doc = "query PlanTitle { plan { title } }"
	good, _ := json.Marshal(map[string]string{"sha256:" + sha(doc): doc, sha("{ plans { slug } }"): "{ plans { slug } }"})
	cases := []struct {
		name    string
		path    string // "": a file holding body
		body    string
		wantErr []string
		wantLen int // documents beyond the built-in ones
	}{
		{name: "OK", body: string(good), wantLen: 2},
		{name: "Empty", body: "{}", wantLen: 0},
		{name: "Unreadable", path: "/nonexistent/persisted-documents.json", wantErr: []string{"read the trusted documents manifest", "/nonexistent/persisted-documents.json"}},
		{name: "NotJSON", body: "{ not json", wantErr: []string{"persisted-documents.json", "not a JSON object"}},
		{name: "AnArray", body: `["` + doc + `"]`, wantErr: []string{"not a JSON object"}},
		{name: "Null", body: `null`, wantErr: []string{"not a JSON object"}},
		{name: "NotSHA256", body: `{"sha1:abc": "{ plans { slug } }"}`, wantErr: []string{`entry "sha1:abc"`, "sha256:<64 hex digits>"}},
		{name: "HashMismatch", body: `{"sha256:` + sha("{ other }") + `": "` + doc + `"}`, wantErr: []string{`entry "sha256:` + sha("{ other }") + `"`, "does not match the text", sha(doc)}},
		{name: "EmptyDocument", body: `{"` + sha("") + `": ""}`, wantErr: []string{"the document is empty"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := c.path
			if p == "" {
				p = writeManifest(t, c.body)
			}
			m, err := server.LoadManifest(p)
			if len(c.wantErr) > 0 {
				if err == nil {
					t.Fatal("invalid manifest accepted")
				}
				for _, w := range c.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q lacks %q", err, w)
					}
				}
				// The same through the configuration: a start-up error.
				_, cerr := app.LoadConfig(nil, func(k string) string {
					return map[string]string{"TRUSTED_DOCUMENTS": "only", "TRUSTED_DOCUMENTS_MANIFEST": p}[k]
				}, io.Discard)
				if cerr == nil || !strings.Contains(cerr.Error(), "TRUSTED_DOCUMENTS_MANIFEST") {
					t.Errorf("LoadConfig: %v, want an error naming TRUSTED_DOCUMENTS_MANIFEST", cerr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			builtin, _ := server.LoadManifest()
			if got := m.Len() - builtin.Len(); got != c.wantLen {
				t.Errorf("%d documents beyond the built-in ones, want %d", got, c.wantLen)
			}
			if c.wantLen > 0 {
				if text, ok := m.ByID("sha256:" + sha(doc)); !ok || text != doc {
					t.Errorf("ByID(sha256:…) = %q, %v", text, ok)
				}
				if _, ok := m.ByID(strings.ToUpper(sha(doc))); !ok {
					t.Error("ByID(bare upper-case hex) not found")
				}
				if !m.Trusts(doc) || m.Trusts(doc+" ") {
					t.Error("Trusts must match the text byte for byte")
				}
			}
		})
	}
}

func TestTrustedModeConfig(t *testing.T) {
	for _, c := range []struct {
		value string
		want  server.TrustedMode
		bad   bool
	}{{"", server.TrustedOff, false}, {"off", server.TrustedOff, false}, {"ALLOW", server.TrustedAllow, false}, {"only", server.TrustedOnly, false}, {"strict", 0, true}} {
		cfg, err := app.LoadConfig(nil, func(k string) string { return map[string]string{"TRUSTED_DOCUMENTS": c.value}[k] }, io.Discard)
		if c.bad {
			if err == nil || !strings.Contains(err.Error(), "TRUSTED_DOCUMENTS") {
				t.Errorf("%q: error %v, want one naming TRUSTED_DOCUMENTS", c.value, err)
			}
			continue
		}
		if err != nil || cfg.TrustedDocuments != c.want || cfg.Manifest.Len() == 0 {
			t.Errorf("%q: mode %v, %d documents, err %v; want %v and the built-in documents", c.value, cfg.TrustedDocuments, cfg.Manifest.Len(), err, c.want)
		}
	}
}

// Each mode against documents sent by id (documentId, Apollo's
// sha256Hash), by text and ad hoc, with and without a token. A refused
// document is answered with 400 and a code, and runs no Cypher.
func TestTrustedDocuments(t *testing.T) {
	const doc = "query PlanTitle { plan(slug: \"shenzhen-pdz-action-plan\") { title } }"
	const bareDoc = "{ plans { slug } }"
	const mutation = "mutation M { setMeasureStatus(code: \"S1.M1\", status: IN_PROGRESS, asOf: \"2026-01-01\") { status } }"
	manifestPath := writeManifest(t, mustJSON(t, map[string]string{"sha256:" + sha(doc): doc, sha(bareDoc): bareDoc, "sha256:" + sha(mutation): mutation}))
	manifest, err := server.LoadManifest(manifestPath)
	if err != nil {
		t.Fatal(err)
	}
	var explorerPlan string // a document of the built-in manifest: the explorer's
	var builtin map[string]string
	if err := json.Unmarshal(server.WebDocuments(), &builtin); err != nil {
		t.Fatal(err)
	}
	for _, text := range builtin {
		if strings.HasPrefix(text, "query ExplorerPlan") {
			explorerPlan = text
		}
	}
	if explorerPlan == "" {
		t.Fatal("the built-in manifest has no ExplorerPlan")
	}
	const adHoc = "{ plans { slug title } }"

	type req struct {
		method string // GET or POST
		body   map[string]any
		token  string
		accept string
	}
	post := func(body map[string]any) req { return req{method: http.MethodPost, body: body} }
	get := func(params map[string]any) req { return req{method: http.MethodGet, body: params} }
	withToken := func(r req, tok string) req { r.token = tok; return r }
	withAccept := func(r req, a string) req { r.accept = a; return r }
	apq := func(hash string) map[string]any {
		return map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hash}}
	}

	cases := []struct {
		name   string
		mode   server.TrustedMode
		req    req
		status int
		code   string // "": data without errors
	}{
		{"Off/AdHoc", server.TrustedOff, post(map[string]any{"query": adHoc}), 200, ""},
		{"Off/DocumentIdRefused", server.TrustedOff, post(map[string]any{"documentId": "sha256:" + sha(doc)}), 400, "PERSISTED_QUERY_NOT_SUPPORTED"},

		{"Allow/AdHoc", server.TrustedAllow, post(map[string]any{"query": adHoc}), 200, ""},
		{"Allow/ByID", server.TrustedAllow, post(map[string]any{"documentId": "sha256:" + sha(doc)}), 200, ""},
		{"Allow/UnknownID", server.TrustedAllow, post(map[string]any{"documentId": "sha256:" + sha(adHoc)}), 400, "PERSISTED_QUERY_NOT_FOUND"},

		{"Only/ByID", server.TrustedOnly, post(map[string]any{"documentId": "sha256:" + sha(doc)}), 200, ""},
		{"Only/ByBareID", server.TrustedOnly, post(map[string]any{"documentId": sha(bareDoc)}), 200, ""},
		{"Only/ByIDWithGET", server.TrustedOnly, get(map[string]any{"documentId": "sha256:" + sha(doc)}), 200, ""},
		{"Only/ByApolloHash", server.TrustedOnly, post(map[string]any{"extensions": apq(sha(doc))}), 200, ""},
		{"Only/ByText", server.TrustedOnly, post(map[string]any{"query": doc}), 200, ""},
		{"Only/ExplorerByText", server.TrustedOnly, post(map[string]any{"query": explorerPlan}), 200, ""},
		{"Only/AdHocRefused", server.TrustedOnly, post(map[string]any{"query": adHoc}), 400, "DOCUMENT_NOT_TRUSTED"},
		{"Only/AdHocRefusedGET", server.TrustedOnly, get(map[string]any{"query": adHoc}), 400, "DOCUMENT_NOT_TRUSTED"},
		{"Only/AdHocRefusedGraphQLResponse", server.TrustedOnly, withAccept(post(map[string]any{"query": adHoc}), "application/graphql-response+json"), 400, "DOCUMENT_NOT_TRUSTED"},
		{"Only/TrustedTextAlteredRefused", server.TrustedOnly, post(map[string]any{"query": doc + " "}), 400, "DOCUMENT_NOT_TRUSTED"},
		{"Only/AdHocWithApolloHashRefused", server.TrustedOnly, post(map[string]any{"query": adHoc, "extensions": apq(sha(adHoc))}), 400, "DOCUMENT_NOT_TRUSTED"},
		{"Only/UnknownID", server.TrustedOnly, post(map[string]any{"documentId": "sha256:" + sha(adHoc)}), 400, "PERSISTED_QUERY_NOT_FOUND"},
		{"Only/UnknownApolloHash", server.TrustedOnly, post(map[string]any{"extensions": apq(sha(adHoc))}), 400, "PERSISTED_QUERY_NOT_FOUND"},
		{"Only/MalformedID", server.TrustedOnly, post(map[string]any{"documentId": "md5:abc"}), 400, "PERSISTED_QUERY_NOT_FOUND"},
		{"Only/IDAndQuery", server.TrustedOnly, post(map[string]any{"documentId": "sha256:" + sha(doc), "query": doc}), 400, "BAD_REQUEST"},
		{"Only/AdHocWithToken", server.TrustedOnly, withToken(post(map[string]any{"query": adHoc}), secret), 200, ""},
		{"Only/AdHocWithWrongToken", server.TrustedOnly, withToken(post(map[string]any{"query": adHoc}), "wrong"), 200, "UNAUTHENTICATED"},
		{"Only/TrustedMutationWithGET", server.TrustedOnly, withToken(get(map[string]any{"documentId": "sha256:" + sha(mutation)}), secret), 405, "METHOD_NOT_ALLOWED"},
	}
	servers := map[server.TrustedMode]*httptest.Server{}
	var rt plan.RoundTrips
	for _, mode := range []server.TrustedMode{server.TrustedOff, server.TrustedAllow, server.TrustedOnly} {
		servers[mode] = guarded(t, &rt, server.Deps{Tokens: tokens(t), TrustedDocuments: mode, Manifest: manifest})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := rt.Count()
			var hr *http.Request
			if c.req.method == http.MethodGet {
				q := url.Values{}
				for k, v := range c.req.body {
					q.Set(k, v.(string))
				}
				hr, _ = http.NewRequest(http.MethodGet, servers[c.mode].URL+"/graphql?"+q.Encode(), nil)
			} else {
				b, _ := json.Marshal(c.req.body)
				hr, _ = http.NewRequest(http.MethodPost, servers[c.mode].URL+"/graphql", bytes.NewReader(b))
				hr.Header.Set("Content-Type", "application/json")
			}
			if c.req.token != "" {
				hr.Header.Set("Authorization", "Bearer "+c.req.token)
			}
			if c.req.accept != "" {
				hr.Header.Set("Accept", c.req.accept)
			}
			resp, err := http.DefaultClient.Do(hr)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			raw, _ := io.ReadAll(resp.Body)
			var out gqlResponse
			if err := json.Unmarshal(raw, &out); err != nil {
				t.Fatalf("not JSON (%d): %s", resp.StatusCode, raw)
			}
			wantStatus := c.status
			if c.code == "UNAUTHENTICATED" {
				wantStatus = 200 // application/json: a request not executed is 200 (GraphQL over HTTP)
			}
			if resp.StatusCode != wantStatus || out.code() != c.code {
				t.Fatalf("status %d, code %q; want %d, %q: %s", resp.StatusCode, out.code(), wantStatus, c.code, raw)
			}
			trips := rt.Count() - before
			if c.code == "" {
				if len(out.Data) == 0 || string(out.Data) == "null" || trips == 0 {
					t.Fatalf("no data (%d round trips): %s", trips, raw)
				}
				return
			}
			if trips != 0 {
				t.Errorf("a refused request ran %d Cypher round trips, want 0", trips)
			}
			if out.Data != nil {
				t.Errorf("a refused request has a data entry: %s", raw)
			}
		})
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
