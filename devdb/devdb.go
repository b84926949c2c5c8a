// Package devdb starts and stops the local Neo4j used for development, tests
// and CI: Neo4j Community 5.26 from Maven Central, run by the small Java
// program DevDb.java beside this file (the embedded DatabaseManagementService
// with its Bolt connector on 127.0.0.1 and authentication on).
//
// The jars are resolved once by Maven into its local repository; the
// classpath and the compiled launcher are cached under the cache folder, so
// later starts only pay for the JVM and the database start.
package devdb

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
)

// Defaults for a local instance.
const (
	DefaultPort     = 7687
	DefaultPassword = "localdev-password"
	DefaultHeap     = "512m"
	DefaultPageSize = "256m"
)

// Instance describes one local Neo4j: where its launcher sources are, where
// its data lives and how to reach it. Two instances with different Port and
// DataDir run side by side.
type Instance struct {
	// SourceDir holds pom.xml and DevDb.java (the repository's devdb folder).
	SourceDir string
	// CacheDir holds the resolved classpath and the compiled launcher.
	CacheDir string
	// DataDir is the database home: stores, transaction logs, the pid file and launcher.log.
	DataDir string
	// Port is the Bolt port on 127.0.0.1.
	Port int
	// Password of the neo4j user; set on every start.
	Password string
	// Heap is the JVM's -Xmx, PageCache Neo4j's page cache size (e.g. "512m").
	Heap, PageCache string
	// ParentPID, when non-zero, makes the database stop itself once that process ends.
	ParentPID int
	// Log receives progress lines; nil discards them.
	Log io.Writer
}

// URI is the Bolt address of the instance.
func (in *Instance) URI() string { return fmt.Sprintf("bolt://127.0.0.1:%d", in.Port) }

func (in *Instance) logf(format string, args ...any) {
	if in.Log != nil {
		fmt.Fprintf(in.Log, format+"\n", args...)
	}
}

func (in *Instance) pidFile() string { return filepath.Join(in.DataDir, "devdb.pid") }
func (in *Instance) logFile() string { return filepath.Join(in.DataDir, "launcher.log") }

// FindSourceDir walks up from dir to the folder that holds devdb/pom.xml and
// returns that devdb folder.
func FindSourceDir(dir string) (string, error) {
	d, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for {
		cand := filepath.Join(d, "devdb")
		if _, err := os.Stat(filepath.Join(cand, "pom.xml")); err == nil {
			return cand, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", fmt.Errorf("no devdb/pom.xml in %s or any folder above it", dir)
		}
		d = parent
	}
}

// Running reports the pid of the instance's process when its pid file names a live process.
func (in *Instance) Running() (int, bool) {
	b, err := os.ReadFile(in.pidFile())
	if err != nil {
		return 0, false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0, false
	}
	if err := syscall.Kill(pid, 0); err != nil {
		return 0, false
	}
	return pid, true
}

// Start starts the instance in the background unless it already runs, and
// waits until Bolt answers RETURN 1. It returns once the database is usable.
func (in *Instance) Start(ctx context.Context) error {
	if pid, ok := in.Running(); ok {
		if err := in.Ping(ctx); err == nil {
			in.logf("devdb: already running (pid %d) at %s", pid, in.URI())
			return nil
		}
		return fmt.Errorf("devdb: a process (pid %d) holds %s but Bolt at %s does not answer; run 'make db-down' or remove the pid file", pid, in.DataDir, in.URI())
	}
	if portBusy(in.Port) {
		return fmt.Errorf("devdb: port %d is in use by another program; set DEVDB_PORT to a free port", in.Port)
	}
	if len(in.Password) < 8 {
		return fmt.Errorf("devdb: the password must have at least 8 characters (Neo4j's minimum)")
	}
	cp, classes, err := in.prepare(ctx)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(in.DataDir, 0o755); err != nil {
		return fmt.Errorf("devdb: create data folder: %w", err)
	}
	logf, err := os.OpenFile(in.logFile(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("devdb: open launcher log: %w", err)
	}
	defer logf.Close()

	args := []string{
		// The JVM's own compilers, C1 then C2, as Neo4j runs in production.
		// Stopping at C1 (-XX:TieredStopAtLevel=1, until 2 December 2026)
		// started 1 s sooner and ran queries up to 3 times slower: 507
		// places' pages at 100,000 measures 250-300 ms -> 70-100 ms warm;
		// the store and graph tests 221 s -> 174 s.
		"-Xmx" + or(in.Heap, DefaultHeap), "-XX:+UseSerialGC",
		"-Dfile.encoding=UTF-8",
		"-cp", classes + string(os.PathListSeparator) + cp,
		"DevDb", "--home", in.DataDir, "--port", strconv.Itoa(in.Port),
		"--password", in.Password, "--pagecache", or(in.PageCache, DefaultPageSize),
	}
	if in.ParentPID > 0 {
		args = append(args, "--parent-pid", strconv.Itoa(in.ParentPID))
	}
	cmd := exec.Command(javaBin(), args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("devdb: start java: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	in.logf("devdb: starting Neo4j (pid %d, data %s, log %s)", cmd.Process.Pid, in.DataDir, in.logFile())
	deadline := time.NewTimer(3 * time.Minute)
	defer deadline.Stop()
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case err := <-exited:
			return fmt.Errorf("devdb: Neo4j exited during start-up (%v); last lines of %s:\n%s", err, in.logFile(), tail(in.logFile(), 30))
		case <-ctx.Done():
			_ = cmd.Process.Signal(syscall.SIGTERM)
			return ctx.Err()
		case <-deadline.C:
			_ = cmd.Process.Signal(syscall.SIGTERM)
			return fmt.Errorf("devdb: Bolt at %s did not answer within 3 minutes; see %s", in.URI(), in.logFile())
		case <-tick.C:
			// The launcher writes its pid file after it has set the password.
			if _, ok := in.Running(); ok && in.Ping(ctx) == nil {
				in.logf("devdb: ready at %s after %s", in.URI(), time.Since(start).Round(10*time.Millisecond))
				return nil
			}
		}
	}
}

// Ping runs RETURN 1 over Bolt.
func (in *Instance) Ping(ctx context.Context) error {
	return Ping(ctx, in.URI(), "neo4j", in.Password)
}

// Ping runs RETURN 1 against a Neo4j at uri.
func Ping(ctx context.Context, uri, user, password string) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	drv, err := neo4j.NewDriverWithContext(uri, neo4j.BasicAuth(user, password, ""), func(c *neo4j.Config) {
		c.SocketConnectTimeout = time.Second
	})
	if err != nil {
		return err
	}
	defer drv.Close(ctx)
	res, err := neo4j.ExecuteQuery(ctx, drv, "RETURN 1 AS one", nil, neo4j.EagerResultTransformer)
	if err != nil {
		return err
	}
	if len(res.Records) != 1 {
		return errors.New("RETURN 1 gave no record")
	}
	return nil
}

