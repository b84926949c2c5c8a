// Command soak drives a locally running API at a fixed request rate for a
// fixed time and reports what it saw: requests, errors by code, latency
// percentiles, and the API process's resident memory over the run.
//
//	go run ./bench/soak -duration 3m -rate 50 -url http://127.0.0.1:8080/graphql -pid <api pid>
//
// The load is open-loop: a ticker starts one request every 1/rate seconds
// whether or not the earlier ones have been answered, so a slow server
// shows up as latency (measured from the moment the request was due), not
// as a lower rate. The requests follow a fixed mix, in turn: a
// dashboard-like nested page, a full-text search, a node refetch by id and
// a filtered page behind a cursor.
//
// It only ever talks to the local machine: the URL's host must be
// 127.0.0.1, localhost or ::1, and every connection is checked to go to a
// loopback address. It stops by itself after -duration (or on Ctrl-C) and
// prints its report.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(1)
	}
}

type options struct {
	duration    time.Duration
	rate        float64
	url         string
	pid         int
	timeout     time.Duration
	maxInFlight int
	jsonOut     string
	memEvery    time.Duration
	plan        string
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("soak", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	fs.DurationVar(&o.duration, "duration", 3*time.Minute, "how long to send requests (then it waits for the answers in flight and stops)")
	fs.Float64Var(&o.rate, "rate", 50, "requests per second (open loop)")
	fs.StringVar(&o.url, "url", "http://127.0.0.1:8080/graphql", "the API's GraphQL endpoint; the host must be 127.0.0.1, localhost or ::1")
	fs.IntVar(&o.pid, "pid", 0, "pid of the API process, for its resident memory (0: the process listening on the URL's port, when it can be found)")
	fs.DurationVar(&o.timeout, "timeout", 15*time.Second, "client timeout of each request")
	fs.IntVar(&o.maxInFlight, "max-in-flight", 2000, "requests allowed in flight at once; a request due beyond it is counted as dropped")
	fs.StringVar(&o.jsonOut, "json", "", "also write the report as JSON to this file")
	fs.DurationVar(&o.memEvery, "mem-interval", time.Second, "how often to sample the API's resident memory")
	fs.StringVar(&o.plan, "plan", "", "slug of the plan the measure queries use (empty: the API's default plan)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if o.duration <= 0 || o.duration > 24*time.Hour {
		return fmt.Errorf("-duration must be between 0 and 24h (got %s)", o.duration)
	}
	if o.rate <= 0 || o.rate > 10000 {
		return fmt.Errorf("-rate must be between 0 and 10000 requests per second (got %g)", o.rate)
	}
	if o.maxInFlight < 1 {
		return fmt.Errorf("-max-in-flight must be at least 1")
	}
	u, err := localURL(o.url)
	if err != nil {
		return err
	}
	client := localClient(o.timeout)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	if o.pid == 0 {
		if pid, err := pidListening(u); err == nil {
			o.pid = pid
			fmt.Fprintf(stderr, "soak: the API is pid %d (listening on %s)\n", pid, u.Host)
		} else {
			fmt.Fprintf(stderr, "soak: no memory figures (%v); pass -pid\n", err)
		}
	} else if _, err := readRSS(o.pid); err != nil {
		return fmt.Errorf("-pid %d: %w", o.pid, err)
	}

	mix, err := prepare(ctx, client, u.String(), o.plan)
	if err != nil {
		return fmt.Errorf("prepare the request mix against %s: %w", u, err)
	}
	fmt.Fprintf(stderr, "soak: %s at %g req/s against %s, plan %s (%d node ids, %d page cursors)\n", o.duration, o.rate, u, mix.plan, len(mix.ids), len(mix.cursors))

	rep := soak(ctx, client, u.String(), mix, o)
	rep.print(stdout)
	if o.jsonOut != "" {
		b, _ := json.MarshalIndent(rep, "", "  ")
		if err := os.WriteFile(o.jsonOut, append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// localURL accepts only http(s) URLs on the loopback host.
func localURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("-url: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("-url %q: want an http:// URL", raw)
	}
	switch h := u.Hostname(); h {
	case "127.0.0.1", "localhost", "::1":
	default:
		return nil, fmt.Errorf("-url %q: the soak only targets this machine (127.0.0.1, localhost or ::1), not %q", raw, h)
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = "/graphql"
	}
	return u, nil
}

// localClient refuses, at connection time, any address that is not loopback
// (a localhost that resolves elsewhere, a redirect).
func localClient(timeout time.Duration) *http.Client {
	d := &net.Dialer{
		Timeout: 5 * time.Second,
		Control: func(network, address string, _ syscall.RawConn) error {
			host, _, err := net.SplitHostPort(address)
			if err != nil {
				return err
			}
			if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
				return fmt.Errorf("refusing to connect to %s: not a loopback address", address)
			}
			return nil
		},
	}
	tr := &http.Transport{
		DialContext:         d.DialContext,
		MaxIdleConns:        1000,
		MaxIdleConnsPerHost: 1000,
		IdleConnTimeout:     90 * time.Second,
	}
	return &http.Client{
		Transport:     tr,
		Timeout:       timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return errors.New("redirects are not followed") },
	}
}

// ---------------------------------------------------------------------------
// The request mix.

const (
	qDashboard = `query Dashboard($plan: String!) {
  plan(slug: $plan) {
    title catalogedMeasureCount
    sections { number title aspects { number title } }
    measures(first: 20) {
      totalCount
      nodes { id code title status section { title } aspect { title } projects { name places { name } } sectors { name } milestones { year } }
      pageInfo { hasNextPage endCursor }
    }
  }
}`
	qSearch = `query Search($text: String!) {
  search(text: $text, first: 10) { score snippet node { id __typename ... on Measure { code title } ... on Project { name } ... on Place { name } } }
}`
	qNode = `query Node($id: ID!) {
  node(id: $id) { id __typename ... on Measure { code title status projects { name } sectors { name } sources { title excerpt } } }
}`
	qPage = `query Page($plan: String!, $after: String) {
  plan(slug: $plan) {
    measures(filter: {section: 2}, orderBy: [{field: TITLE}], first: 5, after: $after) {
      totalCount
      nodes { code title status }
      pageInfo { hasNextPage endCursor }
    }
  }
}`
	qDefaultPlan = `{ plan { slug } }`
	qIDs         = `query IDs($plan: String!) { plan(slug: $plan) { measures(first: 100) { nodes { id } } } }`
)

var searchTexts = []string{"Qianhai", "前海", "innovation", "finance", "science city", "深圳", "Lok Ma Chau", "5G"}

// kinds of request, in the order of the mix.
var kinds = []string{"dashboard", "search", "node", "page"}

type mix struct {
	plan    string
	ids     []string
	cursors []*string // nil: the first page
	bodies  [][]byte  // one cycle of the mix, precomputed
}

// prepare reads what the mix needs (the plan, measure ids, page cursors)
// and builds one cycle of request bodies. Every measure query is scoped to
// the plan, so other plans in the same database do not change the load.
func prepare(ctx context.Context, client *http.Client, endpoint, planSlug string) (*mix, error) {
	if planSlug == "" {
		var def struct {
			Plan *struct {
				Slug string `json:"slug"`
			} `json:"plan"`
		}
		if err := gqlData(ctx, client, endpoint, qDefaultPlan, nil, &def); err != nil {
			return nil, err
		}
		if def.Plan == nil {
			return nil, errors.New("the API serves no plan: load the data first (go run ./cmd/loader)")
		}
		planSlug = def.Plan.Slug
	}
	type page struct {
		Plan *struct {
			Measures struct {
				Nodes []struct {
					ID string `json:"id"`
				} `json:"nodes"`
				PageInfo struct {
					HasNextPage bool    `json:"hasNextPage"`
					EndCursor   *string `json:"endCursor"`
				} `json:"pageInfo"`
			} `json:"measures"`
		} `json:"plan"`
	}
	var ids page
	if err := gqlData(ctx, client, endpoint, qIDs, map[string]any{"plan": planSlug}, &ids); err != nil {
		return nil, err
	}
	if ids.Plan == nil || len(ids.Plan.Measures.Nodes) == 0 {
		return nil, fmt.Errorf("plan %q has no measures: load the data first (go run ./cmd/loader)", planSlug)
	}
	m := &mix{plan: planSlug, cursors: []*string{nil}}
	for _, n := range ids.Plan.Measures.Nodes {
		m.ids = append(m.ids, n.ID)
	}
	for after := (*string)(nil); len(m.cursors) < 50; {
		var p page
		if err := gqlData(ctx, client, endpoint, qPage, map[string]any{"plan": planSlug, "after": after}, &p); err != nil {
			return nil, err
		}
		if p.Plan == nil || !p.Plan.Measures.PageInfo.HasNextPage || p.Plan.Measures.PageInfo.EndCursor == nil {
			break
		}
		after = p.Plan.Measures.PageInfo.EndCursor
		m.cursors = append(m.cursors, after)
	}
	// One cycle: every id, search text and cursor comes round in turn.
	n := max(len(m.ids), len(searchTexts), len(m.cursors))
	for i := 0; i < n; i++ {
		for _, k := range kinds {
			var b []byte
			switch k {
			case "dashboard":
				b = body(qDashboard, map[string]any{"plan": m.plan})
			case "search":
				b = body(qSearch, map[string]any{"text": searchTexts[i%len(searchTexts)]})
			case "node":
				b = body(qNode, map[string]any{"id": m.ids[i%len(m.ids)]})
			case "page":
				b = body(qPage, map[string]any{"plan": m.plan, "after": m.cursors[i%len(m.cursors)]})
			}
			m.bodies = append(m.bodies, b)
		}
	}
	return m, nil
}

func body(query string, vars map[string]any) []byte {
	b, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		panic(err)
	}
	return b
}

