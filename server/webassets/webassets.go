// Package webassets serves a prebuilt front end embedded in the binary (the
// GraphiQL playground, the graph explorer): content types, gzip, ETags,
// caching by content hash and a Content-Security-Policy on the page.
package webassets

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
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

const (
	cacheImmutable = "public, max-age=31536000, immutable"
	cacheNoCache   = "no-cache"
)

// hashedName matches the content-hashed names esbuild gives the bundles
// (entryNames "[name]-[hash]": 8 upper-case base32 characters), e.g.
// graphiql-4SCLLVI6.js, graphiql-XSUC7PR5.css, graphiql-4SCLLVI6.js.LEGAL.txt.
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
	assets map[string]*asset // by path relative to the folder, e.g. "index.html"
	csp    string
}

// load reads every file of the folder once.
func load(sub fs.FS) (map[string]*asset, error) {
	m := map[string]*asset{}
	err := fs.WalkDir(sub, ".", func(p string, d fs.DirEntry, err error) error {
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
	return m, err
}

// Handler serves the files of dir in fsys (a prebuilt, embedded front end)
// at the root it is mounted on: index.html for "/" and the files next to it,
// with their content types, gzip when the client takes it, ETags, long
// caching for content-hashed names and no-cache for index.html, which is
// sent with the given Content-Security-Policy. Only GET and HEAD are
// allowed. Mounted under a prefix with http.StripPrefix, a request for the
// prefix without its trailing slash is redirected to it (query kept),
// because index.html refers to its bundles by relative URLs.
func Handler(fsys fs.FS, dir, csp string) (http.Handler, error) {
	sub, err := fs.Sub(fsys, dir)
	if err != nil {
		return nil, err
	}
	assets, err := load(sub)
	if err != nil {
		return nil, err
	}
	if _, ok := assets["index.html"]; !ok {
		return nil, fs.ErrNotExist
	}
	return &handler{assets: assets, csp: csp}, nil
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
		hdr.Set("Content-Security-Policy", h.csp)
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
