// Package explore serves an offline, interactive explorer of the knowledge
// graph: full-text search, a node's neighbourhood drawn with Cytoscape.js
// (tap a node to expand it), and a side panel with the selected node's
// properties and sources, all read from the GraphQL endpoint at /graphql on
// the same origin.
//
// The page is prebuilt by the front-end project in web/ into dist/, which is
// committed and embedded, so building the Go server needs no Node.js. The page
// loads nothing from any other host: scripts and styles are all in dist/ and
// it uses system fonts. Rebuild with `cd server/explore/web && npm ci && npm
// run build` (see README.md).
package explore

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"strings"
	"sync"
	"time"
)

//go:embed dist
var distFS embed.FS

// ContentSecurityPolicy is sent with index.html. The page needs no eval, no
// inline script and no inline style: Cytoscape.js draws on a <canvas> and sets
// element styles only through the CSSOM (allowed by style-src 'self'); the
// one <style> element it would inject is pre-empted by the stylesheet <link>
// with its id (see web/src/index.html). data: is allowed for images only for
// the empty favicon (<link rel="icon" href="data:,">). connect-src 'self'
// covers the POSTs to /graphql on the same origin.
const ContentSecurityPolicy = "default-src 'self'; " +
	"script-src 'self'; " +
	"style-src 'self'; " +
	"img-src 'self' data:; " +
	"font-src 'self'; " +
	"connect-src 'self'; " +
	"object-src 'none'; " +
	"base-uri 'self'; " +
	"form-action 'self'; " +
	"frame-ancestors 'self'"

const (
	cacheImmutable = "public, max-age=31536000, immutable"
	cacheNoCache   = "no-cache"
)

// hashedName matches the content-hashed names esbuild gives the bundles
// (entryNames "[name]-[hash]": 8 upper-case base32 characters), e.g.
// explorer-2E6NY7AC.js, explorer-CX2DOBKE.css, explorer-2E6NY7AC.js.LEGAL.txt.
var hashedName = regexp.MustCompile(`-[A-Z0-9]{8}\.[A-Za-z0-9.]+$`)

var contentTypes = map[string]string{
	".html":  "text/html; charset=utf-8",
	".js":    "text/javascript; charset=utf-8",
	".mjs":   "text/javascript; charset=utf-8",
	".css":   "text/css; charset=utf-8",
	".txt":   "text/plain; charset=utf-8",
	".json":  "application/json",
	".map":   "application/json",
	".svg":   "image/svg+xml",
	".png":   "image/png",
	".ico":   "image/x-icon",
	".woff":  "font/woff",
	".woff2": "font/woff2",
	".ttf":   "font/ttf",
}

// compressible lists the types worth gzipping (fonts and images already are compressed).
var compressible = map[string]bool{
	".html": true, ".js": true, ".mjs": true, ".css": true, ".txt": true,
	".json": true, ".map": true, ".svg": true,
}

type asset struct {
	name        string
	body        []byte
	contentType string
	cache       string
	etag        string
	index       bool

	gzipOnce sync.Once
	gzipBody []byte // nil if gzip would not help
}

func (a *asset) gzipped() []byte {
	a.gzipOnce.Do(func() {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		_, _ = zw.Write(a.body)
		if zw.Close() == nil && buf.Len() < len(a.body)*9/10 {
			a.gzipBody = buf.Bytes()
		}
	})
	return a.gzipBody
}

type handler struct {
	assets map[string]*asset // by path relative to dist/, e.g. "index.html"
}

var (
	loadOnce   sync.Once
	loaded     map[string]*asset
	errLoading error
)

