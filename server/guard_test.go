package server_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	coderws "github.com/coder/websocket"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/lexer"
	"go.uber.org/zap"

	"github.com/shenzhenplan/kgapi/internal/testneo4j"
	"github.com/shenzhenplan/kgapi/plan"
	"github.com/shenzhenplan/kgapi/server"
	"github.com/shenzhenplan/kgapi/store"
)

// The secret and configured hash of the test token.
const secret = "test-secret-of-alice"

func tokens(t *testing.T) []server.Token {
	t.Helper()
	toks, err := server.ParseTokens("alice:" + server.TokenHash(secret))
	if err != nil {
		t.Fatal(err)
	}
	return toks
}

// guarded serves the bundled data with the given options and counts the
// Cypher round trips of every request in rt.
func guarded(t *testing.T, rt *plan.RoundTrips, d server.Deps) *httptest.Server {
	t.Helper()
	api(t) // loads the bundled data once
	d.Store = testneo4j.Store(t)
	d.Writer = d.Store.(*store.Store)
	d.Log = zap.NewNop()
	h := server.NewHandler(d)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rt != nil {
			r = r.WithContext(plan.WithRoundTrips(r.Context(), rt))
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

type gqlResponse struct {
	Status int
	Data   json.RawMessage `json:"data"`
	Errors []struct {
		Message    string         `json:"message"`
		Extensions map[string]any `json:"extensions"`
	} `json:"errors"`
	Took time.Duration
}

func (r gqlResponse) code() string {
	if len(r.Errors) == 0 {
		return ""
	}
	c, _ := r.Errors[0].Extensions["code"].(string)
	return c
}

func postRaw(t *testing.T, url string, body []byte, token string) gqlResponse {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out gqlResponse
	if err := json.Unmarshal(b, &out); err != nil && !bytes.HasPrefix(bytes.TrimSpace(b), []byte("[")) {
		t.Fatalf("not a GraphQL response (%d): %s", resp.StatusCode, b)
	}
	out.Status, out.Took = resp.StatusCode, time.Since(start)
	return out
}

func gql(t *testing.T, url, query, token string) gqlResponse {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query})
	return postRaw(t, url, body, token)
}

