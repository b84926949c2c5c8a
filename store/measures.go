package store

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/shenzhenplan/kgapi/plan"
)

// The measure-page planner.
//
// A page of measures is read in one of two ways, chosen per scope (per
// parent, when one query answers the pages of many parents) inside the one
// query that answers it:
//
//   - a walk: the measures are read from an index in the page's exact
//     order — a plan's, section's or aspect's from its (scope, key,
//     codeKey, id) node index; a project's, sector's or milestone's from the
//     (hub, key, codeKey, mid) relationship index on its links (linkKeys);
//     all measures from the global (key, codeKey, id) index — at most
//     walkBudget rows per row of the page, the filter checked as they
//     stream; when that finds the page (or the index ends) the page is
//     done, whatever the size of the scope. A place walks itself and each
//     place within it that way and merges the pages (closureWalk);
//   - an anchored read, when the walk gives up after its budget (a filter
//     is sparse in the scope): the measures are reached from the smallest
//     "anchor" — the scope node, or the nodes a relationship filter names
//     (sectors, projects, places, milestones in a year range), or the text
//     index — sized by the measure counts the graph keeps on those nodes;
//     each hub of the anchor is walked in page order and the hubs' pages
//     merged (hubWalk).
//
// So a page reads about its own rows, at most the walk's budget, plus the
// anchor's pages, not the scope. Every sort key is a stored property that
// is never null (sortSection, sortYear, … are written with the measure and
// copied onto its links), so that the indexes hold every measure and read
// in the page's order. totalCount is planned apart (writeTotal).

// walkBudget is how many index rows a walk reads per row of the page (with
// its look-ahead row) before the anchored read takes over.
const walkBudget = 48

// Sort-key properties stored on every measure (never null), so that range
// indexes hold every measure and a page can be read from them in order. The
// descending variants of the integer keys are negated, so that a
// descending page still breaks ties by ascending code from the same index.
const (
	sortSection     = "sortSection"     // sectionNumber*1000 + aspectNumber (999 without an aspect)
	sortSectionDesc = "sortSectionDesc" // -sortSection
	sortYear        = "sortYear"        // earliest milestone year, sortYearMissing without one
	sortYearDesc    = "sortYearDesc"    // -earliest milestone year, sortYearMissing without one
	sortYearMissing = 999999
	noAspect        = 999
)

// measureSortProps are the stored sort keys of a measure.
func measureSortProps(section, aspect int, year *int64) map[string]any {
	a := aspect
	if a == 0 {
		a = noAspect
	}
	sec := int64(section*1000 + a)
	y, yd := int64(sortYearMissing), int64(sortYearMissing)
	if year != nil {
		y, yd = *year, -*year
	}
	return map[string]any{sortSection: sec, sortSectionDesc: -sec, sortYear: y, sortYearDesc: yd}
}

// sortKeyProps are the properties a measure page can be ordered by first:
// each has a (scope, key, codeKey) index per property scope and a global
// (key, codeKey) index (store/schema.go derives them from this list).
var sortKeyProps = []string{"codeKey", "title", sortSection, sortSectionDesc, sortYear, sortYearDesc}

// linkKeys are the properties of a measure's link to a scope node (a
// project, sector, place or milestone): the node's id (hub), the
// measure's id (mid) and its sort keys, so that a relationship index
// (hub, key, codeKey) reads a scope node's measures in any page order
// (store/schema.go). props are the measure's properties.
func linkKeys(props map[string]any, measure, hub string) map[string]any {
	keys := map[string]any{"hub": hub, "mid": measure}
	for _, k := range linkKeyProps {
		if props[k] != nil {
			keys[k] = props[k]
		}
	}
	return keys
}

// scopeProps are the measure properties that hold a scope's id (a
// measure's plan, section and aspect follow from its id and never
// change); links carry them too, so that a filtered count reads an index
// (store/schema.go). From the model: the scopes held in a property.
var scopeProps = func() []string {
	var out []string
	for _, ms := range plan.MeasureScopes {
		if ms.Prop != "" {
			out = append(out, ms.Prop)
		}
	}
	return out
}()

// linkKeyProps are the measure properties a link copies (besides hub and mid).
var linkKeyProps = slices.Concat(sortKeyProps, scopeProps)

// linkKeysSet is the SET clause that gives the links r from measure m to
// scope node h the keys linkKeys gives them in the loader.
func linkKeysSet(r, m, h string) string {
	parts := []string{r + ".hub = " + h + ".id", r + ".mid = " + m + ".id"}
	for _, k := range linkKeyProps {
		parts = append(parts, r+"."+k+" = "+m+"."+k)
	}
	return "SET " + strings.Join(parts, ", ")
}

// linkKeysDiffer is the condition "link r from measure m to node h does
// not carry the keys linkKeysSet gives it".
func linkKeysDiffer(r, m, h string) string {
	parts := []string{r + ".hub IS NULL", r + ".hub <> " + h + ".id", r + ".mid IS NULL", r + ".mid <> " + m + ".id"}
	for _, k := range linkKeyProps {
		parts = append(parts, "coalesce(toString("+r+"."+k+"), '') <> coalesce(toString("+m+"."+k+"), '')")
	}
	return "(" + strings.Join(parts, " OR ") + ")"
}

// linkTypes are the relationship types from a measure to a scope node
// (from the model: the scopes held through a relationship).
var linkTypes = func() []string {
	var out []string
	for _, ms := range plan.MeasureScopes {
		if ms.Rel != "" {
			out = append(out, ms.Rel)
		}
	}
	return out
}()

// sortKey is one key of a page's total order: a measure property and its direction.
type sortKey struct {
	prop string
	desc bool
}

// orderKeys is the total order of a page: the requested keys, then code
// key and id. When the order is the code alone, its direction holds for the
// ties (codes repeat across plans); otherwise ties are ascending by code.
func orderKeys(order []plan.Order) []sortKey {
	var ks []sortKey
	for _, o := range order {
		switch o.Field {
		case plan.OrderCode:
			ks = append(ks, sortKey{"codeKey", o.Desc})
		case plan.OrderTitle:
			ks = append(ks, sortKey{"title", o.Desc})
		case plan.OrderSection:
			ks = append(ks, sortKey{map[bool]string{false: sortSection, true: sortSectionDesc}[o.Desc], false})
		case plan.OrderMilestoneYear:
			ks = append(ks, sortKey{map[bool]string{false: sortYear, true: sortYearDesc}[o.Desc], false})
		}
	}
	if len(ks) == 1 && ks[0].prop == "codeKey" {
		return append(ks, sortKey{"id", ks[0].desc})
	}
	return append(ks, sortKey{"codeKey", false}, sortKey{"id", false})
}

// scopeDef says how a scope holds its measures: in a property of the
// measure (plan, section, aspect), or through a relationship to the scope
// node, with the nodes within it when the kind nests (closure: a place
// holds the measures of the places within it too, through nests).
type scopeDef struct {
	prop    string
	label   string
	rel     string
	closure bool
	nests   string
}

// measureScopes is the allow-list of measure scopes: the model's
// (plan.MeasureScopes) and the whole graph.
var measureScopes = func() map[plan.Scope]scopeDef {
	out := map[plan.Scope]scopeDef{plan.ScopeAll: {}}
	for _, ms := range plan.MeasureScopes {
		out[ms.Scope] = scopeDef{prop: ms.Prop, label: string(ms.Kind), rel: ms.Rel, closure: ms.Nests != "", nests: ms.Nests}
	}
	return out
}()

// reach is the pattern from a hub h to the measures m it holds.
func (d scopeDef) reach(h string) string {
	if d.closure {
		return "(" + h + ")<-[:" + d.nests + "*0..8]-(:" + d.label + ")<-[:" + d.rel + "]-(m:Measure)"
	}
	return "(" + h + ")<-[:" + d.rel + "]-(m:Measure)"
}

// member is the condition "measure m is in the hub matched by node".
func (d scopeDef) member(node string) string {
	if d.closure {
		return "EXISTS { (m)-[:" + d.rel + "]->(:" + d.label + ")-[:" + d.nests + "*0..8]->" + node + " }"
	}
	return "EXISTS { (m)-[:" + d.rel + "]->" + node + " }"
}

// countExpr counts the measures a node c of this scope holds (what
// measureCount keeps).
func (d scopeDef) countExpr(c string) string {
	return "COUNT { " + d.measuresOf(c) + " }"
}

// measuresOf is the subquery body that yields each measure m the node c
// of this scope holds, once.
func (d scopeDef) measuresOf(c string) string {
	if d.prop != "" {
		return "MATCH (m:Measure) WHERE m." + d.prop + " = " + c + ".id RETURN m"
	}
	if d.closure {
		return "MATCH " + d.reach(c) + " RETURN DISTINCT m"
	}
	return "MATCH " + d.reach(c) + " RETURN m"
}

// anchor is a set of hub nodes whose measures a page can be read from
// (or, with reach set, another way to find a few measures).
type anchor struct {
	name string // which filter (or the scope) it stands for: scope, sectors, projects, places, years, event, text
	def  scopeDef
	hubs string // MATCH … binding h
	pred string // the per-row condition the anchor stands for
	// reach, when set, writes the lines that bind m instead of the hubs':
	// with a guard (a condition on the arguments), lines that read nothing
	// unless it holds.
	reach func(guard string) string
	est   string // when set, the size estimate instead of the hubs' counts
	// exact says that est is no guess but a count the graph keeps (an
	// upper bound of the measures the anchor reads).
	exact bool
}

// size is the expression of how many measures the anchor's hubs hold: the
// counts the graph keeps (degree where a count is missing).
func (a anchor) size() string {
	if a.est != "" {
		return a.est
	}
	return "reduce(t = 0, x IN COLLECT { " + a.hubs + " RETURN coalesce(h.measureCount, COUNT { (h)<-[:" + a.def.rel + "]-() }) AS d } | t + x)"
}

// textEstimate is the size the planner assumes for the measures a text
// filter matches: it is read from the text index only once a walk of the
// scope in order failed to find the page, which says the text is rare.
const textEstimate = 1000

// searchTextSep separates the fields of a measure's searchText, so that a
// text never matches across two fields.
const searchTextSep = "\u001f"

// measureSearchText is what the text filter searches: the code, title,
// Chinese title and description, lower-cased.
func measureSearchText(code, title, titleZh, description string) string {
	return strings.ToLower(strings.Join([]string{code, title, titleZh, description}, searchTextSep))
}

// compiledMeasures is the Cypher of one measure-connection shape and its parameters.
type compiledMeasures struct {
	cypher string
	params map[string]any
	// body is the query after the scopes are bound to the variable scope,
	// up to its RETURN: subqueries that need only scope and yield rows and
	// total.
	body string
	// countApart says that the total was asked for and the query does not
	// count it (it yields 0): the caller counts it with Store.countApart.
	countApart bool
}

// measurePlan is what the compiler knows of one query while it writes it.
type measurePlan struct {
	q       plan.MeasureQuery
	def     scopeDef
	scExpr  string   // the effective scope id, from scope (a filter may narrow a plan to a section)
	preds   []string // per-row conditions of the filters (and of the scope, for relation scopes)
	status  bool     // preds holds the status condition
	anchors []anchor // relationship filters, and the scope for relation scopes
	keys    []sortKey
	exprs   []string // the sort key expressions
	desc    []bool   // and their directions
	conds   []string // cursor conditions
	walkOn  string   // the variable holding the id the walk reads (default sc)
	p       map[string]any
}

