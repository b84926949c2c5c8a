package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/shenzhenplan/kgapi/plan"
)

// SearchIndex is the name of the full-text index over names, titles,
// summaries and descriptions. Its analyzer, "cjk", tokenises Latin text into
// words and Chinese text into bigrams, so "Qianhai", "science city" and
// "前海" all match. It is eventually consistent (updated right after each
// commit rather than inside it), which keeps large loads fast; the loader
// waits for it before it reports.
const SearchIndex = "search"

// schemaStatements are the constraints and indexes the graph needs. Each is
// idempotent (IF NOT EXISTS).
func schemaStatements() []string {
	var out []string
	for _, k := range plan.Kinds {
		out = append(out, fmt.Sprintf("CREATE CONSTRAINT %s_id IF NOT EXISTS FOR (n:%s) REQUIRE n.id IS UNIQUE", lower(string(k)), k))
	}
	for _, k := range plan.Model.Kinds {
		if k.Key != "" {
			out = append(out, fmt.Sprintf("CREATE INDEX %s_%s IF NOT EXISTS FOR (n:%s) ON (n.%s)", lower(string(k.Kind)), k.Key, k.Kind, k.Key))
		}
	}
	out = append(out, measurePageIndexes()...)
	out = append(out,
		"CREATE CONSTRAINT entity_id IF NOT EXISTS FOR (n:Entity) REQUIRE n.id IS UNIQUE",
		// The change log (store/changes.go): one counter, entries by seq.
		"CREATE CONSTRAINT changelog_id IF NOT EXISTS FOR (n:ChangeLog) REQUIRE n.id IS UNIQUE",
		"CREATE CONSTRAINT change_seq IF NOT EXISTS FOR (n:Change) REQUIRE n.seq IS UNIQUE",
		"CREATE INDEX measure_code IF NOT EXISTS FOR (n:Measure) ON (n.code)",
		"CREATE INDEX measure_status IF NOT EXISTS FOR (n:Measure) ON (n.status)",
		"CREATE TEXT INDEX measure_search_text IF NOT EXISTS FOR (n:Measure) ON (n.searchText)",
		"CREATE INDEX entity_dataset IF NOT EXISTS FOR (n:Entity) ON (n.dataset)",
		searchIndexStatement(),
	)
	return out
}

// searchIndexed is the labels and properties the full-text index covers
// (plan.SearchIndexed), as Neo4j names them.
func searchIndexed() (labels, props []string) {
	kinds, props := plan.SearchIndexed()
	labels = make([]string, len(kinds))
	for i, k := range kinds {
		labels[i] = string(k)
	}
	return labels, props
}

// searchIndexStatement creates the full-text index over the searchable
// properties of the model (plan.SearchIndexed).
func searchIndexStatement() string {
	labels, props := searchIndexed()
	for i, p := range props {
		props[i] = "n." + p
	}
	return "CREATE FULLTEXT INDEX " + SearchIndex + " IF NOT EXISTS FOR (n:" + strings.Join(labels, "|") + ") " +
		"ON EACH [" + strings.Join(props, ", ") + "] " +
		"OPTIONS {indexConfig: {`fulltext.analyzer`: 'cjk', `fulltext.eventually_consistent`: true}}"
}