// Stop stops the instance cleanly (SIGTERM, then waits for the database to
// shut down). Stopping an instance that does not run is not an error.
func (in *Instance) Stop(ctx context.Context) error {
	pid, ok := in.Running()
	if !ok {
		_ = os.Remove(in.pidFile())
		in.logf("devdb: not running (%s)", in.DataDir)
		return nil
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		return fmt.Errorf("devdb: signal pid %d: %w", pid, err)
	}
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		if syscall.Kill(pid, 0) != nil {
			in.logf("devdb: stopped (pid %d)", pid)
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	_ = syscall.Kill(pid, syscall.SIGKILL)
	return fmt.Errorf("devdb: pid %d did not stop within 90 s and was killed", pid)
}

// Reset stops the instance and deletes its data folder.
func (in *Instance) Reset(ctx context.Context) error {
	if err := in.Stop(ctx); err != nil {
		return err
	}
	if err := os.RemoveAll(in.DataDir); err != nil {
		return fmt.Errorf("devdb: remove %s: %w", in.DataDir, err)
	}
	in.logf("devdb: wiped %s", in.DataDir)
	return nil
}

// Prepare resolves the Neo4j jars through Maven and compiles the launcher,
// both once (cached by the content of pom.xml and DevDb.java).
func (in *Instance) Prepare(ctx context.Context) error {
	_, _, err := in.prepare(ctx)
	return err
}

func (in *Instance) prepare(ctx context.Context) (classpath, classesDir string, err error) {
	pom := filepath.Join(in.SourceDir, "pom.xml")
	src := filepath.Join(in.SourceDir, "DevDb.java")
	pomSum, err := fileSum(pom)
	if err != nil {
		return "", "", fmt.Errorf("devdb: read %s: %w", pom, err)
	}
	srcSum, err := fileSum(src)
	if err != nil {
		return "", "", fmt.Errorf("devdb: read %s: %w", src, err)
	}
	if err := os.MkdirAll(in.CacheDir, 0o755); err != nil {
		return "", "", fmt.Errorf("devdb: create cache folder: %w", err)
	}
	cpFile := filepath.Join(in.CacheDir, "classpath-"+pomSum+".txt")
	if _, err := os.Stat(cpFile); err != nil {
		in.logf("devdb: resolving the Neo4j jars with Maven (once; later starts reuse them)")
		tmp := cpFile + ".tmp"
		cmd := exec.CommandContext(ctx, "mvn", "-B", "-q", "-f", pom, "dependency:build-classpath", "-Dmdep.outputFile="+tmp)
		if out, err := cmd.CombinedOutput(); err != nil {
			return "", "", fmt.Errorf("devdb: mvn dependency:build-classpath: %w\n%s", err, out)
		}
		if err := os.Rename(tmp, cpFile); err != nil {
			return "", "", err
		}
	}
	b, err := os.ReadFile(cpFile)
	if err != nil {
		return "", "", err
	}
	classpath = strings.TrimSpace(string(b))

	classesDir = filepath.Join(in.CacheDir, "classes-"+srcSum)
	if _, err := os.Stat(filepath.Join(classesDir, "DevDb.class")); err != nil {
		in.logf("devdb: compiling the launcher")
		tmp, err := os.MkdirTemp(in.CacheDir, "classes-tmp-")
		if err != nil {
			return "", "", err
		}
		cmd := exec.CommandContext(ctx, javacBin(), "-d", tmp, "-cp", classpath, src)
		if out, err := cmd.CombinedOutput(); err != nil {
			os.RemoveAll(tmp)
			return "", "", fmt.Errorf("devdb: javac DevDb.java: %w\n%s", err, out)
		}
		os.RemoveAll(classesDir)
		if err := os.Rename(tmp, classesDir); err != nil {
			return "", "", err
		}
	}
	return classpath, classesDir, nil
}

func fileSum(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:8]), nil
}

func javaBin() string {
	if h := os.Getenv("JAVA_HOME"); h != "" {
		return filepath.Join(h, "bin", "java")
	}
	return "java"
}

func javacBin() string {
	if h := os.Getenv("JAVA_HOME"); h != "" {
		return filepath.Join(h, "bin", "javac")
	}
	return "javac"
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func tail(path string, n int) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if len(lines) > n {
			lines = lines[1:]
		}
	}
	return strings.Join(lines, "\n")
}