// compileMeasures builds the query for q from fixed fragments; every value
// travels as a parameter. A filtered page is the walk of its index (see
// writePage): a scope whose walk gave up comes back short.
func compileMeasures(q plan.MeasureQuery, scopes []string) (*compiledMeasures, error) {
	return compilePages(q, scopes, -1, -1)
}

// compilePages builds the query of q's pages for scopes: with pick < 0
// the walk of each page's index (a scope whose walk gave up comes back
// short), with pick ≥ 0 the read from that anchor (anchorSizes's
// numbering, walkHubs set); a filtered total is counted from anchor
// totalPick (walkHubs unset; see totalPick), from the one anchor there is,
// or, with totalPick < 0 and anchors to choose from, not at all
// (compiledMeasures.countApart).
func compilePages(q plan.MeasureQuery, scopes []string, pick, totalPick int) (*compiledMeasures, error) {
	mp, err := newMeasurePlan(q, scopes)
	if err != nil {
		return nil, err
	}
	rel, err := prefetchExpr("m", q.Prefetch, 0)
	if err != nil {
		return nil, err
	}
	node, err := projection("m", q.Props)
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	b.WriteString("WITH *, " + mp.scExpr + " AS sc\n")
	if q.CountOnly {
		b.WriteString("WITH *, [] AS rows, false AS short\n")
	} else {
		mp.writePage(&b, node, rel, pick)
	}
	countApart := false
	switch {
	case !q.WantTotal:
		b.WriteString("WITH *, 0 AS total\n")
	case mp.keptTotal(&b):
	case totalPick >= 0 || len(mp.anchorSizes(false)) == 1:
		// Counted from the one anchor there is, or the one chosen.
		mp.anchoredTotal(&b, max(totalPick, 0))
	default:
		// Counted from an anchor, in a query of its own (countApart): with
		// every anchor's count and the choice inside the page's query,
		// that query took 250–700 ms to plan (2,000–4,000 characters).
		b.WriteString("WITH *, 0 AS total\n")
		countApart = true
	}
	body := b.String()
	return &compiledMeasures{cypher: "UNWIND $scopes AS scope\n" + body + "RETURN scope, rows, total, short", params: mp.p, body: body, countApart: countApart}, nil
}

// compileScopeTotals compiles q's total alone for each of the scopes, as
// compileMeasures counts it: the totals of a level whose grouped count
// would read more than its scopes hold.
func compileScopeTotals(q plan.MeasureQuery, scopes []string) (*compiledMeasures, error) {
	mp, err := newMeasurePlan(q, scopes)
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	b.WriteString("UNWIND $scopes AS scope\nWITH *, " + mp.scExpr + " AS sc\n")
	mp.writeTotal(&b)
	b.WriteString("RETURN scope, total")
	return &compiledMeasures{cypher: b.String(), params: mp.p}, nil
}

// newMeasurePlan is the plan of q over scopes: its scope, filters, order,
// page size and cursor, before any Cypher is written.
func newMeasurePlan(q plan.MeasureQuery, scopes []string) (*measurePlan, error) {
	def, ok := measureScopes[q.Scope]
	if !ok {
		return nil, fmt.Errorf("measures: unknown scope %q", q.Scope)
	}
	mp := &measurePlan{q: q, def: def, scExpr: "scope", p: map[string]any{"scopes": scopes}}
	mp.narrow()
	mp.filters()
	mp.keys = orderKeys(q.Order)

	backward := q.Last != nil
	limit := plan.DefaultPageSize
	if q.First != nil {
		limit = *q.First
	}
	if backward {
		limit = *q.Last
	}
	mp.p["limit"] = int64(limit + 1)
	mp.p["budget"] = int64(walkBudget * (limit + 1))
	exprs := make([]string, len(mp.keys))
	desc := make([]bool, len(mp.keys))
	for i, k := range mp.keys {
		exprs[i], desc[i] = "m."+k.prop, k.desc
	}
	mp.exprs, mp.desc = exprs, desc
	if q.After != nil {
		mp.conds = append(mp.conds, keyset(exprs, "$a", desc, false))
		mp.p["a"] = q.After
	}
	if q.Before != nil {
		mp.conds = append(mp.conds, keyset(exprs, "$b", desc, true))
		mp.p["b"] = q.Before
	}
	return mp, nil
}

// sectionsNumbered binds c to the sections numbered $section, in every plan.
const sectionsNumbered = "MATCH (c:Section) WHERE c.number = $section"

// aspectsNumbered binds c to the aspects numbered $aspect, in every section
// of every plan.
const aspectsNumbered = "MATCH (c:Aspect) WHERE c.number = $aspect"

// scopeSectionIs is the condition "the section scope is numbered $section".
const scopeSectionIs = "EXISTS { MATCH (s:Section {id: scope}) WHERE s.number = $section }"

// narrow turns a plan scope with a section filter into that section's
// scope (and a section with an aspect filter into the aspect's), so that
// the page and its count read the narrower scope's index and count.
func (mp *measurePlan) narrow() {
	f := &mp.q.Filter
	switch {
	case mp.q.Scope == plan.ScopePlan && f.Section != nil && f.Aspect != nil:
		mp.scExpr = "'Aspect:' + substring(scope, 5) + '/S' + toString($section) + '.A' + toString($aspect)"
		mp.def = measureScopes[plan.ScopeAspect]
	case mp.q.Scope == plan.ScopePlan && f.Section != nil:
		mp.scExpr = "'Section:' + substring(scope, 5) + '/S' + toString($section)"
		mp.def = measureScopes[plan.ScopeSection]
	case mp.q.Scope == plan.ScopeSection && f.Aspect != nil:
		// A section filter on a section scope holds for the whole scope
		// or for none of it: a scope of another number is empty (sc null).
		mp.scExpr = "CASE WHEN $section IS NULL OR " + scopeSectionIs + " THEN 'Aspect:' + substring(scope, 8) + '.A' + toString($aspect) END"
		mp.def = measureScopes[plan.ScopeAspect]
	case mp.q.Scope == plan.ScopeSection && f.Section != nil:
		mp.scExpr = "CASE WHEN " + scopeSectionIs + " THEN scope END"
	case mp.q.Scope == plan.ScopeAspect && (f.Section != nil || f.Aspect != nil):
		mp.scExpr = "CASE WHEN EXISTS { MATCH (s:Section)-[:" + plan.RelTypeHasAspect + "]->(a:Aspect {id: scope}) WHERE ($section IS NULL OR s.number = $section) AND ($aspect IS NULL OR a.number = $aspect) } THEN scope END"
	default:
		return
	}
	// Checked once per scope, not per measure: a section's measures
	// filtered by its own number counted all 90,000 (210–310 ms a page).
	mp.p["section"] = optInt(f.Section)
	mp.p["aspect"] = optInt(f.Aspect)
	f.Section, f.Aspect = nil, nil
}

// filters writes the per-row conditions and the anchors of the filter.
func (mp *measurePlan) filters() {
	f, p := mp.q.Filter, mp.p
	if mp.def.rel != "" {
		mp.anchors = append(mp.anchors, anchor{name: "scope", def: mp.def, hubs: "MATCH (h:" + mp.def.label + " {id: sc})", pred: mp.def.member("(:" + mp.def.label + " {id: sc})")})
	}
	if f.Section != nil {
		mp.preds = append(mp.preds, "m.sectionNumber = $section")
		p["section"] = int64(*f.Section)
		// The section's block of the section sort keys, which a walk in
		// section order seeks instead of reading the sections before it.
		lo, hi := int64(*f.Section*1000), int64(*f.Section*1000+noAspect)
		if f.Aspect != nil {
			lo = int64(*f.Section*1000 + *f.Aspect)
			hi = lo
		}
		p["secLo"], p["secHi"], p["secDescLo"], p["secDescHi"] = lo, hi, -hi, -lo
		// And its block of the code keys, which a walk in code order
		// seeks: a code names its section and aspect (the loader and the
		// mutations check it), "S2.A1.M3" → "S000002.A000001.M000003".
		prefix := CodeKey(fmt.Sprintf("S%d", *f.Section))
		if f.Aspect != nil {
			prefix = CodeKey(fmt.Sprintf("S%d.A%d", *f.Section, *f.Aspect))
		}
		p["codeLo"], p["codeHi"] = prefix+".", prefix+"/" // '/' sorts right after '.'
	}
	if f.Aspect != nil {
		mp.preds = append(mp.preds, "m.aspectNumber = $aspect")
		p["aspect"] = int64(*f.Aspect)
	}
	sectionOrder := len(mp.q.Order) > 0 && mp.q.Order[0].Field == plan.OrderSection
	if (f.Section != nil || f.Aspect != nil) && mp.def.rel != "" && !mp.def.closure && !sectionOrder {
		mp.anchors = append(mp.anchors, mp.blockAnchor(f.Section != nil, f.Aspect != nil))
		p["section"], p["aspect"] = optInt(f.Section), optInt(f.Aspect)
	}
	rel := func(name string, s plan.Scope, hubs, pred string) {
		mp.anchors = append(mp.anchors, anchor{name: name, def: measureScopes[s], hubs: hubs, pred: pred})
	}
	if len(f.Sectors) > 0 {
		rel("sectors", plan.ScopeSector, "MATCH (h:Sector) WHERE h.slug IN $sectors",
			"EXISTS { (m)-[:"+plan.RelTypeInSector+"]->(x:Sector) WHERE x.slug IN $sectors }")
		p["sectors"] = f.Sectors
	}
	if len(f.Projects) > 0 {
		rel("projects", plan.ScopeProject, "MATCH (h:Project) WHERE h.slug IN $projects",
			"EXISTS { (m)-[:"+plan.RelTypeAdvances+"]->(x:Project) WHERE x.slug IN $projects }")
		p["projects"] = f.Projects
	}
	if len(f.Places) > 0 {
		// A place includes the places within it.
		rel("places", plan.ScopePlace, "MATCH (h:Place) WHERE h.slug IN $places",
			"EXISTS { (m)-[:"+plan.RelTypeLocatedIn+"]->(:Place)-[:"+plan.RelTypeWithin+"*0..8]->(x:Place) WHERE x.slug IN $places }")
		p["places"] = f.Places
	}
	if f.MilestoneYearMin != nil || f.MilestoneYearMax != nil {
		years := "($ymin IS NULL OR %[1]s.year >= $ymin) AND ($ymax IS NULL OR %[1]s.year <= $ymax)"
		rel("years", plan.ScopeMilestone, "MATCH (h:Milestone) WHERE "+fmt.Sprintf(years, "h"),
			"EXISTS { (m)-[:"+plan.RelTypeDueBy+"]->(x:Milestone) WHERE "+fmt.Sprintf(years, "x")+" }")
		p["ymin"], p["ymax"] = optInt(f.MilestoneYearMin), optInt(f.MilestoneYearMax)
	}
	if len(f.Statuses) > 0 {
		mp.status = true
		mp.preds = append(mp.preds, "m.status IN $statuses")
		st := make([]string, len(f.Statuses))
		for i, s := range f.Statuses {
			st[i] = string(s)
		}
		p["statuses"] = st
	}
	if f.Event != nil {
		// Read the measures the events concern when that is the smallest
		// anchor, sized by every event-to-measure link (an upper bound the
		// count store answers without reading the events).
		cond := strings.NewReplacer("$kinds", "$ekinds", "$from", "$efrom", "$to", "$eto", "$confirmed", "$econfirmed").Replace(eventFilter)
		concerns := "(e:Event)-[:" + plan.RelTypeConcerns + "]->(m)"
		mp.anchors = append(mp.anchors, anchor{name: "event", pred: "EXISTS { MATCH " + concerns + " WHERE " + cond + " }",
			reach: func(string) string {
				return "MATCH " + strings.Replace(concerns, "(m)", "(m:Measure)", 1) + " WHERE " + cond + "\n  WITH DISTINCT sc, m"
			},
			est: "COUNT { ()-[:" + plan.RelTypeConcerns + "]->(:Measure) }"})
		maps.Copy(p, eventFilterParams(*f.Event, "e"))
	}
	if f.Text != nil && strings.TrimSpace(*f.Text) != "" {
		// Read from the text index (measure_search_text) when it anchors the page.
		// Guarded, the text travels in the index seek: a filter on the
		// guard above the MATCH is placed after the text index's read,
		// which then ran whether its branch was picked or not (PROFILE:
		// 10,136 rows for "data", each expanded to check the scope).
		mp.anchors = append(mp.anchors, anchor{name: "text", pred: "m.searchText CONTAINS $text",
			reach: func(guard string) string {
				if guard == "" {
					return "MATCH (m:Measure) WHERE m.searchText CONTAINS $text"
				}
				return "MATCH (m:Measure) WHERE m.searchText CONTAINS CASE WHEN " + guard + " THEN $text END"
			}, est: strconv.Itoa(textEstimate)})
		p["text"] = strings.ToLower(strings.TrimSpace(*f.Text))
	}
}

