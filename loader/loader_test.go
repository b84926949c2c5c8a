package loader_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/shenzhenplan/kgapi/dataset"
	"github.com/shenzhenplan/kgapi/internal/testneo4j"
	"github.com/shenzhenplan/kgapi/loader"
	"github.com/shenzhenplan/kgapi/store"
)

func TestMain(m *testing.M) { os.Exit(testneo4j.Main(m)) }

const bundled = "../data/shenzhen-2019-2025.yaml"

// run runs the loader command against the test database.
func run(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	c := testneo4j.Connection(t)
	env := map[string]string{"NEO4J_URI": c.URI, "NEO4J_USER": c.User, "NEO4J_PASSWORD": c.Password, "NEO4J_DATABASE": c.Database}
	var out, errb bytes.Buffer
	err = loader.Run(context.Background(), args, func(k string) string { return env[k] }, &out, &errb)
	return out.String(), errb.String(), err
}

func checksum(t *testing.T, s *store.Store) string {
	t.Helper()
	sum, err := s.Checksum(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

func TestLoadBundled(t *testing.T) {
	s := testneo4j.Store(t)
	testneo4j.Wipe(t, s)
	ds, err := dataset.Parse(bundled)
	if err != nil {
		t.Fatal(err)
	}
	want := ds.Counts()

	out, _, err := run(t, bundled)
	if err != nil {
		t.Fatalf("first load: %v\n%s", err, out)
	}
	t.Run("CountsEqualTheFile", func(t *testing.T) {
		nodes, rels, err := s.CountByLabel(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for label, n := range want.Nodes {
			if nodes[label] != n {
				t.Errorf(":%s: %d nodes in Neo4j, %d in the file", label, nodes[label], n)
			}
		}
		for typ, n := range want.Rels {
			if rels[typ] != n {
				t.Errorf("[%s]: %d relationships in Neo4j, %d in the file", typ, rels[typ], n)
			}
		}
		for label := range nodes {
			if _, ok := want.Nodes[label]; !ok {
				t.Errorf("unexpected label :%s in Neo4j", label)
			}
		}
	})
	t.Run("SecondLoadChangesNothing", func(t *testing.T) {
		before := checksum(t, s)
		out, _, err := run(t, bundled)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out, "no changes") {
			t.Errorf("second load did not say it changed nothing:\n%s", out)
		}
		if after := checksum(t, s); after != before {
			t.Errorf("graph checksum changed on a second load: %s → %s", before, after)
		}
	})
	t.Run("DryRunWritesNothing", func(t *testing.T) {
		testneo4j.Wipe(t, s)
		empty := checksum(t, s)
		out, _, err := run(t, "--dry-run", bundled)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out, "dry run") || !strings.Contains(out, strconv.Itoa(want.Nodes["Measure"])) {
			t.Errorf("dry run output does not report what would be created:\n%s", out)
		}
		if checksum(t, s) != empty {
			t.Error("a dry run changed the graph")
		}
	})
}

func TestPrune(t *testing.T) {
	s := testneo4j.Store(t)
	testneo4j.Wipe(t, s)
	dir := copyData(t)
	file := filepath.Join(dir, "plan.yaml")
	if _, _, err := run(t, file); err != nil {
		t.Fatal(err)
	}
	// Remove the last measure of the file, S3.M2, which precedes the projects list.
	orig, _ := os.ReadFile(bundled)
	text := string(orig)
	i := strings.Index(text, "          - code: S3.M2")
	j := strings.Index(text[i:], "\nprojects:")
	if i < 0 || j < 0 {
		t.Fatal("could not find S3.M2 in the bundled file")
	}
	if err := os.WriteFile(file, []byte(text[:i]+text[i+j+1:]), 0o644); err != nil {
		t.Fatal(err)
	}
	count := func() int {
		n, _, err := s.CountByLabel(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return n["Measure"]
	}
	before := count()
	if _, stderr, err := run(t, file); err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if got := count(); got != before {
		t.Errorf("without --prune: %d measures, want %d (nothing deleted)", got, before)
	}
	out, _, err := run(t, "--prune", file)
	if err != nil {
		t.Fatal(err)
	}
	if got := count(); got != before-1 {
		t.Errorf("with --prune: %d measures, want %d\n%s", got, before-1, out)
	}
}

// copyData copies the bundled dataset and its source files to a temporary folder.
func copyData(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "sources"), 0o755); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob("../data/sources/*")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "sources", filepath.Base(f)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(bundled)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "plan.yaml"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func edit(t *testing.T, file string, f func(string) string) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, []byte(f(string(b))), 0o644); err != nil {
		t.Fatal(err)
	}
}