func loadAssets() (map[string]*asset, error) {
	loadOnce.Do(func() {
		sub, err := fs.Sub(distFS, "dist")
		if err != nil {
			errLoading = err
			return
		}
		m := map[string]*asset{}
		errLoading = fs.WalkDir(sub, ".", func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			body, err := fs.ReadFile(sub, p)
			if err != nil {
				return err
			}
			ext := strings.ToLower(path.Ext(p))
			ct := contentTypes[ext]
			if ct == "" {
				ct = http.DetectContentType(body)
			}
			sum := sha256.Sum256(body)
			a := &asset{
				name:        p,
				body:        body,
				contentType: ct,
				cache:       cacheNoCache,
				etag:        `"` + hex.EncodeToString(sum[:12]) + `"`,
				index:       p == "index.html",
			}
			if !a.index && hashedName.MatchString(path.Base(p)) {
				a.cache = cacheImmutable
			}
			m[p] = a
			return nil
		})
		loaded = m
	})
	return loaded, errLoading
}

// Handler serves the explorer page at the root it is mounted on: index.html
// for "/" and the bundles next to it. Mount it under a prefix with
// http.StripPrefix, e.g.
//
//	explorer := http.StripPrefix("/explore", explore.Handler())
//	mux.Handle("/explore", explorer)  // redirected to /explore/ (query kept)
//	mux.Handle("/explore/", explorer)
//
// A request for the prefix itself without the trailing slash ("/explore") is
// redirected to "/explore/" (keeping the query string, so "/explore?q=..."
// links work), because index.html references the bundles by relative URLs.
//
// The page calls the GraphQL endpoint at /graphql on the same origin and
// links to GraphiQL at "/". "?q=<text>" runs a search on load and
// "?id=<global id>" opens that node.
func Handler() http.Handler {
	assets, err := loadAssets()
	if err != nil {
		// Only possible if the embedded dist/ is unreadable, i.e. a broken build.
		panic("explore: reading embedded dist: " + err.Error())
	}
	return &handler{assets: assets}
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}

	p := r.URL.Path
	if p == "" {
		// Mounted with StripPrefix("/prefix") and asked for "/prefix": add
		// the slash so the relative bundle URLs in index.html resolve.
		redirectToSlash(w, r)
		return
	}
	name := strings.TrimPrefix(path.Clean("/"+p), "/")
	if name == "" {
		name = "index.html"
	}
	a, ok := h.assets[name]
	if !ok {
		http.NotFound(w, r)
		return
	}

	hdr := w.Header()
	hdr.Set("Content-Type", a.contentType)
	hdr.Set("Cache-Control", a.cache)
	hdr.Set("X-Content-Type-Options", "nosniff")
	if a.index {
		hdr.Set("Content-Security-Policy", ContentSecurityPolicy)
		hdr.Set("Referrer-Policy", "same-origin")
	}

	body, etag := a.body, a.etag
	if compressible[strings.ToLower(path.Ext(a.name))] {
		hdr.Add("Vary", "Accept-Encoding")
		if acceptsGzip(r) {
			if gz := a.gzipped(); gz != nil {
				body = gz
				etag = strings.TrimSuffix(a.etag, `"`) + `-gz"`
				hdr.Set("Content-Encoding", "gzip")
			}
		}
	}
	hdr.Set("ETag", etag)
	http.ServeContent(w, r, a.name, time.Time{}, bytes.NewReader(body))
}

func redirectToSlash(w http.ResponseWriter, r *http.Request) {
	target := "/"
	if u, err := url.ParseRequestURI(r.RequestURI); err == nil && u.Path != "" {
		target = u.EscapedPath()
		if !strings.HasSuffix(target, "/") {
			target += "/"
		}
	}
	// Guard against "//host" style open redirects.
	if strings.HasPrefix(target, "//") {
		target = "/" + strings.TrimLeft(target, "/")
	}
	if r.URL.RawQuery != "" {
		target += "?" + r.URL.RawQuery
	}
	http.Redirect(w, r, target, http.StatusMovedPermanently)
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(coding), "gzip") {
			continue
		}
		// "gzip;q=0" explicitly refuses it.
		q := strings.ReplaceAll(strings.TrimSpace(params), " ", "")
		return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
	}
	return false
}
