// Command replicas measures several API replicas on one Neo4j, behind a
// round-robin proxy (internal/replicas): a bounded soak with writes every
// second — every subscriber on every replica must receive every change
// once, in order — reporting the staleness of events (write acknowledged →
// event received) and the replicas' memory; and read throughput with 1, 2
// and 3 replicas.
//
//	make soak-replicas                      # 2 minutes, 3 replicas, a write a second
//	go run ./bench/replicas -duration 30s -throughput 10s
//
// It needs NEO4J_URI (and NEO4J_USER, NEO4J_PASSWORD, NEO4J_DATABASE) naming a
// database that holds the bundled plan (make db-up && make load). It writes
// status changes to one measure (-code, default S1.M1) and leaves the last
// status it set.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/shenzhenplan/kgapi/internal/replicas"
	"github.com/shenzhenplan/kgapi/server"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "replicas:", err)
		os.Exit(1)
	}
}

type options struct {
	n          int
	duration   time.Duration
	writeEvery time.Duration
	poll       time.Duration
	code       string
	throughput time.Duration
	workers    int
}

func run(ctx context.Context, args []string, out io.Writer) error {
	var o options
	fs := flag.NewFlagSet("replicas", flag.ContinueOnError)
	fs.IntVar(&o.n, "replicas", 3, "API replicas in the soak")
	fs.DurationVar(&o.duration, "duration", 2*time.Minute, "how long the soak writes (0: no soak)")
	fs.DurationVar(&o.writeEvery, "write-every", time.Second, "one status change through the proxy this often")
	fs.DurationVar(&o.poll, "poll", 200*time.Millisecond, "the replicas' CHANGE_POLL_INTERVAL")
	fs.StringVar(&o.code, "code", "S1.M1", "the measure whose status the soak changes")
	fs.DurationVar(&o.throughput, "throughput", 0, "also measure read throughput with 1, 2 and 3 replicas, this long each (0: no)")
	fs.IntVar(&o.workers, "workers", 8, "concurrent readers in the throughput runs")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if os.Getenv("NEO4J_URI") == "" {
		return errors.New("set NEO4J_URI (and the credentials) to a database holding the bundled plan: make db-up && make load")
	}
	secret := make([]byte, 16)
	_, _ = rand.Read(secret)
	token := hex.EncodeToString(secret)
	fmt.Fprintln(out, "building cmd/api …")
	bin, err := replicas.BuildAPI(".")
	if err != nil {
		return err
	}
	env := []string{"API_TOKENS=soak:" + server.TokenHash(token), "CHANGE_POLL_INTERVAL=" + o.poll.String(), "LOG_LEVEL=warn"}
	start := func(n int, cacheMB int) ([]*replicas.Replica, func(), error) {
		var rs []*replicas.Replica
		stopAll := func() {
			for _, r := range rs {
				r.Kill()
			}
		}
		for i := range n {
			r, err := replicas.Start(ctx, bin, string(rune('A'+i)), append(env, fmt.Sprintf("RESPONSE_CACHE_MB=%d", cacheMB)))
			if err != nil {
				stopAll()
				return nil, nil, err
			}
			rs = append(rs, r)
		}
		return rs, stopAll, nil
	}
	if o.duration > 0 {
		rs, stopAll, err := start(o.n, 64) // caches on: they must follow the log
		if err != nil {
			return err
		}
		err = soak(ctx, o, rs, token, out)
		stopAll()
		if err != nil {
			return err
		}
	}
	if o.throughput > 0 {
		fmt.Fprintf(out, "\nread throughput through the proxy, %d closed-loop readers, %v each (a page of 20 measures with their section, projects and sectors):\n", o.workers, o.throughput)
		fmt.Fprintln(out, "| replicas | requests/s | p50 ms | p99 ms | errors |")
		fmt.Fprintln(out, "|---|---|---|---|---|")
		for n := 1; n <= 3; n++ {
			rs, stopAll, err := start(n, 0) // no response cache: the database answers
			if err != nil {
				return err
			}
			rps, p50, p99, errs := throughput(ctx, o, rs, token)
			stopAll()
			fmt.Fprintf(out, "| %d | %.0f | %.1f | %.1f | %d |\n", n, rps, p50, p99, errs)
		}
	}
	return nil
}

// soak writes every o.writeEvery through the proxy while one subscriber per
// replica listens, then checks that each received every change once, in
// order, and reports staleness and memory.
func soak(ctx context.Context, o options, rs []*replicas.Replica, token string, out io.Writer) error {
	pctx, stopProxy := context.WithCancel(ctx)
	defer stopProxy()
	front, err := replicas.Serve(pctx, replicas.NewRoundRobin(rs...))
	if err != nil {
		return err
	}
	type sub struct {
		r      *replicas.Replica
		events <-chan replicas.Change
		got    []replicas.Change
	}
	var subs []*sub
	sctx, stopSubs := context.WithCancel(ctx)
	defer stopSubs()
	for _, r := range rs {
		ev, _, err := replicas.Subscribe(sctx, r.URL, token, nil)
		if err != nil {
			return err
		}
		subs = append(subs, &sub{r: r, events: ev})
	}
	var wg sync.WaitGroup
	for _, s := range subs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range s.events {
				s.got = append(s.got, c)
			}
		}()
	}
	time.Sleep(time.Second) // the subscriptions register
	rssStart := make([]int64, len(rs))
	for i, r := range rs {
		rssStart[i], _ = r.RSS()
	}
	fmt.Fprintf(out, "soak: %d replicas, a status change every %v through the proxy for %v, change log read every %v\n", len(rs), o.writeEvery, o.duration, o.poll)
	acked := map[int]time.Time{}
	var writeErrs int
	statuses := []string{"PLANNED", "IN_PROGRESS", "COMPLETED"}
	tick := time.NewTicker(o.writeEvery)
	end := time.After(o.duration)
	progress := time.NewTicker(15 * time.Second)
	rssSeries := make([][]int64, len(rs)) // every 15 s
