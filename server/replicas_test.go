package server_test

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shenzhenplan/kgapi/dataset"
	"github.com/shenzhenplan/kgapi/internal/replicas"
	"github.com/shenzhenplan/kgapi/internal/testneo4j"
	"github.com/shenzhenplan/kgapi/server"
	"github.com/shenzhenplan/kgapi/store"
)

// pollInterval is the replicas' CHANGE_POLL_INTERVAL in these tests.
const pollInterval = 100 * time.Millisecond

// buildAPI builds cmd/api once per test binary.
var buildAPI = sync.OnceValues(func() (string, error) { return replicas.BuildAPI("..") })

// startReplica starts one API process on the test database with the
// response cache on and the change log read every pollInterval.
func startReplica(t *testing.T, name string) *replicas.Replica {
	t.Helper()
	bin, err := buildAPI()
	if err != nil {
		t.Fatal(err)
	}
	c := testneo4j.Connection(t)
	r, err := replicas.Start(context.Background(), bin, name, []string{
		"NEO4J_URI=" + c.URI, "NEO4J_USER=" + c.User, "NEO4J_PASSWORD=" + c.Password, "NEO4J_DATABASE=" + c.Database,
		"API_TOKENS=alice:" + server.TokenHash(secret),
		"RESPONSE_CACHE_MB=16", "RESPONSE_CACHE_TTL=1h", "CHANGE_POLL_INTERVAL=" + pollInterval.String(), "LOG_LEVEL=warn",
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Kill)
	return r
}

// subscribe opens the changes subscription at base; the stream is given a
// moment to register before the test writes.
func subscribe(t *testing.T, base string, after *int) (<-chan replicas.Change, context.CancelFunc, string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	events, backend, err := replicas.Subscribe(ctx, base, secret, after)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	return events, cancel, backend
}

// next waits up to d for the next change.
func next(ch <-chan replicas.Change, d time.Duration) (replicas.Change, time.Duration, bool) {
	start := time.Now()
	select {
	case c, ok := <-ch:
		return c, time.Since(start), ok
	case <-time.After(d):
		return replicas.Change{}, d, false
	}
}

func post(t *testing.T, base, query string, header map[string]string) (map[string]any, map[string][]string) {
	t.Helper()
	out, h, err := replicas.Post(context.Background(), base, secret, query, header)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return out, h
}

// setStatus sets S1.M1's status through base and checks that the answer
// carries the change's sequence number and the bookmark, in extensions
// and headers alike.
func setStatus(t *testing.T, base, status string) (seq int, bookmark string) {
	t.Helper()
	out, h := post(t, base, `mutation { setMeasureStatus(code: "S1.M1", status: `+status+`) { status } }`, nil)
	ext, _ := out["extensions"].(map[string]any)
	f, _ := ext["changeSeq"].(float64)
	hdr := func(k string) string {
		if v := h[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	if int(f) == 0 || hdr(server.ChangeSeqHeader) != fmt.Sprint(int(f)) {
		t.Fatalf("mutation answered changeSeq %v in extensions and %q in %s", ext["changeSeq"], hdr(server.ChangeSeqHeader), server.ChangeSeqHeader)
	}
	if hdr(server.BookmarkHeader) == "" || ext["bookmark"] != hdr(server.BookmarkHeader) {
		t.Fatalf("mutation answered bookmark %v in extensions and %q in %s", ext["bookmark"], hdr(server.BookmarkHeader), server.BookmarkHeader)
	}
	return int(f), hdr(server.BookmarkHeader)
}

func statusOf(t *testing.T, base string, header map[string]string) string {
	t.Helper()
	out, _ := post(t, base, `{ measure(code: "S1.M1") { status } }`, header)
	return out["data"].(map[string]any)["measure"].(map[string]any)["status"].(string)
}

// TestReplicasBehaveAsOne runs three API processes on one Neo4j behind a
// round-robin proxy: changes made through one replica, or by the loader,
// reach subscribers and caches on the others through the change log; a
// client that sends its write's bookmark reads its write anywhere; and a
// subscriber whose replica dies resumes through another with nothing
// missed and nothing twice.
func TestReplicasBehaveAsOne(t *testing.T) {
	reloadBundled(t)
	t.Cleanup(func() { reloadBundled(t) })
	a, b, c := startReplica(t, "A"), startReplica(t, "B"), startReplica(t, "C")

	t.Run("SubscriberOnAHearsAWriteThroughB", func(t *testing.T) {
		events, cancel, _ := subscribe(t, a.URL, nil)
		defer cancel()
		seq, _ := setStatus(t, b.URL, "IN_PROGRESS")
		ev, took, ok := next(events, 5*time.Second)
		if !ok || ev.Seq != seq || ev.Kind != "MUTATION" || ev.By != "alice" || !slices.Equal(ev.Codes, []string{"S1.M1"}) {
			t.Fatalf("subscriber on A got %+v (ok %v), want change %d of S1.M1 by alice", ev, ok, seq)
		}
		t.Logf("a write through B reached a subscriber on A after %v (poll interval %v)", took.Round(time.Millisecond), pollInterval)
		// One poll interval, plus the time to read the log and send the
		// event (on 2 busy cores: a generous 400 ms).
		if took > pollInterval+400*time.Millisecond {
			t.Errorf("took %v, more than one poll interval (%v) and 400 ms", took, pollInterval)
		}
	})

	t.Run("ReadYourWriteOnAnotherReplicaWithItsBookmark", func(t *testing.T) {
		before := statusOf(t, c.URL, nil) // now in C's response cache
		if again := statusOf(t, c.URL, nil); again != before {
			t.Fatalf("C answered %s then %s", before, again)
		}
		_, bookmark := setStatus(t, b.URL, "COMPLETED")
		if got := statusOf(t, c.URL, map[string]string{server.BookmarkHeader: bookmark}); got != "COMPLETED" {
			t.Errorf("read through C right after the write through B, with its bookmark: %s, want COMPLETED", got)
		}
		// Without the bookmark, C's cache follows the log within an interval.
		time.Sleep(pollInterval + 200*time.Millisecond)
		if got := statusOf(t, c.URL, nil); got != "COMPLETED" {
			t.Errorf("read through C one poll interval after the write: %s, want COMPLETED (the cache follows the log)", got)
		}
	})

	t.Run("EveryReplicaSeesALoaderRun", func(t *testing.T) {
		var streams []<-chan replicas.Change
		for _, r := range []*replicas.Replica{a, b, c} {
			ev, cancel, _ := subscribe(t, r.URL, nil)
			defer cancel()
			streams = append(streams, ev)
		}
		ds, err := dataset.Parse("../data/shenzhen-2019-2025.yaml")
		if err != nil {
			t.Fatal(err)
		}
		revised := false
		for pi := range ds.Plans {
			for si := range ds.Plans[pi].Sections {
				if ms := ds.Plans[pi].Sections[si].Measures; !revised && len(ms) > 0 {
					ms[0].Title += " (revised)"
					revised = true
				}
			}
		}
		if !revised {
			t.Fatal("the bundled data has no measure to revise")
		}
		st := testneo4j.Store(t)
		if _, err := st.Load(context.Background(), store.ToRows(ds, "shenzhen-2019-2025"), store.LoadOptions{}); err != nil {
			t.Fatal(err)
		}
		for i, ev := range streams {
			got, _, ok := next(ev, 5*time.Second)
			if !ok || got.Kind != "LOAD" || got.By != "shenzhen-2019-2025" || !strings.Contains(got.Summary, "Measure") {
				t.Errorf("replica %d got %+v (ok %v), want the load", i, got, ok)
			}
		}
	})

	t.Run("ResumeThroughAnotherReplicaAfterOneDies", func(t *testing.T) {
		ctx, stopProxy := context.WithCancel(context.Background())
		defer stopProxy()
		front, err := replicas.Serve(ctx, replicas.NewRoundRobin(a, b, c))
		if err != nil {
			t.Fatal(err)
		}

		// A writer through the proxy, one change every 50 ms.
		var written []int
		var wmu sync.Mutex
		stop := make(chan struct{})
		done := make(chan struct{})
		go func() {
			defer close(done)
			statuses := []string{"PLANNED", "IN_PROGRESS", "COMPLETED"}
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				case <-time.After(50 * time.Millisecond):
				}
				out, _, err := replicas.Post(ctx, front, secret, `mutation { setMeasureStatus(code: "S1.M2", status: `+statuses[i%3]+`) { status } }`, nil)
				if err != nil {
					continue
				}
				if ext, ok := out["extensions"].(map[string]any); ok {
					if f, ok := ext["changeSeq"].(float64); ok {
						wmu.Lock()
						written = append(written, int(f))
						wmu.Unlock()
					}
				}
			}
		}()

		// The subscriber: through the proxy; when its replica dies it
		// resumes through the proxy after the last change it saw.
		var got []int
		events, cancel, backend := subscribe(t, front, nil)
		var killed *replicas.Replica
		deadline := time.Now().Add(4 * time.Second)
		for time.Now().Before(deadline) {
			ev, _, ok := next(events, 2*time.Second)
			if !ok {
				cancel()
				last := 0
				if len(got) > 0 {
					last = got[len(got)-1]
				}
				events, cancel, backend = subscribe(t, front, &last)
				if killed != nil && backend == killed.Host() {
					t.Fatalf("resumed on the dead replica %s", killed.Name)
				}
				continue
			}
			got = append(got, ev.Seq)
			if killed == nil && len(got) == 10 {
				for _, r := range []*replicas.Replica{a, b, c} {
					if r.Host() == backend {
						killed = r
					}
				}
				if killed == nil {
					t.Fatalf("the stream runs on %q, not a replica", backend)
				}
				killed.Kill()
			}
		}
		close(stop)
		<-done
		// What the writer's last changes bring.
		for {
			ev, _, ok := next(events, pollInterval+500*time.Millisecond)
			if !ok {
				break
			}
			got = append(got, ev.Seq)
		}
		cancel()
		if killed == nil {
			t.Fatalf("the stream never reached 10 changes: %v", got)
		}
		wmu.Lock()
		defer wmu.Unlock()
		t.Logf("killed replica %s after 10 changes; %d changes written, %d received", killed.Name, len(written), len(got))
		for i := 1; i < len(got); i++ {
			if got[i] <= got[i-1] {
				t.Errorf("change %d after %d: out of order or twice (%v)", got[i], got[i-1], got)
				break
			}
		}
		have := map[int]bool{}
		for _, s := range got {
			have[s] = true
		}
		var missed []int
		for _, s := range written {
			if s > got[0] && !have[s] {
				missed = append(missed, s)
			}
		}
		if len(missed) > 0 {
			t.Errorf("missed %d changes the writer made: %v (received %v)", len(missed), missed, got)
		}
	})
}

// TestSSEResumesFromLastEventID checks the standard SSE resume on the
// changes subscription: each event carries its sequence number as its id,
// and a client that reconnects with Last-Event-ID gets the changes after
// it first, in order.
func TestSSEResumesFromLastEventID(t *testing.T) {
	reloadBundled(t)
	t.Cleanup(func() { reloadBundled(t) })
	srv := guarded(t, nil, server.Deps{Tokens: tokens(t)})
	open := func(lastID string) (*bufio.Scanner, func()) {
		body := strings.NewReader(`{"query":"subscription { changes { seq } }"}`)
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/graphql", body)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "text/event-stream")
		req.Header.Set("Authorization", "Bearer "+secret)
		if lastID != "" {
			req.Header.Set("Last-Event-ID", lastID)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(200 * time.Millisecond)
		return bufio.NewScanner(resp.Body), func() { resp.Body.Close() }
	}
	// nextID reads the stream up to the next event's id line.
	nextID := func(sc *bufio.Scanner) string {
		for sc.Scan() {
			if id, ok := strings.CutPrefix(sc.Text(), "id: "); ok {
				return id
			}
		}
		return ""
	}
	sc, closeFirst := open("")
	var seqs []string
	for _, st := range []string{"IN_PROGRESS", "COMPLETED", "PLANNED"} {
		seq, _ := setStatus(t, srv.URL, st)
		if id := nextID(sc); id != fmt.Sprint(seq) {
			t.Fatalf("event id %q, want the change's sequence number %d", id, seq)
		}
		seqs = append(seqs, fmt.Sprint(seq))
	}
	closeFirst()
	// Reconnect as if the first event was the last one received.
	sc, closeSecond := open(seqs[0])
	defer closeSecond()
	for _, want := range seqs[1:] {
		if id := nextID(sc); id != want {
			t.Fatalf("after Last-Event-ID %s: event %q, want %s", seqs[0], id, want)
		}
	}
	// A malformed id is refused.
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/graphql", strings.NewReader(`{"query":"subscription { changes { seq } }"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Last-Event-ID", "yesterday")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("Last-Event-ID: yesterday answered %d, want 400", resp.StatusCode)
	}
}