type gqlResponse struct {
	Data   json.RawMessage `json:"data"`
	Errors []struct {
		Message    string         `json:"message"`
		Extensions map[string]any `json:"extensions"`
	} `json:"errors"`
}

func gqlData(ctx context.Context, client *http.Client, endpoint, query string, vars map[string]any, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body(query, vars)))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	var r gqlResponse
	if err := json.Unmarshal(b, &r); err != nil {
		return fmt.Errorf("status %d, not a GraphQL answer: %.200s", resp.StatusCode, b)
	}
	if len(r.Errors) > 0 || resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d: %.300s", resp.StatusCode, b)
	}
	return json.Unmarshal(r.Data, v)
}

// ---------------------------------------------------------------------------
// The run.

type result struct {
	kind    int
	latency time.Duration
	outcome string // "ok", an error code, "HTTP 503", "transport: …"
}

type report struct {
	Target          string             `json:"target"`
	Plan            string             `json:"plan"`
	Duration        string             `json:"duration"`
	Rate            float64            `json:"rate"`
	Elapsed         string             `json:"elapsed"`
	Sent            int                `json:"sent"`
	Completed       int                `json:"completed"`
	Dropped         int                `json:"dropped"`
	Errors          int                `json:"errors"`
	ErrorsByCode    map[string]int     `json:"errorsByCode"`
	AchievedRate    float64            `json:"achievedRate"`
	Latency         latency            `json:"latency"`
	LatencyByKind   map[string]latency `json:"latencyByKind"`
	PID             int                `json:"pid,omitempty"`
	RSSStartKiB     int                `json:"rssStartKiB,omitempty"`
	RSSEndKiB       int                `json:"rssEndKiB,omitempty"`
	RSSMaxKiB       int                `json:"rssMaxKiB,omitempty"`
	RSSHighWaterKiB int                `json:"rssHighWaterKiB,omitempty"`
	MemSamples      int                `json:"memSamples,omitempty"`
	MemError        string             `json:"memError,omitempty"`
}