// measurePageIndexes are the indexes the measure-page planner reads in
// order (store/measures.go): for each property scope and each sort key a
// (scope, key, codeKey) index, and a global (key, codeKey) one; the code
// key alone needs no second key.
func measurePageIndexes() []string {
	var out []string
	for _, sc := range []plan.Scope{"", plan.ScopePlan, plan.ScopeSection, plan.ScopeAspect} {
		prop := measureScopes[sc].prop
		for _, k := range sortKeyProps {
			name := "measure"
			if prop != "" {
				name += "_" + strings.TrimSuffix(prop, "Id")
			}
			name += "_order_" + lower(strings.TrimSuffix(k, "Key"))
			out = append(out, fmt.Sprintf("CREATE INDEX %s IF NOT EXISTS FOR (n:Measure) ON (%s)", name, strings.Join(pageIndexProps("n", prop, k, "id"), ", ")))
		}
	}
	// A scope node's measures, through the keys on its links (linkKeys):
	// counted per plan, section and aspect, and in any page order.
	for _, typ := range linkTypes {
		for _, p := range scopeProps {
			out = append(out, fmt.Sprintf("CREATE INDEX %s_in_%s IF NOT EXISTS FOR ()-[r:%s]-() ON (r.hub, r.%s)", lower(typ), strings.TrimSuffix(p, "Id"), typ, p))
		}
		for _, k := range sortKeyProps {
			name := lower(typ) + "_order_" + lower(strings.TrimSuffix(k, "Key"))
			out = append(out, fmt.Sprintf("CREATE INDEX %s IF NOT EXISTS FOR ()-[r:%s]-() ON (%s)", name, typ, strings.Join(pageIndexProps("r", "hub", k, "mid"), ", ")))
		}
	}
	return out
}

// pageIndexProps are the properties, on variable v, of the index that
// reads a page ordered by key k in full (ties by code key, then by the
// measure's id in idProp): led by scopeProp unless it is "".
func pageIndexProps(v, scopeProp, k, idProp string) []string {
	var props []string
	if scopeProp != "" {
		props = append(props, scopeProp)
	}
	props = append(props, k)
	if k != "codeKey" {
		props = append(props, "codeKey")
	}
	props = append(props, idProp)
	for i := range props {
		props[i] = v + "." + props[i]
	}
	return props
}

// EnsureSchema creates the constraints and indexes and waits until they are
// online. A full-text index that covers other labels or properties than the
// model's (a kind or a searchable field was added) is dropped first and
// built again.
func (s *Store) EnsureSchema(ctx context.Context) error {
	stale, err := s.staleSearchIndex(ctx)
	if err != nil {
		return err
	}
	if stale {
		if err := s.autoCommit(ctx, neo4j.AccessModeWrite, "DROP INDEX "+SearchIndex+" IF EXISTS"); err != nil {
			return fmt.Errorf("drop the stale full-text index: %w", err)
		}
	}
	return s.applySchema(ctx, schemaStatements())
}

// staleSearchIndex reports whether the full-text index exists over other
// labels or properties than the model's searchable ones.
func (s *Store) staleSearchIndex(ctx context.Context) (bool, error) {
	recs, err := s.read(ctx, "SHOW FULLTEXT INDEXES YIELD name, labelsOrTypes, properties WHERE name = $name RETURN labelsOrTypes, properties",
		map[string]any{"name": SearchIndex})
	if err != nil {
		return false, fmt.Errorf("read the full-text index: %w", err)
	}
	if len(recs) == 0 {
		return false, nil // none yet: EnsureSchema creates it
	}
	labels, props := searchIndexed()
	for _, col := range []struct {
		name string
		want []string
	}{{"labelsOrTypes", labels}, {"properties", props}} {
		got, err := recordValue[[]any](recs[0], col.name)
		if err != nil {
			return false, fmt.Errorf("read the full-text index: %w", err)
		}
		have := map[string]bool{}
		for i, v := range got {
			name, err := as[string](v, fmt.Sprintf("%s %d", col.name, i))
			if err != nil {
				return false, fmt.Errorf("read the full-text index: %w", err)
			}
			have[name] = true
		}
		if len(have) != len(col.want) {
			return true, nil
		}
		for _, w := range col.want {
			if !have[w] {
				return true, nil
			}
		}
	}
	return false, nil
}

