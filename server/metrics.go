package server

import (
	"context"
	"net/http"
	"regexp"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/shenzhenplan/kgapi/plan"
)

// Metrics are the API's Prometheus metrics, served at /metrics.
type Metrics struct {
	reg        *prometheus.Registry
	requests   *prometheus.CounterVec
	latency    *prometheus.HistogramVec
	roundTrips prometheus.Histogram
	cache      *prometheus.CounterVec

	mu    sync.Mutex
	names map[string]bool // operation names seen (capped, to bound label cardinality)
}

// maxOperationNames caps the distinct operation names used as labels; the
// rest count as "other".
const maxOperationNames = 200

// Pool is what the metrics read of the database's connection pool (the
// store implements it).
type Pool interface {
	// InUse is the number of sessions open now, each holding a pooled connection.
	InUse() int
}

// NewMetrics registers the API's metrics; pool (nil: none) and poolMax
// report the Neo4j connection pool.
func NewMetrics(pool Pool, poolMax int) *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kgapi_graphql_requests_total", Help: "GraphQL operations by operation name, type and outcome (ok, error, rejected).",
		}, []string{"operation", "type", "outcome"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "kgapi_graphql_request_duration_seconds", Help: "Time to answer a GraphQL operation.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"operation", "type"}),
		roundTrips: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "kgapi_cypher_round_trips_per_request", Help: "Cypher round trips made to answer one HTTP request.",
			Buckets: []float64{0, 1, 2, 3, 4, 6, 8, 12, 16, 24, 32},
		}),
		cache: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kgapi_cache_lookups_total", Help: "Lookups in the parsed-query, persisted-query and response caches, by cache and result (hit, miss).",
		}, []string{"cache", "result"}),
		names: map[string]bool{},
	}
	m.reg.MustRegister(m.requests, m.latency, m.roundTrips, m.cache,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if pool != nil {
		m.reg.MustRegister(
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "kgapi_neo4j_sessions_in_use", Help: "Neo4j sessions (each holding a pooled connection) in use now."},
				func() float64 { return float64(pool.InUse()) }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "kgapi_neo4j_pool_max_connections", Help: "Size limit of the Neo4j connection pool."},
				func() float64 { return float64(poolMax) }),
		)
	}
	return m
}

// Handler serves the metrics in Prometheus' text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

var operationNameRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,63}$`)

func (m *Metrics) operationLabel(name string) string {
	if name == "" {
		return "anonymous"
	}
	if !operationNameRe.MatchString(name) {
		return "other"
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.names[name] {
		return name
	}
	if len(m.names) >= maxOperationNames {
		return "other"
	}
	m.names[name] = true
	return name
}

// observe records one finished operation.
func (m *Metrics) observe(name, typ string, errs int, rejected bool, took time.Duration) {
	if m == nil {
		return
	}
	op := m.operationLabel(name)
	outcome := "ok"
	switch {
	case rejected:
		outcome = "rejected"
	case errs > 0:
		outcome = "error"
	}
	m.requests.WithLabelValues(op, typ, outcome).Inc()
	m.latency.WithLabelValues(op, typ).Observe(took.Seconds())
}

// countedCache counts hits and misses of a gqlgen cache.
type countedCache[T any] struct {
	graphql.Cache[T]
	name string
	m    *Metrics
}

func (c countedCache[T]) Get(ctx context.Context, key string) (T, bool) {
	v, ok := c.Cache.Get(ctx, key)
	if c.m != nil {
		c.m.cache.WithLabelValues(c.name, map[bool]string{true: "hit", false: "miss"}[ok]).Inc()
	}
	return v, ok
}

// withRoundTrips counts the Cypher round trips of each request.
func (m *Metrics) withRoundTrips(next http.Handler) http.Handler {
	if m == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var rt plan.RoundTrips
		next.ServeHTTP(w, r.WithContext(plan.WithRoundTrips(r.Context(), &rt)))
		m.roundTrips.Observe(float64(rt.Count()))
		if info := requestInfoFrom(r.Context()); info != nil {
			info.mu.Lock()
			info.roundTrips = rt.Count()
			info.mu.Unlock()
		}
	})
}
