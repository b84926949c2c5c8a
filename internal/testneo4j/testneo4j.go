// Package testneo4j gives tests a real Neo4j: the one NEO4J_URI names when it
// is set (make test starts one for the whole run and sets it), otherwise a
// local Neo4j Community started for this test binary on a free port and
// stopped when the tests end, also when they fail (the database watches the
// test process and stops itself if the process dies).
//
// A database that holds data the tests did not write is never wiped: the
// harness marks the databases it uses and refuses others unless
// NEO4J_TEST_ALLOW_WIPE=true.
package testneo4j

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/shenzhenplan/kgapi/devdb"
	"github.com/shenzhenplan/kgapi/store"
)

// Conn says how to reach the test database.
type Conn struct {
	URI, User, Password, Database string
}

var conn *Conn

// Main runs the package's tests against a real Neo4j. Use it from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(testneo4j.Main(m)) }
//
// With -short it runs the tests without a database; tests that need one skip.
func Main(m *testing.M) int {
	if testingShort() {
		return m.Run()
	}
	ctx := context.Background()
	c, stop, err := start(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "testneo4j:", err)
		return 1
	}
	defer stop()
	conn = c
	if err := claim(ctx, c); err != nil {
		fmt.Fprintln(os.Stderr, "testneo4j:", err)
		return 1
	}
	code := m.Run()
	// Leave the database empty for the next package (or the browser tests).
	if err := wipeAll(ctx, c); err != nil {
		fmt.Fprintln(os.Stderr, "testneo4j: wipe after the tests:", err)
	}
	return code
}

func wipeAll(ctx context.Context, c *Conn) error {
	drv, err := neo4j.NewDriverWithContext(c.URI, neo4j.BasicAuth(c.User, c.Password, ""))
	if err != nil {
		return err
	}
	defer drv.Close(ctx)
	return wipe(ctx, drv, c.Database)
}

// wipe deletes the relationships, then the nodes, in transactions of a
// bounded size: 2,000 nodes detached at once ran out of the transaction
// memory pool of the 512 MiB test server (MemoryPoolOutOfMemoryError at the
// end of make bench-planner) when they were hubs of the 100,000-measure
// plan, a sector or a milestone of tens of thousands of links each.
func wipe(ctx context.Context, drv neo4j.DriverWithContext, db string) error {
	for _, cypher := range []string{
		"MATCH ()-[r]->() WITH r LIMIT 20000 DELETE r RETURN count(*) AS n",
		"MATCH (n) WHERE NOT n:TestHarness WITH n LIMIT 20000 DETACH DELETE n RETURN count(*) AS n",
	} {
		for {
			res, err := neo4j.ExecuteQuery(ctx, drv, cypher, nil, neo4j.EagerResultTransformer, neo4j.ExecuteQueryWithDatabase(db))
			if err != nil {
				return err
			}
			n, _, err := neo4j.GetRecordValue[int64](res.Records[0], "n")
			if err != nil {
				return err
			}
			if n < 20000 {
				break // fewer than the LIMIT: none are left
			}
		}
	}
	return nil
}

func testingShort() bool {
	for _, a := range os.Args[1:] {
		if a == "-test.short" || a == "-test.short=true" {
			return true
		}
	}
	return false
}

func start(ctx context.Context) (*Conn, func(), error) {
	if uri := os.Getenv("NEO4J_URI"); uri != "" {
		c := &Conn{URI: uri, User: envOr("NEO4J_USER", "neo4j"), Password: envOr("NEO4J_PASSWORD", devdb.DefaultPassword), Database: os.Getenv("NEO4J_DATABASE")}
		if err := devdb.Ping(ctx, c.URI, c.User, c.Password); err != nil {
			return nil, nil, fmt.Errorf("NEO4J_URI=%s does not answer: %w", uri, err)
		}
		return c, func() {}, nil
	}
	_, file, _, _ := runtime.Caller(0)
	src, err := devdb.FindSourceDir(filepath.Dir(file))
	if err != nil {
		return nil, nil, err
	}
	port, err := devdb.FreePort()
	if err != nil {
		return nil, nil, err
	}
	dataDir, err := os.MkdirTemp("", "kgapi-testneo4j-")
	if err != nil {
		return nil, nil, err
	}
	in := &devdb.Instance{
		SourceDir: src, CacheDir: filepath.Join(filepath.Dir(src), ".devdb", "cache"), DataDir: dataDir,
		Port: port, Password: devdb.DefaultPassword, ParentPID: os.Getpid(), Log: os.Stderr,
	}
	startCtx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	if err := in.Start(startCtx); err != nil {
		os.RemoveAll(dataDir)
		return nil, nil, err
	}
	stop := func() {
		stopCtx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if err := in.Stop(stopCtx); err != nil {
			fmt.Fprintln(os.Stderr, "testneo4j:", err)
		}
		os.RemoveAll(dataDir)
	}
	return &Conn{URI: in.URI(), User: "neo4j", Password: devdb.DefaultPassword}, stop, nil
}

// claim marks the database as the tests' own, refusing one that holds other data.
func claim(ctx context.Context, c *Conn) error {
	drv, err := neo4j.NewDriverWithContext(c.URI, neo4j.BasicAuth(c.User, c.Password, ""))
	if err != nil {
		return err
	}
	defer drv.Close(ctx)
	res, err := neo4j.ExecuteQuery(ctx, drv, `OPTIONAL MATCH (t:TestHarness) WITH count(t) AS marked
RETURN marked, COUNT { MATCH (n) WHERE NOT n:TestHarness RETURN n LIMIT 1 } AS others`, nil,
		neo4j.EagerResultTransformer, neo4j.ExecuteQueryWithDatabase(c.Database))
	if err != nil {
		return fmt.Errorf("inspect %s: %w", c.URI, err)
	}
	marked, _, _ := neo4j.GetRecordValue[int64](res.Records[0], "marked")
	others, _, _ := neo4j.GetRecordValue[int64](res.Records[0], "others")
	if marked == 0 && others > 0 && os.Getenv("NEO4J_TEST_ALLOW_WIPE") != "true" {
		return fmt.Errorf("the database at %s holds data the tests did not write; the tests wipe their database, so they refuse it. "+
			"Unset NEO4J_URI to let them start their own, or set NEO4J_TEST_ALLOW_WIPE=true", c.URI)
	}
	_, err = neo4j.ExecuteQuery(ctx, drv, "MERGE (:TestHarness {id: 'test-harness'})", nil,
		neo4j.EagerResultTransformer, neo4j.ExecuteQueryWithDatabase(c.Database))
	return err
}

// Connection returns the test database's coordinates, or skips the test under -short.
func Connection(t testing.TB) *Conn {
	t.Helper()
	if conn == nil {
		if testingShort() {
			t.Skip("needs Neo4j; skipped with -short")
		}
		t.Fatal("testneo4j: no database; call testneo4j.Main from TestMain")
	}
	return conn
}

// Store opens a store on the test database, closed when the test ends.
func Store(t testing.TB) *store.Store {
	t.Helper()
	c := Connection(t)
	s, err := store.Open(store.Config{URI: c.URI, User: c.User, Password: c.Password, Database: c.Database, QueryTimeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close(context.Background()) })
	return s
}

// Wipe deletes every node and relationship (keeping the schema and the harness marker).
func Wipe(t testing.TB, s *store.Store) {
	t.Helper()
	if err := wipe(context.Background(), s.Driver(), s.Database()); err != nil {
		t.Fatalf("wipe test database: %v", err)
	}
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
