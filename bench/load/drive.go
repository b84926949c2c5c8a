// Package load is the benchmark's load generator: a bounded closed loop
// (fixed duration, fixed concurrency, loopback targets only) that checks
// every response against the expected answer before counting it, plus the
// workloads in each server's dialect and the reference answers they are
// checked against.
package load

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Dialect is how a server is asked: our GraphQL schema, the peer's
// (@neo4j/graphql) schema, or the floor's plain HTTP endpoints.
type Dialect string

// The three servers.
const (
	Ours  Dialect = "ours"
	Peer  Dialect = "peer"
	Floor Dialect = "floor"
)

// Target is one running server.
type Target struct {
	Dialect Dialect
	// BaseURL is http://127.0.0.1:PORT (no path).
	BaseURL string
	// PID is the server's process id (0 when it runs in-process), for its memory.
	PID int
}

// CheckLoopback refuses any base URL whose host is not a loopback address:
// the load generator only ever sends traffic to this machine.
func CheckLoopback(base string) error {
	u, err := url.Parse(base)
	if err != nil {
		return err
	}
	if u.Scheme != "http" {
		return fmt.Errorf("target %q: only http:// on the loopback interface", base)
	}
	host := u.Hostname()
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("target %q is not a loopback address (127.0.0.0/8 or ::1): refused", base)
	}
	return nil
}

// NewClient is an HTTP client for one target at the given concurrency:
// keep-alive connections, one per worker, no compression. Its timeout,
// 60 s, is longer than any server's own deadline (ours 10 s, the peer's
// driver retries for 30 s), so a cell ends only when the servers have
// finished its requests and none of its work spills into the next cell.
func NewClient(concurrency int) *http.Client {
	return &http.Client{
		Timeout: 60 * time.Second,
		Transport: &http.Transport{
			Proxy:               nil,
			MaxIdleConns:        concurrency * 2,
			MaxIdleConnsPerHost: concurrency * 2,
			IdleConnTimeout:     90 * time.Second,
			DisableCompression:  true,
			DialContext:         (&net.Dialer{Timeout: 2 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// Options of one measured cell.
type Options struct {
	Concurrency int
	Duration    time.Duration
	// Warmup runs the same loop first, unmeasured (0: none).
	Warmup time.Duration
	// MaxRequests bounds the measured requests of the cell (0: 5,000,000).
	MaxRequests int
	// SampleRSS, when non-zero, samples this pid's VmRSS during the cell.
	SampleRSS int
}

// Result is one measured cell.
type Result struct {
	OK        int // correct responses: the only ones that count
	Errors    int // transport errors, non-200 statuses and responses carrying GraphQL errors
	Incorrect int // responses without errors whose data differs from the expected answer
	Elapsed   time.Duration
	// Latencies of the correct responses, sorted.
	Latencies []time.Duration
	// FirstProblem describes the first error or incorrect response.
	FirstProblem string
	// PeakRSSKB is the highest VmRSS seen (KiB), when sampled.
	PeakRSSKB int
}

// RPS is correct responses per second.
func (r *Result) RPS() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.OK) / r.Elapsed.Seconds()
}

// Quantile returns the q-quantile (0..1) of the correct responses' latencies.
func (r *Result) Quantile(q float64) time.Duration {
	if len(r.Latencies) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(r.Latencies)))) - 1
	i = max(0, min(i, len(r.Latencies)-1))
	return r.Latencies[i]
}

// Drive runs the workload against the target: opt.Concurrency workers each
// send a request, wait for the whole answer, check it, and send the next,
// until opt.Duration has passed (requests in flight then are finished and
// counted). Traffic goes to the target only, which must be on loopback.
func Drive(ctx context.Context, client *http.Client, t Target, w *Workload, opt Options) (*Result, error) {
	if err := CheckLoopback(t.BaseURL); err != nil {
		return nil, err
	}
	if opt.Concurrency < 1 || opt.Concurrency > 1024 {
		return nil, fmt.Errorf("concurrency %d out of 1..1024", opt.Concurrency)
	}
	if opt.Duration <= 0 || opt.Duration > time.Hour {
		return nil, fmt.Errorf("duration %s out of (0, 1h]", opt.Duration)
	}
	if opt.MaxRequests <= 0 {
		opt.MaxRequests = 5_000_000
	}
	checker := newVerified(w, t.Dialect)
	if opt.Warmup > 0 {
		run(ctx, client, t, w, checker, opt.Concurrency, opt.Warmup, opt.MaxRequests, false)
	}
	var stopRSS func() int
	if opt.SampleRSS > 0 {
		stopRSS = sampleRSS(opt.SampleRSS)
	}
	res := run(ctx, client, t, w, checker, opt.Concurrency, opt.Duration, opt.MaxRequests, true)
	if stopRSS != nil {
		res.PeakRSSKB = stopRSS()
	}
	return res, ctx.Err()
}

