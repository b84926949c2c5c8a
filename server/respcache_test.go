package server_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/shenzhenplan/kgapi/internal/testneo4j"
	"github.com/shenzhenplan/kgapi/plan"
	"github.com/shenzhenplan/kgapi/server"
)

// The opt-in response cache: a repeated query costs no round trip, a write
// through the API empties it, errors are never kept, entries expire, and
// without the option every request goes to Neo4j.
func TestResponseCache(t *testing.T) {
	var rt plan.RoundTrips
	srv := guarded(t, &rt, server.Deps{Tokens: tokens(t), ResponseCacheBytes: 1 << 20, ResponseCacheTTL: 300 * time.Millisecond})
	t.Cleanup(func() { reloadBundled(t) })
	// cost sends a request and returns its answer and its round trips.
	cost := func(t *testing.T, url, q, token string) (gqlResponse, int) {
		t.Helper()
		before := rt.Count()
		r := gql(t, url, q, token)
		return r, rt.Count() - before
	}
	status := func(t *testing.T, r gqlResponse) string {
		t.Helper()
		var d struct{ Measure struct{ Status string } }
		if err := json.Unmarshal(r.Data, &d); err != nil || len(r.Errors) > 0 {
			t.Fatalf("%s %v", r.Data, r.Errors)
		}
		return d.Measure.Status
	}
	const q = `{ measure(code: "S2.A1.M2") { code status } }`

	first, n1 := cost(t, srv.URL, q, "")
	second, n2 := cost(t, srv.URL, q, "")
	if n1 == 0 || n2 != 0 {
		t.Errorf("round trips: first %d (want > 0), repeated %d (want 0)", n1, n2)
	}
	if string(first.Data) != string(second.Data) {
		t.Errorf("cached answer differs:\n%s\n%s", first.Data, second.Data)
	}
	if _, n := cost(t, srv.URL, `{ measure(code: "S2.A1.M3") { code status } }`, ""); n == 0 {
		t.Error("another query was answered from the cache")
	}

	// A write through the API empties the cache: the next read sees it.
	was := status(t, first)
	to := "COMPLETED"
	if was == to {
		to = "IN_PROGRESS"
	}
	if r, _ := cost(t, srv.URL, `mutation { setMeasureStatus(code: "S2.A1.M2", status: `+to+`) { status } }`, secret); len(r.Errors) > 0 {
		t.Fatalf("mutation: %v", r.Errors)
	}
	after, n := cost(t, srv.URL, q, "")
	if n == 0 || status(t, after) != to {
		t.Errorf("after setMeasureStatus: status %q with %d round trips, want %q read from Neo4j", status(t, after), n, to)
	}

	// Errors are not kept.
	unknown := `{ neighborhood(id: "` + plan.NewID(plan.KindProject, "no-such-project").Global() + `") { truncated } }`
	for i := 0; i < 2; i++ {
		r, n := cost(t, srv.URL, unknown, "")
		if r.code() != "NOT_FOUND" || n == 0 {
			t.Errorf("request %d for an unknown node: %q with %d round trips, want NOT_FOUND from Neo4j", i+1, r.code(), n)
		}
	}

	// Entries expire.
	cost(t, srv.URL, q, "")
	time.Sleep(400 * time.Millisecond)
	if _, n := cost(t, srv.URL, q, ""); n == 0 {
		t.Error("an entry older than RESPONSE_CACHE_TTL was served")
	}

	// A hit is counted and logged under its operation like any request.
	metered := guarded(t, nil, server.Deps{Metrics: server.NewMetrics(testneo4j.Store(t), 10), ResponseCacheBytes: 1 << 20, ResponseCacheTTL: time.Minute})
	for i := 0; i < 3; i++ {
		if r := gql(t, metered.URL, `query Cached { plans { slug } }`, ""); len(r.Errors) > 0 {
			t.Fatal(r.Errors)
		}
	}
	resp, err := http.Get(metered.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`kgapi_cache_lookups_total{cache="response",result="hit"} 2`,
		`kgapi_cache_lookups_total{cache="response",result="miss"} 1`,
		`kgapi_graphql_requests_total{operation="Cached",outcome="ok",type="query"} 3`,
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}

	// Off by default.
	plain := guarded(t, &rt, server.Deps{})
	cost(t, plain.URL, q, "")
	if _, n := cost(t, plain.URL, q, ""); n == 0 {
		t.Error("without ResponseCacheBytes a repeated query made no round trip")
	}
}