// blockAnchor is the anchor of a hub scope's measures with a section
// (and aspect) number, or with an aspect number in any section: its links
// whose section (aspect) is one of those numbered so, read from the
// relationship index (hub, sectionId) or (hub, aspectId), sized by the
// counts the hub keeps per section and aspect (store/counts.go). It
// stands for no condition of its own (the numbers are per-row conditions
// too). A walk in an order other than the section's reads every link of
// the hub to find a sparse number: 35 milestones, section 3 and aspect 1,
// which no measure has, 108 ms; from this anchor, 3 ms. In section order
// a hub's links of one number lie together, and the walk seeks them (a
// section) or reaches them after at most a section (an aspect): no block
// (a project's aspect 2 in section order read from its block, 11 ms; its
// links streamed in order, 8 ms).
func (mp *measurePlan) blockAnchor(section, aspect bool) anchor {
	on, match := measureScopes[plan.ScopeSection].prop, sectionsNumbered
	switch {
	case section && aspect:
		on, match = measureScopes[plan.ScopeAspect].prop, "MATCH (:Section {number: $section})-[:"+plan.RelTypeHasAspect+"]->(c:Aspect) WHERE c.number = $aspect"
	case aspect:
		on, match = measureScopes[plan.ScopeAspect].prop, aspectsNumbered
	}
	rel, label := mp.def.rel, mp.def.label
	return anchor{name: "block", exact: true,
		reach: func(guard string) string {
			hub := "sc"
			if guard != "" {
				hub = "CASE WHEN " + guard + " THEN sc END"
			}
			return match + "\n  MATCH ()-[r:" + rel + "]->() WHERE r.hub = " + hub + " AND r." + on + " = c.id\n  WITH DISTINCT sc, startNode(r) AS m"
		},
		est: blockSize(label)}
}

// blockSize is the size of a blockAnchor of hubs labelled label (one text
// for every filter, so that the sizes query stays one text per scope
// kind): how many of the hub sc's measures have the section (and aspect)
// number, or the aspect number in any section, by the counts it keeps,
// or all its measures when it keeps none.
func blockSize(label string) string {
	return "coalesce(COLLECT { MATCH (bc:" + label + " {id: sc}) RETURN CASE WHEN NOT " + keepsCounts("bc") + " THEN coalesce(bc.measureCount, 1000000000)" +
		" WHEN $aspect IS NULL THEN coalesce(bc[" + sectionCountKey + "], 0)" +
		" WHEN $section IS NULL THEN " + aspectCountsSum("bc") +
		" ELSE coalesce(bc[" + aspectCountKey + "], 0) END }[0], 0)"
}

// where is the conjunction of the per-row conditions, the anchors' but
// the one numbered skip, and (with cursor) the cursor's.
func (mp *measurePlan) where(skip int, cursor bool) string {
	var cs []string
	if mp.def.prop != "" {
		cs = append(cs, "m."+mp.def.prop+" = sc")
	}
	cs = append(cs, mp.filterConds(skip)...)
	if cursor {
		cs = append(cs, mp.conds...)
	}
	if len(cs) == 0 {
		return "true"
	}
	return strings.Join(cs, "\n    AND ")
}

// filterConds are the per-row conditions of the filter: its anchors but
// the one numbered skip, and its other conditions.
func (mp *measurePlan) filterConds(skip int) []string {
	var cs []string
	for i, a := range mp.anchors {
		if i != skip && a.pred != "" {
			cs = append(cs, a.pred)
		}
	}
	return append(cs, mp.preds...)
}

// filter is filterConds as one condition.
func (mp *measurePlan) filter(skip int) string {
	if cs := mp.filterConds(skip); len(cs) > 0 {
		return strings.Join(cs, "\n    AND ")
	}
	return "true"
}

// orderBy is the ORDER BY list of the page (reversed for a backward page),
// led by the scope property when it reads a (scope, key) index in order.
func (mp *measurePlan) orderBy(scoped bool) string {
	return mp.orderOn("m", "id", scoped, mp.def.prop)
}

// orderOn is orderBy over variable v, whose property idProp holds the
// measure's id, led by property scopeProp when scoped.
func (mp *measurePlan) orderOn(v, idProp string, scoped bool, scopeProp string) string {
	backward := mp.q.Last != nil
	dir := func(desc bool) string {
		if desc != backward {
			return " DESC"
		}
		return ""
	}
	var parts []string
	if scoped {
		parts = append(parts, v+"."+scopeProp+dir(mp.keys[0].desc))
	}
	for _, k := range mp.keys {
		p := k.prop
		if p == "id" {
			p = idProp
		}
		parts = append(parts, v+"."+p+dir(k.desc))
	}
	return strings.Join(parts, ", ")
}

// walk writes the lines that read at most $budget measures of the scope
// sc in the page's order from an index and bind them to m, in order: a
// plan's, section's or aspect's from its (scope, key, codeKey) index; a
// project's, sector's or milestone's from the relationship index (hub,
// key, codeKey) on its links; all measures from the global (key, codeKey)
// index.
func (mp *measurePlan) walk(b *strings.Builder) { mp.walkRead(b, "", true) }

// walkRead is walk, with budget unset: the read streams to the end of the
// index range, for a caller whose LIMIT stops it. With a guard (a
// condition on the arguments: an anchored read's pick) it reads nothing
// unless the guard holds: the guard travels in the bound of the index
// seek, since the planner moves a plain condition on arguments below the
// index scan, which then reads the whole index only to filter out every
// row.
//
// With one cursor and an order of one key before code and id, a budgeted
// walk reads in two seeks: the rest of the cursor's tie group (first key
// equal, then code and id after the cursor's, which the composite index
// seeks), and what follows the group. The first key alone bounds one
// seek, which reads the whole tie group up to the cursor before it reaches
// the page: a backward page deep in a year's 40,000 measures read 39,294
// index rows for 288 (PROFILE).
func (mp *measurePlan) walkRead(b *strings.Builder, guard string, budget bool) {
	first := mp.keys[0].prop
	v, idProp, scopeProp := "m", "id", mp.def.prop
	match := "MATCH (m:Measure) USING INDEX m:Measure("
	if mp.def.rel != "" {
		v, idProp, scopeProp = "r", "mid", "hub"
		match = "MATCH ()-[r:" + mp.def.rel + "]->() USING INDEX r:" + mp.def.rel + "("
	}
	scoped := scopeProp != ""
	props := pageIndexProps(v, scopeProp, first, idProp)
	for i := range props {
		props[i] = strings.TrimPrefix(props[i], v+".")
	}
	on := cmp.Or(mp.walkOn, "sc")
	var where []string
	if scoped {
		if guard != "" {
			where = append(where, v+"."+scopeProp+" = CASE WHEN "+guard+" THEN "+on+" END")
		} else {
			where = append(where, v+"."+scopeProp+" = "+on)
		}
	}
	// The cursor's conditions over the walked variable.
	exprs := make([]string, len(mp.keys))
	for i, k := range mp.keys {
		p := k.prop
		if p == "id" {
			p = idProp
		}
		exprs[i] = v + "." + p
	}
	var conds []string
	var curRef string
	var curBefore bool
	for _, c := range []struct{ param, name string }{{"a", "wa"}, {"b", "wb"}} {
		if _, ok := mp.p[c.param]; !ok {
			continue
		}
		ref := "$" + c.param
		if guard != "" && !scoped {
			b.WriteString("    WITH *, CASE WHEN " + guard + " THEN $" + c.param + " END AS " + c.name + "\n")
			ref = c.name
		}
		conds = append(conds, keyset(exprs, ref, mp.desc, c.param == "b"))
		curRef, curBefore = ref, c.param == "b"
	}
	if _, ok := mp.p["secLo"]; ok && (first == sortSection || first == sortSectionDesc) {
		// A section filter bounds a walk in section order to its block:
		// all measures in section 1, SECTION DESC, read sections 3 and 2
		// to their budget and gave up (205–477 ms warm at 100,000).
		bound := map[string]string{sortSection: "$secLo AND %s <= $secHi", sortSectionDesc: "$secDescLo AND %s <= $secDescHi"}[first]
		where = append(where, v+"."+first+" >= "+fmt.Sprintf(bound, v+"."+first))
	}
	codeBlock := false
	if _, ok := mp.p["codeLo"]; ok && first == "codeKey" {
		// So does a walk in code order to its block of codes: the last
		// page of a place's measures in section 1 read sections 3 and 2
		// backwards to their budget, then every measure from the anchor
		// (507 places: 433 ms warm at 100,000).
		lo := "$codeLo"
		if guard != "" && !scoped {
			// The guard travels into the seek (see the bounds below).
			lo = "CASE WHEN " + guard + " THEN $codeLo END"
		}
		where = append(where, v+".codeKey >= "+lo+" AND "+v+".codeKey < $codeHi")
		codeBlock = true
	}
	base := slices.Clone(where)
	for i, pr := range props {
		// An always-true bound on a key lets Neo4j read the index in order
		// (with a LIMIT it stops after the page). On the first key a
		// cursor's bound does that by itself, and better: given both, the
		// planner seeks on IS NOT NULL and reads the index from the start.
		switch {
		case i == 0 && scoped || pr == first && (len(conds) > 0 || codeBlock):
		case pr == first && guard != "" && !scoped:
			low := "''"
			if first != "codeKey" && first != "title" {
				low = "-4611686018427387904"
			}
			where = append(where, v+"."+pr+" >= CASE WHEN "+guard+" THEN "+low+" END")
		default:
			where = append(where, v+"."+pr+" IS NOT NULL")
		}
	}
	where = append(where, conds...)
	order := mp.orderOn(v, idProp, scoped, scopeProp)
	budgetClause := ""
	if budget {
		budgetClause = " LIMIT $budget"
	}
	head := "    " + match + strings.Join(props, ", ") + ")\n"
	if !budget || len(conds) != 1 || len(mp.keys) != 3 || mp.keys[1].prop != "codeKey" {
		b.WriteString(head + "    WHERE " + strings.Join(where, " AND ") + "\n")
		b.WriteString("    WITH sc, " + v + " ORDER BY " + order + budgetClause + "\n")
	} else {
		op := ">"
		if mp.desc[0] != curBefore {
			op = "<"
		}
		group := append(slices.Clone(base), exprs[0]+" = "+curRef+"[0]", keyset(exprs[1:], curRef+"[1..]", mp.desc[1:], curBefore), exprs[2]+" IS NOT NULL")
		after := append(slices.Clone(base), exprs[0]+" "+op+" "+curRef+"[0]", exprs[1]+" IS NOT NULL", exprs[2]+" IS NOT NULL")
		b.WriteString("    CALL (*) {\n")
		for i, w := range [][]string{group, after} {
			if i > 0 {
				b.WriteString("      UNION ALL\n")
			}
			b.WriteString("  " + head + "      WHERE " + strings.Join(w, " AND ") + "\n")
			b.WriteString("      WITH " + v + " ORDER BY " + order + budgetClause + "\n      RETURN " + v + "\n")
		}
		// The union streams its first branch, then its second: the rows
		// come in the page's order, lazily, so the caller's LIMIT stops
		// the read (a sort here would read both branches to the budget).
		b.WriteString("    }\n    WITH sc, " + v + budgetClause + "\n")
	}
	if v == "r" {
		b.WriteString("    WITH sc, startNode(r) AS m\n")
	}
}

