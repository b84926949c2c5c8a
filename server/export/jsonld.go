package export

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/shenzhenplan/kgapi/plan"
	"github.com/shenzhenplan/kgapi/store"
)

// JSONLDType is the media type of the JSON-LD export.
const JSONLDType = "application/ld+json"

// serveJSONLD answers GET /export/{plan}.jsonld.
func (h *handler) serveJSONLD(w http.ResponseWriter, r *http.Request, slug string) {
	e := h.loadPlan(w, r, slug)
	if e == nil {
		return
	}
	body, err := marshal(PlanJSONLD(e, h.base(r)))
	if err != nil {
		h.storeError(w, r, err)
		return
	}
	serveBody(w, r, JSONLDType, body)
}

// serveVocab answers GET /export/vocab: the terms of our own namespace.
func (h *handler) serveVocab(w http.ResponseWriter, r *http.Request) {
	body, err := marshal(Vocabulary(h.base(r)))
	if err != nil {
		h.storeError(w, r, err)
		return
	}
	serveBody(w, r, JSONLDType, body)
}

func marshal(doc any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("encode JSON-LD: %w", err)
	}
	return buf.Bytes(), nil
}

// IRI is the IRI of a node in the exports: ${base}/id/<global id>, which
// GET /id/ resolves.
func IRI(base string, id plan.ID) string { return base + "/id/" + id.Global() }

// VocabNS is the namespace of the few terms of our own (prefix kg:).
func VocabNS(base string) string { return base + "/export/vocab#" }

// Context is the JSON-LD context of the export: schema.org, SKOS, PROV and
// Dublin Core terms, and a few of our own under kg: (GET /export/vocab).
// Terms of type @id take IRIs as plain strings.
func Context(base string) map[string]any {
	ref := func(iri string) map[string]any { return map[string]any{"@id": iri, "@type": "@id"} }
	lang := func(iri, tag string) map[string]any { return map[string]any{"@id": iri, "@language": tag} }
	c := map[string]any{
		"schema":  "https://schema.org/",
		"skos":    "http://www.w3.org/2004/02/skos/core#",
		"prov":    "http://www.w3.org/ns/prov#",
		"dcterms": "http://purl.org/dc/terms/",
		"xsd":     "http://www.w3.org/2001/XMLSchema#",
		"kg":      VocabNS(base),

		"Dataset":       "schema:Dataset",
		"DataDownload":  "schema:DataDownload",
		"CreativeWork":  "schema:CreativeWork",
		"ConceptScheme": "skos:ConceptScheme",
		"Concept":       "skos:Concept",
		"Action":        "schema:Action",
		"Project":       "schema:Project",
		"Place":         "schema:Place",
		"DefinedTerm":   "schema:DefinedTerm",
		"Quotation":     "schema:Quotation",
		"Milestone":     "kg:Milestone",
		"Event":         "schema:Event",
		"PropertyValue": "schema:PropertyValue",
		"Derivation":    "prov:Derivation",

		"name":                 lang("schema:name", "en"),
		"nameZh":               lang("schema:name", "zh"),
		"prefLabel":            lang("skos:prefLabel", "en"),
		"prefLabelZh":          lang("skos:prefLabel", "zh"),
		"description":          lang("schema:description", "en"),
		"keywords":             lang("schema:keywords", "en"),
		"goal":                 lang("kg:goal", "en"),
		"identifier":           "schema:identifier",
		"notation":             "skos:notation",
		"position":             "schema:position",
		"creator":              "schema:creator",
		"publisher":            "schema:publisher",
		"datePublished":        map[string]any{"@id": "schema:datePublished", "@type": "xsd:date"},
		"endDate":              "schema:endDate",
		"goalYear":             map[string]any{"@id": "kg:goalYear", "@type": "xsd:gYear"},
		"declaredMeasureCount": "kg:declaredMeasureCount",
		"tranches":             "kg:tranches",
		"approximate":          "kg:approximate",
		"status":               "kg:status",
		"kind":                 "kg:kind",
		"text":                 "schema:text",
		"encodingFormat":       "schema:encodingFormat",
		"distribution":         "schema:distribution",
		"citation":             "schema:citation",
		"startDate":            "schema:startDate",
		"value":                "schema:value",
		"unitText":             "schema:unitText",
		"additionalProperty":   "schema:additionalProperty",
		"eventKind":            "kg:eventKind",
		"datePrecision":        "kg:datePrecision",
		"dateNote":             lang("kg:dateNote", "en"),
		"targetYear":           map[string]any{"@id": "kg:targetYear", "@type": "xsd:gYear"},
		"confirmed":            "kg:confirmed",
		"authority":            "kg:authority",
		"claim":                lang("kg:claim", "en"),
		"fact":                 "kg:fact",
		"qualifiedDerivation":  "prov:qualifiedDerivation",
		"entity":               map[string]any{"@id": "prov:entity", "@type": "@id"},

		"url":              ref("schema:url"),
		"contentUrl":       ref("schema:contentUrl"),
		"about":            ref("schema:about"),
		"inScheme":         ref("skos:inScheme"),
		"topConceptOf":     ref("skos:topConceptOf"),
		"hasTopConcept":    ref("skos:hasTopConcept"),
		"broader":          ref("skos:broader"),
		"isBasedOn":        ref("schema:isBasedOn"),
		"projects":         ref("schema:object"),
		"places":           ref("schema:location"),
		"sectors":          ref("dcterms:subject"),
		"milestones":       ref("kg:targetDate"),
		"containedInPlace": ref("schema:containedInPlace"),
		"isPartOf":         ref("schema:isPartOf"),
		"wasDerivedFrom":   ref("prov:wasDerivedFrom"),
		"actionStatus":     map[string]any{"@id": "schema:actionStatus", "@type": "@vocab"},
		"supports":         map[string]any{"@id": "kg:supports", "@type": "@vocab"},
	}
	// The kinds whose format derives from the graph model: their class,
	// and each property and link field recordNode writes, under kg:.
	for _, k := range plan.RecordKinds() {
		c[string(k.Kind)] = "kg:" + string(k.Kind)
		for _, f := range recordFields(k) {
			if _, taken := c[f]; !taken {
				c[f] = "kg:" + f
			}
		}
		for _, e := range k.LinkEdges() {
			if _, taken := c[e.Field]; !taken {
				c[e.Field] = ref("kg:" + e.Field)
			}
		}
	}
	return c
}