// Each limit with a query just inside and just outside it. A rejected query
// runs no Cypher and is answered quickly, naming the limit and its value.
func TestLimits(t *testing.T) {
	nest := func(levels int) string { // plan{sections{plan{…{slug}}}}: levels of fields, the last a scalar
		var b strings.Builder
		open := 0
		for i := 1; i < levels; i++ {
			if i%2 == 1 {
				b.WriteString("plan { ")
			} else {
				b.WriteString("sections { ")
			}
			open++
		}
		if levels%2 == 0 {
			b.WriteString("slug")
		} else {
			b.WriteString("number")
		}
		return "{ " + b.String() + strings.Repeat(" }", open) + " }"
	}
	aliased := func(n int) string {
		var b strings.Builder
		for i := 0; i < n; i++ {
			fmt.Fprintf(&b, "a%d: plans { slug } ", i)
		}
		return "{ " + b.String() + "}"
	}
	// Cost 1 + first × (nodes 1 + code 1 + title 1) = 1 + 3·first.
	costly := func(first int) string { return fmt.Sprintf("{ measures(first: %d) { nodes { code title } } }", first) }
	tokensOf := func(q string) int {
		lx := lexer.New(&ast.Source{Input: q})
		n := 0
		for {
			tok, err := lx.ReadToken()
			if err != nil {
				t.Fatal(err)
			}
			if tok.Kind == lexer.EOF { // the parser does not count the end
				return n
			}
			n++
		}
	}
	tokenQuery := "{ plans { slug title issuer summary } }"
	body := func(size int) []byte {
		b, _ := json.Marshal(map[string]any{"query": "{ plans { slug } }"})
		pad := size - len(b)
		return append(b[:len(b)-1], append(bytes.Repeat([]byte(" "), pad), '}')...)
	}
	batch := func(n int) []byte {
		ops := make([]map[string]any, n)
		for i := range ops {
			ops[i] = map[string]any{"query": "{ plans { slug } }"}
		}
		b, _ := json.Marshal(ops)
		return b
	}
	type check struct {
		name    string
		limits  server.Limits
		body    []byte
		reject  bool
		message string // in the rejection
	}
	lim := func(f func(*server.Limits)) server.Limits { l := server.DefaultLimits; f(&l); return l }
	q := func(s string) []byte { b, _ := json.Marshal(map[string]any{"query": s}); return b }
	checks := []check{
		{"DepthInside", server.DefaultLimits, q(nest(10)), false, ""},
		{"DepthOutside", server.DefaultLimits, q(nest(11)), true, "11 levels deep, more than the limit of 10"},
		// A page costs 1 and 1 per measure it may return (graph/cost.go).
		{"ComplexityInside", lim(func(l *server.Limits) { l.MaxComplexity = 1 + 30 }), q(costly(30)), false, ""},
		{"ComplexityOutside", lim(func(l *server.Limits) { l.MaxComplexity = 1 + 30 - 1 }), q(costly(30)), true, "exceeds the limit of 30"},
		{"DefaultComplexityInside", server.DefaultLimits, q("{ measures(first: 100) { nodes { code title sectors { name } projects { name } places { name } milestones { year } } } }"), false, ""},
		{"DefaultComplexityOutside", server.DefaultLimits, q("{ sectors { measures(first: 10) { nodes { code projects { measures(first: 10) { nodes { code } } } } } } }"), true, "limit of 1000"},
		{"AliasesInside", server.DefaultLimits, q(aliased(15)), false, ""},
		{"AliasesOutside", server.DefaultLimits, q(aliased(16)), true, "16 aliases, more than the limit of 15"},
		{"BodyInside", server.DefaultLimits, body(int(server.DefaultLimits.MaxBodyBytes)), false, ""},
		{"BodyOutside", server.DefaultLimits, body(int(server.DefaultLimits.MaxBodyBytes) + 1), true, "larger than the limit of 1048576 bytes"},
		{"TokensInside", lim(func(l *server.Limits) { l.MaxTokens = tokensOf(tokenQuery) }), q(tokenQuery), false, ""},
		{"TokensOutside", lim(func(l *server.Limits) { l.MaxTokens = tokensOf(tokenQuery) - 1 }), q(tokenQuery), true, fmt.Sprintf("token limit of %d", tokensOf(tokenQuery)-1)},
		{"BatchInside", server.DefaultLimits, batch(10), false, ""},
		{"BatchOutside", server.DefaultLimits, batch(11), true, "11 operations, more than the limit of 10"},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			var rt plan.RoundTrips
			srv := guarded(t, &rt, server.Deps{Limits: c.limits})
			if bytes.HasPrefix(c.body, []byte("[")) && !c.reject {
				resp, err := http.Post(srv.URL+"/graphql", "application/json", bytes.NewReader(c.body))
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				var results []gqlResponse
				if err := json.NewDecoder(resp.Body).Decode(&results); err != nil || len(results) != 10 {
					t.Fatalf("batch: %d results, err %v", len(results), err)
				}
				for i, r := range results {
					if len(r.Errors) > 0 || len(r.Data) == 0 {
						t.Errorf("batch result %d: %+v", i, r)
					}
				}
				return
			}
			r := postRaw(t, srv.URL, c.body, "")
			if !c.reject {
				if len(r.Errors) > 0 {
					t.Fatalf("rejected a query inside the limit: %+v", r.Errors)
				}
				return
			}
			if len(r.Errors) == 0 {
				t.Fatalf("accepted a query outside the limit (status %d)", r.Status)
			}
			if !strings.Contains(r.Errors[0].Message, c.message) {
				t.Errorf("message %q does not name the limit (%q)", r.Errors[0].Message, c.message)
			}
			if n := rt.Count(); n != 0 {
				t.Errorf("%d Cypher round trips ran for a rejected query", n)
			}
		})
	}
}