// EnsureConstraints creates the uniqueness constraints only: what a load
// needs to write. A Load into a database without the other indexes writes
// first and builds them afterwards from the stored nodes, which is faster
// than updating a dozen indexes on every write (see Load).
func (s *Store) EnsureConstraints(ctx context.Context) error {
	var cs []string
	for _, stmt := range schemaStatements() {
		if strings.HasPrefix(stmt, "CREATE CONSTRAINT") {
			cs = append(cs, stmt)
		}
	}
	return s.applySchema(ctx, cs)
}

// missingIndexes reports whether any index of the schema does not exist yet.
func (s *Store) missingIndexes(ctx context.Context) (bool, error) {
	recs, err := s.read(ctx, "SHOW INDEXES YIELD name RETURN collect(name) AS names", nil)
	if err != nil {
		return false, fmt.Errorf("list indexes: %w", err)
	}
	have := map[string]bool{}
	if len(recs) > 0 {
		names, err := recordValue[[]any](recs[0], "names")
		if err != nil {
			return false, fmt.Errorf("list indexes: %w", err)
		}
		for i, n := range names {
			name, err := as[string](n, fmt.Sprintf("index name %d", i))
			if err != nil {
				return false, fmt.Errorf("list indexes: %w", err)
			}
			have[name] = true
		}
	}
	for _, stmt := range schemaStatements() {
		f := strings.Fields(stmt)
		// CREATE [FULLTEXT|TEXT] INDEX name …; constraints own their index.
		if f[1] == "CONSTRAINT" {
			continue
		}
		name := f[2]
		if f[1] == "FULLTEXT" || f[1] == "TEXT" {
			name = f[3]
		}
		if !have[name] {
			return true, nil
		}
	}
	return s.staleSearchIndex(ctx)
}

func (s *Store) applySchema(ctx context.Context, stmts []string) error {
	// Schema commands cannot run inside a transaction with other writes:
	// each runs in its own auto-commit transaction.
	if err := s.autoCommit(ctx, neo4j.AccessModeWrite, stmts...); err != nil {
		return fmt.Errorf("apply schema: %w", err)
	}
	if err := s.autoCommit(ctx, neo4j.AccessModeWrite, "CALL db.awaitIndexes(300)"); err != nil {
		return fmt.Errorf("wait for indexes: %w", err)
	}
	return nil
}

// autoCommit runs each statement in its own auto-commit transaction: schema
// commands and the procedures that cannot run in an explicit one.
func (s *Store) autoCommit(ctx context.Context, mode neo4j.AccessMode, stmts ...string) error {
	sess := s.driver.NewSession(ctx, neo4j.SessionConfig{AccessMode: mode, DatabaseName: s.db})
	defer sess.Close(ctx)
	for _, stmt := range stmts {
		finish := beginTrip(ctx, "auto")
		res, err := sess.Run(ctx, stmt, nil)
		if err == nil {
			_, err = res.Consume(ctx)
		}
		finish(stmt, nil, -1, err)
		if err != nil {
			return fmt.Errorf("%q: %w", stmt, translate(ctx, err))
		}
	}
	return nil
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// AwaitSearchIndex waits until the full-text index has caught up with every
// committed write.
func (s *Store) AwaitSearchIndex(ctx context.Context) error {
	if err := s.autoCommit(ctx, neo4j.AccessModeRead, "CALL db.index.fulltext.awaitEventuallyConsistentIndexRefresh()"); err != nil {
		return fmt.Errorf("wait for the search index: %w", err)
	}
	return nil
}

// RefreshStatistics resamples the indexes a load has outdated and drops the
// cached query plans, so the next queries are planned on the data as it now
// is. Without it, right after a large load the planner was seen to pick a
// scan of a whole plan's measures for a page it reads with an index seek
// once the statistics catch up (store/pages_test.go).
func (s *Store) RefreshStatistics(ctx context.Context) error {
	if err := s.autoCommit(ctx, neo4j.AccessModeWrite, "CALL db.resampleOutdatedIndexes()", "CALL db.clearQueryCaches()"); err != nil {
		return fmt.Errorf("refresh statistics: %w", err)
	}
	return nil
}