loop:
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			break loop
		case <-end:
			break loop
		case <-progress.C:
			fmt.Fprintf(out, "  … %d changes written\n", len(acked))
			for i, r := range rs {
				n, _ := r.RSS()
				rssSeries[i] = append(rssSeries[i], n)
			}
		case <-tick.C:
			resp, _, err := replicas.Post(ctx, front, token, fmt.Sprintf(`mutation { setMeasureStatus(code: %q, status: %s) { status } }`, o.code, statuses[i%3]), nil)
			if err != nil {
				writeErrs++
				continue
			}
			ext, _ := resp["extensions"].(map[string]any)
			if f, ok := ext["changeSeq"].(float64); ok {
				acked[int(f)] = time.Now()
			}
		}
	}
	tick.Stop()
	progress.Stop()
	time.Sleep(o.poll + time.Second) // the last changes arrive
	rssEnd := make([]int64, len(rs))
	for i, r := range rs {
		rssEnd[i], _ = r.RSS()
	}
	stopSubs()
	wg.Wait()

	var seqs []int
	for s := range acked {
		seqs = append(seqs, s)
	}
	sort.Ints(seqs)
	failed := false
	fmt.Fprintf(out, "\n%d changes written (%d write errors)\n\n", len(seqs), writeErrs)
	fmt.Fprintln(out, "| replica | received | lost | twice | out of order | staleness p50 | p90 | p99 | max | RSS start → end |")
	fmt.Fprintln(out, "|---|---|---|---|---|---|---|---|---|---|")
	for i, s := range subs {
		seen := map[int]int{}
		disorder := 0
		var stale []time.Duration
		for j, c := range s.got {
			seen[c.Seq]++
			if j > 0 && c.Seq <= s.got[j-1].Seq {
				disorder++
			}
			if at, ok := acked[c.Seq]; ok && seen[c.Seq] == 1 {
				stale = append(stale, max(c.At.Sub(at), 0))
			}
		}
		lost, twice := 0, 0
		for _, q := range seqs {
			if seen[q] == 0 {
				lost++
			}
		}
		for _, n := range seen {
			if n > 1 {
				twice++
			}
		}
		if lost+twice+disorder > 0 {
			failed = true
		}
		slices.Sort(stale)
		pct := func(p float64) string {
			if len(stale) == 0 {
				return "–"
			}
			return stale[min(int(p*float64(len(stale))), len(stale)-1)].Round(time.Millisecond).String()
		}
		fmt.Fprintf(out, "| %s | %d | %d | %d | %d | %s | %s | %s | %s | %.1f → %.1f MiB |\n", s.r.Name, len(s.got), lost, twice, disorder,
			pct(0.5), pct(0.9), pct(0.99), pct(1), float64(rssStart[i])/(1<<20), float64(rssEnd[i])/(1<<20))
	}
	fmt.Fprintln(out, "\nstaleness: from the writer's acknowledgement to the event's arrival at the replica's subscriber")
	fmt.Fprintln(out, "RSS every 15 s (MiB):")
	for i, r := range rs {
		fmt.Fprintf(out, "  %s:", r.Name)
		for _, n := range append(append([]int64{rssStart[i]}, rssSeries[i]...), rssEnd[i]) {
			fmt.Fprintf(out, " %.1f", float64(n)/(1<<20))
		}
		fmt.Fprintln(out)
	}
	if failed {
		return errors.New("a subscriber lost, repeated or reordered changes")
	}
	return nil
}

// throughput runs o.workers closed-loop readers through a proxy over rs
// for o.throughput and returns requests per second, p50 and p99 latency
// in ms, and the error count.
func throughput(ctx context.Context, o options, rs []*replicas.Replica, token string) (rps, p50, p99 float64, errs int) {
	pctx, stopProxy := context.WithCancel(ctx)
	defer stopProxy()
	front, err := replicas.Serve(pctx, replicas.NewRoundRobin(rs...))
	if err != nil {
		return 0, 0, 0, 1
	}
	const query = `{ measures(first: 20) { nodes { code title section { title } projects { name } sectors { name } } } }`
	// Warm up every replica (plans, connections).
	for range 3 * len(rs) {
		_, _, _ = replicas.Post(ctx, front, "", query, nil)
	}
	var mu sync.Mutex
	var lat []time.Duration
	var failed atomic.Int64
	deadline := time.Now().Add(o.throughput)
	var wg sync.WaitGroup
	for range o.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			for time.Now().Before(deadline) && ctx.Err() == nil {
				t0 := time.Now()
				if _, _, err := replicas.Post(ctx, front, "", query, nil); err != nil {
					failed.Add(1)
					continue
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	slices.Sort(lat)
	if len(lat) == 0 {
		return 0, 0, 0, int(failed.Load())
	}
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	return float64(len(lat)) / o.throughput.Seconds(), ms(lat[len(lat)/2]), ms(lat[min(len(lat)*99/100, len(lat)-1)]), int(failed.Load())
}
