// Package app is the API process: its configuration (Config, LoadConfig),
// its logger and tracing, the wiring of the store, the change-log follower
// and the HTTP handler, and start-up and graceful shutdown (Run). It is the
// only package that knows every other one; cmd/api calls Run.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"go.uber.org/zap"

	"github.com/shenzhenplan/kgapi/graph"
	"github.com/shenzhenplan/kgapi/server"
	"github.com/shenzhenplan/kgapi/server/export"
	"github.com/shenzhenplan/kgapi/store"
)

// closeTimeout bounds flushing the traces and closing the driver on exit.
const closeTimeout = 5 * time.Second

// Run reads the configuration, starts the API and serves until ctx is
// cancelled (SIGTERM or SIGINT in main), then finishes in-flight requests and
// closes the driver. ready, when not nil, receives the listening address.
func Run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, ready chan<- string) error {
	cfg, err := LoadConfig(args, getenv, stderr)
	if err != nil {
		return err
	}
	log, err := NewLogger(cfg.LogLevel, cfg.LogFormat, stderr)
	if err != nil {
		return err
	}
	defer log.Sync() //nolint:errcheck // nothing to do if stderr cannot sync
	start := time.Now()

	shutdownTracing, tracing, err := SetupTracing(ctx, getenv)
	if err != nil {
		return err
	}
	defer func() {
		flushCtx, cancel := context.WithTimeout(context.Background(), closeTimeout)
		defer cancel()
		_ = shutdownTracing(flushCtx)
	}()
	if tracing {
		log.Info("OpenTelemetry tracing on (configured by the OTEL_ variables)")
	}

	st, err := openStore(ctx, cfg, log, start)
	if err != nil {
		return err
	}
	defer func() {
		closeCtx, cancel := context.WithTimeout(context.Background(), closeTimeout)
		defer cancel()
		if err := st.Close(closeCtx); err != nil {
			log.Warn("close Neo4j driver", zap.Error(err))
		}
	}()

	// Subscriptions and caches follow the change log: writes through any
	// replica, and loader runs, reach this one within the poll interval.
	events := graph.NewBroker()
	followCtx, stopFollowing := context.WithCancel(context.WithoutCancel(ctx))
	defer stopFollowing()
	go events.Follow(followCtx, st, cfg.ChangePollInterval, func(err error) {
		log.Warn("read the change log", zap.Error(err))
	})

	if cfg.TrustedDocuments != server.TrustedOff {
		log.Info("trusted documents", zap.Stringer("mode", cfg.TrustedDocuments), zap.Int("documents", cfg.Manifest.Len()))
	}
	if cfg.DebugPlan {
		log.Info("X-Debug: plan is on for callers with a valid token (DEBUG_PLAN=true)")
	}
	ln, err := net.Listen("tcp", cfg.ListenAddr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.ListenAddr, err)
	}
	srv := newHTTPServer(ctx, cfg, handlerDeps(cfg, st, events, log))
	addr := ln.Addr().String()
	log.Info("serving", zap.String("url", "http://"+addr+"/"), zap.String("graphql", "http://"+addr+"/graphql"), zap.Duration("startup", time.Since(start)))
	fmt.Fprintf(stdout, "API ready: GraphiQL at http://%s/  (GraphQL endpoint http://%s/graphql)\n", addr, addr)
	if ready != nil {
		ready <- addr
	}
	return serve(ctx, srv, ln, cfg.QueryTimeout, log)
}

// openStore creates the Neo4j driver and says whether Neo4j answers. The
// API starts even when Neo4j is down: /readyz says so, queries get a clear
// error, and the driver reconnects by itself once Neo4j is up.
func openStore(ctx context.Context, cfg Config, log *zap.Logger, start time.Time) (*store.Store, error) {
	st, err := store.Open(store.Config{
		URI: cfg.Neo4jURI, User: cfg.Neo4jUser, Password: cfg.Neo4jPassword, Database: cfg.Neo4jDatabase,
		MaxPoolSize: cfg.Neo4jMaxPool, FetchSize: cfg.Neo4jFetch, QueryTimeout: cfg.QueryTimeout,
		ChangeRetention: cfg.ChangeLogRetention,
	})
	if err != nil {
		return nil, err
	}
	pingCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := st.Ping(pingCtx); err != nil {
		log.Warn("Neo4j does not answer yet; serving anyway, /readyz reports not ready", zap.String("uri", cfg.Neo4jURI), zap.Error(err))
	} else {
		log.Info("Neo4j reachable", zap.String("uri", cfg.Neo4jURI), zap.String("database", cfg.Neo4jDatabase), zap.Duration("after", time.Since(start)))
	}
	return st, nil
}

// handlerDeps hands the HTTP layer what it needs, as interfaces: the store
// reads, writes, reports its pool and backs the exports.
func handlerDeps(cfg Config, st *store.Store, events *graph.Broker, log *zap.Logger) server.Deps {
	return server.Deps{
		Store: st, Writer: st, Log: log, CORSOrigins: cfg.CORSOrigins, QueryTimeout: cfg.QueryTimeout,
		Tokens: cfg.Tokens, ReadTokenRequired: cfg.ReadTokenRequired,
		DisableIntrospection: !cfg.Introspection, DisableSuggestions: !cfg.FieldSuggestions,
		Limits: cfg.Limits, RateLimit: cfg.RateLimit, RateBurst: cfg.RateBurst,
		Metrics:            server.NewMetrics(st, cfg.Neo4jMaxPool),
		ResponseCacheBytes: cfg.ResponseCacheMB << 20, ResponseCacheTTL: cfg.ResponseCacheTTL,
		Events:           events,
		TrustedDocuments: cfg.TrustedDocuments, Manifest: cfg.Manifest, DebugPlan: cfg.DebugPlan,
		Export: export.Handler(st, export.RequestBase, export.WithLogger(log)),
	}
}

// newHTTPServer is the HTTP server of the handler, with its timeouts.
func newHTTPServer(ctx context.Context, cfg Config, d server.Deps) *http.Server {
	return &http.Server{
		Handler:           server.NewHandler(d),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      cfg.QueryTimeout + 5*time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
}

// serve serves on ln until ctx ends, then lets in-flight requests finish
// (at most a query's deadline and a little more).
func serve(ctx context.Context, srv *http.Server, ln net.Listener, queryTimeout time.Duration, log *zap.Logger) error {
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing in-flight requests")
	shutCtx, cancelShut := context.WithTimeout(context.Background(), queryTimeout+5*time.Second)
	defer cancelShut()
	if err := srv.Shutdown(shutCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", err)
	}
	log.Info("stopped")
	return nil
}