// closureWalk writes the walk of a place with the places within it: each
// place's links read in the page's order from the relationship index, the
// filter applied as they stream, at most the page from each place; the
// pages are merged by the final sort. It reads the whole of a place only
// when the filter leaves fewer than a page of it, so it never needs the
// anchored read.
func (mp *measurePlan) closureWalk(b *strings.Builder) {
	inner := *mp
	inner.def = scopeDef{label: "Place", rel: mp.def.rel}
	inner.walkOn = "p.id"
	b.WriteString("  CALL {\n    WITH sc\n    MATCH (:Place {id: sc})<-[:" + plan.RelTypeWithin + "*0..8]-(p:Place)\n")
	b.WriteString("    CALL {\n      WITH sc, p\n")
	var w strings.Builder
	// Without the budget: each place's stream stops at the page.
	inner.walkRead(&w, "", false)
	b.WriteString(strings.ReplaceAll(w.String(), "    ", "      "))
	b.WriteString("      WITH sc, m WHERE " + mp.where(0, false) + "\n      WITH m LIMIT $limit\n      RETURN m\n    }\n")
	b.WriteString("    WITH DISTINCT m\n    RETURN collect(m) AS hits\n  }\n")
}

// sizeExpr is the expression of how many measures the scope node sc holds.
func (mp *measurePlan) sizeExpr() string {
	if mp.def.label == "" {
		return "COUNT { MATCH (m:Measure) }"
	}
	return "coalesce(COLLECT { MATCH (c:" + mp.def.label + " {id: sc}) RETURN coalesce(c.measureCount, " + mp.def.countExpr("c") + ") }[0], 0)"
}

// writePage writes the subquery that yields rows: the page of scope sc.
//
// With pick < 0, the page is the walk alone: short says that the walk gave
// up after its budget, and the caller reads those scopes' pages again from
// an anchor (pick ≥ 0: the read anchored numbers so, which the caller
// chose by the sizes anchorSizes gives). Neo4j plans each new query text
// once, in time that grows with the text: the walk alone is a small query,
// and so is the read from one anchor, where the walk and every anchor's
// read in one query, the anchor picked inside it, took 230–580 ms to plan
// at 2,200–4,600 characters (measured on 3 December 2026).
func (mp *measurePlan) writePage(b *strings.Builder, node, rel string, pick int) {
	b.WriteString("CALL {\n  WITH sc\n")
	skip := -1
	if mp.def.rel != "" {
		skip = 0
	}
	unfiltered := len(mp.preds) == 0 && len(mp.anchors) <= 1 && (mp.def.rel != "") == (len(mp.anchors) == 1)
	switch {
	case mp.def.closure:
		// Each place's walk streams to the end of the page or of the
		// place: the pages are complete.
		mp.closureWalk(b)
		b.WriteString("  WITH hits, false AS short\n")
		mp.writeHitRows(b, node, rel)
	case unfiltered:
		// Without a filter every row the walk reads is on the page, in the
		// page's order: it never gives up, and the query needs no anchored
		// read.
		mp.walk(b)
		b.WriteString("    WITH m LIMIT $limit\n")
		mp.writeRows(b, node, rel, "false")
	case pick < 0:
		mp.walkHits(b, skip)
		b.WriteString("  RETURN [m IN hits | " + mp.rowExpr(node, rel) + "] AS rows, size(hits) < $limit AND cut AS short\n}\n")
	default:
		// Each branch ends with the page in order.
		mp.anchored(b, "", true, pick, func(skip int, scan bool) string {
			return "  WITH sc, m WHERE " + mp.where(skip, true) + "\n  WITH m ORDER BY " + mp.orderBy(scan && mp.def.prop != "") + " LIMIT $limit\n"
		})
		mp.writeRows(b, node, rel, "false")
	}
}

// writeHitRows ends the page's subquery from hits (the page's measures)
// and short: the rows in order, and short.
func (mp *measurePlan) writeHitRows(b *strings.Builder, node, rel string) {
	b.WriteString("  CALL {\n    WITH hits\n    UNWIND hits AS m\n")
	b.WriteString("    WITH m ORDER BY " + mp.orderBy(false) + " LIMIT $limit\n  ")
	mp.writeRows(b, node, rel, "")
	b.WriteString("  RETURN rows, short\n}\n")
}

// writeRows ends the page's subquery: the rows of the page's measures m,
// in order, with their sort keys and what the selection prefetches, and,
// when short is set, that expression as short. The rows are collected
// before short is added: a constant beside an aggregate groups by it, and
// a page without measures would then be no row at all.
func (mp *measurePlan) writeRows(b *strings.Builder, node, rel, short string) {
	if short == "" {
		b.WriteString("  RETURN collect(" + mp.rowExpr(node, rel) + ") AS rows\n}\n")
		return
	}
	b.WriteString("  WITH collect(" + mp.rowExpr(node, rel) + ") AS rows\n  RETURN rows, " + short + " AS short\n}\n")
}

// rowExpr is the row of measure m on the page: its node projection, its
// sort keys (for its cursor) and what the selection prefetches.
func (mp *measurePlan) rowExpr(node, rel string) string {
	keyList := make([]string, len(mp.keys))
	for i, k := range mp.keys {
		keyList[i] = "m." + k.prop
	}
	return "{node: " + node + ", keys: [" + strings.Join(keyList, ", ") + "], rel: " + rel + "}"
}

// walkHits writes the walk of the page's index with the filter checked on
// its rows, ending with hits, the page's measures it found (at most
// $limit, in order), and cut, whether it read its whole budget (so that,
// short of the page, it gave up rather than reached the end of the
// index). The index is walked once: the rows' references are collected
// (no property is read), then the filter streams over them and stops at
// the page; a null after the last row keeps the stream from being empty.
// Written as one flat part of the query, with neither a second walk for
// the count nor a subquery per step: Neo4j plans a new query text in time
// that grows with its clauses and subqueries (about 115 ms → 55 ms for
// the page of all measures in one section, EXPLAIN of a new text), and
// every new shape of a page is a new text. Scope conditions need not be
// checked: the walk reads the scope's own index or links.
func (mp *measurePlan) walkHits(b *strings.Builder, skip int) {
	mp.walk(b)
	b.WriteString("    WITH collect(m) AS walked\n")
	b.WriteString("    UNWIND walked + [null] AS m\n")
	b.WriteString("    WITH walked, m WHERE m IS NULL OR (" + mp.filter(skip) + ")\n")
	b.WriteString("    WITH walked, m LIMIT $limit\n")
	b.WriteString("    WITH size(walked) = $budget AS cut, collect(m) AS hits\n")
}

// anchored writes the read of the measures of sc that match the filter
// from the smallest anchor (or, for a property scope or all measures
// without a smaller anchor, from the scope's index), as a union whose
// branches all return m; tail writes what follows the reach in a branch.
// walkHubs is set for a page (hubs and scope are walked in the page's
// order, from its cursor) and unset for a count (the whole scope). With
// only ≥ 0 it writes that branch alone (numbered as anchorSizes lists
// them), chosen by the caller; otherwise the query picks the smallest.
func (mp *measurePlan) anchored(b *strings.Builder, ind string, walkHubs bool, only int, tail func(skip int, scan bool) string) {
	sizes := mp.anchorSizes(walkHubs)
	bs := make([]string, len(sizes))
	union := len(sizes) > 1 && only < 0
	for i, a := range mp.anchors {
		switch {
		case a.reach != nil:
			guard := ""
			if union {
				guard = "pick = " + strconv.Itoa(i)
			}
			bs[i] = ind + "  " + a.reach(guard) + "\n" + tail(i, false)
		case walkHubs:
			bs[i] = mp.hubWalk(ind+"  ", i, a)
		default:
			bs[i] = ind + "  " + a.hubs + "\n" + ind + "  MATCH " + a.def.reach("h") + "\n" + ind + "  WITH DISTINCT sc, m\n" + tail(i, false)
		}
	}
	scanAt := -1
	_, sectionBlock := mp.p["secLo"]
	if mp.def.rel == "" {
		scanAt = len(mp.anchors)
	}
	// The scope's own measures are read from its page index in the page's
	// order (a plain MATCH on the scope property has no index to seek: the
	// page indexes are composite). In a union the branch's pick travels
	// into the index seek as its guard: a filter on pick above the MATCH
	// would be placed after the read by the planner, which then read every
	// measure (PROFILE: 100,038 label-scan rows and 1.2 million db hits for
	// a branch not picked).
	scan := func(guard string) string {
		var w strings.Builder
		walker := mp
		if !walkHubs {
			// A count reads the whole scope: no cursor bounds its walk.
			walker = &measurePlan{}
			*walker = *mp
			walker.p = maps.Clone(mp.p)
			delete(walker.p, "a")
			delete(walker.p, "b")
			if sectionBlock {
				// In section order, the walk seeks the section's block.
				walker.keys = orderKeys([]plan.Order{{Field: plan.OrderSection}})
			}
		}
		walker.walkRead(&w, guard, false)
		body := strings.ReplaceAll(w.String(), "    ", ind+"  ")
		return body + tail(-1, true)
	}
	if !union {
		at := max(only, 0)
		if at == scanAt {
			bs[at] = scan("")
		}
		if only >= 0 {
			// The branch the caller chose, in line: a subquery more is
			// a part more for Neo4j to plan (a sector's page from a
			// chosen anchor: 113 → 89 ms to plan, EXPLAIN of new texts).
			b.WriteString(bs[at])
			return
		}
		b.WriteString(ind + "CALL {\n" + ind + "  WITH sc\n" + bs[at] + ind + "  RETURN m\n" + ind + "}\n")
		return
	}
	if scanAt >= 0 {
		bs[scanAt] = scan("pick = " + strconv.Itoa(scanAt))
	}
	b.WriteString(ind + "WITH sc, [" + strings.Join(sizes, ", ") + "] AS sizes\n")
	b.WriteString(ind + "WITH sc, reduce(k = 0, i IN range(1, size(sizes) - 1) | CASE WHEN sizes[i] < sizes[k] THEN i ELSE k END) AS pick\n")
	b.WriteString(ind + "CALL {\n")
	for i, br := range bs {
		if i > 0 {
			b.WriteString(ind + "  UNION ALL\n")
		}
		b.WriteString(ind + "  WITH sc, pick\n")
		if i != scanAt {
			// pick stays in scope for a guarded reach.
			b.WriteString(ind + "  WITH sc, pick WHERE pick = " + strconv.Itoa(i) + "\n")
		}
		b.WriteString(br + ind + "  RETURN m\n")
	}
	b.WriteString(ind + "}\n")
}

