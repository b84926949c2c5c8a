package server

import (
	"fmt"
	"math"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/shenzhenplan/kgapi/plan"
)

// rateLimiter is a token bucket per client (the token's name when the
// caller is authenticated, else the remote address). Idle buckets are dropped.
type rateLimiter struct {
	rate  float64 // tokens per second
	burst float64
	mu    sync.Mutex
	b     map[string]*bucket
	last  time.Time
}

type bucket struct {
	tokens float64
	at     time.Time
}

func newRateLimiter(perSecond float64, burst int) *rateLimiter {
	if burst < 1 {
		burst = int(math.Max(1, math.Ceil(perSecond)))
	}
	return &rateLimiter{rate: perSecond, burst: float64(burst), b: map[string]*bucket{}}
}

// allow takes one token for key; when none is left it says how long to wait.
func (l *rateLimiter) allow(key string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.last) > time.Minute {
		for k, b := range l.b {
			if now.Sub(b.at) > time.Minute {
				delete(l.b, k)
			}
		}
		l.last = now
	}
	b, ok := l.b[key]
	if !ok {
		b = &bucket{tokens: l.burst, at: now}
		l.b[key] = b
	}
	b.tokens = math.Min(l.burst, b.tokens+now.Sub(b.at).Seconds()*l.rate)
	b.at = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
}

func (l *rateLimiter) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := "token:" + callerFrom(r.Context()).name
		if !callerFrom(r.Context()).authenticated {
			host, _, err := net.SplitHostPort(r.RemoteAddr)
			if err != nil {
				host = r.RemoteAddr
			}
			key = "ip:" + host
		}
		if ok, wait := l.allow(key, time.Now()); !ok {
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
			writeGraphQLError(w, http.StatusTooManyRequests, plan.ERATELIMIT,
				fmt.Sprintf("more than %g requests per second from this client; retry after %s", l.rate, wait.Round(time.Millisecond)))
			return
		}
		next.ServeHTTP(w, r)
	})
}