type latency struct {
	N   int     `json:"n"`
	P50 float64 `json:"p50ms"`
	P95 float64 `json:"p95ms"`
	P99 float64 `json:"p99ms"`
	Max float64 `json:"maxms"`
}

func soak(ctx context.Context, client *http.Client, endpoint string, m *mix, o options) *report {
	rep := &report{Target: endpoint, Plan: m.plan, Duration: o.duration.String(), Rate: o.rate, ErrorsByCode: map[string]int{}, LatencyByKind: map[string]latency{}, PID: o.pid}

	// Memory: sampled from /proc/<pid>/status for the whole run.
	memDone := make(chan struct{})
	var memWG sync.WaitGroup
	if o.pid > 0 {
		rss, err := readRSS(o.pid)
		if err != nil {
			rep.MemError = err.Error()
		} else {
			rep.RSSStartKiB, rep.RSSMaxKiB, rep.MemSamples = rss, rss, 1
		}
		memWG.Add(1)
		go func() {
			defer memWG.Done()
			t := time.NewTicker(o.memEvery)
			defer t.Stop()
			for {
				select {
				case <-memDone:
					return
				case <-t.C:
					rss, err := readRSS(o.pid)
					if err != nil {
						rep.MemError = err.Error()
						continue
					}
					rep.MemSamples++
					rep.RSSMaxKiB = max(rep.RSSMaxKiB, rss)
				}
			}
		}()
	}

	results := make(chan result, 4096)
	var collected []result
	collectDone := make(chan struct{})
	go func() {
		for r := range results {
			collected = append(collected, r)
		}
		close(collectDone)
	}()

	interval := time.Duration(float64(time.Second) / o.rate)
	start := time.Now()
	stopAt := time.NewTimer(o.duration + time.Second) // a backstop: the loop ends after the last due request
	defer stopAt.Stop()
	var inFlight atomic.Int64
	var wg sync.WaitGroup
	sent, dropped := 0, 0
	progress := time.NewTicker(30 * time.Second)
	defer progress.Stop()
	// Open loop: request i is due at start + i*interval, whatever the ones
	// before are doing. The ticker wakes the loop; when the machine is busy
	// and ticks are late or dropped, the requests that fell due meanwhile go
	// out at once, so the rate holds and their latency counts from when they
	// were due.
	tick := time.NewTicker(interval)
	defer tick.Stop()
	total := int(o.duration.Seconds() * o.rate)
loop:
	for i := 0; sent < total; {
		select {
		case <-ctx.Done():
			break loop
		case <-stopAt.C:
			break loop
		case <-progress.C:
			fmt.Fprintf(os.Stderr, "soak: %s: %d sent, %d in flight\n", time.Since(start).Round(time.Second), sent, inFlight.Load())
		case now := <-tick.C:
			for sent < total {
				due := start.Add(time.Duration(sent) * interval)
				if due.After(now) {
					break
				}
				sent++
				if inFlight.Load() >= int64(o.maxInFlight) {
					dropped++
					continue
				}
				inFlight.Add(1)
				wg.Add(1)
				go func(kind int, b []byte, due time.Time) {
					defer wg.Done()
					defer inFlight.Add(-1)
					results <- result{kind: kind, outcome: send(client, endpoint, b), latency: time.Since(due)}
				}(i%len(kinds), m.bodies[i%len(m.bodies)], due)
				i++
			}
		}
	}
	sendEnd := time.Since(start)
	wg.Wait() // answers in flight, each bounded by the client timeout
	elapsed := time.Since(start)
	close(results)
	<-collectDone
	close(memDone)
	memWG.Wait()
	if o.pid > 0 {
		if rss, err := readRSS(o.pid); err == nil {
			rep.RSSEndKiB = rss
			rep.RSSMaxKiB = max(rep.RSSMaxKiB, rss)
		}
		rep.RSSHighWaterKiB, _ = readStatusKiB(o.pid, "VmHWM:")
	}

	rep.Elapsed = elapsed.Round(time.Millisecond).String()
	rep.Sent, rep.Dropped, rep.Completed = sent, dropped, len(collected)
	rep.AchievedRate = float64(sent) / sendEnd.Seconds()
	all := make([]time.Duration, 0, len(collected))
	byKind := make([][]time.Duration, len(kinds))
	for _, r := range collected {
		all = append(all, r.latency)
		byKind[r.kind] = append(byKind[r.kind], r.latency)
		if r.outcome != "ok" {
			rep.Errors++
			rep.ErrorsByCode[r.outcome]++
		}
	}
	if dropped > 0 {
		rep.Errors += dropped
		rep.ErrorsByCode["dropped (too many in flight)"] += dropped
	}
	rep.Latency = percentiles(all)
	for k, l := range byKind {
		rep.LatencyByKind[kinds[k]] = percentiles(l)
	}
	return rep
}