// anchorSizes are the expressions of the sizes of the reads anchored
// chooses from, in its order: how many measures each anchor's hubs hold,
// then, for a property scope or all measures, the scope (walkHubs as
// anchored's).
func (mp *measurePlan) anchorSizes(walkHubs bool) []string {
	sizes := make([]string, 0, len(mp.anchors)+1)
	for _, a := range mp.anchors {
		sizes = append(sizes, a.size())
	}
	if mp.def.rel != "" {
		return sizes
	}
	if _, sectionBlock := mp.p["secLo"]; sectionBlock && mp.def.label == "" && !walkHubs {
		// A count of all measures in a section number reads that block of
		// the section order (anchored): its size is what the sections of
		// that number keep.
		return append(sizes, "reduce(t = 0, x IN COLLECT { "+sectionsNumbered+" RETURN coalesce(c.measureCount, "+measureScopes[plan.ScopeSection].countExpr("c")+") } | t + x)")
	}
	return append(sizes, mp.sizeExpr())
}

// hubWalk is the read of a page from the hubs of anchor a (numbered
// skip): each hub's links read in the page's order from the relationship
// index, filtered as they stream, at most the page from each hub, merged
// by a sort of those few rows. It reads a hub to its end only when the
// filter leaves less than a page of it.
func (mp *measurePlan) hubWalk(ind string, skip int, a anchor) string {
	var b strings.Builder
	b.WriteString(ind + a.hubs + "\n")
	on := "h.id"
	if a.def.closure {
		b.WriteString(ind + "MATCH (h)<-[:" + plan.RelTypeWithin + "*0..8]-(h2:Place)\n" + ind + "WITH DISTINCT sc, h2\n")
		on = "h2.id"
	}
	inner := *mp
	inner.def = scopeDef{label: a.def.label, rel: a.def.rel}
	inner.walkOn = on
	var w strings.Builder
	inner.walkRead(&w, "", false)
	b.WriteString(ind + "CALL {\n" + ind + "  WITH sc, " + strings.TrimSuffix(on, ".id") + "\n")
	b.WriteString(strings.ReplaceAll(w.String(), "    ", ind+"  "))
	b.WriteString(ind + "  WITH sc, m WHERE " + mp.where(skip, false) + "\n" + ind + "  WITH m LIMIT $limit\n" + ind + "  RETURN m\n" + ind + "}\n")
	b.WriteString(ind + "WITH DISTINCT m\n" + ind + "WITH m ORDER BY " + mp.orderBy(false) + " LIMIT $limit\n")
	return b.String()
}

// writeTotal writes the subquery that yields total: how many measures of
// sc match the filter. Without a filter, or with a status filter alone, it
// is a count the scope node keeps (store/counts.go); with one relationship
// filter on a plan, section or aspect it is counted from an index alone
// (the links carry their measure's plan, section and aspect); otherwise
// the matching measures are counted from the smallest anchor.
func (mp *measurePlan) writeTotal(b *strings.Builder) {
	if !mp.keptTotal(b) {
		mp.anchoredTotal(b, -1)
	}
}

// keptTotal writes the subquery that yields total when it is read from
// the counts the graph keeps, or from one index (see writeTotal), and
// reports whether it did.
func (mp *measurePlan) keptTotal(b *strings.Builder) bool {
	var t strings.Builder
	t.WriteString("CALL {\n  WITH sc\n")
	filterAnchors := mp.anchors
	if mp.def.rel != "" {
		filterAnchors = mp.anchors[1:]
	}
	// The block of a section (aspect) number is no filter of its own.
	filterAnchors = slices.DeleteFunc(slices.Clone(filterAnchors), func(a anchor) bool { return a.name == "block" })
	f := mp.q.Filter
	oneHub := len(f.Sectors)+len(f.Projects)+len(f.Places) == 1
	switch {
	case len(mp.preds) == 0 && len(filterAnchors) == 0:
		t.WriteString("  RETURN " + mp.sizeExpr() + " AS total\n}\n")
		b.WriteString(t.String())
		return true
	case len(mp.preds) == 0 && len(filterAnchors) == 1 && filterAnchors[0].reach == nil && mp.def.label == "" && oneHub:
		// All measures in one sector, project or place: its kept count.
		t.WriteString("  RETURN " + filterAnchors[0].size() + " AS total\n}\n")
		b.WriteString(t.String())
		return true
	case len(mp.preds) == 0 && len(filterAnchors) == 1 && filterAnchors[0].reach == nil && mp.def.prop != "":
		a := filterAnchors[0]
		t.WriteString("  " + a.hubs + "\n")
		on := "h"
		if a.def.closure {
			t.WriteString("  MATCH (h)<-[:" + plan.RelTypeWithin + "*0..8]-(h2:Place)\n")
			on = "h2"
		}
		t.WriteString("  MATCH ()-[r:" + a.def.rel + "]->() WHERE r.hub = " + on + ".id AND r." + mp.def.prop + " = sc\n")
		if oneHub && !a.def.closure {
			t.WriteString("  RETURN count(r) AS total\n}\n")
		} else {
			t.WriteString("  RETURN count(DISTINCT r.mid) AS total\n}\n")
		}
		b.WriteString(t.String())
		return true
	case (mp.def.label == "" || mp.q.Scope == plan.ScopePlan) && (f.Section != nil || f.Aspect != nil) && len(filterAnchors) == 0 && len(mp.preds) == boolInt(f.Section != nil)+boolInt(f.Aspect != nil)+boolInt(mp.status):
		// All measures with a section (and aspect) number, in every plan,
		// or with an aspect number in any section (of every plan, or of
		// one: a plan with a section number is narrowed to the section),
		// perhaps with a status: the counts those sections (aspects) keep.
		d, match := measureScopes[plan.ScopeSection], sectionsNumbered
		switch {
		case f.Section != nil && f.Aspect != nil:
			d, match = measureScopes[plan.ScopeAspect], "MATCH (:Section {number: $section})-[:"+plan.RelTypeHasAspect+"]->(c:Aspect) WHERE c.number = $aspect"
		case f.Aspect != nil && mp.q.Scope == plan.ScopePlan:
			d, match = measureScopes[plan.ScopeAspect], "MATCH (:Plan {id: sc})-[:"+plan.RelTypeHasSection+"]->(:Section)-[:"+plan.RelTypeHasAspect+"]->(c:Aspect) WHERE c.number = $aspect"
		case f.Aspect != nil:
			d, match = measureScopes[plan.ScopeAspect], aspectsNumbered
		}
		kept, fallback := "c.measureCount", d.countExpr("c")
		if mp.status {
			kept = "CASE WHEN c.statusCountUNKNOWN IS NULL THEN null ELSE reduce(t = 0, st IN $statuses | t + c['statusCount' + st]) END"
			fallback = "size([x IN COLLECT { " + d.measuresOf("c") + " } WHERE x.status IN $statuses])"
		}
		t.WriteString("  " + match + "\n  RETURN sum(coalesce(" + kept + ", " + fallback + ")) AS total\n}\n")
		b.WriteString(t.String())
		return true
	case mp.def.rel != "" && (f.Section != nil || f.Aspect != nil) && len(filterAnchors) == 0 &&
		len(mp.preds) == boolInt(f.Section != nil)+boolInt(f.Aspect != nil)+boolInt(mp.status):
		// A sector's, project's, place's or milestone's measures with a
		// section (and aspect) number, or with an aspect number in any
		// section, perhaps with a status: the counts the node keeps for
		// them (store/counts.go); counted from its measures where it keeps
		// none.
		kept := "coalesce(c[" + sectionCountKey + "], 0)"
		switch {
		case mp.status && f.Aspect != nil:
			kept = aspectStatusCountsSum("c")
		case mp.status:
			kept = sectionStatusCountsSum("c")
		case f.Section != nil && f.Aspect != nil:
			kept = "coalesce(c[" + aspectCountKey + "], 0)"
		case f.Aspect != nil:
			kept = aspectCountsSum("c")
		}
		match := "($section IS NULL OR x.sectionNumber = $section) AND ($aspect IS NULL OR x.aspectNumber = $aspect)"
		if mp.status {
			match += " AND x.status IN $statuses"
		}
		fallback := "size([x IN COLLECT { " + mp.def.measuresOf("c") + " } WHERE " + match + "])"
		mp.p["section"], mp.p["aspect"] = optInt(f.Section), optInt(f.Aspect)
		t.WriteString("  OPTIONAL MATCH (c:" + mp.def.label + " {id: sc})\n")
		t.WriteString("  RETURN CASE WHEN c IS NULL THEN 0 WHEN " + keepsCounts("c") + " THEN " + kept + " ELSE " + fallback + " END AS total\n}\n")
		b.WriteString(t.String())
		return true
	case len(mp.preds) == 1 && mp.status && len(filterAnchors) == 0:
		// The counts the scope node (all plans, for all measures) keeps
		// by status; counted from the measures where they are missing.
		label, on := mp.def.label, "{id: sc}"
		if label == "" {
			label, on = "Plan", ""
		}
		kept := "reduce(t = 0, st IN $statuses | t + c['statusCount' + st])"
		fallback := "size([x IN COLLECT { " + measureScopes[plan.ScopePlan].measuresOf("c") + " } WHERE x.status IN $statuses])"
		if mp.def.label != "" {
			fallback = "size([x IN COLLECT { " + mp.def.measuresOf("c") + " } WHERE x.status IN $statuses])"
		}
		t.WriteString("  OPTIONAL MATCH (c:" + label + " " + on + ")\n")
		t.WriteString("  RETURN sum(CASE WHEN c IS NULL THEN 0 WHEN c.statusCountUNKNOWN IS NULL THEN " + fallback + " ELSE " + kept + " END) AS total\n}\n")
		b.WriteString(t.String())
		return true
	}
	return false
}

// anchoredTotal writes the subquery that yields total by counting the
// measures of sc that match the filter from its smallest anchor: the
// query picks it, or, with pick ≥ 0, the caller did (anchorSizes's
// numbering, walkHubs unset).
func (mp *measurePlan) anchoredTotal(b *strings.Builder, pick int) {
	b.WriteString("CALL {\n  WITH sc\n")
	mp.anchored(b, "  ", false, pick, func(skip int, _ bool) string {
		return "    WITH sc, m WHERE " + mp.where(skip, false) + "\n"
	})
	b.WriteString("  RETURN count(m) AS total\n}\n")
}

