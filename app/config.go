package app

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shenzhenplan/kgapi/graph"
	"github.com/shenzhenplan/kgapi/internal/settings"
	"github.com/shenzhenplan/kgapi/plan"
	"github.com/shenzhenplan/kgapi/server"
	"github.com/shenzhenplan/kgapi/store"
)

// Config is the API's configuration, read once at start-up from the
// environment, each variable overridden by its flag. Every knob is
// documented in the README.
type Config struct {
	Neo4jURI      string
	Neo4jUser     string
	Neo4jPassword string
	Neo4jDatabase string
	Neo4jMaxPool  int
	Neo4jFetch    int
	ListenAddr    string
	CORSOrigins   []string
	LogLevel      string
	LogFormat     string
	QueryTimeout  time.Duration

	Tokens            []server.Token
	ReadTokenRequired bool
	Introspection     bool
	FieldSuggestions  bool
	Limits            server.Limits
	RateLimit         float64 // requests per second per client; 0: off
	RateBurst         int
	// ResponseCacheMB is the response cache's size (0: off); entries live
	// at most ResponseCacheTTL.
	ResponseCacheMB  int
	ResponseCacheTTL time.Duration
	// ChangePollInterval is how often the change log is read.
	ChangePollInterval time.Duration
	// ChangeLogRetention is how many change-log entries are kept.
	ChangeLogRetention int
	// TrustedDocuments says which documents are run (TRUSTED_DOCUMENTS);
	// Manifest holds the trusted ones: the built-in web pages' documents
	// and those of TRUSTED_DOCUMENTS_MANIFEST.
	TrustedDocuments server.TrustedMode
	Manifest         *server.Manifest
	// DebugPlan lets a caller with a valid token see the Cypher of a
	// response (X-Debug: plan).
	DebugPlan bool
}

