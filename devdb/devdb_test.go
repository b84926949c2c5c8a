package devdb_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/shenzhenplan/kgapi/internal/testneo4j"
)

func TestMain(m *testing.M) { os.Exit(testneo4j.Main(m)) }

// The test database is a real Neo4j 5.26 (not an imitation), and what one
// session writes another reads.
func TestRealNeo4j(t *testing.T) {
	ctx := context.Background()
	c := testneo4j.Connection(t)
	drv, err := neo4j.NewDriverWithContext(c.URI, neo4j.BasicAuth(c.User, c.Password, ""))
	if err != nil {
		t.Fatal(err)
	}
	defer drv.Close(ctx)

	t.Run("KernelIs5.26", func(t *testing.T) {
		res, err := neo4j.ExecuteQuery(ctx, drv, "CALL dbms.components() YIELD name, versions, edition RETURN name, versions[0] AS version, edition",
			nil, neo4j.EagerResultTransformer, neo4j.ExecuteQueryWithDatabase(c.Database))
		if err != nil {
			t.Fatal(err)
		}
		name, _, _ := neo4j.GetRecordValue[string](res.Records[0], "name")
		version, _, _ := neo4j.GetRecordValue[string](res.Records[0], "version")
		edition, _, _ := neo4j.GetRecordValue[string](res.Records[0], "edition")
		t.Logf("dbms.components: %s %s %s", name, version, edition)
		if name != "Neo4j Kernel" || !strings.HasPrefix(version, "5.26") {
			t.Fatalf("want Neo4j Kernel 5.26.x, got %q %q", name, version)
		}
	})

	t.Run("WriteInOneSessionReadInAnother", func(t *testing.T) {
		token := t.Name()
		w := drv.NewSession(ctx, neo4j.SessionConfig{AccessMode: neo4j.AccessModeWrite, DatabaseName: c.Database})
		_, err := neo4j.ExecuteWrite(ctx, w, func(tx neo4j.ManagedTransaction) (any, error) {
			res, err := tx.Run(ctx, "CREATE (:DevDbProbe {token: $t})", map[string]any{"t": token})
			if err != nil {
				return nil, err
			}
			return res.Consume(ctx)
		})
		w.Close(ctx)
		if err != nil {
			t.Fatal(err)
		}
		r := drv.NewSession(ctx, neo4j.SessionConfig{AccessMode: neo4j.AccessModeRead, DatabaseName: c.Database})
		defer r.Close(ctx)
		n, err := neo4j.ExecuteRead(ctx, r, func(tx neo4j.ManagedTransaction) (int64, error) {
			res, err := tx.Run(ctx, "MATCH (p:DevDbProbe {token: $t}) RETURN count(p) AS n", map[string]any{"t": token})
			if err != nil {
				return 0, err
			}
			rec, err := res.Single(ctx)
			if err != nil {
				return 0, err
			}
			n, _, err := neo4j.GetRecordValue[int64](rec, "n")
			return n, err
		})
		if err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Fatalf("read %d probe nodes in a new session, want 1", n)
		}
		_, _ = neo4j.ExecuteQuery(ctx, drv, "MATCH (p:DevDbProbe) DELETE p", nil, neo4j.EagerResultTransformer, neo4j.ExecuteQueryWithDatabase(c.Database))
	})

	t.Run("AuthenticationIsOn", func(t *testing.T) {
		bad, err := neo4j.NewDriverWithContext(c.URI, neo4j.BasicAuth(c.User, "wrong-password", ""))
		if err != nil {
			t.Fatal(err)
		}
		defer bad.Close(ctx)
		if err := bad.VerifyConnectivity(ctx); err == nil {
			t.Fatal("a wrong password was accepted")
		}
	})
}
