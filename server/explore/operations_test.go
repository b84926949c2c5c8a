package explore

import (
	"io/fs"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/shenzhenplan/kgapi/graph"
)

// queryConst matches the operations in web/src/graphql.js:
// export const NAME_QUERY = `...`;
var queryConst = regexp.MustCompile("(?s)export const ([A-Z_]+_QUERY) = `([^`]*)`;")

// The operations the page sends must be valid against the API's schema (no
// database needed), and the embedded bundle must contain them verbatim, i.e.
// dist/ was rebuilt after web/src/graphql.js last changed.
func TestOperationsMatchSchemaAndBundle(t *testing.T) {
	src, err := os.ReadFile("web/src/graphql.js")
	if err != nil {
		t.Fatal(err)
	}
	sdl, err := os.ReadFile("../../schema.graphqls")
	if err != nil {
		t.Fatal(err)
	}
	schema, gerr := gqlparser.LoadSchema(append([]*ast.Source{{Name: "schema.graphqls", Input: string(sdl)}}, graph.FederationSources()...)...)
	if gerr != nil {
		t.Fatalf("schema.graphqls: %v", gerr)
	}
	var bundle strings.Builder
	err = fs.WalkDir(distFS, "dist", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".js") {
			return err
		}
		b, err := distFS.ReadFile(p)
		bundle.Write(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}

	ops := queryConst.FindAllStringSubmatch(string(src), -1)
	want := map[string]bool{"PLAN_QUERY": false, "SEARCH_QUERY": false, "NEIGHBORHOOD_QUERY": false, "NODE_QUERY": false, "TIMELINE_QUERY": false, "PLAN_TIMELINE_QUERY": false}
	for _, m := range ops {
		name, query := m[1], m[2]
		want[name] = true
		if strings.Contains(query, "${") {
			t.Errorf("%s is not a plain string (template substitution)", name)
			continue
		}
		if _, errs := gqlparser.LoadQuery(schema, query); errs != nil {
			t.Errorf("%s is invalid against schema.graphqls: %v", name, errs)
		}
		if !strings.Contains(bundle.String(), query) {
			t.Errorf("%s is not in the embedded bundle: dist/ is stale, rebuild it (cd server/explore/web && npm ci && npm run build)", name)
		}
	}
	for name, found := range want {
		if !found {
			t.Errorf("web/src/graphql.js has no %s", name)
		}
	}
}