// keyset is the condition "the sort key comes strictly after (or, before,
// strictly before) the cursor $c" for the given directions, over the sort
// expressions themselves so that Neo4j can use their indexes.
//
// The first key alone bounds the range (>= or <=), a sargable predicate the
// planner turns into an index seek that starts at the cursor. The rest is
// one CASE over the keys in order (the first key that differs from the
// cursor decides), not the textbook OR of ANDs: the planner splits that OR
// into a union of index seeks and loses the index order, so a page deep in
// a 100,000-measure plan sorted the whole tail (PROFILE: 88,332 index rows,
// ~500 ms) where the CASE form reads 37 rows in order and stops (~8 ms).
func keyset(exprs []string, c string, desc []bool, before bool) string {
	op := func(i int) string {
		if desc[i] != before {
			return "<"
		}
		return ">"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s= %s[0] AND CASE", exprs[0], op(0), c)
	last := len(exprs) - 1
	for i := 0; i < last; i++ {
		fmt.Fprintf(&b, " WHEN %[1]s <> %[2]s[%[3]d] THEN %[1]s %[4]s %[2]s[%[3]d]", exprs[i], c, i, op(i))
	}
	fmt.Fprintf(&b, " ELSE %[1]s %[4]s %[2]s[%[3]d] END", exprs[last], c, last, op(last))
	return b.String()
}

// Measures implements plan.Store: one round trip for every scope id, and
// a second for the scopes whose walk fell short of the page (see
// writePage), if any.
func (s *Store) Measures(ctx context.Context, q plan.MeasureQuery, scopeIDs []plan.ID) (map[plan.ID]*plan.MeasurePage, error) {
	scopes := idStrings(scopeIDs)
	if q.Scope == plan.ScopeAll {
		scopes = []string{""}
	}
	pageQ := q
	var sized *filterSize
	if ok, nests := groupable(q); ok && (nests || q.WantTotal) && len(scopes) >= groupedMinScopes {
		// The sizes choose how the pages of places and the totals are read.
		fs, err := s.filterSizes(ctx, q, scopes)
		if err != nil {
			return nil, err
		}
		if nests && !q.CountOnly && fs.groupedPagesPay() {
			return s.readGroupedPages(ctx, q, scopes, fs.pick)
		}
		if q.WantTotal {
			sized, pageQ.WantTotal = &fs, false
		}
	}
	out, short, err := s.measurePages(ctx, pageQ, scopes)
	if err != nil {
		return nil, err
	}
	if len(short) > 0 {
		if err := s.completePages(ctx, pageQ, short, out); err != nil {
			return nil, err
		}
	}
	if sized != nil {
		if err := s.totalsSized(ctx, q, scopes, out, *sized); err != nil {
			return nil, fmt.Errorf("count measures (%s scope, %d scopes): %w", q.Scope, len(scopes), err)
		}
	}
	return out, nil
}

// filterSize is what filterSizes read: how many measures the smallest of
// the grouped read's anchors holds (pick, anchored's numbering, walkHubs
// unset: the grouped query reads that one alone) and how many the scopes
// hold.
type filterSize struct {
	smallest, held int64
	pick           int
}

// groupable reports whether q's filter lets many scopes be read at once
// (groupedPlan), and whether its scopes nest (places).
func groupable(q plan.MeasureQuery) (ok, nests bool) {
	_, def, ok := groupedPlan(plan.MeasureQuery{Scope: q.Scope, Filter: q.Filter}, nil)
	return ok, ok && def.closure
}

// groupedPagesPay reports whether pages are cheaper read grouped, given
// the filter's smallest anchor and the scopes' sizes.
func (fs filterSize) groupedPagesPay() bool {
	return fs.smallest <= groupedPagesMax && fs.smallest <= fs.held
}

// totalsSized sets the total of q in each page of pages (by scope, one
// for each of scopes), for a q groupable can count, given its sizes:
// grouped when the filter's smallest anchor holds no more measures than
// the scopes (a level of 50 projects of 40 measures each, filtered by the
// years 2030 and later, 50,000 measures: counted per project), per scope
// otherwise.
func (s *Store) totalsSized(ctx context.Context, q plan.MeasureQuery, scopes []string, pages map[plan.ID]*plan.MeasurePage, fs filterSize) error {
	var cm *compiledMeasures
	var err error
	if fs.smallest <= fs.held {
		cm, _, err = compileGroupedTotals(q, scopes, fs.pick)
	} else {
		cm, err = compileScopeTotals(q, scopes)
	}
	if err != nil {
		return err
	}
	return s.groupedTotals(ctx, cm, pages)
}

// sizesCypher is the subqueries that bind sizes, how many measures each
// read the grouped query could make holds (each anchor of q's filter,
// then every measure: anchorSizes's list, walkHubs unset), and held, how
// many the scopes hold, both from the counts the graph keeps; scopes is
// the clause that binds each scope's id to sc. ok is false when
// compileGroupedTotals cannot count q.
func sizesCypher(q plan.MeasureQuery, scopes string) (cypher string, params map[string]any, ok bool) {
	mp, def, ok := groupedPlan(plan.MeasureQuery{Scope: q.Scope, Filter: q.Filter}, nil)
	if !ok {
		return "", nil, false
	}
	ss := mp.anchorSizes(false)
	scope := &measurePlan{def: def}
	return "CALL {\n  " + scopes + "\n  RETURN sum(" + scope.sizeExpr() + ") AS held\n}\nCALL {\n  RETURN [" + strings.Join(ss, ", ") + "] AS sizes\n}\n", mp.p, true
}

// scanSizes reads the columns sizes and held of a sizesCypher query: the
// smallest read's size and its number (the first of equals), and the
// scopes' size.
func scanSizes(rec *neo4j.Record) (filterSize, error) {
	ns, err := recordValue[[]any](rec, "sizes")
	if err != nil {
		return filterSize{}, err
	}
	held, err := recordValue[int64](rec, "held")
	if err != nil {
		return filterSize{}, err
	}
	fs := filterSize{smallest: -1, held: held}
	for i, v := range ns {
		n, ok := v.(int64)
		if !ok {
			return filterSize{}, fmt.Errorf("a size is a %T", v)
		}
		if fs.smallest < 0 || n < fs.smallest {
			fs.smallest, fs.pick = n, i
		}
	}
	if fs.smallest < 0 {
		return filterSize{}, fmt.Errorf("no size")
	}
	return fs, nil
}

// filterSizes reads how many measures the smallest anchor of q's filter
// holds and how many the scopes hold, for a q that compileGroupedTotals
// can count.
func (s *Store) filterSizes(ctx context.Context, q plan.MeasureQuery, scopes []string) (filterSize, error) {
	cypher, params, ok := sizesCypher(q, "UNWIND $scopes AS sc")
	if !ok {
		return filterSize{}, fmt.Errorf("size the filter: %s scopes cannot be counted at once", q.Scope)
	}
	params["scopes"] = scopes
	recs, err := s.read(ctx, cypher+"RETURN sizes, held", params)
	if err != nil {
		return filterSize{}, fmt.Errorf("size the filter of %d %s scopes: %w", len(scopes), q.Scope, err)
	}
	fs, err := scanSizes(recs[0])
	if err != nil {
		return filterSize{}, fmt.Errorf("size the filter of %d %s scopes: %w", len(scopes), q.Scope, err)
	}
	return fs, nil
}

// groupedMinScopes is how many scopes a level of measure connections
// needs before its filtered totals are counted by compileGroupedTotals's
// query rather than once per scope (a list always qualifies: Store.List).
var groupedMinScopes = 16 // a variable for the tests (SetGroupedMinScopes)

// compileGroupedTotals compiles the totals of q over many scopes (the
// nodes of a list, a level of connections) in one read of the filter's own
// measures: the smallest of the filter's anchors (its sectors, projects,
// places, milestone years, events or text), the other conditions checked
// per measure, then each measure counted for the scopes among scopes that
// hold it. Counted once per scope instead, each count read the smaller of
// the scope's measures and the filter's: 507 places filtered by the
// largest place read 3.8 s at 100,000 measures. ok is false when the
// filter has no anchor of its own (a count per scope reads the kept
// counts), and when a section filter narrows the scope (per scope too).
func compileGroupedTotals(q plan.MeasureQuery, scopes []string, pick int) (cm *compiledMeasures, ok bool, err error) {
	if !q.WantTotal {
		return nil, false, nil
	}
	mp, def, ok := groupedPlan(plan.MeasureQuery{Scope: q.Scope, Filter: q.Filter, WantTotal: true}, scopes)
	if !ok {
		return nil, false, nil
	}
	var b strings.Builder
	mp.groupedRead(&b, def, false, "", pick)
	b.WriteString("RETURN sc AS scope, count(m) AS total")
	return &compiledMeasures{cypher: b.String(), params: mp.p}, true, nil
}

// groupedPlan is the plan of q's filter over all measures, for a grouped
// read of many scopes of q.Scope (def): ok is false when q cannot be read
// so (see compileGroupedTotals).
func groupedPlan(q plan.MeasureQuery, scopes []string) (mp *measurePlan, def scopeDef, ok bool) {
	def, known := measureScopes[q.Scope]
	if !known || q.Scope == plan.ScopeAll {
		return nil, def, false
	}
	probe := &measurePlan{q: q, def: def, scExpr: "scope", p: map[string]any{}}
	probe.narrow()
	if probe.scExpr != "scope" {
		return nil, def, false
	}
	all := q
	all.Scope = plan.ScopeAll
	mp = &measurePlan{q: all, def: measureScopes[plan.ScopeAll], scExpr: "scope", p: map[string]any{"scopes": scopes}}
	mp.filters()
	if len(mp.anchors) == 0 {
		return nil, def, false
	}
	// The page's order (the scan of every measure, the branch of last
	// resort, reads in it too), its size and its cursor.
	mp.keys = orderKeys(q.Order)
	mp.exprs, mp.desc = make([]string, len(mp.keys)), make([]bool, len(mp.keys))
	for i, k := range mp.keys {
		mp.exprs[i], mp.desc[i] = "m."+k.prop, k.desc
	}
	limit := plan.DefaultPageSize
	if q.First != nil {
		limit = *q.First
	}
	if q.Last != nil {
		limit = *q.Last
	}
	mp.p["limit"] = int64(limit + 1)
	if q.After != nil {
		mp.conds = append(mp.conds, keyset(mp.exprs, "$a", mp.desc, false))
		mp.p["a"] = q.After
	}
	if q.Before != nil {
		mp.conds = append(mp.conds, keyset(mp.exprs, "$b", mp.desc, true))
		mp.p["b"] = q.Before
	}
	return mp, def, true
}

// groupedRead writes the read of the filter's measures m from its
// smallest anchor, chosen by the caller (pick, anchored's numbering with
// walkHubs unset, from filterSizes: the query holds that read alone,
// which Neo4j plans in less time than a choice among all), the other conditions (and, with cursor, the cursor's)
// checked per measure, each bound to the scopes among $scopes that hold it
// (sc). With order, the rows of each scope come in that order. For places
// the measures are sorted once, before they are bound to the places that
// hold them, one measure at a time (a sort of the filter's measures, not
// of every measure-place pair: the 14,000 measures of the largest place
// against their 40,000 pairs); for the other kinds, where a measure has a
// few holders, the pairs are sorted (binding each measure apart cost more:
// 31 milestones filtered by a year, 109 -> 145 ms).
func (mp *measurePlan) groupedRead(b *strings.Builder, def scopeDef, cursor bool, order string, pick int) {
	b.WriteString("WITH null AS sc\n")
	mp.anchored(b, "", false, pick, func(skip int, _ bool) string {
		return "    WITH sc, m WHERE " + mp.where(skip, cursor) + "\n"
	})
	b.WriteString("WITH DISTINCT m\n")
	if order != "" && (def.prop != "" || def.closure) {
		b.WriteString("WITH m ORDER BY " + order + "\n")
	}
	var holders string
	switch {
	case def.prop != "":
		b.WriteString("WITH m, m." + def.prop + " AS sc WHERE sc IN $scopes\n")
		return
	case def.closure:
		holders = "MATCH (m)-[:" + def.rel + "]->(:" + def.label + ")-[:" + def.nests + "*0..8]->(h:" + def.label + ") WHERE h.id IN $scopes"
	default:
		holders = "MATCH (m)-[:" + def.rel + "]->(h:" + def.label + ") WHERE h.id IN $scopes"
	}
	if order != "" && def.closure {
		// Per measure, so that the rows keep the order.
		b.WriteString("CALL {\n  WITH m\n  " + holders + "\n  RETURN DISTINCT h.id AS sc\n}\n")
		return
	}
	b.WriteString(holders + "\nWITH DISTINCT h.id AS sc, m\n")
	if order != "" {
		b.WriteString("WITH sc, m ORDER BY " + order + "\n")
	}
}

// groupedPagesMax is the largest filter (in measures, as the planner
// estimates it from the counts the graph keeps) whose pages
// compileGroupedPages reads for many places at once: a larger one (all
// measures due by 2020 or later) is cheaper walked per place, where a
// dense filter fills a page after a few rows.
const groupedPagesMax = 20000

// compileGroupedPages compiles the pages of q for many scopes in one read
// of the filter's measures, grouped by the scopes that hold them and cut
// to a page each. It serves the scopes of a kind that nests (places, each
// holding the measures of the places within it), whose walk
// reads them all: 507 places filtered by the largest place took 1.2 s at
// 100,000 measures; and the scopes of any kind whose walk gave up (the
// filter is sparse in them), which the anchored read would read one by
// one: 31 milestones filtered by a later year, 260 ms. The query also counts
// the totals when q wants them and has no cursor. The caller reads the
// filter's size first (filterSizes, groupedPagesMax). ok is false when q
// cannot be read so.
func compileGroupedPages(q plan.MeasureQuery, scopes []string, pick int) (cm *compiledMeasures, ok bool, err error) {
	mp, def, ok := groupedPlan(q, scopes)
	if !ok {
		return nil, false, nil
	}
	rel, err := prefetchExpr("m", q.Prefetch, 0)
	if err != nil {
		return nil, false, err
	}
	node, err := projection("m", q.Props)
	if err != nil {
		return nil, false, err
	}
	var b strings.Builder
	mp.groupedRead(&b, def, true, mp.orderBy(false), pick)
	b.WriteString("WITH sc, collect(m) AS matched\n")
	total := "0"
	if q.WantTotal && q.After == nil && q.Before == nil {
		total = "size(matched)"
	}
	b.WriteString("WITH sc, " + total + " AS total, matched[0..$limit] AS ms\n")
	b.WriteString("CALL {\n  WITH ms\n  UNWIND ms AS m\n  WITH m ORDER BY " + mp.orderBy(false) + " LIMIT $limit\n")
	mp.writeRows(&b, node, rel, "")
	b.WriteString("RETURN sc AS scope, rows, total, false AS short")
	return &compiledMeasures{cypher: b.String(), params: mp.p}, true, nil
}

// groupedPages reads the pages of q for scopes (whose walks gave up) with
// a compileGroupedPages query, when there are groupedMinScopes scopes or
// more, q is groupable and groupedPagesPay; ok is false otherwise (nothing
// was read but the sizes).
func (s *Store) groupedPages(ctx context.Context, q plan.MeasureQuery, scopes []string) (map[plan.ID]*plan.MeasurePage, bool, error) {
	if ok, _ := groupable(q); !ok || len(scopes) < groupedMinScopes {
		return nil, false, nil
	}
	fs, err := s.filterSizes(ctx, q, scopes)
	if err != nil {
		return nil, false, err
	}
	if !fs.groupedPagesPay() {
		return nil, false, nil
	}
	out, err := s.readGroupedPages(ctx, q, scopes, fs.pick)
	return out, err == nil, err
}

// readGroupedPages reads the pages of q for scopes with a
// compileGroupedPages query (and their totals, with a cursor, with a
// compileGroupedTotals one).
func (s *Store) readGroupedPages(ctx context.Context, q plan.MeasureQuery, scopes []string, pick int) (map[plan.ID]*plan.MeasurePage, error) {
	cm, ok, err := compileGroupedPages(q, scopes, pick)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("page measures (%s scope): its filter cannot be read for many scopes at once", q.Scope)
	}
	out, _, err := s.readPages(ctx, cm, q)
	if err != nil {
		return nil, fmt.Errorf("page measures (%s scope, %d scopes, grouped): %w", q.Scope, len(scopes), err)
	}
	for _, id := range scopes {
		if out[plan.ID(id)] == nil {
			// No measure of the filter is in the scope: an empty page.
			out[plan.ID(id)] = emptyPage(q)
		}
	}
	if q.WantTotal && (q.After != nil || q.Before != nil) {
		// The query counted nothing: a cursor's page is not the whole.
		tq, _, err := compileGroupedTotals(q, scopes, pick)
		if err != nil {
			return nil, err
		}
		if err := s.groupedTotals(ctx, tq, out); err != nil {
			return nil, fmt.Errorf("count measures (%s scope, %d scopes): %w", q.Scope, len(scopes), err)
		}
	}
	return out, nil
}

