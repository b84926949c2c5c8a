// Package export serves open-data exports of a plan and makes the ids in
// them resolvable:
//
//	GET /export/{plan}.jsonld          the plan's graph as JSON-LD (schema.org, SKOS, PROV)
//	GET /export/{plan}/measures.csv    one row per measure (?bom=1: for Excel)
//	GET /export/{plan}/events.csv      one row per event (?bom=1: for Excel)
//	GET /export/vocab                  the few terms of our own the JSON-LD uses
//	GET /id/{globalID}                 303 See Other to the GraphQL query of the node
//
// Every @id in the JSON-LD is ${base}/id/<global id>; dereferencing it
// redirects (303) to GET /graphql?query=… with node(id:) and the inline
// fragment of the node's type, so any client can follow it.
//
// Only GET and HEAD are allowed (405 otherwise). A plan slug that is not a
// slug is 400, an unknown plan or id 404, a database outage 503, a deadline
// 504. Responses carry a strong ETag and answer If-None-Match with 304.
//
// The handler expects the full request path: mount it on both prefixes,
//
//	mux.Handle("/export/", h)
//	mux.Handle("/id/", h)
package export

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/shenzhenplan/kgapi/plan"
	"github.com/shenzhenplan/kgapi/store"
)

// maxSlug bounds a plan slug in a path.
const maxSlug = 200

// Option tunes the handler.
type Option func(*handler)

// WithLogger logs internal errors (with the request id) to log.
func WithLogger(log *zap.Logger) Option {
	return func(h *handler) {
		if log != nil {
			h.log = log
		}
	}
}

// RequestBase is the base URL of the request as the client sent it:
// http or https (by the connection) and the Host header. Behind a proxy
// that terminates TLS or rewrites the host, use FixedBase.
func RequestBase(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// FixedBase returns a base URL function that always answers base (for
// example "https://kg.example.org" or "https://example.org/kg"), without a
// trailing slash.
func FixedBase(base string) func(*http.Request) string {
	base = strings.TrimRight(base, "/")
	return func(*http.Request) string { return base }
}

// Handler serves the exports of the plans in st and resolves their ids.
// baseURL gives the public base URL of a request (nil: RequestBase); every
// IRI in an export starts with it.
func Handler(st *store.Store, baseURL func(*http.Request) string, opts ...Option) http.Handler {
	h := &handler{st: st, base: baseURL, log: zap.NewNop()}
	if h.base == nil {
		h.base = RequestBase
	}
	for _, o := range opts {
		o(h)
	}
	return h
}

type handler struct {
	st   *store.Store
	base func(*http.Request) string
	log  *zap.Logger
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		textError(w, http.StatusMethodNotAllowed, "only GET and HEAD are allowed here")
		return
	}
	path := r.URL.Path
	switch {
	case strings.HasPrefix(path, "/id/"):
		h.serveID(w, r, strings.TrimPrefix(path, "/id/"))
	case path == "/export/vocab":
		h.serveVocab(w, r)
	case strings.HasPrefix(path, "/export/"):
		rest := strings.TrimPrefix(path, "/export/")
		if slug, ok := strings.CutSuffix(rest, ".jsonld"); ok && !strings.Contains(slug, "/") {
			h.serveJSONLD(w, r, slug)
			return
		}
		if slug, ok := strings.CutSuffix(rest, "/measures.csv"); ok && !strings.Contains(slug, "/") {
			h.serveCSV(w, r, slug, "measures", MeasuresCSV)
			return
		}
		if slug, ok := strings.CutSuffix(rest, "/events.csv"); ok && !strings.Contains(slug, "/") {
			h.serveCSV(w, r, slug, "events", EventsCSV)
			return
		}
		textError(w, http.StatusNotFound, "no such export: try /export/<plan>.jsonld, /export/<plan>/measures.csv or /export/<plan>/events.csv")
	default:
		textError(w, http.StatusNotFound, "not found")
	}
}

// loadPlan checks the slug and reads the plan's export; on failure it has
// answered already and returns nil.
func (h *handler) loadPlan(w http.ResponseWriter, r *http.Request, slug string) *store.PlanExport {
	if len(slug) > maxSlug || !plan.ValidSlug(slug) {
		textError(w, http.StatusBadRequest, "not a plan slug: a slug is lower-case letters and digits in words joined by single hyphens")
		return nil
	}
	e, err := h.st.ExportPlan(r.Context(), slug)
	if err != nil {
		h.storeError(w, r, err)
		return nil
	}
	if e == nil {
		textError(w, http.StatusNotFound, "no plan with slug "+slug)
		return nil
	}
	return e
}

// storeError answers a store error with its status: the coded message for
// coded errors, a generic one (and a log line) for the others.
func (h *handler) storeError(w http.ResponseWriter, r *http.Request, err error) {
	reqID := w.Header().Get("X-Request-Id")
	if c := plan.Classify(err); c != nil {
		status := http.StatusInternalServerError
		switch c.Code {
		case plan.EINVALID:
			status = http.StatusBadRequest
		case plan.ENOTFOUND:
			status = http.StatusNotFound
		case plan.EUNAVAIL:
			status = http.StatusServiceUnavailable
		case plan.ETIMEOUT:
			status = http.StatusGatewayTimeout
		}
		if status >= 500 {
			h.log.Warn("export: database error", zap.String("request_id", reqID), zap.String("path", r.URL.Path), zap.String("code", c.Code), zap.Error(err))
		}
		textError(w, status, c.Message)
		return
	}
	h.log.Error("export: internal error", zap.String("request_id", reqID), zap.String("path", r.URL.Path), zap.Error(err))
	msg := "internal error"
	if reqID != "" {
		msg += " (request id " + reqID + ")"
	}
	textError(w, http.StatusInternalServerError, msg)
}

// textError writes a short plain-text message.
func textError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Del("Content-Disposition")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(msg + "\n"))
}

// serveBody writes a complete body with a strong ETag; http.ServeContent
// answers a matching If-None-Match with 304, HEAD with the headers only.
func serveBody(w http.ResponseWriter, r *http.Request, contentType string, body []byte) {
	sum := sha256.Sum256(body)
	hdr := w.Header()
	hdr.Set("Content-Type", contentType)
	hdr.Set("ETag", `"`+hex.EncodeToString(sum[:16])+`"`)
	hdr.Set("Cache-Control", "public, max-age=60")
	hdr.Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
}
