package export

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/shenzhenplan/kgapi/plan"
)

// sourceFields is what a node's sources show.
const sourceFields = "sources { id title url excerpt }"

// nodeFields is the selection of each kind in the query /id/ redirects to.
var nodeFields = map[plan.Kind]string{
	plan.KindPlan: "slug title titleZh issuer summary goal goalYear declaredMeasureCount catalogedMeasureCount tranches domains " +
		"parent { id slug title } sections { id number title } milestones { id year label } " + sourceFields,
	plan.KindSection: "number title summary plan { id slug title } aspects { id number title } " + sourceFields,
	plan.KindAspect:  "number title summary section { id number title } " + sourceFields,
	plan.KindMeasure: "code title titleZh description status plan { id slug title } section { id number title } aspect { id number title } " +
		"projects { id slug name } sectors { id slug name } places { id slug name } milestones { id year label } " + sourceFields,
	plan.KindProject:   "slug name nameZh kind description places { id slug name } sectors { id slug name } " + sourceFields,
	plan.KindSector:    "slug name nameZh projects { id slug name } " + sourceFields,
	plan.KindPlace:     "slug name nameZh kind within { id slug name } contains { id slug name } projects { id slug name } " + sourceFields,
	plan.KindMilestone: "slug year date approximate label " + sourceFields,
	plan.KindSource:    "title publisher url publishedOn",
}

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
