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
	"embed"
	"net/http"

	"github.com/shenzhenplan/kgapi/server/webassets"
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
	h, err := webassets.Handler(distFS, "dist", ContentSecurityPolicy)
	if err != nil {
		// Only possible if the embedded dist/ is unreadable, i.e. a broken build.
		panic("explore: reading embedded dist: " + err.Error())
	}
	return h
}
