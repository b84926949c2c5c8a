package bench_test

// The benchmark's smoke test: against the Neo4j NEO4J_URI names, it loads
// the bundled dataset, starts our API and the floor in-process, drives the
// dashboard workload for about two seconds and asserts that every response
// is correct. It measures nothing (the real benchmark is `make bench`) and
// never starts the peer (no npm in the Go tests).

import (
	"context"
	"errors"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/shenzhenplan/kgapi/app"
	"github.com/shenzhenplan/kgapi/bench/floor"
	"github.com/shenzhenplan/kgapi/bench/load"
	"github.com/shenzhenplan/kgapi/dataset"
	"github.com/shenzhenplan/kgapi/devdb"
	"github.com/shenzhenplan/kgapi/loader"
	"github.com/shenzhenplan/kgapi/store"
)

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func repoRoot(t *testing.T) string {
	t.Helper()
	d, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		parent := filepath.Dir(d)
		if parent == d {
			t.Fatal("no go.mod above the test's folder")
		}
		d = parent
	}
}

func count(ctx context.Context, t *testing.T, st *store.Store, cypher string, params map[string]any) int64 {
	t.Helper()
	res, err := neo4j.ExecuteQuery(ctx, st.Driver(), cypher, params, neo4j.EagerResultTransformer, neo4j.ExecuteQueryWithDatabase(st.Database()))
	if err != nil {
		t.Fatalf("%s: %v", cypher, err)
	}
	n, _ := res.Records[0].Values[0].(int64)
	return n
}

func TestSmokeDashboardOursAndFloor(t *testing.T) {
	uri := os.Getenv("NEO4J_URI")
	if uri == "" {
		t.Skip("NEO4J_URI is not set: this smoke test loads the bundled dataset into the Neo4j it names " +
			"(make test sets it; by hand: NEO4J_URI=bolt://127.0.0.1:7687 go test ./bench/...)")
	}
	if testing.Short() {
		t.Skip("needs Neo4j; skipped with -short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	st, err := store.Open(store.Config{URI: uri, User: envOr("NEO4J_USER", "neo4j"), Password: envOr("NEO4J_PASSWORD", devdb.DefaultPassword),
		Database: os.Getenv("NEO4J_DATABASE"), QueryTimeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	// A cleanup, not a defer: it must run after the wipe registered below.
	t.Cleanup(func() { st.Close(context.Background()) })

	// Load the bundled dataset ourselves: other packages' tests wipe the
	// database, and the packages run in any order. A database that held
	// nothing (but the test harness' marker) is left holding nothing.
	empty := count(ctx, t, st, "MATCH (n) WHERE NOT n:TestHarness RETURN count(n) AS n", nil) == 0
	file := filepath.Join(repoRoot(t), loader.DefaultFile)
	name := strings.TrimSuffix(filepath.Base(file), filepath.Ext(file))
	ds, err := dataset.Parse(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.EnsureSchema(ctx); err != nil {
		t.Fatal(err)
	}
	if empty {
		t.Cleanup(func() {
			for {
				n := count(context.Background(), t, st, "MATCH (n:Entity {dataset: $ds}) WITH n LIMIT 10000 DETACH DELETE n RETURN count(*) AS n", map[string]any{"ds": name})
				if n == 0 {
					// And the change log the load appended to.
					count(context.Background(), t, st, "MATCH (n) WHERE n:Change OR n:ChangeLog DETACH DELETE n RETURN count(*) AS n", nil)
					return
				}
			}
		})
	}
	if _, err := st.Load(ctx, store.ToRows(ds, name), store.LoadOptions{Prune: true}); err != nil {
		t.Fatal(err)
	}

	suite, err := load.Prepare(ctx, st.Driver(), st.Database(), load.Spec{PlanSlug: "shenzhen-pdz-action-plan", Dataset: name, SearchText: "science technology"})
	if err != nil {
		t.Fatal(err)
	}
	w := suite.Workload("dashboard")

	// Our API, in-process, on a free port.
	apiCtx, stopAPI := context.WithCancel(ctx)
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- app.Run(apiCtx, []string{"-listen-addr", "127.0.0.1:0", "-log-level", "warn"}, os.Getenv, io.Discard, io.Discard, ready)
	}()
	defer func() {
		stopAPI()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("API: %v", err)
		}
	}()
	var apiAddr string
	select {
	case apiAddr = <-ready:
	case err := <-done:
		t.Fatalf("API did not start: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("API did not start within 30 s")
	}

	// The floor, in-process.
	fl := httptest.NewServer(floor.New(st.Driver(), st.Database()))
	defer fl.Close()

	for _, target := range []load.Target{
		{Dialect: load.Ours, BaseURL: "http://" + apiAddr},
		{Dialect: load.Floor, BaseURL: fl.URL},
	} {
		client := load.NewClient(4)
		res, err := load.Drive(ctx, client, target, w, load.Options{Concurrency: 4, Duration: time.Second})
		client.CloseIdleConnections()
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %d correct responses in %s (%.0f req/s)", target.Dialect, res.OK, res.Elapsed.Round(time.Millisecond), res.RPS())
		if res.Errors+res.Incorrect > 0 || res.OK == 0 {
			t.Errorf("%s, dashboard: %d correct, %d errors, %d incorrect; first: %s", target.Dialect, res.OK, res.Errors, res.Incorrect, res.FirstProblem)
		}
	}
}