// emptyPage is the page of a scope that holds no measure of q: what
// scanPageRows makes of no rows.
func emptyPage(q plan.MeasureQuery) *plan.MeasurePage {
	page := &plan.MeasurePage{}
	if len(q.Prefetch) > 0 {
		page.Related = plan.Prefetched{}
	}
	if q.Last != nil {
		page.HasNextPage = q.Before != nil
	} else {
		page.HasPreviousPage = q.After != nil
	}
	return page
}

// groupedTotals runs a compileGroupedTotals query and sets the total of
// each page of pages (a scope the query does not name holds none).
func (s *Store) groupedTotals(ctx context.Context, cm *compiledMeasures, pages map[plan.ID]*plan.MeasurePage) error {
	recs, err := s.read(ctx, cm.cypher, cm.params)
	if err != nil {
		return err
	}
	totals := make(map[plan.ID]int, len(recs))
	for _, rec := range recs {
		scope, err := recordValue[string](rec, "scope")
		if err != nil {
			return err
		}
		n, err := recordValue[int64](rec, "total")
		if err != nil {
			return err
		}
		totals[plan.ID(scope)] = int(n)
	}
	for id, page := range pages {
		page.TotalCount = totals[id]
	}
	return nil
}

// measurePages runs the compiled query for scopes and returns the pages
// and the scopes whose page fell short.
func (s *Store) measurePages(ctx context.Context, q plan.MeasureQuery, scopes []string) (map[plan.ID]*plan.MeasurePage, []string, error) {
	totalPick, err := s.totalPick(ctx, q, scopes)
	if err != nil {
		return nil, nil, fmt.Errorf("count measures (%s scope, %d scopes): %w", q.Scope, len(scopes), err)
	}
	pick := -1
	if p, ok, err := s.walkless(ctx, q, scopes); err != nil {
		return nil, nil, err
	} else if ok {
		pick = p
	}
	cm, err := compilePages(q, scopes, pick, totalPick)
	if err != nil {
		return nil, nil, err
	}
	out, short, err := s.readPages(ctx, cm, q)
	if err != nil {
		return nil, nil, fmt.Errorf("page measures (%s scope, %d scopes): %w", q.Scope, len(scopes), err)
	}
	if cm.countApart {
		if err := s.countApart(ctx, q, out); err != nil {
			return nil, nil, fmt.Errorf("count measures (%s scope, %d scopes): %w", q.Scope, len(scopes), err)
		}
	}
	return out, short, nil
}

// readPages runs a query of pages (columns scope, rows, total, short) and
// returns the pages by scope and the scopes whose page fell short.
func (s *Store) readPages(ctx context.Context, cm *compiledMeasures, q plan.MeasureQuery) (map[plan.ID]*plan.MeasurePage, []string, error) {
	recs, err := s.read(ctx, cm.cypher, cm.params)
	if err != nil {
		return nil, nil, err
	}
	out := make(map[plan.ID]*plan.MeasurePage, len(recs))
	var short []string
	for _, rec := range recs {
		scope, err := recordValue[string](rec, "scope")
		if err != nil {
			return nil, nil, err
		}
		page, isShort, err := scanPage(rec, q)
		if err != nil {
			return nil, nil, fmt.Errorf("page of %s: %w", scope, err)
		}
		out[plan.ID(scope)] = page
		if isShort {
			short = append(short, scope)
		}
	}
	return out, short, nil
}

// completePages reads again, with the whole planner, the pages of the
// scopes whose walk fell short, and puts them in out (keeping the totals
// the first read counted).
func (s *Store) completePages(ctx context.Context, q plan.MeasureQuery, scopes []string, out map[plan.ID]*plan.MeasurePage) error {
	q.WantTotal = false
	full, grouped, err := s.groupedPages(ctx, q, scopes)
	if err != nil {
		return err
	}
	if !grouped {
		full, err = s.anchoredPages(ctx, q, scopes)
		if err != nil {
			return err
		}
	}
	for id, page := range full {
		if old, ok := out[id]; ok {
			page.TotalCount = old.TotalCount
		}
		out[id] = page
	}
	return nil
}

// countApart sets the totals of pages (by scope) that their query left to
// count (compiledMeasures.countApart): from the smallest anchor of each
// scope (anchorPicks), one query per anchor chosen, usually one, that
// holds that anchor's count alone. In the page's query, with every
// anchor's count and the choice between them, the query took 250–700 ms
// to plan (2,000–4,000 characters), which the first read of every new
// filter paid (measured on 3 December 2026).
func (s *Store) countApart(ctx context.Context, q plan.MeasureQuery, pages map[plan.ID]*plan.MeasurePage) error {
	scopes := make([]string, 0, len(pages))
	for id := range pages {
		scopes = append(scopes, string(id))
	}
	slices.Sort(scopes)
	picks, err := s.anchorPicks(ctx, q, scopes, false)
	if err != nil {
		return err
	}
	for _, pick := range slices.Sorted(maps.Keys(picks)) {
		mp, err := newMeasurePlan(q, picks[pick])
		if err != nil {
			return err
		}
		var b strings.Builder
		b.WriteString("UNWIND $scopes AS scope\nWITH *, " + mp.scExpr + " AS sc\n")
		mp.anchoredTotal(&b, pick)
		b.WriteString("RETURN scope, total")
		group := make(map[plan.ID]*plan.MeasurePage, len(picks[pick]))
		for _, sc := range picks[pick] {
			group[plan.ID(sc)] = pages[plan.ID(sc)]
		}
		if err := s.groupedTotals(ctx, &compiledMeasures{cypher: b.String(), params: mp.p}, group); err != nil {
			return fmt.Errorf("count measures from anchor %d (%s scope, %d scopes): %w", pick, q.Scope, len(picks[pick]), err)
		}
	}
	return nil
}

// anchoredPages reads the pages of scopes, whose walks gave up, from the
// smallest anchor of each (anchorPicks): one query per anchor chosen,
// usually one, that holds that anchor's read alone.
func (s *Store) anchoredPages(ctx context.Context, q plan.MeasureQuery, scopes []string) (map[plan.ID]*plan.MeasurePage, error) {
	picks, err := s.anchorPicks(ctx, q, scopes, true)
	if err != nil {
		return nil, err
	}
	out := make(map[plan.ID]*plan.MeasurePage, len(scopes))
	for _, pick := range slices.Sorted(maps.Keys(picks)) {
		cm, err := compilePages(q, picks[pick], pick, -1)
		if err != nil {
			return nil, err
		}
		pages, _, err := s.readPages(ctx, cm, q)
		if err != nil {
			return nil, fmt.Errorf("page measures from anchor %d (%s scope, %d scopes): %w", pick, q.Scope, len(picks[pick]), err)
		}
		maps.Copy(out, pages)
	}
	return out, nil
}

// anchorPicks chooses, for each of the scopes, the read of its page from
// the fewest measures: the anchor (anchorSizes's numbering) whose hubs
// hold the fewest, by the counts the graph keeps, the first of equals.
// It returns the scopes by anchor, and reads the sizes only when there is
// a choice (sizesQuery). walkHubs is anchored's: set for pages, unset for
// counts.
func (s *Store) anchorPicks(ctx context.Context, q plan.MeasureQuery, scopes []string, walkHubs bool) (map[int][]string, error) {
	mp, err := newMeasurePlan(q, scopes)
	if err != nil {
		return nil, err
	}
	if len(mp.anchorSizes(walkHubs)) == 1 {
		return map[int][]string{0: scopes}, nil
	}
	names, sizes, err := s.anchorSizesOf(ctx, mp, walkHubs)
	if err != nil {
		return nil, fmt.Errorf("size the anchors of %d %s scopes: %w", len(scopes), q.Scope, err)
	}
	picks, _ := mp.choose(names, sizes, scopes)
	return picks, nil
}