// knobs are the API's settings: the Neo4j connection's (shared with the
// loader), then the API's own. A default that the code also applies is
// derived from the constant the code uses.
var knobs = slices.Concat(settings.Neo4j, []settings.Knob{
	knob("NEO4J_MAX_POOL", "neo4j-max-pool", "100", "most Bolt connections the API keeps open"),
	knob("NEO4J_FETCH_SIZE", "neo4j-fetch-size", "1000", "records fetched per batch from Neo4j (-1: all at once)"),
	knob("LISTEN_ADDR", "listen-addr", "127.0.0.1:8080", "host:port the HTTP server listens on"),
	knob("CORS_ORIGINS", "cors-origins", "", "browser origins allowed to call the API: empty: none but the API's own (no CORS headers); *: any origin, without credentials; else a comma-separated list of exact origins (e.g. https://app.example.org), with credentials"),
	knob("LOG_LEVEL", "log-level", "info", "debug, info, warn or error"),
	knob("LOG_FORMAT", "log-format", "json", "json or console"),
	knob("QUERY_TIMEOUT", "query-timeout", plan.DefaultQueryTimeout.String(), "deadline of every request, passed to Neo4j as the transaction timeout"),
	knob("API_TOKENS", "api-tokens", "", "comma-separated name:sha256-hex pairs of the tokens allowed to write (make token prints one)"),
	knob("READ_TOKEN_REQUIRED", "read-token-required", "false", "true: queries need a token too"),
	knob("PRODUCTION", "production", "false", "true: introspection and field suggestions default to off"),
	knob("INTROSPECTION", "introspection", "", "true or false (default: on, off with PRODUCTION=true)"),
	knob("FIELD_SUGGESTIONS", "field-suggestions", "", "\"did you mean\" hints in validation errors: true or false (default: on, off with PRODUCTION=true)"),
	knob("MAX_DEPTH", "max-depth", strconv.Itoa(server.DefaultLimits.MaxDepth), "deepest nesting of fields in one operation"),
	knob("MAX_COMPLEXITY", "max-complexity", strconv.Itoa(server.DefaultLimits.MaxComplexity), "cost budget of one operation, in nodes read (README: Cost model)"),
	knob("MAX_ALIASES", "max-aliases", strconv.Itoa(server.DefaultLimits.MaxAliases), "most aliased fields in one operation"),
	knob("MAX_BODY_BYTES", "max-body-bytes", strconv.FormatInt(server.DefaultLimits.MaxBodyBytes, 10), "largest request body"),
	knob("MAX_TOKENS", "max-tokens", strconv.Itoa(server.DefaultLimits.MaxTokens), "most lexical tokens in one query document"),
	knob("MAX_BATCH", "max-batch", strconv.Itoa(server.DefaultLimits.MaxBatch), "most operations in one batched POST (a JSON array)"),
	knob("RATE_LIMIT", "rate-limit", "0", "requests per second per client (token, else IP); 0 turns it off"),
	knob("RATE_BURST", "rate-burst", "0", "requests a client may send at once above the rate (0: the rate, rounded up)"),
	knob("RESPONSE_CACHE_MB", "response-cache-mb", "0", "megabytes of successful query responses to keep (0: no response cache); emptied by every write of this process"),
	knob("RESPONSE_CACHE_TTL", "response-cache-ttl", server.DefaultResponseCacheTTL.String(), "longest a cached response is served (the change-log follower empties the cache within CHANGE_POLL_INTERVAL of a write anywhere; this bounds it should the follower stall)"),
	knob("CHANGE_POLL_INTERVAL", "change-poll-interval", graph.DefaultFollowInterval.String(), "how often this replica reads the change log: subscriptions and caches hear of writes through other replicas and the loader within it"),
	knob("CHANGE_LOG_RETENTION", "change-log-retention", strconv.Itoa(store.DefaultChangeRetention), "change-log entries kept in the graph (how far back a subscriber can resume)"),
	knob("TRUSTED_DOCUMENTS", "trusted-documents", server.TrustedOff.String(), "off: any document; allow: documents of the manifests may also be sent by id (documentId); only: nothing but the manifests' documents, unless the request carries a valid token (README: Production)"),
	knob("TRUSTED_DOCUMENTS_MANIFEST", "trusted-documents-manifest", "", "comma-separated paths of persisted-documents.json manifests (graphql-codegen's client preset: {\"sha256:<hex>\": \"<document>\"}), added to the built-in one of GraphiQL's examples and the explorer"),
	knob("DEBUG_PLAN", "debug-plan", "false", "true: a request with a valid token and the header X-Debug: plan gets the Cypher of each round trip in extensions.plan"),
})

func knob(env, flag, def, help string) settings.Knob {
	return settings.Knob{Env: env, Flag: flag, Default: def, Help: help}
}

// Knobs lists the environment variables the API reads, for documentation and tests.
func Knobs() []string {
	out := make([]string, len(knobs))
	for i, k := range knobs {
		out[i] = k.Env
	}
	return out
}

