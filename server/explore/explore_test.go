package explore

import (
	"compress/gzip"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

// cdnHosts must not occur anywhere in the shipped files: the page has to work
// behind firewalls that only let the kgapi server through.
var cdnHosts = []string{
	"cdn.jsdelivr",
	"unpkg.com",
	"esm.sh",
	"cdnjs",
	"fonts.googleapis",
	"fonts.gstatic",
}

var (
	scriptSrc = regexp.MustCompile(`<script[^>]*\ssrc="([^"]+)"`)
	styleHref = regexp.MustCompile(`<link[^>]*rel="stylesheet"[^>]*href="([^"]+)"|<link[^>]*href="([^"]+)"[^>]*rel="stylesheet"`)
	absURL    = regexp.MustCompile(`(?i)https?://`)
	scriptTag = regexp.MustCompile(`(?i)<script\b[^>]*>`)
)

func get(t *testing.T, srv *httptest.Server, path string, header map[string]string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	// Plain transport without transparent decompression, so the test sees
	// exactly what the handler sends.
	tr := &http.Transport{DisableCompression: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{
		Transport: tr,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r io.Reader = resp.Body
	if resp.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(resp.Body)
		if err != nil {
			t.Fatalf("GET %s: bad gzip: %v", path, err)
		}
		r = zr
	}
	body, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(body)
}

func bundleRefs(t *testing.T, html string) (js, css string) {
	t.Helper()
	m := scriptSrc.FindStringSubmatch(html)
	if m == nil {
		t.Fatalf("index.html references no script bundle:\n%s", html)
	}
	js = m[1]
	c := styleHref.FindStringSubmatch(html)
	if c == nil {
		t.Fatalf("index.html references no stylesheet bundle:\n%s", html)
	}
	css = c[1] + c[2]
	if !strings.HasSuffix(js, ".js") || !strings.HasSuffix(css, ".css") {
		t.Fatalf("unexpected bundle references js=%q css=%q", js, css)
	}
	return js, css
}

func TestIndexAndBundles(t *testing.T) {
	srv := httptest.NewServer(Handler())
	defer srv.Close()

	resp, html := get(t, srv, "/", nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET / = %d", resp.StatusCode)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("GET / Content-Type = %q, want text/html", ct)
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "no-cache" {
		t.Errorf("GET / Cache-Control = %q, want no-cache", cc)
	}
	csp := resp.Header.Get("Content-Security-Policy")
	if csp != ContentSecurityPolicy {
		t.Errorf("CSP = %q, want %q", csp, ContentSecurityPolicy)
	}
	for _, want := range []string{"default-src 'self'", "script-src 'self';", "style-src 'self';", "connect-src 'self';", "object-src 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	for _, bad := range []string{"unsafe-eval", "unsafe-inline", "http:", "https:", "*"} {
		if strings.Contains(csp, bad) {
			t.Errorf("CSP allows %s: %q", bad, csp)
		}
	}
	if got := resp.Header.Get("Referrer-Policy"); got != "same-origin" {
		t.Errorf("GET / Referrer-Policy = %q, want same-origin", got)
	}
	if !strings.Contains(html, "<title>Shenzhen Plan Knowledge Graph — Explorer</title>") {
		t.Errorf("index.html lacks the page title:\n%s", html)
	}
	for _, want := range []string{
		`id="graph"`, // the Cytoscape container
		`<label for="search-text">`,
		`id="search-text"`,
		`id="details"`,
		`id="graphiql-link"`,
		// Cytoscape.js skips injecting its <style> element (forbidden by the
		// CSP) only when an element with this id exists.
		`id="__________cytoscape_stylesheet"`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("index.html lacks %s", want)
		}
	}
	for _, tag := range scriptTag.FindAllString(html, -1) {
		if !strings.Contains(tag, " src=") {
			t.Errorf("index.html has an inline script %s (the CSP forbids it)", tag)
		}
	}
	if strings.Contains(html, "<style") || strings.Contains(html, " style=") {
		t.Errorf("index.html has inline styles (the CSP forbids them)")
	}
	if loc := absURL.FindStringIndex(html); loc != nil {
		t.Errorf("index.html contains an absolute URL at %d: %q", loc[0], html[loc[0]:min(len(html), loc[0]+80)])
	}

	js, css := bundleRefs(t, html)
	for _, c := range []struct {
		ref, ctype string
		minSize    int
	}{
		{js, "text/javascript", 100_000},
		{css, "text/css", 2_000},
	} {
		if strings.HasPrefix(c.ref, "/") || strings.Contains(c.ref, "//") {
			t.Errorf("bundle reference %q is not relative; the page must work under any mount prefix", c.ref)
		}
		for _, enc := range []string{"", "gzip, deflate, br"} {
			resp, body := get(t, srv, "/"+c.ref, map[string]string{"Accept-Encoding": enc})
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET /%s (Accept-Encoding %q) = %d", c.ref, enc, resp.StatusCode)
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, c.ctype) {
				t.Errorf("GET /%s Content-Type = %q, want %s", c.ref, ct, c.ctype)
			}
			if cc := resp.Header.Get("Cache-Control"); !strings.Contains(cc, "max-age=31536000") || !strings.Contains(cc, "immutable") {
				t.Errorf("GET /%s Cache-Control = %q, want a long immutable cache", c.ref, cc)
			}
			if got := resp.Header.Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("GET /%s X-Content-Type-Options = %q", c.ref, got)
			}
			if enc != "" && resp.Header.Get("Content-Encoding") != "gzip" {
				t.Errorf("GET /%s with Accept-Encoding gzip was not compressed", c.ref)
			}
			if enc == "" && resp.Header.Get("Content-Encoding") != "" {
				t.Errorf("GET /%s without Accept-Encoding was sent with Content-Encoding %q", c.ref, resp.Header.Get("Content-Encoding"))
			}
			if len(body) < c.minSize {
				t.Errorf("GET /%s: %d bytes, suspiciously small", c.ref, len(body))
			}
		}
	}

	// Conditional request with the ETag gives 304.
	resp, _ = get(t, srv, "/"+js, nil)
	etag := resp.Header.Get("ETag")
	if etag == "" {
		t.Fatalf("GET /%s has no ETag", js)
	}
	resp, _ = get(t, srv, "/"+js, map[string]string{"If-None-Match": etag})
	if resp.StatusCode != http.StatusNotModified {
		t.Errorf("conditional GET /%s = %d, want 304", js, resp.StatusCode)
	}
}