// send posts one request and names its outcome.
func send(client *http.Client, endpoint string, b []byte) string {
	req, err := http.NewRequest(http.MethodPost, endpoint, bytes.NewReader(b))
	if err != nil {
		return "transport: " + err.Error()
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return "transport: timeout"
		}
		return "transport: " + shortErr(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return "transport: read body: " + shortErr(err)
	}
	var r gqlResponse
	if err := json.Unmarshal(raw, &r); err != nil {
		return fmt.Sprintf("HTTP %d (not JSON)", resp.StatusCode)
	}
	if len(r.Errors) > 0 {
		code, _ := r.Errors[0].Extensions["code"].(string)
		if code == "" {
			code = "no code"
		}
		return code
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Sprintf("HTTP %d", resp.StatusCode)
	}
	if len(r.Data) == 0 || string(r.Data) == "null" {
		return "no data"
	}
	return "ok"
}

func shortErr(err error) string {
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 {
		s = s[i+2:]
	}
	return s
}

func percentiles(d []time.Duration) latency {
	if len(d) == 0 {
		return latency{}
	}
	slices.Sort(d)
	at := func(p float64) float64 {
		i := int(p*float64(len(d))+0.999999) - 1 // nearest rank
		i = min(max(i, 0), len(d)-1)
		return ms(d[i])
	}
	return latency{N: len(d), P50: at(0.50), P95: at(0.95), P99: at(0.99), Max: ms(d[len(d)-1])}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func (r *report) print(w io.Writer) {
	fmt.Fprintf(w, "soak of %s (plan %s): %s at %g req/s (elapsed %s)\n", r.Target, r.Plan, r.Duration, r.Rate, r.Elapsed)
	fmt.Fprintf(w, "requests: %d sent, %d answered, %d dropped; sent at %.1f req/s\n", r.Sent, r.Completed, r.Dropped, r.AchievedRate)
	fmt.Fprintf(w, "errors:   %d", r.Errors)
	if len(r.ErrorsByCode) > 0 {
		var codes []string
		for c := range r.ErrorsByCode {
			codes = append(codes, c)
		}
		slices.Sort(codes)
		fmt.Fprint(w, " (")
		for i, c := range codes {
			if i > 0 {
				fmt.Fprint(w, ", ")
			}
			fmt.Fprintf(w, "%s: %d", c, r.ErrorsByCode[c])
		}
		fmt.Fprint(w, ")")
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "latency (ms, from the time each request was due):\n")
	fmt.Fprintf(w, "  %-10s %7s %8s %8s %8s %8s\n", "", "n", "p50", "p95", "p99", "max")
	line := func(name string, l latency) {
		fmt.Fprintf(w, "  %-10s %7d %8.2f %8.2f %8.2f %8.2f\n", name, l.N, l.P50, l.P95, l.P99, l.Max)
	}
	line("all", r.Latency)
	for _, k := range kinds {
		line(k, r.LatencyByKind[k])
	}
	if r.PID > 0 {
		fmt.Fprintf(w, "API memory (pid %d, VmRSS): start %s, end %s, max %s over %d samples; VmHWM %s\n",
			r.PID, kib(r.RSSStartKiB), kib(r.RSSEndKiB), kib(r.RSSMaxKiB), r.MemSamples, kib(r.RSSHighWaterKiB))
		if r.MemError != "" {
			fmt.Fprintf(w, "  (memory sampling: %s)\n", r.MemError)
		}
	}
}

func kib(n int) string {
	if n == 0 {
		return "?"
	}
	return fmt.Sprintf("%.1f MiB", float64(n)/1024)
}

// ---------------------------------------------------------------------------
// The API process: memory from /proc, and finding it by its port.

func readRSS(pid int) (int, error) { return readStatusKiB(pid, "VmRSS:") }

// readStatusKiB reads one "Key:   123 kB" line of /proc/<pid>/status.
func readStatusKiB(pid int, key string) (int, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), key); ok {
			fields := strings.Fields(rest)
			if len(fields) == 0 {
				break
			}
			return strconv.Atoi(fields[0])
		}
	}
	return 0, fmt.Errorf("no %s in /proc/%d/status", key, pid)
}

// pidListening finds the process that listens on the URL's TCP port on
// this machine, through /proc/net/tcp{,6} and the processes' open sockets.
func pidListening(u *url.URL) (int, error) {
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		return 0, err
	}
	inodes := map[string]bool{}
	for _, file := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		b, err := os.ReadFile(file)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n")[1:] {
			f := strings.Fields(line)
			if len(f) < 10 || f[3] != "0A" { // 0A: LISTEN
				continue
			}
			i := strings.LastIndexByte(f[1], ':')
			if lp, err := strconv.ParseInt(f[1][i+1:], 16, 32); err == nil && int(lp) == p {
				inodes["socket:["+f[9]+"]"] = true
			}
		}
	}
	if len(inodes) == 0 {
		return 0, fmt.Errorf("nothing listens on port %d", p)
	}
	procs, _ := filepath.Glob("/proc/[0-9]*/fd/*")
	for _, fd := range procs {
		if target, err := os.Readlink(fd); err == nil && inodes[target] {
			pid, err := strconv.Atoi(strings.Split(fd, "/")[2])
			if err == nil {
				return pid, nil
			}
		}
	}
	return 0, fmt.Errorf("cannot see which process listens on port %d", p)
}