// recordFields are the property fields of a Records kind that recordNode
// writes as terms of their own: all but its key (identifier), its label
// (name) and its Chinese name (nameZh).
func recordFields(k plan.KindModel) []string {
	var out []string
	for _, p := range k.StoredProps() {
		if p.Name != k.Key && p.Name != k.Label && p.Field != "nameZh" {
			out = append(out, p.Field)
		}
	}
	return out
}

// linkTerm is the term of the context that states each kind of link; a
// quotation's "supports" names it.
var linkTerm = withRecordLinks(map[string]string{
	plan.RelTypeConcerns:     "about",
	plan.RelTypeAdvances:     "projects",
	plan.RelTypeInSector:     "sectors",
	plan.RelTypeLocatedIn:    "places",
	plan.RelTypeWithin:       "containedInPlace",
	plan.RelTypeDueBy:        "milestones",
	plan.RelTypeHasMilestone: "milestones",
	plan.RelTypeParent:       "isBasedOn",
})

// withRecordLinks adds to m the link fields of the kinds whose format
// derives from the graph model: their relationship type states the field.
func withRecordLinks(m map[string]string) map[string]string {
	for _, k := range plan.RecordKinds() {
		for _, e := range k.LinkEdges() {
			if _, ok := m[e.Type]; !ok {
				m[e.Type] = e.Field
			}
		}
	}
	return m
}

// actionStatus maps a measure's status onto schema.org's ActionStatusType.
var actionStatus = map[plan.Status]string{
	plan.StatusPlanned:    "schema:PotentialActionStatus",
	plan.StatusInProgress: "schema:ActiveActionStatus",
	plan.StatusCompleted:  "schema:CompletedActionStatus",
}

