package store_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/shenzhenplan/kgapi/dataset"
	"github.com/shenzhenplan/kgapi/internal/testneo4j"
	"github.com/shenzhenplan/kgapi/store"
)

// TestFirstLoadBuildsIndexesAfterWriting: with only the constraints in
// place (what the loader creates before a load), Load writes the data and
// then builds every missing index, the full-text one included, and search
// finds what was loaded.
func TestFirstLoadBuildsIndexesAfterWriting(t *testing.T) {
	s := testneo4j.Store(t)
	testneo4j.Wipe(t, s)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	exec := func(c string) []*neo4j.Record {
		t.Helper()
		res, err := neo4j.ExecuteQuery(ctx, s.Driver(), c, nil, neo4j.EagerResultTransformer, neo4j.ExecuteQueryWithDatabase(s.Database()))
		if err != nil {
			t.Fatalf("%s: %v", c, err)
		}
		return res.Records
	}
	for _, name := range []string{"measure_order_title", "measure_plan_order_code", store.SearchIndex} {
		exec("DROP INDEX " + name + " IF EXISTS")
	}
	// Whatever the other tests left, the schema is whole again at the end.
	t.Cleanup(func() {
		if err := s.EnsureSchema(context.Background()); err != nil {
			t.Error(err)
		}
	})
	if err := s.EnsureConstraints(ctx); err != nil {
		t.Fatal(err)
	}
	rep, err := s.Load(ctx, store.ToRows(dataset.Synth(500, 5), "synth-500-5"), store.LoadOptions{Workers: 3, BatchSize: 100})
	if err != nil {
		t.Fatal(err)
	}
	if got := rep.Nodes["Measure"].Created; got != 500 {
		t.Errorf("created %d measures, want 500", got)
	}
	var online []string
	for _, r := range exec("SHOW INDEXES YIELD name, state WHERE state = 'ONLINE' RETURN name") {
		n, _ := r.Get("name")
		online = append(online, n.(string))
	}
	for _, name := range []string{"measure_order_title", "measure_plan_order_code", store.SearchIndex} {
		if !slices.Contains(online, name) {
			t.Errorf("index %s is not online after the load (online: %v)", name, online)
		}
	}
	hits, err := s.Search(ctx, "S1.A1.M1", nil, 5)
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) == 0 {
		t.Error("search finds nothing after the load built the full-text index")
	}
}