// LoadConfig reads the configuration from getenv and args (flags win) and
// validates it; all problems are reported together.
func LoadConfig(args []string, getenv func(string) string, usage io.Writer) (Config, error) {
	fs := flag.NewFlagSet("api", flag.ContinueOnError)
	fs.SetOutput(usage)
	vals := settings.Register(fs, getenv, knobs)
	if err := fs.Parse(args); err != nil {
		return Config{}, err
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	r := &reader{vals: vals}
	var cfg Config
	r.neo4j(&cfg)
	r.http(&cfg)
	r.logging(&cfg)
	cfg.QueryTimeout = r.duration("QUERY_TIMEOUT", 1, 0, "a positive duration such as 10s")
	r.access(&cfg)
	r.limits(&cfg)
	r.caches(&cfg)
	r.trusted(&cfg)
	if len(r.problems) > 0 {
		return cfg, errors.New("invalid configuration:\n  " + strings.Join(r.problems, "\n  "))
	}
	return cfg, nil
}

// reader turns the knobs' values into a Config, collecting every problem.
type reader struct {
	vals     settings.Values
	problems []string
}

func (r *reader) get(env string) string { return r.vals.Get(env) }

func (r *reader) bad(format string, a ...any) {
	r.problems = append(r.problems, fmt.Sprintf(format, a...))
}

// boolean reads a true/false knob; empty is def.
func (r *reader) boolean(env string, def bool) bool {
	switch strings.ToLower(r.get(env)) {
	case "":
		return def
	case "true", "1", "yes", "on":
		return true
	case "false", "0", "no", "off":
		return false
	}
	r.bad("%s=%q must be true or false", env, r.get(env))
	return def
}

func (r *reader) positive(env string) int {
	n, err := strconv.Atoi(r.get(env))
	if err != nil || n < 1 {
		r.bad("%s=%q must be a positive integer", env, r.get(env))
	}
	return n
}

// duration reads a duration knob that must lie within [min, max] (max 0: no bound).
func (r *reader) duration(env string, min, max time.Duration, rule string) time.Duration {
	d, err := time.ParseDuration(r.get(env))
	if err != nil || d < min || (max > 0 && d > max) {
		r.bad("%s=%q must be %s", env, r.get(env), rule)
	}
	return d
}

func (r *reader) neo4j(cfg *Config) {
	cfg.Neo4jURI, cfg.Neo4jUser = r.get("NEO4J_URI"), r.get("NEO4J_USER")
	cfg.Neo4jPassword, cfg.Neo4jDatabase = r.vals.Raw("NEO4J_PASSWORD"), r.get("NEO4J_DATABASE")
	if u, err := url.Parse(cfg.Neo4jURI); err != nil || u.Host == "" {
		r.bad("NEO4J_URI=%q is not a URI like bolt://localhost:7687", cfg.Neo4jURI)
	} else {
		switch u.Scheme {
		case "bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc":
		default:
			r.bad("NEO4J_URI=%q: the scheme must be bolt:// (one server) or neo4j:// (a cluster), optionally +s or +ssc", cfg.Neo4jURI)
		}
	}
	if cfg.Neo4jUser == "" {
		r.bad("NEO4J_USER must not be empty")
	}
	var err error
	if cfg.Neo4jMaxPool, err = strconv.Atoi(r.get("NEO4J_MAX_POOL")); err != nil || cfg.Neo4jMaxPool < 1 {
		r.bad("NEO4J_MAX_POOL=%q must be a positive integer", r.get("NEO4J_MAX_POOL"))
	}
	if cfg.Neo4jFetch, err = strconv.Atoi(r.get("NEO4J_FETCH_SIZE")); err != nil || cfg.Neo4jFetch == 0 || cfg.Neo4jFetch < -1 {
		r.bad("NEO4J_FETCH_SIZE=%q must be a positive integer or -1", r.get("NEO4J_FETCH_SIZE"))
	}
}

func (r *reader) http(cfg *Config) {
	cfg.ListenAddr = r.get("LISTEN_ADDR")
	if _, port, err := net.SplitHostPort(cfg.ListenAddr); err != nil {
		r.bad("LISTEN_ADDR=%q must be host:port, e.g. 127.0.0.1:8080", cfg.ListenAddr)
	} else if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		r.bad("LISTEN_ADDR=%q: %q is not a port", cfg.ListenAddr, port)
	}
	for _, o := range splitList(r.get("CORS_ORIGINS")) {
		u, err := url.Parse(o)
		if o != "*" && (err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.Contains(u.Host, "*") || (u.Path != "" && u.Path != "/")) {
			r.bad("CORS_ORIGINS: %q is not an origin like https://app.example.org (or *)", o)
			continue
		}
		cfg.CORSOrigins = append(cfg.CORSOrigins, strings.TrimSuffix(o, "/"))
	}
	if len(cfg.CORSOrigins) > 1 && slices.Contains(cfg.CORSOrigins, "*") {
		r.bad("CORS_ORIGINS: * (any origin) stands alone; it cannot be combined with a list of origins")
	}
}

