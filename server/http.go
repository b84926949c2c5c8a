// Package server is the API's HTTP layer: the handler (NewHandler), its
// middleware (request log, deadline, CORS, authentication, rate limit,
// body and batch limits, metrics), the GraphQL transports, the guard and
// limits, the response cache and trusted documents. It takes its
// dependencies as interfaces in Deps; the app package builds them and runs
// the process.
package server

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	coderws "github.com/coder/websocket"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/rs/cors"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/zap"

	"github.com/shenzhenplan/kgapi/graph"
	"github.com/shenzhenplan/kgapi/graph/dataloader"
	"github.com/shenzhenplan/kgapi/graph/generated"
	"github.com/shenzhenplan/kgapi/plan"
	"github.com/shenzhenplan/kgapi/server/explore"
	"github.com/shenzhenplan/kgapi/server/playground"
)

// Deps are what the HTTP handler needs. Zero values give the documented defaults.
type Deps struct {
	Store        plan.Store
	Writer       plan.Writer   // nil: mutations answer that the server is read-only
	Events       *graph.Broker // nil: a new broker
	Log          *zap.Logger
	CORSOrigins  []string
	QueryTimeout time.Duration

	Tokens               []Token
	ReadTokenRequired    bool
	DisableIntrospection bool
	DisableSuggestions   bool
	Limits               Limits  // each zero field: DefaultLimits'
	RateLimit            float64 // requests per second per client; 0: off
	RateBurst            int
	Metrics              *Metrics // nil: no /metrics
	// ResponseCacheBytes turns the response cache on (0: off); entries live
	// at most ResponseCacheTTL (0: DefaultResponseCacheTTL).
	ResponseCacheBytes int
	ResponseCacheTTL   time.Duration
	// TrustedDocuments and Manifest: which documents run (TRUSTED_DOCUMENTS;
	// a nil Manifest is the built-in one).
	TrustedDocuments TrustedMode
	Manifest         *Manifest
	// DebugPlan: a caller with a valid token may ask for the Cypher of a
	// response with X-Debug: plan (DEBUG_PLAN).
	DebugPlan bool
	// Export serves the open-data exports (/export/, /id/; see server/export);
	// nil: none.
	Export http.Handler
	// NoPrefetch batches every level through the dataloader instead of
	// compiling a measure page's selection into its query (for measuring).
	NoPrefetch bool
}

// NewHandler returns the API's HTTP handler:
//
//	POST /graphql, GET /graphql  GraphQL over HTTP (GET for queries only); @defer
//	                             over multipart/mixed for a POST that accepts it
//	/                            GraphiQL, served from the binary
//	/explore/                    the graph explorer, served from the binary
//	/export/{plan}.jsonld, /export/{plan}/measures.csv, /export/{plan}/events.csv, /id/{id}   open-data export
//	/metrics                     Prometheus metrics
//	/healthz                     the process is alive
//	/readyz                      Neo4j answers
func NewHandler(d Deps) http.Handler {
	d = d.withDefaults()
	mux := http.NewServeMux()
	mux.Handle("/graphql", withBodyLimit(d.Limits.MaxBodyBytes, d.Limits.MaxBatch, d.Metrics.withRoundTrips(withDebugPlan(d.DebugPlan, NewGraphQL(d)))))
	if d.Metrics != nil {
		mux.Handle("GET /metrics", d.Metrics.Handler())
	}
	if d.Export != nil {
		ex := readGuard(d.ReadTokenRequired, d.Export)
		mux.Handle("/export/", ex) // GET /export/{plan}.jsonld, /export/{plan}/measures.csv, /export/{plan}/events.csv, /export/vocab
		mux.Handle("/id/", ex)     // GET /id/{globalID}: 303 to /graphql?query=<node(id:) query>
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if err := d.Store.Ping(ctx); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte("not ready: the database does not answer\n"))
			return
		}
		_, _ = w.Write([]byte("ready\n"))
	})
	explorer := http.StripPrefix("/explore", explore.Handler())
	mux.Handle("/explore", explorer) // redirects to /explore/, keeping the query string
	mux.Handle("/explore/", explorer)
	mux.Handle("/", playground.Handler())

	var h http.Handler = mux
	if d.RateLimit > 0 {
		h = newRateLimiter(d.RateLimit, d.RateBurst).middleware(h)
	}
	h = NewAuthenticator(d.Tokens).middleware(h)
	h = refuseGETMutations(d.Limits.MaxTokens, h)
	return withRequestLog(d.Log, d.Metrics, withTimeout(d.QueryTimeout, newCORS(d.CORSOrigins).Handler(withBookmarks(withSSEResume(h)))))
}

// newCORS answers cross-origin requests as CORS_ORIGINS says:
//
//	empty                 no origin but the API's own: no Access-Control-Allow-* header, ever
//	*                     any origin, without credentials (Access-Control-Allow-Origin: *)
//	a list of origins     exactly those (no patterns), with credentials (the origin echoed, Vary: Origin)
//
// A preflight (OPTIONS with Access-Control-Request-Method) from an origin not
// allowed gets 204 and no Access-Control-Allow-* header, so the browser does
// not send the request; a simple request from it is served without them, so
// the browser does not let the page read the answer. (rs/cors reads an empty
// AllowedOrigins as "any origin": the empty setting needs its own rule.)
func newCORS(origins []string) *cors.Cors {
	opts := cors.Options{
		AllowedMethods: []string{http.MethodGet, http.MethodPost, http.MethodOptions},
		AllowedHeaders: []string{"Content-Type", "Authorization", "Accept", "X-Request-Id", "X-Debug", BookmarkHeader, "Last-Event-ID"},
		ExposedHeaders: []string{"X-Request-Id", BookmarkHeader, ChangeSeqHeader},
		MaxAge:         600,
	}
	switch {
	case len(origins) == 0:
		opts.AllowOriginFunc = func(string) bool { return false }
	case contains(origins, "*"):
		opts.AllowedOrigins = []string{"*"}
	default:
		allowed := make(map[string]bool, len(origins))
		for _, o := range origins {
			allowed[strings.ToLower(o)] = true
		}
		opts.AllowOriginFunc = func(origin string) bool { return allowed[strings.ToLower(origin)] }
		opts.AllowCredentials = true
	}
	return cors.New(opts)
}

func (d Deps) withDefaults() Deps {
	if d.QueryTimeout <= 0 {
		d.QueryTimeout = plan.DefaultQueryTimeout
	}
	d.Limits = d.Limits.withDefaults()
	if d.Log == nil {
		d.Log = zap.NewNop()
	}
	if d.Events == nil {
		d.Events = graph.NewBroker()
	}
	if d.Manifest == nil && d.TrustedDocuments != TrustedOff {
		m, err := LoadManifest() // the built-in one; its test keeps it valid
		if err != nil {
			d.Log.Error("the built-in trusted documents manifest is invalid", zap.Error(err))
		}
		d.Manifest = m
	}
	return d
}

// NewGraphQL is the gqlgen server with explicit transports and extensions.
func NewGraphQL(d Deps) *handler.Server {
	d = d.withDefaults()
	es := graph.Priced(generated.NewExecutableSchema(generated.Config{
		Resolvers: &graph.Resolver{Store: d.Store, Writer: d.Writer, Events: d.Events, NoPrefetch: d.NoPrefetch},
	}))
	srv := handler.New(es)
	addTransports(srv, d)
	srv.SetQueryCache(countedCache[*ast.QueryDocument]{Cache: lru.New[*ast.QueryDocument](1000), name: "parsed_query", m: d.Metrics})
	srv.SetParserTokenLimit(d.Limits.MaxTokens)
	srv.SetDisableSuggestion(d.DisableSuggestions)
	useExtensions(srv, es, d)
	aroundResponses(srv, d)
	srv.AroundOperations(traceAndExplainDeadline(d.QueryTimeout))
	srv.SetErrorPresenter(presentError(d.Log))
	srv.SetRecoverFunc(func(ctx context.Context, v any) error {
		d.Log.Error("panic in resolver", zap.String("request_id", requestID(ctx)), zap.Any("panic", v), zap.Stack("stack"))
		return &plan.Error{Code: plan.EINTERNAL, Message: "internal error (request id " + requestID(ctx) + ")"}
	})
	return srv
}

// addTransports adds the transports, in the order gqlgen tries them.
func addTransports(srv *handler.Server, d Deps) {
	auth := NewAuthenticator(d.Tokens)
	srv.AddTransport(transport.Websocket{
		KeepAlivePingInterval: 15 * time.Second,
		InitTimeout:           10 * time.Second,
		Implementation:        transport.CoderWebsocketImplementation{AcceptOptions: coderws.AcceptOptions{OriginPatterns: originHosts(d.CORSOrigins)}},
		// The token travels in the connection_init payload ({"Authorization": "Bearer …"}).
		InitFunc: func(ctx context.Context, p transport.InitPayload) (context.Context, *transport.InitPayload, error) {
			tok := bearer(p.Authorization())
			name, ok := auth.Identify(tok)
			ctx = withCaller(ctx, caller{name: name, authenticated: ok, presented: tok != ""})
			if ok {
				ctx = graph.WithActor(ctx, name)
			}
			return ctx, nil, nil
		},
	})
	srv.AddTransport(transport.SSE{})
	srv.AddTransport(transport.Options{})
	srv.AddTransport(getTransport{log: d.Log}) // GraphQL over HTTP: see transport.go
	// Incremental delivery (@defer) for a POST that accepts multipart/mixed:
	// before postTransport, which serves every other POST (see incremental.go).
	srv.AddTransport(multipartTransport{log: d.Log})
	srv.AddTransport(postTransport{log: d.Log})
}

