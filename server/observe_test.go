package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shenzhenplan/kgapi/app"
	"github.com/shenzhenplan/kgapi/internal/testneo4j"
	"github.com/shenzhenplan/kgapi/server"
)

func TestMetrics(t *testing.T) {
	st := testneo4j.Store(t)
	srv := guarded(t, nil, server.Deps{Metrics: server.NewMetrics(st, 100)})
	body, _ := json.Marshal(map[string]any{"query": "query Dashboard { measures(first: 5) { nodes { code projects { name } } } }"})
	for i := 0; i < 2; i++ {
		if r := postRaw(t, srv.URL, body, ""); len(r.Errors) > 0 {
			t.Fatal(r.Errors)
		}
	}
	gql(t, srv.URL, "query Deep { plan { sections { plan { sections { plan { sections { plan { sections { plan { sections { number } } } } } } } } } } }", "")
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	text := string(b)
	for _, want := range []string{
		`kgapi_graphql_requests_total{operation="Dashboard",outcome="ok",type="query"} 2`,
		`kgapi_graphql_requests_total{operation="Deep",outcome="rejected",type="query"} 1`,
		`kgapi_graphql_request_duration_seconds_count{operation="Dashboard",type="query"} 2`,
		`kgapi_cypher_round_trips_per_request_count 3`,
		`kgapi_cache_lookups_total{cache="parsed_query",result="hit"}`,
		`kgapi_neo4j_sessions_in_use 0`,
		`kgapi_neo4j_pool_max_connections 100`,
		`go_goroutines`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	// One round trip each (the page with its projects) and none for the rejected one.
	if !strings.Contains(text, `kgapi_cypher_round_trips_per_request_sum 2`) {
		t.Errorf("round trips: %s", grep(text, "round_trips"))
	}
}

func grep(text, sub string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// With the standard OTEL_ variables set, requests and Cypher calls are
// exported as spans over OTLP, and log lines carry the trace id.
func TestTracing(t *testing.T) {
	var mu sync.Mutex
	var payloads [][]byte
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if r.URL.Path == "/v1/traces" {
			mu.Lock()
			payloads = append(payloads, b)
			mu.Unlock()
		}
		w.Header().Set("Content-Type", "application/x-protobuf")
	}))
	defer collector.Close()
	t.Setenv("OTEL_TRACES_EXPORTER", "otlp")
	t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.URL)
	t.Setenv("OTEL_EXPORTER_OTLP_COMPRESSION", "none")
	t.Setenv("OTEL_BSP_SCHEDULE_DELAY", "100")
	t.Setenv("OTEL_SERVICE_NAME", "kgapi-test")

	api(t) // bundled data
	c := testneo4j.Connection(t)
	env := map[string]string{"NEO4J_URI": c.URI, "NEO4J_USER": c.User, "NEO4J_PASSWORD": c.Password, "NEO4J_DATABASE": c.Database,
		"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_ENDPOINT": collector.URL, "OTEL_SERVICE_NAME": "kgapi-test"}
	ctx, cancel := context.WithCancel(context.Background())
	var logs obsBuffer
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- app.Run(ctx, []string{"-listen-addr", "127.0.0.1:0"}, func(k string) string { return env[k] }, io.Discard, &logs, ready)
	}()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatal(err)
	case <-time.After(30 * time.Second):
		t.Fatal("the API did not start")
	}
	req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/graphql", strings.NewReader(`{"query":"query Traced { plans { slug } }"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cancel() // shutdown flushes the spans
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	all := bytes.Join(payloads, nil)
	mu.Unlock()
	for _, want := range []string{"graphql.query", "neo4j.read", "POST /graphql", "kgapi-test"} {
		if !bytes.Contains(all, []byte(want)) {
			t.Errorf("no %q in the exported spans (%d payloads)", want, len(payloads))
		}
	}
	// The incoming traceparent's trace id continues in the spans and the log.
	traceID := []byte{0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36}
	if !bytes.Contains(all, traceID) {
		t.Error("the exported spans do not continue the caller's trace")
	}
	if !regexp.MustCompile(`"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736"`).MatchString(logs.String()) {
		t.Errorf("the request log line lacks the trace id:\n%s", grep(logs.String(), `"request"`))
	}
}

type obsBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *obsBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *obsBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }
