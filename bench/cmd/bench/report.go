package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/shenzhenplan/kgapi/bench/load"
)

// cell is one measured (repeat, workload, concurrency, server).
type cell struct {
	repeat   int
	workload string
	conc     int
	server   load.Dialect
	res      *load.Result
}

type sizeReport struct {
	size          string
	cfg           *config
	spec          load.Spec
	suite         *load.Suite
	db, uri       string
	neo4jVersion  string
	load          string
	started       time.Time
	finished      time.Time
	startups      []time.Duration
	idleRSS       []int
	serverStartup []string
	cells         []cell
	path          string
	// loadStart and loadEnd are /proc/loadavg when the size started and ended.
	loadStart, loadEnd string
}

func (r *sizeReport) add(c cell) { r.cells = append(r.cells, c) }

// stat is the median over repeats of one (workload, concurrency, server).
type stat struct {
	n                 int
	rps               float64
	p50, p95, p99     time.Duration
	errors, incorrect int
	ok                int
	peakRSSKB         int
	problem           string
}

func median[T int | int64 | float64 | time.Duration](v []T) T {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func (r *sizeReport) stat(workload string, conc int, d load.Dialect) *stat {
	var rps []float64
	var p50, p95, p99 []time.Duration
	st := &stat{}
	for _, c := range r.cells {
		if c.workload != workload || c.conc != conc || c.server != d {
			continue
		}
		st.n++
		rps = append(rps, c.res.RPS())
		p50 = append(p50, c.res.Quantile(0.50))
		p95 = append(p95, c.res.Quantile(0.95))
		p99 = append(p99, c.res.Quantile(0.99))
		st.errors += c.res.Errors
		st.incorrect += c.res.Incorrect
		st.ok += c.res.OK
		st.peakRSSKB = max(st.peakRSSKB, c.res.PeakRSSKB)
		if st.problem == "" {
			st.problem = c.res.FirstProblem
		}
	}
	if st.n == 0 {
		return nil
	}
	st.rps, st.p50, st.p95, st.p99 = median(rps), median(p50), median(p95), median(p99)
	return st
}

// failed: not a single correct response in any run.
func (s *stat) failed() bool { return s.ok == 0 }

func (s *stat) lat(d time.Duration) string {
	if s.failed() {
		return "–"
	}
	return fmtMS(d)
}

func (r *sizeReport) peakRSS(d load.Dialect) int {
	peak := 0
	for _, c := range r.cells {
		if c.server == d {
			peak = max(peak, c.res.PeakRSSKB)
		}
	}
	return peak
}

func fmtMS(d time.Duration) string {
	v := ms(d)
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.2f", v)
}

func fmtRPS(v float64) string {
	if v >= 100 {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.1f", v)
}

func ratio(a, b float64) string {
	if a == 0 || b == 0 {
		if a == 0 && b > 0 {
			return "0×"
		}
		if b == 0 && a > 0 {
			return "∞ (other: none correct)"
		}
		return "–"
	}
	return fmt.Sprintf("%.2f×", a/b)
}

func yes(ok bool) string {
	if ok {
		return "yes"
	}
	return "**no**"
}

func mb(kb int) string { return fmt.Sprintf("%.1f MB", float64(kb)/1024) }

func peerVersions(peerDir string) string {
	ver := func(pkg string) string {
		b, err := os.ReadFile(filepath.Join(peerDir, "node_modules", filepath.FromSlash(pkg), "package.json"))
		if err != nil {
			return "?"
		}
		var p struct {
			Version string `json:"version"`
		}
		_ = json.Unmarshal(b, &p)
		return p.Version
	}
	return fmt.Sprintf("@neo4j/graphql %s on @apollo/server %s (neo4j-driver %s, Node.js %s)",
		ver("@neo4j/graphql"), ver("@apollo/server"), ver("neo4j-driver"), strings.TrimSpace(output("node", "--version")))
}

func (r *sizeReport) has(d load.Dialect) bool { return slices.Contains(r.cfg.servers, d) }

func (r *sizeReport) markdown() string {
	cfg := r.cfg
	var b strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	what := "the bundled dataset (" + r.spec.PlanSlug + ")"
	if r.size != "bundled" {
		what = fmt.Sprintf("a synthetic plan of %s measures (%s)", r.size, r.spec.PlanSlug)
	}
	p("# Benchmark, %s: %s\n\n", r.size, what)
	p("- date: %s (%s)\n", r.started.Format("2006-01-02 15:04 MST"), r.finished.Sub(r.started).Round(time.Second))
	if len(cfg.oursEnv) > 0 {
		p("- our API ran with %s\n", strings.Join(cfg.oursEnv, " "))
	}
	p("- machine: %s; load average %s when this size started (before its database and servers ran: well above 1 means other work shared the cores), %s when it ended\n", machine(), r.loadStart, r.loadEnd)
	p("- commit: %s, when the servers were built\n", cfg.commit)
	p("- database: %s, %s\n", r.neo4jVersion, r.db)
	p("- data: %s\n", r.load)
	p("- run: each cell %s measured after %s of warm-up, closed loop at concurrency %s, %d runs (the tables give medians), servers taking turns\n",
		cfg.duration, cfg.warmup, joinInts(cfg.concurrency), cfg.repeat)
	nd := "TCP_NODELAY on its Bolt sockets (PEER_NODELAY=1)"
	if !cfg.peerNoDelay {
		nd = "its Bolt sockets as neo4j-driver leaves them (Nagle on)"
	}
	p("- servers: **ours** = cmd/api (LOG_LEVEL=%s); **peer** = %s, one Node.js process, %s; **floor** = bench/floor (one hand-written Cypher per workload, same Go driver)\n",
		cfg.apiLogLevel, peerVersions(cfg.peerDir), nd)
	p("- every response is checked against the expected answer (reference Cypher, computed once); only correct ones count, latencies are of correct responses\n")
	p("\nWorkloads:\n\n")
	for i, f := range r.suite.Facts {
		p("%d. %s\n", i+1, f)
	}

	p("\n## Throughput and latency (medians of %d runs)\n\n", cfg.repeat)
	p("| workload | c | server | req/s | p50 ms | p95 ms | p99 ms | errors | incorrect | peak RSS MB |\n|---|---:|---|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, w := range cfg.workloads {
		for _, c := range cfg.concurrency {
			for _, d := range cfg.servers {
				st := r.stat(w, c, d)
				if st == nil {
					continue
				}
				name := string(d)
				if d == load.Ours {
					name = "**ours**"
				}
				runs := ""
				if st.n < cfg.repeat {
					runs = fmt.Sprintf(" (%d run)", st.n)
				}
				p("| %s | %d | %s | %s | %s | %s | %s | %d | %d%s | %.0f |\n", w, c, name, fmtRPS(st.rps), st.lat(st.p50), st.lat(st.p95), st.lat(st.p99), st.errors, st.incorrect, runs, float64(st.peakRSSKB)/1024)
			}
		}
	}

	if r.has(load.Ours) && (r.has(load.Peer) || r.has(load.Floor)) {
		p("\n## Ratios\n\n")
		p("| workload | c | ours/peer req/s | ours p99 < peer p50 | ours/floor req/s | ours/floor p50 |\n|---|---:|---:|---|---:|---:|\n")
		for _, w := range cfg.workloads {
			for _, c := range cfg.concurrency {
				o, pe, f := r.stat(w, c, load.Ours), r.stat(w, c, load.Peer), r.stat(w, c, load.Floor)
				if o == nil {
					continue
				}
				op, p99, of, of50 := "–", "–", "–", "–"
				if pe != nil {
					op = ratio(o.rps, pe.rps)
					switch {
					case o.failed():
						p99 = "**no** (ours: no correct response)"
					case pe.failed():
						p99 = "yes (peer: no correct response)"
					default:
						p99 = fmt.Sprintf("%s (%s vs %s ms)", yes(o.p99 < pe.p50), fmtMS(o.p99), fmtMS(pe.p50))
					}
				}
				if f != nil {
					of = ratio(o.rps, f.rps)
					if !o.failed() && !f.failed() {
						of50 = ratio(float64(o.p50), float64(f.p50))
					}
				}
				p("| %s | %d | %s | %s | %s | %s |\n", w, c, op, p99, of, of50)
			}
		}
	}

	p("\n## Ours: start-up and memory\n\n")
	if len(r.startups) > 0 {
		p("- start-up (process start → `/readyz` 200), %d fresh starts: median %s, max %s\n",
			len(r.startups), median(r.startups).Round(100*time.Microsecond), slices.Max(r.startups).Round(100*time.Microsecond))
		p("- resident memory (VmRSS of the api process): %s idle after start; peak under load %s (sampled every 50 ms during every cell)\n",
			mb(median(r.idleRSS)), mb(r.peakRSS(load.Ours)))
	}
	var others []string
	for _, d := range []load.Dialect{load.Peer, load.Floor} {
		if r.has(d) {
			others = append(others, fmt.Sprintf("%s %s", d, mb(r.peakRSS(d))))
		}
	}
	if len(others) > 0 {
		p("- for comparison, peak VmRSS under load: %s\n", strings.Join(others, ", "))
	}
	p("- start-up of the servers used for the run: %s\n", strings.Join(r.serverStartup, ", "))

	p("\n## Targets\n\n| target | measured | holds |\n|---|---|---|\n")
	for _, t := range r.targets() {
		p("| %s | %s | %s |\n", t.name, t.measured, yes(t.ok))
	}
	if probs := r.problems(); len(probs) > 0 {
		p("\n## Errors and incorrect responses\n\n")
		for _, pr := range probs {
			p("- %s\n", pr)
		}
	}
	extra := ""
	if !slices.Equal(cfg.workloads, load.WorkloadNames) {
		extra += " -workloads " + strings.Join(cfg.workloads, ",")
	}
	if cfg.peerPageOffset {
		extra += " -peer-page offset"
	}
	if !cfg.peerNoDelay {
		extra += " -peer-nodelay=false"
	}
	if len(cfg.oursEnv) > 0 {
		extra += " -ours-env " + strings.Join(cfg.oursEnv, ",")
	}
	p("\nRe-run: `go run ./bench/cmd/bench -sizes %s -duration %s -warmup %s -concurrency %s -repeat %d -servers %s%s`\n",
		r.size, cfg.duration, cfg.warmup, joinInts(cfg.concurrency), cfg.repeat, joinDialects(cfg.servers), extra)
	return b.String()
}

type target struct {
	name, measured string
	ok             bool
}

func (r *sizeReport) targets() []target {
	var out []target
	if r.has(load.Ours) && r.has(load.Peer) {
		worst, worstAt := 0.0, ""
		allOK, p99OK := true, true
		var p99Fail []string
		for _, w := range r.cfg.workloads {
			for _, c := range r.cfg.concurrency {
				o, pe := r.stat(w, c, load.Ours), r.stat(w, c, load.Peer)
				if o == nil || pe == nil {
					continue
				}
				if o.failed() && pe.failed() {
					continue // neither answers: no ratio
				}
				x := math.Inf(1) // the peer never answers correctly
				if !pe.failed() {
					x = o.rps / pe.rps
				}
				if worstAt == "" || x < worst {
					worst, worstAt = x, fmt.Sprintf("%s c=%d", w, c)
				}
				if x < 3 {
					allOK = false
				}
				if o.failed() || (!pe.failed() && !(o.p99 < pe.p50)) {
					p99OK = false
					p99Fail = append(p99Fail, fmt.Sprintf("%s c=%d", w, c))
				}
			}
		}
		out = append(out, target{"ours ≥ 3× peer throughput on every workload", fmt.Sprintf("lowest %.2f× (%s)", worst, worstAt), allOK})
		m := "on every workload"
		if !p99OK {
			m = "not on " + strings.Join(p99Fail, ", ")
		}
		out = append(out, target{"ours p99 < peer p50", m, p99OK})
	}
	if r.has(load.Ours) && r.has(load.Floor) && slices.Contains(r.cfg.workloads, "dashboard") {
		var parts []string
		ok := true
		for _, c := range r.cfg.concurrency {
			o, f := r.stat("dashboard", c, load.Ours), r.stat("dashboard", c, load.Floor)
			if o == nil || f == nil {
				continue
			}
			if o.failed() {
				parts = append(parts, fmt.Sprintf("c=%d: ours had no correct response", c))
				ok = false
				continue
			}
			slow := f.rps / o.rps
			lat := float64(o.p50) / float64(f.p50)
			parts = append(parts, fmt.Sprintf("c=%d: floor/ours req/s %.2f×, ours/floor p50 %.2f×", c, slow, lat))
			if slow > 1.3 || lat > 1.3 {
				ok = false
			}
		}
		out = append(out, target{"dashboard within 1.3× of the floor (throughput and p50)", strings.Join(parts, "; "), ok})
	}
	if len(r.startups) > 0 {
		peak := r.peakRSS(load.Ours)
		out = append(out, target{"our RSS < 100 MB under load", "peak " + mb(peak), peak < 100*1024})
		med, worst := median(r.startups), slices.Max(r.startups)
		out = append(out, target{"our start-up < 1 s", fmt.Sprintf("median %s, max %s", med.Round(100*time.Microsecond), worst.Round(100*time.Microsecond)), worst < time.Second})
	}
	return out
}

func (r *sizeReport) problems() []string {
	var out []string
	for _, w := range r.cfg.workloads {
		for _, c := range r.cfg.concurrency {
			for _, d := range r.cfg.servers {
				st := r.stat(w, c, d)
				if st != nil && st.errors+st.incorrect > 0 {
					out = append(out, fmt.Sprintf("%s, %s, c=%d: %d errors, %d incorrect; first: %s", d, w, c, st.errors, st.incorrect, oneLine(st.problem, 400)))
				}
			}
		}
	}
	return out
}

func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		s = s[:n] + "…"
	}
	return "`" + strings.ReplaceAll(s, "`", "'") + "`"
}