// A rejected query costs well under a millisecond of server time.
func TestRejectionIsFast(t *testing.T) {
	srv := guarded(t, nil, server.Deps{})
	h := server.NewHandler(server.Deps{Store: testneo4j.Store(t), Log: zap.NewNop()})
	_ = srv
	body, _ := json.Marshal(map[string]any{"query": "{ a0: plans { slug } a1: plans { slug } a2: plans { slug } a3: plans { slug } a4: plans { slug } a5: plans { slug } a6: plans { slug } a7: plans { slug } a8: plans { slug } a9: plans { slug } a10: plans { slug } a11: plans { slug } a12: plans { slug } a13: plans { slug } a14: plans { slug } a15: plans { slug } }"})
	var times []time.Duration
	for i := 0; i < 50; i++ {
		req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		start := time.Now()
		h.ServeHTTP(w, req)
		times = append(times, time.Since(start))
		if !strings.Contains(w.Body.String(), "QUERY_LIMIT_EXCEEDED") {
			t.Fatalf("not rejected: %s", w.Body.String())
		}
	}
	median := sortDurations(times)[len(times)/2]
	t.Logf("median server time of a rejected query: %s", median)
	if median > time.Millisecond {
		t.Errorf("median %s, want well under 1 ms", median)
	}
}

