package server_test

// Fault tests: the API without its database, and across a Neo4j restart.
// Each test starts its own Neo4j (a devdb.Instance on a free port with a
// temporary data folder), so the shared test database is never disturbed.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/shenzhenplan/kgapi/app"
	"github.com/shenzhenplan/kgapi/dataset"
	"github.com/shenzhenplan/kgapi/devdb"
	"github.com/shenzhenplan/kgapi/plan"
	"github.com/shenzhenplan/kgapi/server"
	"github.com/shenzhenplan/kgapi/store"
)

// faultQueryTimeout is the API's deadline in the fault tests.
const faultQueryTimeout = 3 * time.Second

// syncBuffer is a bytes.Buffer safe for concurrent writers (the API's log).
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// testLog sends devdb's progress lines to the test log.
type testLog struct{ t testing.TB }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Helper()
	l.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// ownNeo4j describes a Neo4j of the test's own, not started yet: a free
// port, a temporary data folder, the repository's launcher cache. It is
// stopped when the test ends; it also stops by itself if the test process
// dies.
func ownNeo4j(t *testing.T) *devdb.Instance {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	src, err := devdb.FindSourceDir(filepath.Dir(file))
	if err != nil {
		t.Fatal(err)
	}
	port, err := devdb.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	in := &devdb.Instance{
		SourceDir: src,
		CacheDir:  filepath.Join(filepath.Dir(src), ".devdb", "cache"),
		DataDir:   t.TempDir(), // removed after the Stop below (cleanups run last-in first-out)
		Port:      port,
		Password:  devdb.DefaultPassword,
		ParentPID: os.Getpid(),
		Log:       testLog{t},
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if err := in.Stop(ctx); err != nil {
			t.Errorf("stop the test's Neo4j: %v", err)
		}
	})
	return in
}

func startNeo4j(t *testing.T, in *devdb.Instance, within time.Duration) time.Duration {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	start := time.Now()
	if err := in.Start(ctx); err != nil {
		t.Fatalf("start Neo4j on port %d: %v", in.Port, err)
	}
	return time.Since(start)
}