// PlanJSONLD is the JSON-LD document of an export: a schema:Dataset that
// describes the download, then the plan (a schema:CreativeWork and
// skos:ConceptScheme), its parent, sections and aspects (skos:Concept,
// skos:broader), measures (schema:Action and skos:Concept), projects,
// sectors, places, milestones, events (schema:Event: name, startDate, about
// the measures, projects, places and plans it concerns) and sources, in the
// export's order. Every
// node cites its sources: prov:wasDerivedFrom the source, and a
// schema:citation Quotation with the supporting excerpt (isPartOf the
// source); a quotation that supports a link names the linked node (about)
// and the link's term (supports).
func PlanJSONLD(e *store.PlanExport, base string) map[string]any {
	iri := func(id plan.ID) string { return IRI(base, id) }
	p := e.Plan
	docURL := base + "/export/" + p.Slug + ".jsonld"
	graph := []map[string]any{{
		"@id":   docURL,
		"@type": "Dataset",
		"name":  "Open-data export of “" + p.Title + "”",
		"about": iri(p.ID),
		"distribution": []map[string]any{
			{"@type": "DataDownload", "encodingFormat": JSONLDType, "contentUrl": docURL},
			{"@type": "DataDownload", "encodingFormat": "text/csv", "contentUrl": base + "/export/" + p.Slug + "/measures.csv"},
			{"@type": "DataDownload", "encodingFormat": "text/csv", "contentUrl": base + "/export/" + p.Slug + "/events.csv"},
		},
	}}
	add := func(n map[string]any) { graph = append(graph, n) }
	add(planNode(e, p, iri))
	if e.Parent != nil {
		add(planNode(e, e.Parent, iri))
	}
	sectionNumber := map[plan.ID]int{}
	for _, s := range e.Sections {
		sectionNumber[s.ID] = s.Number
		add(sectionNode(e, s, iri))
	}
	for _, a := range e.Aspects {
		add(aspectNode(e, a, sectionNumber[a.SectionID], iri))
	}
	for _, m := range e.Measures {
		add(measureNode(e, m, iri))
	}
	for _, pr := range e.Projects {
		add(projectNode(e, pr, iri))
	}
	for _, s := range e.Sectors {
		add(sectorNode(e, s, iri))
	}
	for _, pl := range e.Places {
		add(placeNode(e, pl, iri))
	}
	for _, ms := range e.Milestones {
		add(milestoneNode(e, ms, iri))
	}
	for _, ev := range e.Events {
		add(eventNode(e, ev, iri))
	}
	for _, r := range e.Records {
		add(recordNode(e, r, iri))
	}
	for _, s := range e.Sources {
		add(sourceNode(s, iri))
	}
	return map[string]any{"@context": Context(base), "@graph": graph}
}

// planNode is a plan: a schema:CreativeWork and a SKOS concept scheme
// whose top concepts are its sections.
func planNode(e *store.PlanExport, pl *plan.Plan, iri func(plan.ID) string) map[string]any {
	n := node(iri(pl.ID), []string{"CreativeWork", "ConceptScheme"})
	n["identifier"] = pl.Slug
	setText(n, "name", pl.Title)
	setText(n, "prefLabel", pl.Title)
	setPtr(n, "nameZh", pl.TitleZh)
	setPtr(n, "prefLabelZh", pl.TitleZh)
	setPtr(n, "creator", pl.Issuer)
	setPtr(n, "description", pl.Summary)
	setPtr(n, "goal", pl.Goal)
	if pl.GoalYear != nil {
		n["goalYear"] = strconv.Itoa(*pl.GoalYear)
	}
	if pl.DeclaredMeasureCount != nil {
		n["declaredMeasureCount"] = *pl.DeclaredMeasureCount
	}
	if pl.Tranches != nil {
		n["tranches"] = *pl.Tranches
	}
	if len(pl.Domains) > 0 {
		n["keywords"] = pl.Domains
	}
	if parents := targets(e, pl.ID, plan.RelTypeParent, iri); len(parents) > 0 {
		n["isBasedOn"] = one(parents)
	}
	setList(n, "hasTopConcept", targets(e, pl.ID, plan.RelTypeHasSection, iri))
	setList(n, "milestones", targets(e, pl.ID, plan.RelTypeHasMilestone, iri))
	cite(n, e, pl.ID, iri)
	return n
}

