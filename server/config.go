// Package server wires the API: configuration, logging, the HTTP handler
// (GraphQL, GraphiQL, health), and graceful shutdown.
package server

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
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

	Tokens            []Token
	ReadTokenRequired bool
	Introspection     bool
	FieldSuggestions  bool
	Limits            Limits
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
	TrustedDocuments TrustedMode
	Manifest         *Manifest
	// DebugPlan lets a caller with a valid token see the Cypher of a
	// response (X-Debug: plan).
	DebugPlan bool
}

// DefaultPassword is the password of the local development Neo4j (make db-up).
const DefaultPassword = "localdev-password"

type knob struct {
	env, flag, def, help string
}

var knobs = []knob{
	{"NEO4J_URI", "neo4j-uri", "bolt://127.0.0.1:7687", "Neo4j address: bolt://host:port for one server, neo4j://host:port for a cluster (+s / +ssc for TLS)"},
	{"NEO4J_USER", "neo4j-user", "neo4j", "Neo4j user"},
	{"NEO4J_PASSWORD", "neo4j-password", DefaultPassword, "Neo4j password (the default is the local development database's)"},
	{"NEO4J_DATABASE", "neo4j-database", "neo4j", "Neo4j database name"},
	{"NEO4J_MAX_POOL", "neo4j-max-pool", "100", "most Bolt connections the API keeps open"},
	{"NEO4J_FETCH_SIZE", "neo4j-fetch-size", "1000", "records fetched per batch from Neo4j (-1: all at once)"},
	{"LISTEN_ADDR", "listen-addr", "127.0.0.1:8080", "host:port the HTTP server listens on"},
	{"CORS_ORIGINS", "cors-origins", "", "browser origins allowed to call the API: empty: none but the API's own (no CORS headers); *: any origin, without credentials; else a comma-separated list of exact origins (e.g. https://app.example.org), with credentials"},
	{"LOG_LEVEL", "log-level", "info", "debug, info, warn or error"},
	{"LOG_FORMAT", "log-format", "json", "json or console"},
	{"QUERY_TIMEOUT", "query-timeout", "10s", "deadline of every request, passed to Neo4j as the transaction timeout"},
	{"API_TOKENS", "api-tokens", "", "comma-separated name:sha256-hex pairs of the tokens allowed to write (make token prints one)"},
	{"READ_TOKEN_REQUIRED", "read-token-required", "false", "true: queries need a token too"},
	{"PRODUCTION", "production", "false", "true: introspection and field suggestions default to off"},
	{"INTROSPECTION", "introspection", "", "true or false (default: on, off with PRODUCTION=true)"},
	{"FIELD_SUGGESTIONS", "field-suggestions", "", "\"did you mean\" hints in validation errors: true or false (default: on, off with PRODUCTION=true)"},
	{"MAX_DEPTH", "max-depth", "10", "deepest nesting of fields in one operation"},
	{"MAX_COMPLEXITY", "max-complexity", "1000", "cost budget of one operation, in nodes read (README: Cost model)"},
	{"MAX_ALIASES", "max-aliases", "15", "most aliased fields in one operation"},
	{"MAX_BODY_BYTES", "max-body-bytes", "1048576", "largest request body"},
	{"MAX_TOKENS", "max-tokens", "10000", "most lexical tokens in one query document"},
	{"MAX_BATCH", "max-batch", "10", "most operations in one batched POST (a JSON array)"},
	{"RATE_LIMIT", "rate-limit", "0", "requests per second per client (token, else IP); 0 turns it off"},
	{"RATE_BURST", "rate-burst", "0", "requests a client may send at once above the rate (0: the rate, rounded up)"},
	{"RESPONSE_CACHE_MB", "response-cache-mb", "0", "megabytes of successful query responses to keep (0: no response cache); emptied by every write of this process"},
	{"RESPONSE_CACHE_TTL", "response-cache-ttl", "10s", "longest a cached response is served (the change-log follower empties the cache within CHANGE_POLL_INTERVAL of a write anywhere; this bounds it should the follower stall)"},
	{"CHANGE_POLL_INTERVAL", "change-poll-interval", "200ms", "how often this replica reads the change log: subscriptions and caches hear of writes through other replicas and the loader within it"},
	{"CHANGE_LOG_RETENTION", "change-log-retention", "10000", "change-log entries kept in the graph (how far back a subscriber can resume)"},
	{"TRUSTED_DOCUMENTS", "trusted-documents", "off", "off: any document; allow: documents of the manifests may also be sent by id (documentId); only: nothing but the manifests' documents, unless the request carries a valid token (README: Production)"},
	{"TRUSTED_DOCUMENTS_MANIFEST", "trusted-documents-manifest", "", "comma-separated paths of persisted-documents.json manifests (graphql-codegen's client preset: {\"sha256:<hex>\": \"<document>\"}), added to the built-in one of GraphiQL's examples and the explorer"},
	{"DEBUG_PLAN", "debug-plan", "false", "true: a request with a valid token and the header X-Debug: plan gets the Cypher of each round trip in extensions.plan"},
}