// loadBundledInto loads the bundled dataset into the instance.
func loadBundledInto(t *testing.T, in *devdb.Instance) {
	t.Helper()
	ds, err := dataset.Parse("../data/shenzhen-2019-2025.yaml")
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(store.Config{URI: in.URI(), User: "neo4j", Password: in.Password, QueryTimeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := st.EnsureSchema(ctx); err != nil {
		t.Fatalf("ensure schema: %v", err)
	}
	if _, err := st.Load(ctx, store.ToRows(ds, "shenzhen-2019-2025"), store.LoadOptions{}); err != nil {
		t.Fatalf("load the bundled data: %v", err)
	}
}

// gqlAnswer is a decoded GraphQL response.
type gqlAnswer struct {
	Data   json.RawMessage `json:"data"`
	Errors []struct {
		Message    string         `json:"message"`
		Extensions map[string]any `json:"extensions"`
	} `json:"errors"`
}

func (a gqlAnswer) codes() []string {
	var out []string
	for _, e := range a.Errors {
		c, _ := e.Extensions["code"].(string)
		out = append(out, c)
	}
	return out
}

// postQuery sends one GraphQL query and decodes the answer.
func postQuery(client *http.Client, url, query string) (status int, ans gqlAnswer, body []byte, err error) {
	b, _ := json.Marshal(map[string]any{"query": query})
	resp, err := client.Post(url+"/graphql", "application/json", bytes.NewReader(b))
	if err != nil {
		return 0, ans, nil, err
	}
	defer resp.Body.Close()
	body, err = io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, ans, body, err
	}
	if err := json.Unmarshal(body, &ans); err != nil {
		return resp.StatusCode, ans, body, fmt.Errorf("answer is not JSON: %v", err)
	}
	return resp.StatusCode, ans, body, nil
}

func getStatus(client *http.Client, url string) (int, error) {
	resp, err := client.Get(url)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}

// The API starts while Neo4j is down, says so on /readyz, answers queries
// with a coded error quickly, and recovers by itself once Neo4j runs: no
// restart of the API. Then it shuts down gracefully.
func TestStartsWithoutDatabase(t *testing.T) {
	if testing.Short() {
		t.Skip("starts its own Neo4j; skipped with -short")
	}
	testStart := time.Now()
	in := ownNeo4j(t) // not started yet: nothing listens on its port

	var logs syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	env := map[string]string{"NEO4J_URI": in.URI(), "NEO4J_PASSWORD": in.Password}
	args := []string{"-listen-addr", "127.0.0.1:0", "-log-format", "console", "-query-timeout", faultQueryTimeout.String()}
	go func() {
		done <- app.Run(ctx, args, func(k string) string { return env[k] }, &logs, &logs, ready)
	}()
	runEnded := false
	t.Cleanup(func() { // runs before the instance's Stop
		cancel()
		if !runEnded {
			select {
			case <-done:
			case <-time.After(20 * time.Second):
				t.Errorf("app.Run did not return within 20 s of its context's cancellation")
			}
		}
		if t.Failed() {
			t.Logf("API log:\n%s", logs.String())
		}
	})

	var base string
	select {
	case addr := <-ready:
		base = "http://" + addr
	case err := <-done:
		runEnded = true
		t.Fatalf("app.Run returned before serving, with Neo4j down: %v", err)
	case <-time.After(15 * time.Second):
		t.Fatal("the API did not start within 15 s with Neo4j down")
	}
	t.Logf("API up after %s with Neo4j down", time.Since(testStart).Round(time.Millisecond))
	client := &http.Client{Timeout: 10 * time.Second}

	// Down: alive, not ready, coded errors quickly.
	if s, err := getStatus(client, base+"/healthz"); err != nil || s != http.StatusOK {
		t.Errorf("/healthz with Neo4j down: status %d, %v; want 200", s, err)
	}
	if s, err := getStatus(client, base+"/readyz"); err != nil || s != http.StatusServiceUnavailable {
		t.Errorf("/readyz with Neo4j down: status %d, %v; want 503", s, err)
	}
	qStart := time.Now()
	status, ans, body, err := postQuery(client, base, "{ plans { slug } }")
	took := time.Since(qStart)
	if err != nil {
		t.Fatalf("query with Neo4j down: %v", err)
	}
	if took > 5*time.Second {
		t.Errorf("the query took %s with Neo4j down, want an error within 5 s", took.Round(time.Millisecond))
	}
	if codes := ans.codes(); len(codes) == 0 || codes[0] != plan.EUNAVAIL {
		t.Errorf("query with Neo4j down: status %d, codes %v, want [%s]: %s", status, codes, plan.EUNAVAIL, body)
	}
	for _, e := range ans.Errors {
		if strings.Contains(e.Message, "Neo4j") || strings.Contains(e.Message, "bolt") || strings.Contains(e.Message, "127.0.0.1") {
			t.Errorf("the error shows internals: %q", e.Message)
		}
	}
	t.Logf("query with Neo4j down: %v in %s", ans.codes(), took.Round(time.Millisecond))

	// Neo4j comes up: the same API process turns ready and answers.
	startTook := startNeo4j(t, in, 3*time.Minute)
	dbUp := time.Now()
	t.Logf("Neo4j up after %s", startTook.Round(time.Millisecond))
	var readyAfter time.Duration
	for {
		s, err := getStatus(client, base+"/readyz")
		if err == nil && s == http.StatusOK {
			readyAfter = time.Since(dbUp)
			break
		}
		if time.Since(dbUp) > 5*time.Second {
			t.Fatalf("/readyz still says %d (%v) 5 s after Neo4j answers", s, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("/readyz 200 %s after Neo4j answered", readyAfter.Round(time.Millisecond))

	// Empty database first: the query already succeeds (no plans).
	if status, ans, body, err := postQuery(client, base, "{ plans { slug } }"); err != nil || status != http.StatusOK || len(ans.Errors) > 0 {
		t.Errorf("query on the empty database after Neo4j came up: status %d, %v: %s", status, err, body)
	}
	loadBundledInto(t, in)
	status, ans, body, err = postQuery(client, base, "{ plans { slug } }")
	if err != nil || status != http.StatusOK || len(ans.Errors) > 0 {
		t.Fatalf("query after loading: status %d, %v: %s", status, err, body)
	}
	if !strings.Contains(string(ans.Data), `"shenzhen-pdz-action-plan"`) {
		t.Errorf("query after loading lacks the action plan: %s", body)
	}

	// Graceful shutdown: Run returns nil and the port closes.
	cancel()
	select {
	case err := <-done:
		runEnded = true
		if err != nil {
			t.Errorf("app.Run returned %v after its context was cancelled, want nil", err)
		}
	case <-time.After(faultQueryTimeout + 10*time.Second):
		t.Fatal("app.Run did not return after its context was cancelled")
	}
	if _, err := getStatus(&http.Client{Timeout: 2 * time.Second}, base+"/healthz"); err == nil {
		t.Errorf("the API still answers after Run returned")
	}
	t.Logf("total %s", time.Since(testStart).Round(time.Millisecond))
}

// sample is one request of the restart test's load.
type sample struct {
	start, end time.Time
	ok         bool
	status     int
	codes      []string
	err        string // transport or decoding error
	body       string
}

// The API rides out a Neo4j restart: while Neo4j is down queries fail fast
// with coded errors, and within a few seconds of the restart they succeed
// again, with no restart of the API.
func TestSurvivesNeo4jRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("starts its own Neo4j; skipped with -short")
	}
	testStart := time.Now()
	in := ownNeo4j(t)
	firstStart := startNeo4j(t, in, 2*time.Minute)
	loadBundledInto(t, in)
	t.Logf("Neo4j up after %s, bundled data loaded after %s", firstStart.Round(time.Millisecond), time.Since(testStart).Round(time.Millisecond))

	st, err := store.Open(store.Config{URI: in.URI(), User: "neo4j", Password: in.Password, QueryTimeout: faultQueryTimeout})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close(context.Background()) })
	srv := httptest.NewServer(server.NewHandler(server.Deps{Store: st, Log: zap.NewNop(), QueryTimeout: faultQueryTimeout}))
	t.Cleanup(srv.Close)

	// A bounded load: 4 workers, each a request at a time with a short pause.
	const (
		workers    = 4
		pause      = 25 * time.Millisecond
		clientWait = faultQueryTimeout + 5*time.Second // a hang, not a slow answer
		query      = "{ plan { catalogedMeasureCount } }"
	)
	var (
		mu      sync.Mutex
		samples []sample
		wg      sync.WaitGroup
	)
	stopLoad := make(chan struct{})
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			client := &http.Client{Timeout: clientWait}
			for {
				select {
				case <-stopLoad:
					return
				default:
				}
				s := sample{start: time.Now()}
				status, ans, body, err := postQuery(client, srv.URL, query)
				s.end, s.status, s.codes = time.Now(), status, ans.codes()
				if err != nil {
					s.err = err.Error()
				}
				s.ok = err == nil && status == http.StatusOK && len(ans.Errors) == 0 && strings.Contains(string(ans.Data), `"catalogedMeasureCount":38`)
				if !s.ok {
					s.body = string(body)
				}
				mu.Lock()
				samples = append(samples, s)
				mu.Unlock()
				time.Sleep(pause)
			}
		}()
	}
	loadStopped := false
	endLoad := func() {
		if !loadStopped {
			loadStopped = true
			close(stopLoad)
			wg.Wait()
		}
	}
	t.Cleanup(endLoad)

	loadStart := time.Now()
	time.Sleep(3 * time.Second)
	stopAt := time.Now()
	stopCtx, cancelStop := context.WithTimeout(context.Background(), 30*time.Second)
	err = in.Stop(stopCtx)
	cancelStop()
	if err != nil {
		t.Fatalf("stop Neo4j: %v", err)
	}
	stoppedAt := time.Now()
	time.Sleep(3 * time.Second)
	restartAt := time.Now()
	startNeo4j(t, in, 40*time.Second) // same data folder: the data persists
	readyAt := time.Now()
	time.Sleep(8 * time.Second)
	endLoad()
	loadEnd := time.Now()

	mu.Lock()
	all := append([]sample(nil), samples...)
	mu.Unlock()
	sort.Slice(all, func(i, j int) bool { return all[i].start.Before(all[j].start) })
	rel := func(at time.Time) string { return at.Sub(loadStart).Round(time.Millisecond).String() }

	var before, during, after, beforeErr, duringErr, afterErr int
	var firstOKAfterRestart, lastErr time.Time
	var slowest time.Duration
	codeCount := map[string]int{}
	reported := 0
	report := func(format string, args ...any) {
		if reported < 10 {
			t.Errorf(format, args...)
		}
		reported++
	}
	for _, s := range all {
		took := s.end.Sub(s.start)
		slowest = max(slowest, took)
		if !s.ok {
			lastErr = s.end
			for _, c := range s.codes {
				codeCount[c]++
			}
			if s.err != "" {
				codeCount["transport: "+s.err]++
			}
		}
		switch {
		case s.end.Before(stopAt): // Neo4j up and untouched
			before++
			if !s.ok {
				beforeErr++
				report("request at %s, before the stop, failed: status %d, %v %s: %.300s", rel(s.start), s.status, s.codes, s.err, s.body)
			}
		case s.start.Before(readyAt.Add(3 * time.Second)): // stopping, down, starting, settling
			during++
			if !s.ok {
				duringErr++
			}
		default: // 3 s after the restart and later: no errors at all
			after++
			if !s.ok {
				afterErr++
				report("request at %s (%s after Neo4j was back) failed: status %d, %v %s: %.300s",
					rel(s.start), s.start.Sub(readyAt).Round(time.Millisecond), s.status, s.codes, s.err, s.body)
			}
		}
		if s.ok && s.end.After(restartAt) && firstOKAfterRestart.IsZero() {
			firstOKAfterRestart = s.end
		}
		// Every failure is a coded database error, answered within the deadline.
		if !s.ok {
			if s.err != "" {
				report("request at %s: %s after %s (a hang or a broken answer, want a coded error within %s)", rel(s.start), s.err, took.Round(time.Millisecond), faultQueryTimeout)
				continue
			}
			if len(s.codes) == 0 {
				report("request at %s: status %d without the expected data and without errors: %.300s", rel(s.start), s.status, s.body)
			}
			for _, c := range s.codes {
				if c != plan.EUNAVAIL && c != plan.ETIMEOUT {
					report("request at %s: error code %q, want %s or %s: %.300s", rel(s.start), c, plan.EUNAVAIL, plan.ETIMEOUT, s.body)
				}
			}
			if strings.Contains(s.body, "Neo.") || strings.Contains(s.body, "bolt://") {
				report("request at %s: the error shows driver internals: %.300s", rel(s.start), s.body)
			}
		}
		if took > faultQueryTimeout+2*time.Second {
			report("request at %s took %s, more than the deadline (%s) plus 2 s", rel(s.start), took.Round(time.Millisecond), faultQueryTimeout)
		}
	}
	if reported > 10 {
		t.Errorf("… and %d more problems", reported-10)
	}

	t.Logf("timeline (from the start of the load): stop %s, stopped %s, restart %s, Neo4j answering %s, end %s",
		rel(stopAt), rel(stoppedAt), rel(restartAt), rel(readyAt), rel(loadEnd))
	t.Logf("requests %d: before the stop %d (%d errors), stop..ready+3s %d (%d errors), after %d (%d errors); slowest %s",
		len(all), before, beforeErr, during, duringErr, after, afterErr, slowest.Round(time.Millisecond))
	t.Logf("error codes: %v", codeCount)
	if !firstOKAfterRestart.IsZero() {
		t.Logf("first success %s after the restart began, %s after Neo4j answered; last error %s after Neo4j answered",
			firstOKAfterRestart.Sub(restartAt).Round(time.Millisecond), firstOKAfterRestart.Sub(readyAt).Round(time.Millisecond),
			lastErr.Sub(readyAt).Round(time.Millisecond))
	}

	if before < 10 {
		t.Errorf("only %d requests before the stop: the load did not run", before)
	}
	if duringErr == 0 {
		t.Errorf("no request failed while Neo4j was down: the test did not exercise the outage")
	}
	if after < 10 {
		t.Errorf("only %d requests from 3 s after the restart to the end", after)
	}
	if firstOKAfterRestart.IsZero() {
		t.Errorf("no request succeeded after the restart")
	}
	if total := time.Since(testStart); total > 60*time.Second {
		t.Errorf("the test took %s, want under 60 s", total.Round(time.Millisecond))
	} else {
		t.Logf("total %s", total.Round(time.Millisecond))
	}
}