func run(ctx context.Context, client *http.Client, t Target, w *Workload, checker *verified, conc int, d time.Duration, maxReq int, keep bool) *Result {
	start := time.Now()
	deadline := start.Add(d)
	var (
		mu     sync.Mutex
		res    = &Result{}
		issued int
		wg     sync.WaitGroup
	)
	take := func() bool { // bound the number of requests of the cell
		mu.Lock()
		defer mu.Unlock()
		if issued >= maxReq {
			return false
		}
		issued++
		return true
	}
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var lat []time.Duration
			var ok, errs, bad int
			var problem string
			for ctx.Err() == nil && time.Now().Before(deadline) && take() {
				req, err := w.Request(ctx, t)
				if err != nil {
					errs++
					problem = cmp(problem, err.Error())
					continue
				}
				t0 := time.Now()
				resp, err := client.Do(req)
				var body []byte
				if err == nil {
					body, err = io.ReadAll(resp.Body)
					resp.Body.Close()
				}
				el := time.Since(t0)
				switch {
				case err != nil:
					errs++
					problem = cmp(problem, "transport: "+err.Error())
				case resp.StatusCode != http.StatusOK:
					errs++
					problem = cmp(problem, fmt.Sprintf("HTTP %d: %s", resp.StatusCode, clip(body, 300)))
				default:
					var se *ServerError
					if err := checker.check(body); errors.As(err, &se) {
						errs++
						problem = cmp(problem, err.Error())
					} else if err != nil {
						bad++
						problem = cmp(problem, "incorrect: "+err.Error())
					} else {
						ok++
						if keep {
							lat = append(lat, el)
						}
					}
				}
			}
			mu.Lock()
			res.OK += ok
			res.Errors += errs
			res.Incorrect += bad
			res.Latencies = append(res.Latencies, lat...)
			if res.FirstProblem == "" {
				res.FirstProblem = problem
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	slices.Sort(res.Latencies)
	return res
}

func cmp(cur, next string) string {
	if cur != "" {
		return cur
	}
	return next
}

func clip(b []byte, n int) string {
	s := strings.TrimSpace(string(b))
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// verified checks responses, remembering a few bodies already proven
// correct: a byte-identical body is correct without parsing it again (the
// servers answer deterministically, so the check costs the load generator
// almost nothing after the first response).
type verified struct {
	w      *Workload
	d      Dialect
	mu     sync.RWMutex
	bodies [][]byte
}

func newVerified(w *Workload, d Dialect) *verified { return &verified{w: w, d: d} }

func (v *verified) check(body []byte) error {
	v.mu.RLock()
	for _, b := range v.bodies {
		if bytes.Equal(b, body) {
			v.mu.RUnlock()
			return nil
		}
	}
	v.mu.RUnlock()
	if err := v.w.Check(v.d, body); err != nil {
		return err
	}
	v.mu.Lock()
	if len(v.bodies) < 8 {
		v.bodies = append(v.bodies, bytes.Clone(body))
	}
	v.mu.Unlock()
	return nil
}

// RSSKB reads VmRSS (KiB) of a process from /proc.
func RSSKB(pid int) (int, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				return strconv.Atoi(f[0])
			}
		}
	}
	return 0, errors.New("no VmRSS line")
}

// sampleRSS samples VmRSS every 50 ms until the returned function is
// called, which returns the peak.
func sampleRSS(pid int) func() int {
	done := make(chan struct{})
	peak := make(chan int, 1)
	go func() {
		best := 0
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			if kb, err := RSSKB(pid); err == nil && kb > best {
				best = kb
			}
			select {
			case <-done:
				peak <- best
				return
			case <-tick.C:
			}
		}
	}()
	return func() int {
		close(done)
		return <-peak
	}
}