// choose picks, for each of the scopes, the anchor (anchored's numbering)
// whose size is the least, the first of equals, from the sizes of every
// kind of anchor (sizesQuery's names); most is the largest size chosen.
func (mp *measurePlan) choose(names []string, sizes map[string][]int64, scopes []string) (picks map[int][]string, most int64) {
	at := make(map[string]int, len(names))
	for i, n := range names {
		at[n] = i
	}
	choices := make([]int, 0, len(mp.anchors)+1)
	for _, a := range mp.anchors {
		choices = append(choices, at[a.name])
	}
	if mp.def.rel == "" {
		choices = append(choices, at["scan"])
	}
	picks = map[int][]string{}
	for _, scope := range scopes {
		ns, ok := sizes[scope]
		if !ok {
			// An unknown scope has no measures: any anchor reads none.
			picks[0] = append(picks[0], scope)
			continue
		}
		pick := 0
		for i, c := range choices {
			if ns[c] < ns[choices[pick]] {
				pick = i
			}
		}
		picks[pick] = append(picks[pick], scope)
		most = max(most, ns[choices[pick]])
	}
	return picks, most
}

// walkless is the anchor a filtered page of scopes is read from without
// its walk: the scope's own index when the filter has no hubs (scopeOnly);
// otherwise chosen from the sizes of its anchors (read, or kept a minute:
// anchorSizesOf) when every scope's smallest anchor is the same hubs of
// the filter (not the scope itself, nor a text or event estimate), and in
// every scope those hubs hold either no more measures than the walk's
// budget (the read from them reads no more than the walk would), or so few
// of the scope's measures that a walk of the budget would find less than
// the page if they were spread evenly over it (size × budget < page ×
// the scope's size: a place of 1,500 measures in a plan of 100,000, a
// page of 20). Then the walk would give up, and its query would be one
// text more for Neo4j to plan on a first read (about 100 ms) before the
// read from the anchor. ok is false otherwise (the page is walked first);
// the sizes are read only for a filter with hubs of its own, on a scope
// that does not nest (places are read grouped or walked).
func (s *Store) walkless(ctx context.Context, q plan.MeasureQuery, scopes []string) (pick int, ok bool, err error) {
	if q.CountOnly {
		return 0, false, nil
	}
	mp, err := newMeasurePlan(q, scopes)
	if err != nil {
		return 0, false, err
	}
	if mp.scopeOnly() {
		return 0, true, nil
	}
	if mp.def.closure || len(mp.anchorSizes(true)) == 1 {
		return 0, false, nil
	}
	names, sizes, err := s.anchorSizesOf(ctx, mp, true)
	if err != nil {
		return 0, false, fmt.Errorf("size the anchors of %d %s scopes: %w", len(scopes), q.Scope, err)
	}
	pick, ok = mp.walklessPick(names, sizes, scopes)
	return pick, ok, nil
}

// scopeOnly reports whether the page is read from its scope's own index
// (anchor 0) at once: the filter has no hubs of its own, so that index is
// the only read there is, and per-row conditions (a section, aspect or
// status number the walk cannot seek) it could give up on. Read in order,
// filtered as it streams, up to the page, it never gives up, where the
// walk would give up on a sparse condition and the same index be read
// again: two texts for Neo4j to plan and two round trips (a project's
// measures of one aspect in section order at 100,000 measures: 171 + 101
// ms on a first read). A scope that nests (places) is walked.
func (mp *measurePlan) scopeOnly() bool {
	return !mp.q.CountOnly && !mp.def.closure && len(mp.preds) > 0 && len(mp.anchorSizes(true)) == 1
}

// walklessPick is walkless's choice, given the sizes of every kind of
// anchor of the scopes (sizesQuery's names, walkHubs set).
func (mp *measurePlan) walklessPick(names []string, sizes map[string][]int64, scopes []string) (pick int, ok bool) {
	picks, _ := mp.choose(names, sizes, scopes)
	if len(picks) != 1 {
		return 0, false
	}
	for p := range picks {
		pick = p
	}
	if pick >= len(mp.anchors) || mp.anchors[pick].name == "scope" || (mp.anchors[pick].est != "" && !mp.anchors[pick].exact) {
		// The scope's own measures: what the walk reads. Or a text or
		// events, whose size is a guess: a text read from the index once
		// a walk gave up is rare, but one chosen before any walk may not
		// be ("harbour": 10,070 measures, read and sorted in 46 ms where
		// the walk of a plan in title order found the page in 20).
		return 0, false
	}
	own := "scan"
	if mp.def.rel != "" {
		own = "scope"
	}
	at := map[string]int{}
	for i, n := range names {
		at[n] = i
	}
	a := mp.anchors[pick]
	budget, _ := mp.p["budget"].(int64)
	limit, _ := mp.p["limit"].(int64)
	for _, scope := range scopes {
		ns, known := sizes[scope]
		if !known {
			return 0, false
		}
		n := ns[at[a.name]]
		if n > budget && n*budget >= limit*ns[at[own]] {
			return 0, false
		}
	}
	return pick, true
}

// totalPick is the anchor q's total is counted from, when its page's query
// can count it from one anchor chosen for all of scopes (anchorPicks,
// walkHubs unset), or -1: the total is a count the graph keeps, has one
// anchor only, or the scopes choose differently (countApart counts it).
func (s *Store) totalPick(ctx context.Context, q plan.MeasureQuery, scopes []string) (int, error) {
	if !q.WantTotal {
		return -1, nil
	}
	mp, err := newMeasurePlan(q, scopes)
	if err != nil {
		return -1, err
	}
	var kept strings.Builder
	if mp.keptTotal(&kept) || len(mp.anchorSizes(false)) == 1 {
		return -1, nil
	}
	picks, err := s.anchorPicks(ctx, q, scopes, false)
	if err != nil || len(picks) != 1 {
		return -1, err
	}
	for pick := range picks {
		return pick, nil
	}
	return -1, nil
}

// sizesQuery is the query of how many measures every kind of anchor a
// page of mp's scope could be read from holds, per scope: the scope's
// own (scope, or scan for a property scope or all measures), and the
// hubs of every relationship filter, those mp's filter does not have
// sized over no hub (or, for years, every milestone) and ignored
// (walkHubs as anchored's: a page's scope or a count's). names
// says which anchor each size is. The text depends only on the scope, so
// that Neo4j plans it once for every filter of a scope's pages, not once
// per filter.
func (mp *measurePlan) sizesQuery(walkHubs bool) (cypher string, params map[string]any, names []string) {
	every := *mp
	every.anchors, every.preds = nil, nil
	every.p = maps.Clone(mp.p)
	blank, year, number := "", 0, 1
	every.q.Filter = plan.MeasureCriteria{Section: &number, Sectors: []string{blank}, Projects: []string{blank}, Places: []string{blank},
		MilestoneYearMin: &year, Event: &plan.EventCriteria{}, Text: new("text")}
	every.filters()
	var sizes []string
	for _, a := range every.anchors {
		names, sizes = append(names, a.name), append(sizes, a.size())
	}
	if own := mp.anchorSizes(walkHubs); mp.def.rel == "" {
		names, sizes = append(names, "scan"), append(sizes, own[len(own)-1])
	}
	cypher = "UNWIND $scopes AS scope\nWITH scope, " + mp.scExpr + " AS sc\nRETURN scope, [" + strings.Join(sizes, ", ") + "] AS sizes"
	// The parameters the text names, and those alone: the page's cursor,
	// size and order are no part of the sizes (nor of the key they are
	// kept by), so every page of a filter finds them kept.
	params = map[string]any{}
	for _, m := range paramName.FindAllStringSubmatch(cypher, -1) {
		if v, ok := mp.p[m[1]]; ok {
			params[m[1]] = v
		}
	}
	for _, k := range []string{"sectors", "projects", "places"} {
		if _, ok := params[k]; !ok {
			params[k] = []string{}
		}
	}
	for _, k := range []string{"ymin", "ymax", "section", "aspect"} {
		if _, ok := params[k]; !ok && strings.Contains(cypher, "$"+k) {
			params[k] = nil
		}
	}
	return cypher, params, names
}

// paramName matches a parameter in Cypher text ($name) and captures its name.
var paramName = regexp.MustCompile(`\$([A-Za-z_][A-Za-z0-9_]*)`)

// scanPage reads the rows and total of one scope's page from rec, and
// whether the page fell short (writePage).
func scanPage(rec *neo4j.Record, q plan.MeasureQuery) (*plan.MeasurePage, bool, error) {
	page, err := scanPageRows(rec, q)
	if err != nil {
		return nil, false, err
	}
	short, err := recordValue[bool](rec, "short")
	if err != nil {
		return nil, false, err
	}
	return page, short, nil
}

func scanPageRows(rec *neo4j.Record, q plan.MeasureQuery) (*plan.MeasurePage, error) {
	limit := plan.DefaultPageSize
	if q.First != nil {
		limit = *q.First
	}
	if q.Last != nil {
		limit = *q.Last
	}
	rows, err := recordValue[[]any](rec, "rows")
	if err != nil {
		return nil, err
	}
	total, err := recordValue[int64](rec, "total")
	if err != nil {
		return nil, err
	}
	page := &plan.MeasurePage{TotalCount: int(total)}
	more := len(rows) > limit
	if more {
		rows = rows[:limit]
	}
	if len(q.Prefetch) > 0 {
		page.Related = plan.Prefetched{}
	}
	for i, r := range rows {
		row, ok := r.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("row %d is a %T, not a map", i, r)
		}
		props, err := nodeProps(row["node"])
		if err != nil {
			return nil, err
		}
		m, err := measureOf(props)
		if err != nil {
			return nil, fmt.Errorf("row %d: %w", i, err)
		}
		page.Measures = append(page.Measures, m)
		if len(q.Prefetch) > 0 {
			if err := scanPrefetched(m.ID, row["rel"], q.Prefetch, page.Related); err != nil {
				return nil, fmt.Errorf("prefetched: %w", err)
			}
		}
		keys, ok := row["keys"].([]any)
		if !ok {
			return nil, fmt.Errorf("row %d: sort keys are a %T, not a list", i, row["keys"])
		}
		page.Keys = append(page.Keys, keys)
	}
	if q.Last != nil {
		reverse(page.Measures)
		reverse(page.Keys)
		page.HasPreviousPage = more
		page.HasNextPage = q.Before != nil
	} else {
		page.HasNextPage = more
		page.HasPreviousPage = q.After != nil
	}
	return page, nil
}

// recordValue is the value of column key of rec, of type T: a missing
// column or a value of another type is an error (a null is T's zero value).
func recordValue[T neo4j.RecordValue](rec *neo4j.Record, key string) (T, error) {
	v, isNil, err := neo4j.GetRecordValue[T](rec, key)
	if err != nil && !isNil {
		var zero T
		return zero, fmt.Errorf("column %s: %w", key, err)
	}
	return v, nil
}

func reverse[T any](s []T) {
	for i, j := 0, len(s)-1; i < j; i, j = i+1, j-1 {
		s[i], s[j] = s[j], s[i]
	}
}

func optInt(p *int) any {
	if p == nil {
		return nil
	}
	return int64(*p)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