func (r *reader) logging(cfg *Config) {
	cfg.LogLevel, cfg.LogFormat = strings.ToLower(r.get("LOG_LEVEL")), strings.ToLower(r.get("LOG_FORMAT"))
	switch cfg.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		r.bad("LOG_LEVEL=%q must be debug, info, warn or error", cfg.LogLevel)
	}
	switch cfg.LogFormat {
	case "json", "console":
	default:
		r.bad("LOG_FORMAT=%q must be json or console", cfg.LogFormat)
	}
}

// access reads who may do what: tokens, introspection and suggestions.
func (r *reader) access(cfg *Config) {
	var err error
	if cfg.Tokens, err = server.ParseTokens(r.vals.Raw("API_TOKENS")); err != nil {
		r.bad("%v", err)
	}
	cfg.ReadTokenRequired = r.boolean("READ_TOKEN_REQUIRED", false)
	production := r.boolean("PRODUCTION", false)
	cfg.Introspection = r.boolean("INTROSPECTION", !production)
	cfg.FieldSuggestions = r.boolean("FIELD_SUGGESTIONS", !production)
	if cfg.ReadTokenRequired && len(cfg.Tokens) == 0 {
		r.bad("READ_TOKEN_REQUIRED=true needs at least one token in API_TOKENS")
	}
}

// trusted reads which documents run, and the debug plan.
func (r *reader) trusted(cfg *Config) {
	var err error
	if cfg.TrustedDocuments, err = server.ParseTrustedMode(r.get("TRUSTED_DOCUMENTS")); err != nil {
		r.bad("%v", err)
	}
	if cfg.Manifest, err = server.LoadManifest(splitList(r.get("TRUSTED_DOCUMENTS_MANIFEST"))...); err != nil {
		r.bad("TRUSTED_DOCUMENTS_MANIFEST: %v", err)
	}
	cfg.DebugPlan = r.boolean("DEBUG_PLAN", false)
}

// limits reads the bounds of one request and of one client's rate.
func (r *reader) limits(cfg *Config) {
	cfg.Limits = server.Limits{
		MaxDepth: r.positive("MAX_DEPTH"), MaxComplexity: r.positive("MAX_COMPLEXITY"), MaxAliases: r.positive("MAX_ALIASES"),
		MaxBodyBytes: int64(r.positive("MAX_BODY_BYTES")), MaxTokens: r.positive("MAX_TOKENS"), MaxBatch: r.positive("MAX_BATCH"),
	}
	var err error
	if cfg.RateLimit, err = strconv.ParseFloat(r.get("RATE_LIMIT"), 64); err != nil || cfg.RateLimit < 0 {
		r.bad("RATE_LIMIT=%q must be a number of requests per second (0: off)", r.get("RATE_LIMIT"))
	}
	if cfg.RateBurst, err = strconv.Atoi(r.get("RATE_BURST")); err != nil || cfg.RateBurst < 0 {
		r.bad("RATE_BURST=%q must be a non-negative integer", r.get("RATE_BURST"))
	}
}

// caches reads the response cache and the change log's follower.
func (r *reader) caches(cfg *Config) {
	var err error
	if cfg.ResponseCacheMB, err = strconv.Atoi(r.get("RESPONSE_CACHE_MB")); err != nil || cfg.ResponseCacheMB < 0 || cfg.ResponseCacheMB > 4096 {
		r.bad("RESPONSE_CACHE_MB=%q must be between 0 (off) and 4096", r.get("RESPONSE_CACHE_MB"))
	}
	cfg.ResponseCacheTTL = r.duration("RESPONSE_CACHE_TTL", 1, 0, "a positive duration such as 10s")
	cfg.ChangePollInterval = r.duration("CHANGE_POLL_INTERVAL", 10*time.Millisecond, time.Minute, "a duration between 10ms and 1m")
	cfg.ChangeLogRetention = r.positive("CHANGE_LOG_RETENTION")
}

// splitList is the non-empty, trimmed items of a comma-separated list.
func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
