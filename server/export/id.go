package export

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/shenzhenplan/kgapi/plan"
)

// nodeFields is the selection of each kind in the query /id/ redirects to,
// from the model: the kind's scalar fields, each
// link with the linked nodes' brief fields, and the sources with their
// excerpts, or claims and fact ids.
var nodeFields = func() map[plan.Kind]string {
	out := map[plan.Kind]string{}
	for _, k := range plan.Model.Kinds {
		var f []string
		for _, p := range k.Props {
			if p.Field == "" {
				continue
			}
			if sel, ok := objectFields[string(k.Kind)+"."+p.Field]; ok {
				f = append(f, p.Field+" "+sel)
			} else {
				f = append(f, p.Field)
			}
		}
		for _, e := range k.Edges {
			to, _ := plan.KindOf(e.To)
			f = append(f, e.Field+" { id "+strings.Join(to.Brief, " ")+" }")
		}
		if k.Sourced {
			f = append(f, "sources { id title url authority excerpt claim fact }")
		}
		out[k.Kind] = strings.Join(f, " ")
	}
	return out
}()

// objectFields are the model's properties that GraphQL serves as objects
// (stored as JSON), with their selection.
var objectFields = map[string]string{"Event.quantities": "{ of value unit }"}

// NodeQuery is the GraphQL query that fetches the node with the id: its
// type's fields, its direct links and its sources.
func NodeQuery(id plan.ID) string {
	k := id.Kind()
	return `query Node { node(id: "` + id.Global() + `") { __typename id ... on ` + string(k) + ` { ` + nodeFields[k] + ` } } }`
}

// serveID answers GET /id/{globalID}: 303 See Other to
// ${base}/graphql?query=<NodeQuery>. A malformed id is 400, an unknown one 404.
func (h *handler) serveID(w http.ResponseWriter, r *http.Request, gid string) {
	if gid == "" || strings.Contains(gid, "/") {
		textError(w, http.StatusNotFound, "not found: use /id/<global id>")
		return
	}
	id, err := plan.ParseGlobalID(gid)
	if err != nil {
		textError(w, http.StatusBadRequest, "malformed id: an id is the global id of a node (GraphQL's id field)")
		return
	}
	if _, ok := nodeFields[id.Kind()]; !ok {
		textError(w, http.StatusBadRequest, "malformed id: unknown kind "+string(id.Kind()))
		return
	}
	nodes, err := h.st.Nodes(r.Context(), []plan.ID{id})
	if err != nil {
		h.storeError(w, r, err)
		return
	}
	if nodes[id] == nil {
		textError(w, http.StatusNotFound, "no node with id "+id.Global())
		return
	}
	target := h.base(r) + "/graphql?" + url.Values{"query": {NodeQuery(id)}}.Encode()
	w.Header().Set("Cache-Control", "public, max-age=300")
	http.Redirect(w, r, target, http.StatusSeeOther)
}