func sortDurations(d []time.Duration) []time.Duration {
	out := append([]time.Duration(nil), d...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func TestIntrospectionAndSuggestions(t *testing.T) {
	open := guarded(t, nil, server.Deps{})
	closed := guarded(t, nil, server.Deps{DisableIntrospection: true, DisableSuggestions: true})
	if r := gql(t, open.URL, "{ __schema { queryType { name } } }", ""); len(r.Errors) > 0 {
		t.Errorf("introspection refused by default: %+v", r.Errors)
	}
	if r := gql(t, closed.URL, "{ __schema { queryType { name } } }", ""); len(r.Errors) == 0 {
		t.Error("introspection allowed when switched off")
	}
	if r := gql(t, open.URL, "{ plns { slug } }", ""); len(r.Errors) == 0 || !strings.Contains(r.Errors[0].Message, "Did you mean") {
		t.Errorf("no suggestion by default: %+v", r.Errors)
	}
	if r := gql(t, closed.URL, "{ plns { slug } }", ""); len(r.Errors) == 0 || strings.Contains(r.Errors[0].Message, "Did you mean") {
		t.Errorf("suggestion shown when switched off: %+v", r.Errors)
	}
}

func TestRequestDeadline(t *testing.T) {
	srv := guarded(t, nil, server.Deps{QueryTimeout: time.Nanosecond})
	r := gql(t, srv.URL, "{ plans { slug } }", "")
	if r.code() != "TIMEOUT" {
		t.Errorf("with a 1 ns deadline: status %d code %q, want TIMEOUT (%+v) data %s", r.Status, r.code(), r.Errors, r.Data)
	}
	ok := guarded(t, nil, server.Deps{QueryTimeout: 10 * time.Second})
	if r := gql(t, ok.URL, "{ plans { slug } }", ""); len(r.Errors) > 0 {
		t.Errorf("with a 10 s deadline: %+v", r.Errors)
	}
}

func TestRateLimit(t *testing.T) {
	srv := guarded(t, nil, server.Deps{RateLimit: 1, RateBurst: 3})
	for i := 0; i < 3; i++ {
		if r := gql(t, srv.URL, "{ plans { slug } }", ""); r.Status != 200 {
			t.Fatalf("request %d within the burst: status %d", i+1, r.Status)
		}
	}
	r := gql(t, srv.URL, "{ plans { slug } }", "")
	if r.Status != http.StatusTooManyRequests || r.code() != "RATE_LIMITED" {
		t.Errorf("4th request: status %d code %q, want 429 RATE_LIMITED", r.Status, r.code())
	}
}

// The auth matrix: no token, wrong token, right token × query, mutation,
// subscription (SSE and WebSocket), with queries public and closed.
func TestAuthMatrix(t *testing.T) {
	const query = `{ plans { slug } }`
	const mutation = `mutation { setMeasureStatus(code: "S1.M2", status: PLANNED, note: "auth matrix") { status } }`
	const subscription = `subscription { measureChanged(code: "S1.M2") { code } }`
	for _, closed := range []bool{false, true} {
		srv := guarded(t, nil, server.Deps{Tokens: tokens(t), ReadTokenRequired: closed})
		for _, tok := range []struct{ name, value string }{{"NoToken", ""}, {"WrongToken", "not-the-secret"}, {"RightToken", secret}} {
			for _, op := range []struct{ name, doc string }{{"Query", query}, {"Mutation", mutation}} {
				name := fmt.Sprintf("ReadClosed=%v/%s/%s", closed, tok.name, op.name)
				t.Run(name, func(t *testing.T) {
					r := gql(t, srv.URL, op.doc, tok.value)
					allowed := tok.value == secret || (op.name == "Query" && !closed && tok.value == "")
					if allowed && len(r.Errors) > 0 {
						t.Fatalf("refused: %+v", r.Errors)
					}
					if !allowed {
						if r.code() != "UNAUTHENTICATED" {
							t.Fatalf("code %q, want UNAUTHENTICATED (%+v)", r.code(), r.Errors)
						}
						if m := r.Errors[0].Message; strings.Contains(m, "wrong") || strings.Contains(m, "missing") || strings.Contains(m, "unknown") {
							t.Errorf("the message hints at which part was wrong: %q", m)
						}
					}
				})
			}
			t.Run(fmt.Sprintf("ReadClosed=%v/%s/SubscriptionSSE", closed, tok.name), func(t *testing.T) {
				got := sseFirst(t, srv.URL, subscription, tok.value, func() { trigger(srv.URL, mutation) })
				if tok.value == secret {
					if !strings.Contains(got, `"measureChanged":{"code":"S1.M2"}`) {
						t.Errorf("no event after a mutation: %q", got)
					}
				} else if !strings.Contains(got, "UNAUTHENTICATED") {
					t.Errorf("subscription without the right token: %q", got)
				}
			})
			t.Run(fmt.Sprintf("ReadClosed=%v/%s/SubscriptionWebSocket", closed, tok.name), func(t *testing.T) {
				got := wsFirst(t, srv.URL, subscription, tok.value, func() { trigger(srv.URL, mutation) })
				if tok.value == secret {
					if !strings.Contains(got, `"measureChanged":{"code":"S1.M2"}`) {
						t.Errorf("no event after a mutation: %q", got)
					}
				} else if !strings.Contains(got, "UNAUTHENTICATED") {
					t.Errorf("subscription without the right token: %q", got)
				}
			})
		}
	}
}

// trigger runs a mutation with the right token from a background goroutine
// (it may outlive the test, so it reports nothing).
func trigger(url, mutation string) {
	body, _ := json.Marshal(map[string]any{"query": mutation})
	req, _ := http.NewRequest(http.MethodPost, url+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+secret)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
	}
}

// sseFirst subscribes over Server-Sent Events, runs trigger, and returns the
// first data message (or the error response).
func sseFirst(t *testing.T, url, query, token string, trigger func()) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	body, _ := json.Marshal(map[string]any{"query": query})
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "data:") {
				lines <- sc.Text()
			}
		}
		close(lines)
	}()
	go func() { time.Sleep(300 * time.Millisecond); trigger() }()
	select {
	case l, ok := <-lines:
		if ok {
			return l
		}
		return ""
	case <-ctx.Done():
		return "timeout"
	}
}

// wsFirst subscribes over graphql-transport-ws with the token in the
// connection_init payload and returns the first next/error message.
func wsFirst(t *testing.T, url, query, token string, trigger func()) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, err := coderws.Dial(ctx, "ws"+strings.TrimPrefix(url, "http")+"/graphql", &coderws.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	send := func(v any) {
		b, _ := json.Marshal(v)
		if err := c.Write(ctx, coderws.MessageText, b); err != nil {
			t.Fatal(err)
		}
	}
	payload := map[string]any{}
	if token != "" {
		payload["Authorization"] = "Bearer " + token
	}
	send(map[string]any{"type": "connection_init", "payload": payload})
	triggered := false
	for {
		_, b, err := c.Read(ctx)
		if err != nil {
			return "closed: " + err.Error()
		}
		var msg struct{ Type string }
		_ = json.Unmarshal(b, &msg)
		switch msg.Type {
		case "connection_ack":
			send(map[string]any{"id": "1", "type": "subscribe", "payload": map[string]any{"query": query}})
			if !triggered {
				triggered = true
				go func() { time.Sleep(300 * time.Millisecond); trigger() }()
			}
		case "next", "error":
			return string(b)
		}
	}
}