// sectionNode is a section: a top concept of its plan.
func sectionNode(e *store.PlanExport, s *plan.Section, iri func(plan.ID) string) map[string]any {
	n := node(iri(s.ID), []string{"Concept"})
	n["notation"] = "S" + strconv.Itoa(s.Number)
	n["position"] = s.Number
	setText(n, "name", s.Title)
	setText(n, "prefLabel", s.Title)
	setPtr(n, "description", s.Summary)
	n["inScheme"] = iri(e.Plan.ID)
	n["topConceptOf"] = iri(e.Plan.ID)
	cite(n, e, s.ID, iri)
	return n
}

// aspectNode is an aspect: a concept narrower than its section (number
// section).
func aspectNode(e *store.PlanExport, a *plan.Aspect, section int, iri func(plan.ID) string) map[string]any {
	n := node(iri(a.ID), []string{"Concept"})
	n["notation"] = "S" + strconv.Itoa(section) + ".A" + strconv.Itoa(a.Number)
	n["position"] = a.Number
	setText(n, "name", a.Title)
	setText(n, "prefLabel", a.Title)
	setPtr(n, "description", a.Summary)
	n["inScheme"] = iri(e.Plan.ID)
	n["broader"] = iri(a.SectionID)
	cite(n, e, a.ID, iri)
	return n
}

// measureNode is a measure: a schema:Action (its status as actionStatus)
// and a concept narrower than its section or aspect, with its links.
func measureNode(e *store.PlanExport, m *store.ExportMeasure, iri func(plan.ID) string) map[string]any {
	n := node(iri(m.ID), []string{"Action", "Concept"})
	n["identifier"] = m.Code
	n["notation"] = m.Code
	setText(n, "name", m.Title)
	setText(n, "prefLabel", m.Title)
	setPtr(n, "nameZh", m.TitleZh)
	setPtr(n, "prefLabelZh", m.TitleZh)
	setPtr(n, "description", m.Description)
	n["status"] = string(m.Status)
	if s, ok := actionStatus[m.Status]; ok {
		n["actionStatus"] = s
	}
	n["inScheme"] = iri(e.Plan.ID)
	if m.AspectID != nil {
		n["broader"] = iri(*m.AspectID)
	} else {
		n["broader"] = iri(m.SectionID)
	}
	setList(n, "projects", targets(e, m.ID, plan.RelTypeAdvances, iri))
	setList(n, "sectors", targets(e, m.ID, plan.RelTypeInSector, iri))
	setList(n, "places", targets(e, m.ID, plan.RelTypeLocatedIn, iri))
	setList(n, "milestones", targets(e, m.ID, plan.RelTypeDueBy, iri))
	if d := earliest(e, m.ID); d != nil {
		n["endDate"] = d
	}
	cite(n, e, m.ID, iri)
	return n
}

func projectNode(e *store.PlanExport, pr *plan.Project, iri func(plan.ID) string) map[string]any {
	n := node(iri(pr.ID), []string{"Project"})
	n["identifier"] = pr.Slug
	setText(n, "name", pr.Name)
	setPtr(n, "nameZh", pr.NameZh)
	setPtr(n, "kind", pr.Kind)
	setPtr(n, "description", pr.Description)
	setList(n, "places", targets(e, pr.ID, plan.RelTypeLocatedIn, iri))
	setList(n, "sectors", targets(e, pr.ID, plan.RelTypeInSector, iri))
	cite(n, e, pr.ID, iri)
	return n
}

func sectorNode(e *store.PlanExport, s *plan.Sector, iri func(plan.ID) string) map[string]any {
	n := node(iri(s.ID), []string{"DefinedTerm", "Concept"})
	n["identifier"] = s.Slug
	setText(n, "name", s.Name)
	setText(n, "prefLabel", s.Name)
	setPtr(n, "nameZh", s.NameZh)
	setPtr(n, "prefLabelZh", s.NameZh)
	cite(n, e, s.ID, iri)
	return n
}

