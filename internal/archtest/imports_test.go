package archtest

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/shenzhenplan/kgapi"

// ourImports maps each of the module's packages (by path below the module,
// "plan", "graph/dataloader") to the packages it imports, ours and others',
// from its non-test files.
func ourImports(t *testing.T, root string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	fset := token.NewFileSet()
	for _, path := range goFiles(t, root, false) {
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		pkg := rel(root, filepath.Dir(path))
		if _, ok := out[pkg]; !ok {
			out[pkg] = nil
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if p == module {
				p = "."
			} else if strings.HasPrefix(p, module+"/") {
				p = strings.TrimPrefix(p, module+"/")
			} else if strings.Contains(strings.Split(p, "/")[0], ".") {
				p = "ext:" + p // a third-party package
			} else {
				continue // the standard library
			}
			if !slices.Contains(out[pkg], p) {
				out[pkg] = append(out[pkg], p)
			}
		}
	}
	return out
}

// rule is one row of ARCHITECTURE.md's package table.
type rule struct {
	packages []string
	stdOnly  bool     // "nothing: the standard library only"
	allow    []string // "`a`, `b`": only these of ours (x/… is the subtree)
	deny     []string // "anything but `a`, `b`"
}

var backticked = regexp.MustCompile("`([^`]+)`")

// rules reads the table under "## Packages" of ARCHITECTURE.md: the first
// column names the packages, the last what they may import of ours.
func rules(t *testing.T, root string) []rule {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(root, "ARCHITECTURE.md"))
	if err != nil {
		t.Fatal(err)
	}
	var out []rule
	in := false
	for _, line := range strings.Split(string(raw), "\n") {
		if strings.HasPrefix(line, "## ") {
			in = line == "## Packages"
			continue
		}
		if !in || !strings.HasPrefix(line, "| `") {
			continue
		}
		cols := strings.Split(strings.Trim(line, "|"), "|")
		if len(cols) < 3 {
			t.Fatalf("ARCHITECTURE.md: a package row without its imports: %q", line)
		}
		var r rule
		for _, m := range backticked.FindAllStringSubmatch(cols[0], -1) {
			r.packages = append(r.packages, m[1])
		}
		may := strings.TrimSpace(cols[len(cols)-1])
		var names []string
		for _, m := range backticked.FindAllStringSubmatch(may, -1) {
			names = append(names, m[1])
		}
		switch {
		case strings.HasPrefix(may, "nothing"):
			r.stdOnly = true
		case strings.HasPrefix(may, "anything but"):
			r.deny = names
		case len(names) > 0:
			r.allow = names
		default:
			continue // not a checkable statement ("their package")
		}
		out = append(out, r)
	}
	if len(out) < 5 {
		t.Fatalf("ARCHITECTURE.md: found %d package rules under ## Packages; has the table moved?", len(out))
	}
	return out
}

// matches reports whether pattern (a package, or x/… for the subtree of x)
// names pkg.
func matches(pattern, pkg string) bool {
	if base, ok := strings.CutSuffix(pattern, "/…"); ok {
		return strings.HasPrefix(pkg, base+"/")
	}
	return pattern == pkg || strings.HasPrefix(pkg, pattern+"/")
}

// ruleFor is the row that governs pkg: the one naming it, else the one
// naming its nearest parent.
func ruleFor(rs []rule, pkg string) (rule, bool) {
	best, bestLen := rule{}, -1
	for _, r := range rs {
		for _, p := range r.packages {
			if (p == pkg || strings.HasPrefix(pkg, p+"/")) && len(p) > bestLen {
				best, bestLen = r, len(p)
			}
		}
	}
	return best, bestLen >= 0
}

// The import directions ARCHITECTURE.md states hold in the code.
func TestImportDirections(t *testing.T) {
	root := repoRoot(t)
	imports := ourImports(t, root)
	rs := rules(t, root)
	for pkg, imps := range imports {
		r, ok := ruleFor(rs, pkg)
		if !ok {
			continue
		}
		for _, imp := range imps {
			ext := strings.HasPrefix(imp, "ext:")
			switch {
			case r.stdOnly:
				if imp != pkg {
					t.Errorf("%s imports %s; ARCHITECTURE.md: the standard library only", pkg, strings.TrimPrefix(imp, "ext:"))
				}
			case ext:
			case r.allow != nil:
				if !matches(pkg, imp) && !slices.ContainsFunc(r.allow, func(a string) bool { return a == imp || matches(a, imp) && strings.HasSuffix(a, "/…") }) {
					t.Errorf("%s imports %s; ARCHITECTURE.md allows only %s", pkg, imp, strings.Join(r.allow, ", "))
				}
			case r.deny != nil:
				if slices.ContainsFunc(r.deny, func(d string) bool { return matches(d, imp) }) {
					t.Errorf("%s imports %s; ARCHITECTURE.md: anything but %s", pkg, imp, strings.Join(r.deny, ", "))
				}
			}
		}
	}

	// The claims in words: nothing reaches these, even through another package.
	deps := func(pkg string) map[string]bool {
		seen := map[string]bool{}
		var walk func(string)
		walk = func(p string) {
			for _, imp := range imports[p] {
				if !strings.HasPrefix(imp, "ext:") && !seen[imp] {
					seen[imp] = true
					walk(imp)
				}
			}
		}
		walk(pkg)
		return seen
	}
	for pkg, never := range map[string][]string{
		"server": {"store", "app", "loader"},
		"graph":  {"server", "store", "app"},
		"store":  {"graph", "server", "app"},
		"plan":   {"dataset", "store", "graph", "server", "app"},
	} {
		d := deps(pkg)
		for _, n := range never {
			if d[n] {
				t.Errorf("%s depends on %s (directly or through another package)", pkg, n)
			}
		}
	}
	for pkg, imps := range imports {
		if slices.Contains(imps, "app") && pkg != "cmd/api" && !strings.HasPrefix(pkg, "bench") {
			t.Errorf("%s imports app: only cmd/api (and the benchmarks) may", pkg)
		}
	}
}