func joinInts(l []int) string {
	s := make([]string, len(l))
	for i, v := range l {
		s[i] = fmt.Sprint(v)
	}
	return strings.Join(s, ",")
}

func joinDialects(l []load.Dialect) string {
	s := make([]string, len(l))
	for i, v := range l {
		s[i] = string(v)
	}
	return strings.Join(s, ",")
}

// crossSize compares our paginated p50 at the largest size with the bundled
// one, when both ran.
func crossSize(reports []*sizeReport) string {
	var bundled *sizeReport
	for _, r := range reports {
		if r.size == "bundled" {
			bundled = r
		}
	}
	if bundled == nil || !bundled.has(load.Ours) || !slices.Contains(bundled.cfg.workloads, "page") {
		return ""
	}
	var b strings.Builder
	b.WriteString("## Pagination across sizes (ours)\n\n| size | c | page p50 ms | × bundled | ≤ 2× bundled |\n|---|---:|---:|---:|---|\n")
	sort.SliceStable(reports, func(i, j int) bool { return sizeOrder(reports[i].size) < sizeOrder(reports[j].size) })
	rows := 0
	for _, r := range reports {
		for _, c := range r.cfg.concurrency {
			o, base := r.stat("page", c, load.Ours), bundled.stat("page", c, load.Ours)
			if o == nil || base == nil || base.failed() {
				continue
			}
			if o.failed() {
				fmt.Fprintf(&b, "| %s | %d | – (no correct response) | – | **no** |\n", r.size, c)
				rows++
				continue
			}
			x := float64(o.p50) / float64(base.p50)
			fmt.Fprintf(&b, "| %s | %d | %s | %.2f× | %s |\n", r.size, c, fmtMS(o.p50), x, yes(x <= 2))
			rows++
		}
	}
	if rows == 0 || len(reports) < 2 {
		return ""
	}
	return b.String()
}

func sizeOrder(s string) int {
	if s == "bundled" {
		return 0
	}
	var n int
	fmt.Sscan(s, &n)
	return n
}