func placeNode(e *store.PlanExport, pl *plan.Place, iri func(plan.ID) string) map[string]any {
	n := node(iri(pl.ID), []string{"Place"})
	n["identifier"] = pl.Slug
	setText(n, "name", pl.Name)
	setPtr(n, "nameZh", pl.NameZh)
	setPtr(n, "kind", pl.Kind)
	if within := targets(e, pl.ID, plan.RelTypeWithin, iri); len(within) > 0 {
		n["containedInPlace"] = one(within)
	}
	cite(n, e, pl.ID, iri)
	return n
}

func milestoneNode(e *store.PlanExport, ms *plan.Milestone, iri func(plan.ID) string) map[string]any {
	n := node(iri(ms.ID), []string{"Milestone"})
	n["identifier"] = ms.Slug
	setText(n, "name", ms.Label)
	n["endDate"] = milestoneDate(ms)
	n["approximate"] = ms.Approximate
	cite(n, e, ms.ID, iri)
	return n
}

// sourceNode is a source: a schema:CreativeWork with its publisher, page
// and date, and for a web page its authority.
func sourceNode(s *plan.Source, iri func(plan.ID) string) map[string]any {
	n := node(iri(s.ID), []string{"CreativeWork"})
	n["identifier"] = s.ID.Key()
	setText(n, "name", s.Title)
	setPtr(n, "publisher", s.Publisher)
	setPtr(n, "url", s.URL)
	setPtr(n, "datePublished", s.PublishedOn)
	if s.Authority != nil && *s.Authority != "" {
		n["authority"] = strings.ToUpper(*s.Authority) // as GraphQL's SourceAuthority
	}
	return n
}

// recordNode is a node of a kind whose format derives from the graph model
// (plan.RecordKinds), written from its row: a kg:<Kind> with its slug as
// identifier, its label as name, its other properties and its link fields
// under their field names (kg: terms of the context; nameZh is the Chinese
// name), and its citations.
func recordNode(e *store.PlanExport, n plan.Node, iri func(plan.ID) string) map[string]any {
	id := n.NodeID()
	k, _ := plan.KindOf(id.Kind())
	out := node(iri(id), []string{string(k.Kind)})
	props := plan.TaggedProps(n)
	for _, p := range k.StoredProps() {
		v, ok := props[p.Name]
		switch {
		case !ok:
		case p.Name == k.Key:
			out["identifier"] = v
		case p.Name == k.Label:
			out["name"] = v
		default: // nameZh, and the terms recordFields names
			out[p.Field] = v
		}
	}
	for _, ed := range k.LinkEdges() {
		setList(out, ed.Field, targets(e, id, ed.Type, iri))
	}
	cite(out, e, id, iri)
	return out
}

// recordTerms are the vocabulary's terms for the kinds whose format derives
// from the graph model: the class, and each property and link field that
// recordNode writes as a kg: term.
func recordTerms(term func(name, typ, label, comment string) map[string]any) []map[string]any {
	var out []map[string]any
	seen := map[string]bool{}
	for _, k := range plan.RecordKinds() {
		out = append(out, term(string(k.Kind), "rdfs:Class", strings.ToLower(string(k.Kind)), k.Doc))
		for _, f := range recordFields(k) {
			if !seen[f] {
				seen[f] = true
				out = append(out, term(f, "rdf:Property", f, "The "+f+" of a kg:"+string(k.Kind)+" (a stored property of the graph model)."))
			}
		}
		for _, ed := range k.LinkEdges() {
			if !seen[ed.Field] {
				seen[ed.Field] = true
				out = append(out, term(ed.Field, "rdf:Property", ed.Field, "The "+strings.ToLower(string(ed.To))+"s a kg:"+string(k.Kind)+" links to ("+ed.Type+")."))
			}
		}
	}
	return out
}

func node(id string, types []string) map[string]any {
	var t any = types
	if len(types) == 1 {
		t = types[0]
	}
	return map[string]any{"@id": id, "@type": t}
}

