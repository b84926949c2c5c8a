// Command bench is the performance benchmark (make bench): for each dataset
// size it starts a local Neo4j, loads the data, starts three servers over
// that same database — ours (cmd/api), the peer (@neo4j/graphql on Apollo
// Server, bench/peer) and the floor (bench/floor) — drives each with the
// same workloads at fixed concurrencies for a fixed duration, alternating
// the servers, checks every response, and writes a markdown report to
// bench/results/<date>-<size>.md. See bench/README.md.
//
//	go run ./bench/cmd/bench -sizes bundled,10000 -duration 5s -concurrency 1,32 -repeat 3
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/shenzhenplan/kgapi/bench/load"
	"github.com/shenzhenplan/kgapi/devdb"
	"github.com/shenzhenplan/kgapi/loader"
)

type config struct {
	sizes        []string
	servers      []load.Dialect
	workloads    []string
	concurrency  []int
	duration     time.Duration
	warmup       time.Duration
	repeat       int
	neo4jURI     string
	dbPort       int
	dbData       string
	dbHeap       string
	dbPageCache  string
	keepDB       bool
	seed         int64
	out          string
	startups     int
	apiLogLevel  string
	oursEnv      []string
	write        bool
	root         string
	user, pass   string
	database     string
	peerDir      string
	logDir       string
	binDir       string
	stdout       io.Writer
	runStartedAt time.Time
	// peerPageOffset: the peer pages with offset instead of its cursors.
	peerPageOffset bool
	// peerNoDelay: PEER_NODELAY=1 for the peer.
	peerNoDelay bool
	// commit is the repository's state when the binaries were built.
	commit string
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	sizes := fs.String("sizes", "bundled,10000,100000", "datasets: 'bundled' and/or numbers of synthetic measures")
	servers := fs.String("servers", "ours,peer,floor", "servers to drive")
	workloads := fs.String("workloads", strings.Join(load.WorkloadNames, ","), "workloads to run")
	conc := fs.String("concurrency", "1,32", "concurrent clients (closed loop), one cell each")
	duration := fs.Duration("duration", 3*time.Second, "measured time of each cell")
	warmup := fs.Duration("warmup", 300*time.Millisecond, "unmeasured warm-up before each cell")
	repeat := fs.Int("repeat", 3, "runs of the whole matrix; the report gives medians")
	neo4jURI := fs.String("neo4j-uri", "", "use this Neo4j for every size instead of starting one (NEO4J_USER, NEO4J_PASSWORD, NEO4J_DATABASE apply); datasets are loaded into it")
	dbPort := fs.Int("db-port", 7699, "Bolt port of the benchmark's own Neo4j")
	dbData := fs.String("db-data", ".devdb/bench", "data folder prefix of the benchmark's own Neo4j (one folder per size: PREFIX-SIZE)")
	dbHeap := fs.String("db-heap", "1g", "JVM heap of the benchmark's own Neo4j")
	dbPageCache := fs.String("db-pagecache", "1g", "page cache of the benchmark's own Neo4j")
	keepDB := fs.Bool("keep-db", false, "leave the benchmark's Neo4j running after each size")
	seed := fs.Int64("seed", 1, "seed of the synthetic datasets")
	out := fs.String("out", "bench/results", "folder of the reports")
	startups := fs.Int("startup-samples", 5, "how many times to start our API to time its start-up")
	apiLogLevel := fs.String("api-log-level", "warn", "LOG_LEVEL of our API (info logs one line per request; the peer and the floor log nothing)")
	oursEnv := fs.String("ours-env", "", "extra environment of our API, comma-separated KEY=VALUE (RESPONSE_CACHE_MB=64 measures the response cache; write its report elsewhere with -out)")
	write := fs.Bool("write", true, "write the report files (false: print only)")
	peerNoDelay := fs.Bool("peer-nodelay", true, "set TCP_NODELAY on the peer's Bolt sockets (neo4j-driver for JavaScript leaves Nagle on, which adds ~40 ms to queries sent in several writes)")
	peerPage := fs.String("peer-page", "cursor", "how the peer pages: 'cursor' (its Relay connection, offset cursors) or 'offset' (measures(offset:, limit:))")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *peerPage != "cursor" && *peerPage != "offset" {
		return fmt.Errorf("-peer-page must be cursor or offset")
	}
	root, err := repoRoot()
	if err != nil {
		return err
	}
	cfg := &config{
		sizes: split(*sizes), workloads: split(*workloads), duration: *duration, warmup: *warmup, repeat: *repeat,
		neo4jURI: *neo4jURI, dbPort: *dbPort, dbData: *dbData, dbHeap: *dbHeap, dbPageCache: *dbPageCache, keepDB: *keepDB,
		seed: *seed, out: *out, startups: *startups, apiLogLevel: *apiLogLevel, oursEnv: split(*oursEnv), write: *write, root: root,
		user: envOr("NEO4J_USER", "neo4j"), pass: envOr("NEO4J_PASSWORD", devdb.DefaultPassword), database: envOr("NEO4J_DATABASE", "neo4j"),
		peerDir: filepath.Join(root, "bench", "peer"), stdout: os.Stdout, runStartedAt: time.Now(), peerPageOffset: *peerPage == "offset", peerNoDelay: *peerNoDelay,
	}
	for _, s := range split(*servers) {
		d := load.Dialect(s)
		if d != load.Ours && d != load.Peer && d != load.Floor {
			return fmt.Errorf("-servers: unknown server %q (ours, peer, floor)", s)
		}
		cfg.servers = append(cfg.servers, d)
	}
	for _, w := range cfg.workloads {
		if !slices.Contains(load.WorkloadNames, w) {
			return fmt.Errorf("-workloads: unknown workload %q (%s)", w, strings.Join(load.WorkloadNames, ", "))
		}
	}
	for _, c := range split(*conc) {
		n, err := strconv.Atoi(c)
		if err != nil || n < 1 || n > 256 {
			return fmt.Errorf("-concurrency: %q is not a number from 1 to 256", c)
		}
		cfg.concurrency = append(cfg.concurrency, n)
	}
	for _, s := range cfg.sizes {
		if s == "bundled" {
			continue
		}
		if n, err := strconv.Atoi(s); err != nil || n < 100 || n > 5_000_000 {
			return fmt.Errorf("-sizes: %q is neither 'bundled' nor a number of measures from 100 to 5000000", s)
		}
	}
	if cfg.repeat < 1 || cfg.repeat > 50 || len(cfg.sizes) == 0 || len(cfg.servers) == 0 || len(cfg.concurrency) == 0 || len(cfg.workloads) == 0 {
		return errors.New("nothing to run: check -sizes, -servers, -workloads, -concurrency and -repeat")
	}
	if cfg.duration <= 0 || cfg.duration > 10*time.Minute || cfg.warmup < 0 || cfg.warmup > time.Minute {
		return errors.New("-duration must be in (0, 10m] and -warmup in [0, 1m]")
	}

	work, err := os.MkdirTemp("", "kgapi-bench-")
	if err != nil {
		return err
	}
	cfg.binDir, cfg.logDir = filepath.Join(work, "bin"), filepath.Join(work, "logs")
	_ = os.MkdirAll(cfg.logDir, 0o755)
	say("working folder %s (binaries, server logs)", work)
	cfg.commit = commit(cfg.root) // what the binaries are built from
	if err := build(ctx, cfg); err != nil {
		return err
	}
	cells := len(cfg.sizes) * len(cfg.servers) * len(cfg.workloads) * len(cfg.concurrency) * cfg.repeat
	say("%d cells of %s (+%s warm-up): about %s of load, plus loading and start-ups",
		cells, cfg.duration, cfg.warmup, (time.Duration(cells) * (cfg.duration + cfg.warmup)).Round(time.Second))

	var reports []*sizeReport
	for _, size := range cfg.sizes {
		rep, err := runSize(ctx, cfg, size)
		if err != nil {
			return fmt.Errorf("size %s: %w", size, err)
		}
		reports = append(reports, rep)
	}
	summary := crossSize(reports)
	if summary != "" {
		fmt.Fprintln(cfg.stdout, summary)
		if cfg.write {
			last := reports[len(reports)-1]
			f, err := os.OpenFile(last.path, os.O_APPEND|os.O_WRONLY, 0)
			if err == nil {
				_, _ = f.WriteString("\n" + summary)
				f.Close()
			}
		}
	}
	_ = os.RemoveAll(cfg.binDir)
	return nil
}

func split(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func say(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", a...)
}

func repoRoot() (string, error) {
	d, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if b, err := os.ReadFile(filepath.Join(d, "go.mod")); err == nil && strings.Contains(string(b), "module github.com/shenzhenplan/kgapi\n") {
			return d, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", errors.New("run the benchmark from inside the repository")
		}
		d = parent
	}
}

// build compiles our API and the floor, and installs the peer's packages when missing.
func build(ctx context.Context, cfg *config) error {
	for _, b := range []struct{ out, pkg string }{{"api", "./cmd/api"}, {"floor", "./bench/cmd/floor"}} {
		cmd := exec.CommandContext(ctx, "go", "build", "-o", filepath.Join(cfg.binDir, b.out), b.pkg)
		cmd.Dir = cfg.root
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go build %s: %v\n%s", b.pkg, err, out)
		}
	}
	if slices.Contains(cfg.servers, load.Peer) {
		if _, err := os.Stat(filepath.Join(cfg.peerDir, "node_modules", "@neo4j", "graphql", "package.json")); err != nil {
			say("installing the peer's packages: (cd bench/peer && npm ci)")
			cmd := exec.CommandContext(ctx, "npm", "ci", "--no-audit", "--no-fund")
			cmd.Dir = cfg.peerDir
			if out, err := cmd.CombinedOutput(); err != nil {
				return fmt.Errorf("npm ci in bench/peer: %v\n%s", err, out)
			}
		}
	}
	return nil
}

// sizeSpec is what a size loads and which plan the workloads read.
func sizeSpec(size string, seed int64) (load.Spec, []string) {
	if size == "bundled" {
		return load.Spec{PlanSlug: "shenzhen-pdz-action-plan", Dataset: "shenzhen-2019-2025", SearchText: "science technology"},
			[]string{"-quiet", loader.DefaultFile}
	}
	seedSlug := strconv.FormatInt(seed, 10)
	if seed < 0 {
		seedSlug = "n" + seedSlug[1:]
	}
	slug := "synth-" + size + "-" + seedSlug
	return load.Spec{PlanSlug: slug, Dataset: slug, SearchText: "harbour ocean"},
		[]string{"synth", "-measures", size, "-seed", strconv.FormatInt(seed, 10), "-quiet"}
}

type server struct {
	dialect load.Dialect
	proc    *proc
	target  load.Target
	startup time.Duration
	idleRSS int
}

func runSize(ctx context.Context, cfg *config, size string) (*sizeReport, error) {
	spec, loadArgs := sizeSpec(size, cfg.seed)
	spec.PeerPageOffset = cfg.peerPageOffset
	rep := &sizeReport{size: size, cfg: cfg, spec: spec, started: time.Now(), loadStart: loadavg()}

	// The database.
	uri := cfg.neo4jURI
	if uri == "" {
		in := &devdb.Instance{
			SourceDir: filepath.Join(cfg.root, "devdb"), CacheDir: filepath.Join(cfg.root, ".devdb", "cache"),
			DataDir: absIn(cfg.root, cfg.dbData+"-"+size), Port: cfg.dbPort, Password: cfg.pass,
			Heap: cfg.dbHeap, PageCache: cfg.dbPageCache, Log: os.Stderr,
		}
		if !cfg.keepDB {
			in.ParentPID = os.Getpid() // it stops by itself should the benchmark die
		}
		if err := in.Start(ctx); err != nil {
			return nil, err
		}
		if !cfg.keepDB {
			defer func() {
				stopCtx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
				defer cancel()
				if err := in.Stop(stopCtx); err != nil {
					say("%v", err)
				}
			}()
		}
		uri = in.URI()
		rep.db = fmt.Sprintf("local Neo4j (devdb, heap %s, page cache %s, data %s)", cfg.dbHeap, cfg.dbPageCache, in.DataDir)
	} else {
		rep.db = "the Neo4j at " + uri
	}
	rep.uri = uri
	getenv := func(k string) string {
		switch k {
		case "NEO4J_URI":
			return uri
		case "NEO4J_USER":
			return cfg.user
		case "NEO4J_PASSWORD":
			return cfg.pass
		case "NEO4J_DATABASE":
			return cfg.database
		}
		return ""
	}

	// The data.
	say("size %s: loading into %s", size, uri)
	var loadOut strings.Builder
	t0 := time.Now()
	wd, _ := os.Getwd()
	if err := os.Chdir(cfg.root); err != nil { // the loader resolves the bundled file from the repository root
		return nil, err
	}
	err := loader.Run(ctx, loadArgs, getenv, &loadOut, os.Stderr)
	_ = os.Chdir(wd)
	if err != nil {
		return nil, fmt.Errorf("load: %w\n%s", err, loadOut.String())
	}
	lines := strings.Split(strings.TrimSpace(loadOut.String()), "\n")
	rep.load = fmt.Sprintf("%s (%s)", lines[len(lines)-1], time.Since(t0).Round(100*time.Millisecond))
	say("size %s: %s", size, rep.load)

	drv, err := neo4j.NewDriverWithContext(uri, neo4j.BasicAuth(cfg.user, cfg.pass, ""))
	if err != nil {
		return nil, err
	}
	defer drv.Close(context.Background())
	rep.neo4jVersion = neo4jVersion(ctx, drv, cfg.database)
	suite, err := load.Prepare(ctx, drv, cfg.database, spec)
	if err != nil {
		return nil, err
	}
	rep.suite = suite
	for _, f := range suite.Facts {
		say("size %s: %s", size, f)
	}

	// Our start-up, timed on fresh processes before the run.
	env := []string{"NEO4J_URI=" + uri, "NEO4J_USER=" + cfg.user, "NEO4J_PASSWORD=" + cfg.pass, "NEO4J_DATABASE=" + cfg.database, "LOG_LEVEL=" + cfg.apiLogLevel}
	for _, kv := range cfg.oursEnv {
		if !strings.Contains(kv, "=") {
			return nil, fmt.Errorf("-ours-env: %q is not KEY=VALUE", kv)
		}
	}
	env = append(env, cfg.oursEnv...)
	if slices.Contains(cfg.servers, load.Ours) {
		for i := 0; i < cfg.startups; i++ {
			s, err := startServer(ctx, cfg, load.Ours, env, fmt.Sprintf("%s-startup-%d", size, i))
			if err != nil {
				return nil, err
			}
			rep.startups = append(rep.startups, s.startup)
			rep.idleRSS = append(rep.idleRSS, s.idleRSS)
			s.proc.stop()
		}
	}

	// The servers, all up for the whole size.
	servers := map[load.Dialect]*server{}
	defer func() {
		for _, s := range servers {
			s.proc.stop()
		}
	}()
	for _, d := range cfg.servers {
		s, err := startServer(ctx, cfg, d, env, size)
		if err != nil {
			return nil, err
		}
		servers[d] = s
		rep.serverStartup = append(rep.serverStartup, fmt.Sprintf("%s %s", d, s.startup.Round(time.Millisecond)))
	}

	// One request of each workload to each server: a wrong answer here is
	// reported at once (the cells count it too).
	var workloads []*load.Workload
	for _, name := range cfg.workloads {
		workloads = append(workloads, suite.Workload(name))
	}
	for _, w := range workloads {
		for _, d := range cfg.servers {
			res, err := load.Drive(ctx, load.NewClient(1), servers[d].target, w, load.Options{Concurrency: 1, Duration: time.Millisecond})
			if err != nil {
				return nil, err
			}
			if res.OK == 0 {
				say("size %s: WARNING %s answers %s wrongly: %s", size, d, w.Name, res.FirstProblem)
			}
		}
	}

	// The matrix: repeats, then workloads, then concurrencies; the servers
	// take turns, starting with a different one each time.
	turn := 0
	failed := map[string]bool{} // cells without a single correct response are not repeated
	for r := 1; r <= cfg.repeat; r++ {
		for _, w := range workloads {
			for _, c := range cfg.concurrency {
				order := rotate(cfg.servers, turn)
				turn++
				for _, d := range order {
					key := fmt.Sprintf("%s|%d|%s", w.Name, c, d)
					if failed[key] {
						say("size %s run %d/%d %-12s c=%-3d %-5s not repeated: no correct response in an earlier run", size, r, cfg.repeat, w.Name, c, d)
						continue
					}
					s := servers[d]
					client := load.NewClient(c)
					res, err := load.Drive(ctx, client, s.target, w, load.Options{
						Concurrency: c, Duration: cfg.duration, Warmup: cfg.warmup, SampleRSS: s.target.PID,
					})
					client.CloseIdleConnections()
					if err != nil {
						return nil, err
					}
					rep.add(cell{repeat: r, workload: w.Name, conc: c, server: d, res: res})
					if res.OK == 0 {
						failed[key] = true
					}
					line := fmt.Sprintf("size %s run %d/%d %-12s c=%-3d %-5s %8.1f req/s  p50 %7.2f ms  p99 %8.2f ms  RSS %4d MB",
						size, r, cfg.repeat, w.Name, c, d, res.RPS(), ms(res.Quantile(0.5)), ms(res.Quantile(0.99)), res.PeakRSSKB/1024)
					if res.Errors+res.Incorrect > 0 {
						line += fmt.Sprintf("  errors %d incorrect %d: %s", res.Errors, res.Incorrect, res.FirstProblem)
					}
					say("%s", line)
				}
			}
		}
	}
	for d, s := range servers {
		if s.proc.exited() {
			say("size %s: WARNING %s exited during the run; see %s", size, d, s.proc.logPath)
		}
	}
	rep.finished = time.Now()
	rep.loadEnd = loadavg()
	text := rep.markdown()
	fmt.Fprintln(cfg.stdout, text)
	if cfg.write {
		dir := absIn(cfg.root, cfg.out)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
		rep.path = filepath.Join(dir, rep.started.Format("2006-01-02")+"-"+size+".md")
		if err := os.WriteFile(rep.path, []byte(text), 0o644); err != nil {
			return nil, err
		}
		say("size %s: report written to %s", size, rep.path)
	}
	return rep, nil
}

