package archtest

import (
	"bytes"
	"context"
	"fmt"
	"go/ast"
	"go/token"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/shenzhenplan/kgapi/internal/settings"
	"github.com/shenzhenplan/kgapi/loader"
	"github.com/shenzhenplan/kgapi/plan"
)

// One source for each default and rule. The API's layers read them from
// plan/defaults.go and internal/settings. A few files (dataset/validate.go,
// store/measures.go, loader/loader.go) still spell a copy, until they are
// next edited; this test holds each copy equal to its source, and accepts
// a reference to the source in its place.
func TestDefaultsHaveOneSource(t *testing.T) {
	root := repoRoot(t)

	// dataset/validate.go: the slug and measure-code patterns.
	f := parseFile(t, filepath.Join(root, "dataset/validate.go"))
	checkValue(t, "dataset/validate.go slugPattern", valueOf(f, "slugPattern"), plan.SlugPattern, "plan.SlugPattern")
	checkValue(t, "dataset/validate.go codeRE", mustCompileArg(valueOf(f, "codeRE")), plan.MeasureCodePattern, "plan.MeasureCodePattern")

	// store/measures.go: a page's size when neither first nor last is given.
	f = parseFile(t, filepath.Join(root, "store/measures.go"))
	ast.Inspect(f, func(n ast.Node) bool {
		as, ok := n.(*ast.AssignStmt)
		if !ok || as.Tok != token.DEFINE || len(as.Lhs) != 1 || len(as.Rhs) != 1 {
			return true
		}
		if id, ok := as.Lhs[0].(*ast.Ident); ok && id.Name == "limit" {
			checkValue(t, "store/measures.go limit", as.Rhs[0], strconv.Itoa(plan.DefaultPageSize), "plan.DefaultPageSize")
		}
		return true
	})

	// loader: the Neo4j flags and their defaults are the API's (internal/settings).
	var usage bytes.Buffer
	_ = loader.Run(context.Background(), []string{"-h"}, func(string) string { return "" }, &usage, &usage)
	for _, k := range settings.Neo4j {
		re := regexp.MustCompile(`(?m)^\s+-` + regexp.QuoteMeta(k.Flag) + ` string\n.*\(default "([^"]*)"\)`)
		m := re.FindStringSubmatch(usage.String())
		if m == nil {
			t.Errorf("the loader has no -%s flag with a default (its usage:\n%s)", k.Flag, usage.String())
			continue
		}
		if m[1] != k.Default {
			t.Errorf("the loader's -%s defaults to %q, the API's (internal/settings) to %q", k.Flag, m[1], k.Default)
		}
	}
}

// valueOf is the expression a package-level const or var named name is
// given in f, or nil.
func valueOf(f *ast.File, name string) ast.Expr {
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok {
			continue
		}
		for _, s := range g.Specs {
			vs, ok := s.(*ast.ValueSpec)
			if !ok {
				continue
			}
			for i, n := range vs.Names {
				if n.Name == name && i < len(vs.Values) {
					return vs.Values[i]
				}
			}
		}
	}
	return nil
}

// mustCompileArg is the argument of regexp.MustCompile(arg), or e itself.
func mustCompileArg(e ast.Expr) ast.Expr {
	if c, ok := e.(*ast.CallExpr); ok && len(c.Args) == 1 {
		return c.Args[0]
	}
	return e
}

// checkValue accepts a reference to the source (ref, e.g. plan.SlugPattern)
// or a literal equal to want.
func checkValue(t *testing.T, what string, e ast.Expr, want, ref string) {
	t.Helper()
	switch v := e.(type) {
	case nil:
		t.Logf("%s: gone (fine if it now reads %s)", what, ref)
	case *ast.SelectorExpr:
		if got := fmt.Sprintf("%s.%s", v.X, v.Sel.Name); got != ref {
			t.Errorf("%s refers to %s, want %s", what, got, ref)
		}
	case *ast.BasicLit:
		got := v.Value
		if u, err := strconv.Unquote(v.Value); err == nil {
			got = u
		}
		if got != want {
			t.Errorf("%s is %s, but %s is %s: use %s", what, got, ref, want, ref)
		}
	default:
		if !strings.Contains(fmt.Sprint(v), "plan") {
			t.Errorf("%s is not a literal nor %s", what, ref)
		}
	}
}