func setText(n map[string]any, k, v string) {
	if v != "" {
		n[k] = v
	}
}

func setPtr(n map[string]any, k string, v *string) {
	if v != nil && *v != "" {
		n[k] = *v
	}
}

func setList(n map[string]any, k string, v []string) {
	if len(v) > 0 {
		n[k] = v
	}
}

// one is the only value of a list, or the list when there are several.
func one(v []string) any {
	if len(v) == 1 {
		return v[0]
	}
	return v
}

// targets is the IRIs of the nodes that from links to with typ, in order.
func targets(e *store.PlanExport, from plan.ID, typ string, iri func(plan.ID) string) []string {
	var out []string
	for _, l := range e.Out(from, typ) {
		out = append(out, iri(l.To))
	}
	return out
}

// milestoneDate is a milestone's date (xsd:date) or year (xsd:gYear).
func milestoneDate(m *plan.Milestone) map[string]any {
	if m.Date != nil && *m.Date != "" {
		return map[string]any{"@value": *m.Date, "@type": "xsd:date"}
	}
	return map[string]any{"@value": strconv.Itoa(m.Year), "@type": "xsd:gYear"}
}

// earliest is the date of a measure's earliest milestone, or nil.
func earliest(e *store.PlanExport, id plan.ID) map[string]any {
	var best *plan.Milestone
	for _, l := range e.Out(id, plan.RelTypeDueBy) {
		if m, ok := e.Node(l.To).(*plan.Milestone); ok && (best == nil || m.Year < best.Year) {
			best = m
		}
	}
	if best == nil {
		return nil
	}
	return milestoneDate(best)
}

// eventNode is an event as a schema:Event: its title (name), its date
// (startDate, typed by its precision: xsd:date, xsd:gYearMonth or xsd:gYear),
// what it concerns (about: measures, projects, places, plans) and the
// amounts it reports (additionalProperty), with its sources (cite).
func eventNode(e *store.PlanExport, ev *plan.Event, iri func(plan.ID) string) map[string]any {
	n := node(iri(ev.ID), []string{"Event"})
	n["identifier"] = ev.Slug
	setText(n, "name", ev.Title)
	n["startDate"] = eventDate(ev)
	n["eventKind"] = string(ev.Kind)
	n["datePrecision"] = string(ev.Precision)
	setPtr(n, "dateNote", ev.DateNote)
	if ev.TargetYear != nil {
		n["targetYear"] = strconv.Itoa(*ev.TargetYear)
	}
	n["confirmed"] = ev.Confirmed
	if len(ev.Quantities) > 0 {
		qs := make([]map[string]any, len(ev.Quantities))
		for i, q := range ev.Quantities {
			qs[i] = map[string]any{"@type": "PropertyValue", "name": q.Of, "value": q.Value, "unitText": q.Unit}
		}
		n["additionalProperty"] = qs
	}
	setList(n, "about", targets(e, ev.ID, plan.RelTypeConcerns, iri))
	cite(n, e, ev.ID, iri)
	return n
}

// eventDate is an event's date typed by its precision.
func eventDate(ev *plan.Event) map[string]any {
	t := "xsd:date"
	switch ev.Precision {
	case plan.PrecisionYear:
		t = "xsd:gYear"
	case plan.PrecisionMonth:
		t = "xsd:gYearMonth"
	}
	return map[string]any{"@value": ev.Date, "@type": t}
}

