// Package playground serves an offline GraphiQL page (GraphiQL 4 with the
// explorer plugin and a list of example queries) for the GraphQL endpoint at
// /graphql on the same origin.
//
// The page is prebuilt by the front-end project in web/ into dist/, which is
// committed and embedded, so building the Go server needs no Node.js. The page
// loads nothing from any other host: scripts, styles and fonts are all in
// dist/. Rebuild with `cd server/playground/web && npm ci && npm run build`
// (see README.md).
package playground

import (
	"embed"
	"net/http"

	"github.com/shenzhenplan/kgapi/server/webassets"
)

//go:embed dist
var distFS embed.FS

// ContentSecurityPolicy is sent with index.html. The bundle needs no eval and
// no inline scripts; 'unsafe-inline' for styles is needed because GraphiQL's
// components (Radix UI's scroll lock, CodeMirror, the explorer) inject <style>
// elements and style attributes at run time. GraphiQL's fonts and a few icons
// are data: URIs inside the CSS bundle. connect-src allows the same-origin
// /graphql endpoint and its graphql-ws websocket (ws:/wss:, since 'self' does
// not cover websocket schemes in every browser).
const ContentSecurityPolicy = "default-src 'self'; " +
	"script-src 'self'; " +
	"style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data:; " +
	"font-src 'self' data:; " +
	"connect-src 'self' ws: wss:; " +
	"object-src 'none'; " +
	"base-uri 'self'; " +
	"form-action 'self'; " +
	"frame-ancestors 'self'"

// Handler serves the GraphiQL page at the root it is mounted on: index.html
// for "/" and the bundles next to it. Mount it on "/" or under a prefix with
// http.StripPrefix, e.g.
//
//	mux.Handle("/playground/", http.StripPrefix("/playground", playground.Handler()))
//
// A request for the prefix itself without the trailing slash ("/playground")
// is redirected to "/playground/" (keeping the query string, so
// "/playground?query=..." links work), because index.html references the
// bundles by relative URLs.
//
// The page calls the GraphQL endpoint at /graphql on the same origin (and
// ws(s)://same-host/graphql for subscriptions). A "?query=" URL parameter
// (and optionally "?variables=") prefills the editor.
func Handler() http.Handler {
	h, err := webassets.Handler(distFS, "dist", ContentSecurityPolicy)
	if err != nil {
		// Only possible if the embedded dist/ is unreadable, i.e. a broken build.
		panic("playground: reading embedded dist: " + err.Error())
	}
	return h
}