// useExtensions adds the extensions that run once an operation is parsed:
// introspection, trusted documents, persisted queries, the guard, the
// complexity limit and the response cache, in that order.
func useExtensions(srv *handler.Server, es graphql.ExecutableSchema, d Deps) {
	if !d.DisableIntrospection {
		srv.Use(extension.Introspection{})
	}
	srv.Use(trustedDocuments{mode: d.TrustedDocuments, manifest: d.Manifest}) // before APQ: see trustedDocuments
	srv.Use(extension.AutomaticPersistedQuery{Cache: countedCache[string]{Cache: lru.New[string](1000), name: "persisted_query", m: d.Metrics}})
	srv.Use(guard{limits: d.Limits, readRequired: d.ReadTokenRequired})
	srv.Use(extension.FixedComplexityLimit(d.Limits.MaxComplexity, graph.CostOptions(es.Schema())...))
	if d.ResponseCacheBytes > 0 {
		ttl := d.ResponseCacheTTL
		if ttl <= 0 {
			ttl = DefaultResponseCacheTTL
		}
		rc := newResponseCache(d.ResponseCacheBytes, ttl, d.Metrics)
		d.Events.OnChange(rc.Invalidate)
		srv.Use(rc)
	}
}

// aroundResponses wraps every response: the debug plan, the dataloaders,
// the bookmarks and the request log's operation and error count.
func aroundResponses(srv *handler.Server, d Deps) {
	// X-Debug: plan: outermost, so that the dataloaders' round trips are recorded too.
	srv.AroundResponses(recordPlan)
	// Each response gets its own dataloaders: a query's, and each event of
	// a subscription (which would otherwise keep one set, and every node
	// it ever loaded, for the life of the connection).
	srv.AroundResponses(func(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
		return next(dataloader.With(ctx, dataloader.New(d.Store)))
	})
	srv.AroundResponses(bookmarkExtensions)
	srv.AroundResponses(func(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
		resp := next(ctx)
		if info := requestInfoFrom(ctx); info != nil && resp != nil {
			op := ""
			if graphql.HasOperationContext(ctx) {
				op = operationName(graphql.GetOperationContext(ctx))
			}
			info.record(op, len(resp.Errors))
		}
		return resp
	})
}

// traceAndExplainDeadline puts each operation in a span, and answers an
// operation that outlived its deadline with a TIMEOUT error instead of
// nothing.
func traceAndExplainDeadline(timeout time.Duration) graphql.OperationMiddleware {
	return func(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
		oc := graphql.GetOperationContext(ctx)
		typ := "query"
		if oc.Operation != nil {
			typ = string(oc.Operation.Operation)
		}
		ctx, span := otel.Tracer("github.com/shenzhenplan/kgapi/server").Start(ctx, "graphql."+typ,
			trace.WithAttributes(attribute.String("graphql.operation.type", typ), attribute.String("graphql.operation.name", operationName(oc))))
		defer span.End()
		h := next(ctx)
		if op := graphql.GetOperationContext(ctx).Operation; op != nil && op.Operation == ast.Subscription {
			return h // for subscriptions nil ends the stream
		}
		return func(ctx context.Context) *graphql.Response {
			if resp := h(ctx); resp != nil || ctx.Err() == nil {
				return resp
			}
			// gqlgen gives no response once the deadline has passed: say why.
			return &graphql.Response{Errors: gqlerror.List{{
				Message:    "the request took longer than its deadline of " + timeout.String(),
				Extensions: map[string]any{"code": plan.ETIMEOUT},
			}}}
		}
	}
}

// presentError is the error presenter: coded errors (plan.Classify) keep
// their message and code, parse and validation errors theirs, and anything
// else becomes an internal error whose details only the log (once) holds.
func presentError(log *zap.Logger) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		cause := err.Error() // before the presenter rewrites the message for the client
		gqlErr := graphql.DefaultErrorPresenter(ctx, err)
		if c := plan.Classify(err); c != nil {
			gqlErr.Message = c.Message
			gqlErr.Extensions = map[string]any{"code": c.Code}
			if c.Code == plan.EUNAVAIL || c.Code == plan.ETIMEOUT {
				log.Warn("database error", zap.String("request_id", requestID(ctx)), zap.String("code", c.Code), zap.String("error", cause))
			}
			return gqlErr
		}
		var ge *gqlerror.Error
		if asGQL(err, &ge) && ge.Err == nil {
			// Parse and validation errors: already safe, with locations.
			if gqlErr.Extensions == nil || gqlErr.Extensions["code"] == nil {
				if gqlErr.Extensions == nil {
					gqlErr.Extensions = map[string]any{}
				}
				gqlErr.Extensions["code"] = plan.EVALIDATION
			}
			return gqlErr
		}
		log.Error("internal error", zap.String("request_id", requestID(ctx)), zap.String("error", cause))
		gqlErr.Message = "internal error (request id " + requestID(ctx) + ")"
		gqlErr.Extensions = map[string]any{"code": plan.EINTERNAL}
		return gqlErr
	}
}