// cite adds a node's provenance: the sources it and its links derive from
// (prov:wasDerivedFrom), the quotations that support them (schema:citation)
// and, for a web source cited by a claim in our words, a qualified
// derivation (prov:qualifiedDerivation: prov:entity the source, with the
// claim and the id of the public fact).
func cite(n map[string]any, e *store.PlanExport, id plan.ID, iri func(plan.ID) string) {
	var derived []string
	seen := map[plan.ID]bool{}
	var quotes, claims []map[string]any
	note := func(l store.ExportLink, term string) {
		if l.Source == "" {
			return
		}
		if !seen[l.Source] {
			seen[l.Source] = true
			derived = append(derived, iri(l.Source))
		}
		if l.Claim != "" {
			d := map[string]any{"@type": "Derivation", "entity": iri(l.Source), "claim": l.Claim}
			if l.Fact != "" {
				d["fact"] = l.Fact
			}
			if term != "" {
				d["about"] = iri(l.To)
				d["supports"] = term
			}
			claims = append(claims, d)
		}
		if l.Excerpt == "" {
			return
		}
		q := map[string]any{"@type": "Quotation", "text": l.Excerpt, "isPartOf": iri(l.Source)}
		if term != "" {
			q["about"] = iri(l.To)
			q["supports"] = term
		}
		quotes = append(quotes, q)
	}
	for _, l := range e.Out(id, plan.RelTypeSupportedBy) {
		note(l, "")
	}
	for _, typ := range plan.RelTypes() {
		term, ok := linkTerm[typ]
		if !ok {
			continue
		}
		for _, l := range e.Out(id, typ) {
			note(l, term)
		}
	}
	setList(n, "wasDerivedFrom", derived)
	if len(quotes) > 0 {
		n["citation"] = quotes
	}
	if len(claims) > 0 {
		n["qualifiedDerivation"] = claims
	}
}

// Vocabulary is the RDF description of the kg: terms (GET /export/vocab).
func Vocabulary(base string) map[string]any {
	ns := VocabNS(base)
	term := func(name, typ, label, comment string) map[string]any {
		return map[string]any{"@id": ns + name, "@type": typ, "rdfs:label": label, "rdfs:comment": comment}
	}
	return map[string]any{
		"@context": map[string]any{
			"rdf":  "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
			"rdfs": "http://www.w3.org/2000/01/rdf-schema#",
		},
		"@graph": append([]map[string]any{
			term("Milestone", "rdfs:Class", "milestone", "A target date of a plan or a measure: a year or a date, perhaps approximate."),
			term("targetDate", "rdf:Property", "target date", "The milestone a plan or a measure is due by."),
			term("status", "rdf:Property", "status", "The status of a measure: PLANNED, IN_PROGRESS, COMPLETED or UNKNOWN (schema:actionStatus gives the first three as schema.org ActionStatusType)."),
			term("kind", "rdf:Property", "kind", "The kind of a project or a place, in words (\"free trade zone\", \"district\")."),
			term("goal", "rdf:Property", "goal", "The goal a plan states."),
			term("goalYear", "rdf:Property", "goal year", "The year by which a plan means to reach its goal."),
			term("declaredMeasureCount", "rdf:Property", "declared measure count", "The number of measures a plan declares (the export holds those its sources name)."),
			term("tranches", "rdf:Property", "tranches", "The number of tranches in which a plan rolls out its measures."),
			term("approximate", "rdf:Property", "approximate", "True when a milestone's date is approximate."),
			term("supports", "rdf:Property", "supports", "The property of the link that a quotation or a qualified derivation supports; its schema:about names the linked node."),
			term("eventKind", "rdf:Property", "event kind", "What kind of happening a schema:Event is: ANNOUNCED, APPROVED, ISSUED, LAUNCHED, IN_FORCE, OPENED, COMPLETED, EXPANDED, DELAYED, TARGET_SET or REPORTED."),
			term("datePrecision", "rdf:Property", "date precision", "How precise an event's schema:startDate is: DAY, MONTH or YEAR (the sources say no more)."),
			term("dateNote", "rdf:Property", "date note", "Why an event's date is implied or approximate."),
			term("targetYear", "rdf:Property", "target year", "For a target set or moved: the year the target is for."),
			term("confirmed", "rdf:Property", "confirmed", "True when an official or mainstream source supports the event; false when only reposts do, or the source leaves doubt."),
			term("authority", "rdf:Property", "authority", "How far a web source can be trusted: OFFICIAL, MAINSTREAM or REPOST."),
			term("claim", "rdf:Property", "claim", "On a prov:Derivation: the fact its prov:entity (a web page) supports, in our own words, never copied from the page."),
			term("fact", "rdf:Property", "fact", "On a prov:Derivation: the id of the claim in the project's list of public facts (F20)."),
		}, recordTerms(term)...),
	}
}