// Each kind of invalid input is rejected with a message naming the file, the
// line and the field, and the database is left as it was.
func TestInvalidInputIsRejectedAndNothingIsWritten(t *testing.T) {
	s := testneo4j.Store(t)
	testneo4j.Wipe(t, s)
	if _, _, err := run(t, bundled); err != nil {
		t.Fatal(err)
	}
	before := checksum(t, s)
	replace := func(old, new string) func(string) string {
		return func(s string) string {
			if !strings.Contains(s, old) {
				panic("test data drifted: " + old)
			}
			return strings.Replace(s, old, new, 1)
		}
	}
	cases := []struct {
		name string
		edit func(string) string
		want []string // substrings of the error output
	}{
		{"UnknownKey", replace("    declaredMeasureCount: 127", "    declaredMeasureCount: 127\n    colour: red"), []string{"plan.yaml:", "colour", "unknown"}},
		{"MissingRequiredField", replace(`    title: "Shenzhen action plan`, `    titel: "Shenzhen action plan`), []string{"plan.yaml:", "title"}},
		{"DuplicateID", replace("\nsectors:\n", "\nsectors:\n  - slug: green-finance\n    name: \"Green finance again\"\n    sources:\n      - { source: gbi-article, excerpt: \"green finance\" }\n"), []string{"plan.yaml:", "duplicate", "green-finance"}},
		{"DanglingLink", replace("to: qianhai-free-trade-zone,", "to: qianhai-ftz,"), []string{"plan.yaml:", "qianhai-ftz"}},
		{"UnknownSource", replace("source: gbi-article, excerpt: \"further reform", "source: nowhere, excerpt: \"further reform"), []string{"plan.yaml:", "nowhere"}},
		{"ExcerptNotInSource", replace(`excerpt: "further reform of the Qianhai free trade zone"`, `excerpt: "a phrase the article never says"`), []string{"plan.yaml:", "excerpt"}},
		{"ImpossibleYear", replace("year: 2035", "year: 20350"), []string{"plan.yaml:", "year"}},
		{"BadEncoding", func(s string) string { return strings.Replace(s, "Qianhai", "Qian\xffhai", 1) }, []string{"plan.yaml:", "UTF-8"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := copyData(t)
			file := filepath.Join(dir, "plan.yaml")
			edit(t, file, tc.edit)
			_, stderr, err := run(t, file)
			if !errors.Is(err, loader.ErrInvalid) {
				t.Fatalf("err = %v, want ErrInvalid; stderr:\n%s", err, stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("error output lacks %q:\n%s", w, stderr)
				}
			}
			if !strings.Contains(stderr, "nothing was written") {
				t.Errorf("error output does not say nothing was written:\n%s", stderr)
			}
			if after := checksum(t, s); after != before {
				t.Error("the database changed after an invalid load")
			}
		})
	}
}

// A load killed with SIGKILL half-way and run again ends in exactly the graph
// that a clean load gives.
func TestKilledLoadRerunEqualsCleanLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the loader and loads 20,000 measures")
	}
	s := testneo4j.Store(t)
	c := testneo4j.Connection(t)
	bin := filepath.Join(t.TempDir(), "loader")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/loader").CombinedOutput(); err != nil {
		t.Fatalf("build loader: %v\n%s", err, out)
	}
	args := []string{"synth", "--measures", "20000", "--seed", "7", "--batch-size", "500",
		"--neo4j-uri", c.URI, "--neo4j-user", c.User, "--neo4j-password", c.Password, "--neo4j-database", c.Database}

	testneo4j.Wipe(t, s)
	cmd := exec.Command(bin, args...)
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Kill it once it is writing relationships: nodes done, links half-way.
	sc := bufio.NewScanner(stderr)
	killed := false
	deadline := time.AfterFunc(3*time.Minute, func() { cmd.Process.Kill() })
	defer deadline.Stop()
	for sc.Scan() {
		if strings.Contains(sc.Text(), "IN_SECTOR") {
			_ = cmd.Process.Signal(syscall.SIGKILL)
			killed = true
			break
		}
	}
	_ = cmd.Wait()
	if !killed {
		t.Fatal("the loader finished before it could be killed")
	}
	half := checksum(t, s)

	if out, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
		t.Fatalf("re-run: %v\n%s", err, out)
	}
	rerun := checksum(t, s)
	if rerun == half {
		t.Fatal("the re-run changed nothing: the kill did not interrupt the load")
	}

	testneo4j.Wipe(t, s)
	if out, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
		t.Fatalf("clean load: %v\n%s", err, out)
	}
	if clean := checksum(t, s); clean != rerun {
		t.Errorf("killed-and-rerun graph %s differs from a clean load %s", rerun, clean)
	}
}
