package archtest

import (
	"go/ast"
	"go/token"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/shenzhenplan/kgapi/plan"
)

// TestErrorCodesLiveInPlan: every error code is spelled once, in plan/
// (plan.Codes), and nowhere else in the non-test Go code; every code
// constant of plan/errors.go has its meaning in plan.Codes.
func TestErrorCodesLiveInPlan(t *testing.T) {
	root := repoRoot(t)
	listed := map[string]bool{}
	for _, c := range plan.Codes {
		if listed[c.Code] {
			t.Errorf("plan.Codes lists %s twice", c.Code)
		}
		listed[c.Code] = true
		if strings.TrimSpace(c.Meaning) == "" {
			t.Errorf("plan.Codes: %s has no meaning", c.Code)
		}
	}
	// The E… constants of plan/errors.go are exactly the codes listed.
	f := parseFile(t, root+"/plan/errors.go")
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, s := range g.Specs {
			vs := s.(*ast.ValueSpec)
			for i, n := range vs.Names {
				if !strings.HasPrefix(n.Name, "E") || i >= len(vs.Values) {
					continue
				}
				lit, ok := vs.Values[i].(*ast.BasicLit)
				if !ok {
					continue
				}
				code, _ := strconv.Unquote(lit.Value)
				if !listed[code] {
					t.Errorf("plan.%s = %q is not in plan.Codes", n.Name, code)
				}
			}
		}
	}

	for _, path := range goFiles(t, root, false) {
		if strings.HasPrefix(rel(root, path), "plan/") {
			continue
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range plan.Codes {
			if strings.Contains(string(b), `"`+c.Code+`"`) {
				t.Errorf("%s spells the error code %q: use the plan constant", rel(root, path), c.Code)
			}
		}
	}
}