func TestNotFoundAndMethods(t *testing.T) {
	srv := httptest.NewServer(Handler())
	defer srv.Close()

	for _, p := range []string{"/nope.js", "/graphql", "/dist/index.html", "/../explore.go", "/web/src/main.js"} {
		if resp, _ := get(t, srv, p, nil); resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", p, resp.StatusCode)
		}
	}
	resp, err := http.Post(srv.URL+"/", "text/plain", strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST / = %d, want 405", resp.StatusCode)
	}
}

func TestMountedUnderPrefix(t *testing.T) {
	mux := http.NewServeMux()
	mux.Handle("/explore/", http.StripPrefix("/explore", Handler()))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	resp, html := get(t, srv, "/explore/", nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(html, "<title>") {
		t.Fatalf("GET /explore/ = %d", resp.StatusCode)
	}
	js, _ := bundleRefs(t, html)
	if resp, _ := get(t, srv, "/explore/"+js, nil); resp.StatusCode != http.StatusOK {
		t.Errorf("GET /explore/%s = %d", js, resp.StatusCode)
	}

	// Without the trailing slash: redirect to it, keeping ?query=.
	mux2 := http.NewServeMux()
	h := http.StripPrefix("/explore", Handler())
	mux2.Handle("/explore", h)
	mux2.Handle("/explore/", h)
	srv2 := httptest.NewServer(mux2)
	defer srv2.Close()
	resp, _ = get(t, srv2, "/explore?q=Qianhai&id=UGxhY2U6cWlhbmhhaQ", nil)
	if resp.StatusCode != http.StatusMovedPermanently {
		t.Fatalf("GET /explore = %d, want 301", resp.StatusCode)
	}
	if loc, want := resp.Header.Get("Location"), "/explore/?q=Qianhai&id=UGxhY2U6cWlhbmhhaQ"; loc != want {
		t.Errorf("redirect Location = %q, want %q", loc, want)
	}
}

func TestNoCDNReferences(t *testing.T) {
	n := 0
	err := fs.WalkDir(distFS, "dist", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		n++
		b, err := distFS.ReadFile(p)
		if err != nil {
			return err
		}
		lower := strings.ToLower(string(b))
		for _, host := range cdnHosts {
			if i := strings.Index(lower, host); i >= 0 {
				t.Errorf("%s refers to CDN host %q: %q", p, host, lower[max(0, i-60):min(len(lower), i+60)])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 3 {
		t.Fatalf("embedded dist/ has %d files, want index.html, a JS and a CSS bundle", n)
	}
}

// The CSP has neither 'unsafe-eval' nor 'unsafe-inline' for styles: the bundle
// must not evaluate code from strings, and the container rule Cytoscape.js
// would inject as a <style> element must be in the stylesheet instead.
func TestBundleFitsTheCSP(t *testing.T) {
	var js, css []byte
	err := fs.WalkDir(distFS, "dist", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := distFS.ReadFile(p)
		if err != nil {
			return err
		}
		switch {
		case strings.HasSuffix(p, ".js"):
			js = append(js, b...)
		case strings.HasSuffix(p, ".css"):
			css = append(css, b...)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(js) == 0 || len(css) == 0 {
		t.Fatal("embedded dist/ lacks the JS or the CSS bundle")
	}
	for _, bad := range []*regexp.Regexp{
		regexp.MustCompile(`\beval\(`),
		regexp.MustCompile(`new Function\(`),
	} {
		if loc := bad.FindIndex(js); loc != nil {
			t.Errorf("JS bundle uses %s (the CSP has no 'unsafe-eval'): %q", bad, js[max(0, loc[0]-60):min(len(js), loc[1]+60)])
		}
	}
	if !strings.Contains(string(css), ".__________cytoscape_container{position:relative}") {
		t.Errorf("CSS bundle lacks Cytoscape's container rule (.__________cytoscape_container{position:relative})")
	}
	if !strings.Contains(string(js), "__________cytoscape_stylesheet") {
		t.Errorf("JS bundle no longer mentions __________cytoscape_stylesheet: check how this Cytoscape.js version injects its stylesheet")
	}
}