func asGQL(err error, target **gqlerror.Error) bool {
	ge, ok := err.(*gqlerror.Error)
	if ok {
		*target = ge
	}
	return ok
}

// withTimeout bounds every request with the configured deadline; the
// deadline reaches Neo4j through the context. Subscriptions (WebSocket and
// Server-Sent Events) live longer: each of their database calls has the
// store's own deadline.
func withTimeout(d time.Duration, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.EqualFold(r.Header.Get("Upgrade"), "websocket") || strings.Contains(r.Header.Get("Accept"), "text/event-stream") {
			// A stream outlives the server's WriteTimeout, which would
			// otherwise cut an SSE subscription after QUERY_TIMEOUT + 5 s
			// (a hijacked WebSocket is not subject to it).
			_ = http.NewResponseController(w).SetWriteDeadline(time.Time{})
			next.ServeHTTP(w, r)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), d)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

type requestInfo struct {
	id         string
	mu         sync.Mutex
	operation  string
	opType     string
	errors     int
	rejected   bool
	roundTrips int
}

func (i *requestInfo) record(operation string, errors int) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.errors += errors
	if i.operation == "" {
		i.operation = operation
	}
}

type requestInfoKey struct{}

func requestInfoFrom(ctx context.Context) *requestInfo {
	i, _ := ctx.Value(requestInfoKey{}).(*requestInfo)
	return i
}

func requestID(ctx context.Context) string {
	if i := requestInfoFrom(ctx); i != nil {
		return i.id
	}
	return ""
}

type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Flush lets Server-Sent Events through the logging wrapper.
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Hijack lets WebSocket upgrades through the logging wrapper.
func (w *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	h, ok := w.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, fmt.Errorf("the response writer cannot be hijacked")
	}
	if w.status == 0 {
		w.status = http.StatusSwitchingProtocols
	}
	return h.Hijack()
}

// withRequestLog assigns a request id (X-Request-Id, kept when the client
// sends a sane one) and logs one line per request. Variables are never logged.
func withRequestLog(log *zap.Logger, m *Metrics, next http.Handler) http.Handler {
	prop := otel.GetTextMapPropagator()
	tr := otel.Tracer("github.com/shenzhenplan/kgapi/server")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ctx, span := tr.Start(prop.Extract(r.Context(), propagation.HeaderCarrier(r.Header)), r.Method+" "+r.URL.Path,
			trace.WithSpanKind(trace.SpanKindServer), trace.WithAttributes(attribute.String("http.request.method", r.Method), attribute.String("url.path", r.URL.Path)))
		defer span.End()
		r = r.WithContext(ctx)
		id := r.Header.Get("X-Request-Id")
		if !saneID(id) {
			var b [8]byte
			_, _ = rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		info := &requestInfo{id: id}
		w.Header().Set("X-Request-Id", id)
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), requestInfoKey{}, info)))
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		info.mu.Lock()
		op, typ, nerr, rejected, rts := info.operation, info.opType, info.errors, info.rejected, info.roundTrips
		info.mu.Unlock()
		took := time.Since(start)
		span.SetAttributes(attribute.Int("http.response.status_code", sw.status))
		fields := []zap.Field{
			zap.String("request_id", id), zap.String("method", r.Method), zap.String("path", r.URL.Path),
			zap.Int("status", sw.status), zap.Duration("duration", took), zap.Int("bytes", sw.bytes),
		}
		if sc := span.SpanContext(); sc.IsValid() {
			fields = append(fields, zap.String("trace_id", sc.TraceID().String()))
		}
		if r.URL.Path == "/graphql" {
			if typ == "" {
				typ = "none"
			}
			if sw.status >= 400 && nerr == 0 {
				nerr = 1
			}
			fields = append(fields, zap.String("operation", op), zap.String("type", typ), zap.Int("errors", nerr), zap.Int("round_trips", rts))
			if rejected {
				fields = append(fields, zap.Bool("rejected", true))
			}
			m.observe(op, typ, nerr, rejected, took)
		}
		log.Info("request", fields...)
	})
}

func saneID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// originHosts are the host patterns a cross-origin WebSocket may come from.
func originHosts(origins []string) []string {
	var out []string
	for _, o := range origins {
		if o == "*" {
			return []string{"*"}
		}
		if u, err := url.Parse(o); err == nil && u.Host != "" {
			out = append(out, u.Host)
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
