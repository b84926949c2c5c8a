// Package replicas runs several API processes (cmd/api) on one Neo4j
// behind a round-robin proxy, and subscribes to their change streams: what
// the replica test (server/replicas_test.go) and the replica soak
// (bench/replicas) share.
package replicas

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// BuildAPI builds cmd/api from the module at root into a temporary
// directory and returns the binary's path.
func BuildAPI(root string) (string, error) {
	dir, err := os.MkdirTemp("", "kgapi-replicas")
	if err != nil {
		return "", fmt.Errorf("build the API: %w", err)
	}
	bin := filepath.Join(dir, "api")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/api")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/api: %v\n%s", err, out)
	}
	return bin, nil
}

// Replica is one running API process.
type Replica struct {
	Name string
	URL  string // http://127.0.0.1:port
	cmd  *exec.Cmd
	out  *lockedBuffer
}

// Start runs the API binary with env (added to this process's
// environment) on a free local port, and waits up to 30 s until it
// serves /readyz.
func Start(ctx context.Context, bin, name string, env []string) (*Replica, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("replica %s: free port: %w", name, err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(bin)
	cmd.Env = append(append(os.Environ(), env...), "LISTEN_ADDR="+addr)
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("replica %s: %w", name, err)
	}
	r := &Replica{Name: name, URL: "http://" + addr, cmd: cmd, out: out}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(r.URL + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return r, nil
			}
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			r.Kill()
			return nil, fmt.Errorf("replica %s did not get ready: %v\n%s", name, err, out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Kill stops the process at once (SIGKILL) and waits for it.
func (r *Replica) Kill() {
	if r.cmd.Process != nil {
		_ = r.cmd.Process.Kill()
		_, _ = r.cmd.Process.Wait()
	}
}

// Host is the replica's host:port.
func (r *Replica) Host() string { return strings.TrimPrefix(r.URL, "http://") }

// Output is what the process wrote so far.
func (r *Replica) Output() string { return r.out.String() }

// RSS is the process's resident memory in bytes (Linux /proc).
func (r *Replica) RSS() (int64, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", r.cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no VmRSS for pid %d", r.cmd.Process.Pid)
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// RoundRobin is a load balancer: each request goes to the next backend
// that accepts a connection (one that refuses is skipped). The response
// names the backend in X-Backend. Streams pass through unbuffered.
type RoundRobin struct {
	backends []*url.URL
	next     atomic.Uint64
}

// NewRoundRobin balances over the replicas' URLs.
func NewRoundRobin(rs ...*Replica) *RoundRobin {
	p := &RoundRobin{}
	for _, r := range rs {
		u, _ := url.Parse(r.URL)
		p.backends = append(p.backends, u)
	}
	return p
}

func (p *RoundRobin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	for range p.backends {
		u := p.backends[p.next.Add(1)%uint64(len(p.backends))]
		conn, err := net.DialTimeout("tcp", u.Host, time.Second)
		if err != nil {
			continue // down: the next one
		}
		conn.Close()
		w.Header().Set("X-Backend", u.Host)
		rp := httputil.NewSingleHostReverseProxy(u)
		rp.FlushInterval = -1
		rp.ErrorLog = nil
		r2 := r.Clone(r.Context())
		r2.Body = io.NopCloser(bytes.NewReader(body))
		rp.ServeHTTP(w, r2)
		return
	}
	http.Error(w, "no replica answers", http.StatusBadGateway)
}

// Serve runs p on a free local port until ctx ends; it returns the base URL.
func Serve(ctx context.Context, p *RoundRobin) (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("proxy: %w", err)
	}
	srv := &http.Server{Handler: p, ErrorLog: nil}
	go srv.Serve(ln)
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	return "http://" + ln.Addr().String(), nil
}

// Change is one event of the changes subscription, with the time it
// arrived.
type Change struct {
	Seq     int    `json:"seq"`
	Kind    string `json:"kind"`
	By      string `json:"by"`
	Summary string `json:"summary"`
	Codes   []string
	At      time.Time
}

// Subscribe opens `subscription { changes(after:) }` over Server-Sent
// Events at base with the token (from after, when not nil) and sends each
// change on the channel, closed when the stream ends or ctx does. backend
// is the replica that serves it, when base is a RoundRobin.
func Subscribe(ctx context.Context, base, token string, after *int) (events <-chan Change, backend string, err error) {
	arg := ""
	if after != nil {
		arg = fmt.Sprintf("(after: %d)", *after)
	}
	body, _ := json.Marshal(map[string]any{"query": "subscription { changes" + arg + " { seq kind by summary measures { code } } }"})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/graphql", bytes.NewReader(body))
	if err != nil {
		return nil, "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, "", fmt.Errorf("subscribe at %s: %w", base, err)
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, "", fmt.Errorf("subscribe at %s: HTTP %d", base, resp.StatusCode)
	}
	out := make(chan Change, 4096)
	go func() {
		defer close(out)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			data, ok := strings.CutPrefix(sc.Text(), "data: ")
			if !ok {
				continue
			}
			var ev struct {
				Data struct {
					Changes struct {
						Change
						Measures []struct{ Code string } `json:"measures"`
					} `json:"changes"`
				} `json:"data"`
			}
			if json.Unmarshal([]byte(data), &ev) != nil || ev.Data.Changes.Seq == 0 {
				continue
			}
			c := ev.Data.Changes.Change
			c.At = time.Now()
			for _, m := range ev.Data.Changes.Measures {
				c.Codes = append(c.Codes, m.Code)
			}
			select {
			case out <- c:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, resp.Header.Get("X-Backend"), nil
}

// Post sends one GraphQL request to base with the token and extra
// headers, and returns the decoded body and the response's headers.
func Post(ctx context.Context, base, token, query string, header map[string]string) (map[string]any, http.Header, error) {
	body, _ := json.Marshal(map[string]any{"query": query})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/graphql", bytes.NewReader(body))
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, resp.Header, fmt.Errorf("decode the answer (HTTP %d): %w", resp.StatusCode, err)
	}
	if errs, ok := out["errors"]; ok {
		return out, resp.Header, fmt.Errorf("errors: %v", errs)
	}
	return out, resp.Header, nil
}