func absIn(root, p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(root, p)
}

func rotate[T any](l []T, k int) []T {
	out := make([]T, 0, len(l))
	for i := range l {
		out = append(out, l[(i+k)%len(l)])
	}
	return out
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func neo4jVersion(ctx context.Context, drv neo4j.DriverWithContext, db string) string {
	res, err := neo4j.ExecuteQuery(ctx, drv, "CALL dbms.components() YIELD versions, edition RETURN versions[0] + ' ' + edition AS v", nil,
		neo4j.EagerResultTransformer, neo4j.ExecuteQueryWithDatabase(db))
	if err != nil || len(res.Records) == 0 {
		return "Neo4j (version unknown)"
	}
	v, _ := res.Records[0].Values[0].(string)
	return "Neo4j " + v
}

// --- processes ---------------------------------------------------------

type proc struct {
	name    string
	cmd     *exec.Cmd
	done    chan struct{}
	logPath string
}

func startProc(cfg *config, name, dir string, env []string, argv ...string) (*proc, error) {
	logPath := filepath.Join(cfg.logDir, name+".log")
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM} // never outlive the benchmark
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, done: make(chan struct{}), logPath: logPath}
	go func() {
		_ = cmd.Wait()
		logf.Close()
		close(p.done)
	}()
	return p, nil
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop ends the process it started (by its pid): SIGTERM, then SIGKILL after 10 s.
func (p *proc) stop() {
	if p.exited() {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// startServer starts one server and waits until it is ready: /readyz
// answers 200 (ours, the floor), or a trivial GraphQL query does (the peer).
// The start-up time runs from just before the process starts.
func startServer(ctx context.Context, cfg *config, d load.Dialect, env []string, tag string) (*server, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	host, port, _ := net.SplitHostPort(addr)
	var argv []string
	dir := cfg.root
	readyURL, readyBody := "http://"+addr+"/readyz", ""
	switch d {
	case load.Ours:
		argv = []string{filepath.Join(cfg.binDir, "api"), "-listen-addr", addr}
	case load.Floor:
		argv = []string{filepath.Join(cfg.binDir, "floor"), "-listen-addr", addr}
	case load.Peer:
		argv = []string{"node", "index.mjs"}
		dir = cfg.peerDir
		env = append(slices.Clone(env), "HOST="+host, "PORT="+port, "NODE_ENV=production")
		if cfg.peerNoDelay {
			env = append(env, "PEER_NODELAY=1")
		}
		readyURL, readyBody = "http://"+addr+"/", `{"query":"{ __typename }"}`
	}
	start := time.Now()
	p, err := startProc(cfg, string(d)+"-"+tag, dir, env, argv...)
	if err != nil {
		return nil, err
	}
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(60 * time.Second)
	for {
		if p.exited() {
			return nil, fmt.Errorf("%s exited during start-up; its log %s ends with:\n%s", d, p.logPath, tail(p.logPath, 20))
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			p.stop()
			return nil, fmt.Errorf("%s did not get ready within 60 s; see %s", d, p.logPath)
		}
		var resp *http.Response
		if readyBody == "" {
			resp, err = client.Get(readyURL)
		} else {
			resp, err = client.Post(readyURL, "application/json", strings.NewReader(readyBody))
		}
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		time.Sleep(2 * time.Millisecond)
	}
	s := &server{dialect: d, proc: p, startup: time.Since(start), target: load.Target{Dialect: d, BaseURL: "http://" + addr, PID: p.cmd.Process.Pid}}
	s.idleRSS, _ = load.RSSKB(s.target.PID)
	return s, nil
}

func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// --- machine -----------------------------------------------------------

func machine() string {
	cpu := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				cpu = strings.TrimSpace(v)
				break
			}
		}
	}
	mem := "unknown memory"
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if rest, ok := strings.CutPrefix(l, "MemTotal:"); ok {
				f := strings.Fields(rest)
				if kb, err := strconv.Atoi(f[0]); err == nil {
					mem = fmt.Sprintf("%.1f GiB", float64(kb)/(1<<20))
				}
			}
		}
	}
	nproc := strings.TrimSpace(output("nproc"))
	if nproc == "" {
		nproc = strconv.Itoa(runtime.NumCPU())
	}
	return fmt.Sprintf("nproc %s, memory %s, CPU %s, %s/%s", nproc, mem, cpu, runtime.GOOS, runtime.GOARCH)
}

// loadavg is the first three fields of /proc/loadavg: other work on the
// machine shows there.
func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

func output(name string, args ...string) string {
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), "GIT_OPTIONAL_LOCKS=0")
	b, err := cmd.Output()
	if err != nil {
		return ""
	}
	return string(b)
}

func commit(root string) string {
	c := strings.TrimSpace(output("git", "-C", root, "rev-parse", "--short", "HEAD"))
	if c == "" {
		return "unknown"
	}
	cmd := exec.Command("git", "-C", root, "diff-index", "--quiet", "HEAD", "--")
	cmd.Env = append(os.Environ(), "GIT_OPTIONAL_LOCKS=0")
	if err := cmd.Run(); err != nil {
		c += " (with uncommitted changes)"
	}
	if strings.TrimSpace(output("git", "-C", root, "ls-files", "--others", "--exclude-standard", "bench")) != "" {
		c += " (bench/ has uncommitted files)"
	}
	return c
}