// Knobs lists the environment variables the API reads, for documentation and tests.
func Knobs() []string {
	out := make([]string, len(knobs))
	for i, k := range knobs {
		out[i] = k.env
	}
	return out
}

// LoadConfig reads the configuration from getenv and args (flags win) and
// validates it; all problems are reported together.
func LoadConfig(args []string, getenv func(string) string, usage io.Writer) (Config, error) {
	fs := flag.NewFlagSet("api", flag.ContinueOnError)
	fs.SetOutput(usage)
	vals := map[string]*string{}
	for _, k := range knobs {
		def := k.def
		if v := getenv(k.env); v != "" {
			def = v
		}
		vals[k.env] = fs.String(k.flag, def, k.help+" ($"+k.env+")")
	}
	if err := fs.Parse(args); err != nil {
		return Config{}, err
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	get := func(env string) string { return strings.TrimSpace(*vals[env]) }
	var problems []string
	bad := func(format string, a ...any) { problems = append(problems, fmt.Sprintf(format, a...)) }

	cfg := Config{
		Neo4jURI: get("NEO4J_URI"), Neo4jUser: get("NEO4J_USER"), Neo4jPassword: *vals["NEO4J_PASSWORD"],
		Neo4jDatabase: get("NEO4J_DATABASE"), ListenAddr: get("LISTEN_ADDR"),
		LogLevel: strings.ToLower(get("LOG_LEVEL")), LogFormat: strings.ToLower(get("LOG_FORMAT")),
	}
	if u, err := url.Parse(cfg.Neo4jURI); err != nil || u.Host == "" {
		bad("NEO4J_URI=%q is not a URI like bolt://localhost:7687", cfg.Neo4jURI)
	} else {
		switch u.Scheme {
		case "bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc":
		default:
			bad("NEO4J_URI=%q: the scheme must be bolt:// (one server) or neo4j:// (a cluster), optionally +s or +ssc", cfg.Neo4jURI)
		}
	}
	if cfg.Neo4jUser == "" {
		bad("NEO4J_USER must not be empty")
	}
	var err error
	if cfg.Neo4jMaxPool, err = strconv.Atoi(get("NEO4J_MAX_POOL")); err != nil || cfg.Neo4jMaxPool < 1 {
		bad("NEO4J_MAX_POOL=%q must be a positive integer", get("NEO4J_MAX_POOL"))
	}
	if cfg.Neo4jFetch, err = strconv.Atoi(get("NEO4J_FETCH_SIZE")); err != nil || cfg.Neo4jFetch == 0 || cfg.Neo4jFetch < -1 {
		bad("NEO4J_FETCH_SIZE=%q must be a positive integer or -1", get("NEO4J_FETCH_SIZE"))
	}
	if host, port, err := net.SplitHostPort(cfg.ListenAddr); err != nil {
		bad("LISTEN_ADDR=%q must be host:port, e.g. 127.0.0.1:8080", cfg.ListenAddr)
	} else if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		bad("LISTEN_ADDR=%q: %q is not a port", cfg.ListenAddr, port)
	} else {
		_ = host
	}
	for _, o := range strings.Split(get("CORS_ORIGINS"), ",") {
		o = strings.TrimSpace(o)
		if o == "" {
			continue
		}
		u, err := url.Parse(o)
		if o != "*" && (err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.Contains(u.Host, "*") || (u.Path != "" && u.Path != "/")) {
			bad("CORS_ORIGINS: %q is not an origin like https://app.example.org (or *)", o)
			continue
		}
		cfg.CORSOrigins = append(cfg.CORSOrigins, strings.TrimSuffix(o, "/"))
	}
	if len(cfg.CORSOrigins) > 1 && contains(cfg.CORSOrigins, "*") {
		bad("CORS_ORIGINS: * (any origin) stands alone; it cannot be combined with a list of origins")
	}
	switch cfg.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		bad("LOG_LEVEL=%q must be debug, info, warn or error", cfg.LogLevel)
	}
	switch cfg.LogFormat {
	case "json", "console":
	default:
		bad("LOG_FORMAT=%q must be json or console", cfg.LogFormat)
	}
	if cfg.QueryTimeout, err = time.ParseDuration(get("QUERY_TIMEOUT")); err != nil || cfg.QueryTimeout <= 0 {
		bad("QUERY_TIMEOUT=%q must be a positive duration such as 10s", get("QUERY_TIMEOUT"))
	}
	if cfg.Tokens, err = ParseTokens(*vals["API_TOKENS"]); err != nil {
		bad("%v", err)
	}
	boolean := func(env string, def bool) bool {
		v := strings.ToLower(get(env))
		switch v {
		case "":
			return def
		case "true", "1", "yes", "on":
			return true
		case "false", "0", "no", "off":
			return false
		}
		bad("%s=%q must be true or false", env, get(env))
		return def
	}
	cfg.ReadTokenRequired = boolean("READ_TOKEN_REQUIRED", false)
	production := boolean("PRODUCTION", false)
	cfg.Introspection = boolean("INTROSPECTION", !production)
	cfg.FieldSuggestions = boolean("FIELD_SUGGESTIONS", !production)
	if cfg.ReadTokenRequired && len(cfg.Tokens) == 0 {
		bad("READ_TOKEN_REQUIRED=true needs at least one token in API_TOKENS")
	}
	positive := func(env string) int {
		n, err := strconv.Atoi(get(env))
		if err != nil || n < 1 {
			bad("%s=%q must be a positive integer", env, get(env))
		}
		return n
	}
	cfg.Limits = Limits{
		MaxDepth: positive("MAX_DEPTH"), MaxComplexity: positive("MAX_COMPLEXITY"), MaxAliases: positive("MAX_ALIASES"),
		MaxBodyBytes: int64(positive("MAX_BODY_BYTES")), MaxTokens: positive("MAX_TOKENS"), MaxBatch: positive("MAX_BATCH"),
	}
	if cfg.RateLimit, err = strconv.ParseFloat(get("RATE_LIMIT"), 64); err != nil || cfg.RateLimit < 0 {
		bad("RATE_LIMIT=%q must be a number of requests per second (0: off)", get("RATE_LIMIT"))
	}
	if cfg.RateBurst, err = strconv.Atoi(get("RATE_BURST")); err != nil || cfg.RateBurst < 0 {
		bad("RATE_BURST=%q must be a non-negative integer", get("RATE_BURST"))
	}
	if cfg.ResponseCacheMB, err = strconv.Atoi(get("RESPONSE_CACHE_MB")); err != nil || cfg.ResponseCacheMB < 0 || cfg.ResponseCacheMB > 4096 {
		bad("RESPONSE_CACHE_MB=%q must be between 0 (off) and 4096", get("RESPONSE_CACHE_MB"))
	}
	if cfg.ResponseCacheTTL, err = time.ParseDuration(get("RESPONSE_CACHE_TTL")); err != nil || cfg.ResponseCacheTTL <= 0 {
		bad("RESPONSE_CACHE_TTL=%q must be a positive duration such as 10s", get("RESPONSE_CACHE_TTL"))
	}
	if cfg.ChangePollInterval, err = time.ParseDuration(get("CHANGE_POLL_INTERVAL")); err != nil || cfg.ChangePollInterval < 10*time.Millisecond || cfg.ChangePollInterval > time.Minute {
		bad("CHANGE_POLL_INTERVAL=%q must be a duration between 10ms and 1m", get("CHANGE_POLL_INTERVAL"))
	}
	cfg.ChangeLogRetention = positive("CHANGE_LOG_RETENTION")
	if cfg.TrustedDocuments, err = ParseTrustedMode(get("TRUSTED_DOCUMENTS")); err != nil {
		bad("%v", err)
	}
	if cfg.Manifest, err = LoadManifest(splitList(get("TRUSTED_DOCUMENTS_MANIFEST"))...); err != nil {
		bad("TRUSTED_DOCUMENTS_MANIFEST: %v", err)
	}
	cfg.DebugPlan = boolean("DEBUG_PLAN", false)
	if len(problems) > 0 {
		return cfg, errors.New("invalid configuration:\n  " + strings.Join(problems, "\n  "))
	}
	return cfg, nil
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
