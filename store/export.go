package store

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/shenzhenplan/kgapi/plan"
)

// PlanExport is everything an open-data export of one plan holds: the plan,
// its parent, sections, aspects and measures, the projects, sectors, places
// (with the places they lie within) and milestones they link to, the events
// that concern any of these (the plan, its parent, measures, projects,
// places), the sources that support any of them, and the links among all of
// these with their provenance. Every list is in a deterministic order.
type PlanExport struct {
	Plan       *plan.Plan
	Parent     *plan.Plan        // nil when the plan has no parent
	Sections   []*plan.Section   // by number
	Aspects    []*plan.Aspect    // by section number, then number
	Measures   []*ExportMeasure  // in code order (S2.A10.M3 after S2.A9.M1)
	Projects   []*plan.Project   // by slug
	Sectors    []*plan.Sector    // by slug
	Places     []*plan.Place     // by slug
	Milestones []*plan.Milestone // by year, then slug
	Events     []*plan.Event     // by date (the first day it stands for), then slug
	Sources    []*plan.Source    // by id; Excerpt and Claim are nil (they live on the links)
	// Records are the nodes of the kinds whose format derives from the
	// model (plan.RecordKinds) linked to any node above (an organisation
	// that acted in one of its events), by kind in the model's order, then id.
	Records []plan.Node
	// Links are the relationships among the nodes above, ordered by the
	// position of their start node in the lists above, then type, then the
	// position of their end node, source and excerpt.
	Links []ExportLink

	nodes map[plan.ID]plan.Node
	out   map[exportKey][]ExportLink
}

// ExportMeasure is a measure with the numbers of its section and aspect.
type ExportMeasure struct {
	*plan.Measure
	SectionNumber int
	AspectNumber  int // 0 when the measure belongs to no aspect
}

// ExportLink is one relationship of the export: a fact with its provenance.
// SUPPORTED_BY links go from a node to a Source, with the excerpt that
// supports the node (a bundled document) or the claim in our words and the
// id of the public fact it rests on (a web page); the other links name the
// source of the fact in Source ("" for the structural HAS_SECTION,
// HAS_ASPECT and PART_OF, and for CONCERNS, whose event cites its sources).
type ExportLink struct {
	From    plan.ID
	Type    string // one of plan.RelTypes()
	To      plan.ID
	Source  plan.ID
	Excerpt string
	Claim   string
	Fact    string
}

type exportKey struct {
	from plan.ID
	typ  string
}

// Node returns the node of the export with the id, or nil.
func (e *PlanExport) Node(id plan.ID) plan.Node { return e.nodes[id] }

// Out returns the links of type typ that start at from, in the order of
// their end nodes.
func (e *PlanExport) Out(from plan.ID, typ string) []ExportLink { return e.out[exportKey{from, typ}] }

// exportNodesCypher finds every node of a plan's export in one query: the
// plan and its parent, sections, aspects, measures and milestones; the
// projects, sectors, places (and the places they lie within) and milestones
// the measures and projects link to; the events that concern the plan, its
// parent, measures, projects or places; the sources that support any of them
// or any link among them. The links that can carry provenance start at the
// plan, its measures, their projects and places, and end inside the export
// by construction (but for places more than eight levels up).
var exportNodesCypher = `MATCH (p:Plan {id: $plan})
WITH p,
  COLLECT { MATCH (p)-[:PARENT]->(x:Plan) RETURN x } AS parents,
  COLLECT { MATCH (p)-[:HAS_SECTION]->(x:Section) RETURN x } AS sections,
  COLLECT { MATCH (p)-[:HAS_SECTION]->(:Section)-[:HAS_ASPECT]->(x:Aspect) RETURN x } AS aspects,
  COLLECT { MATCH (x:Measure) WHERE x.plan = p.id RETURN x } AS measures,
  COLLECT { MATCH (p)-[:HAS_MILESTONE]->(x:Milestone) RETURN x } AS planMilestones
WITH p, parents, sections, aspects, measures, planMilestones,
  COLLECT { UNWIND measures AS a MATCH (a)-[:ADVANCES]->(x:Project) RETURN DISTINCT x } AS projects
WITH p, parents, sections, aspects, measures, planMilestones, projects,
  COLLECT { UNWIND measures + projects AS a MATCH (a)-[:IN_SECTOR]->(x:Sector) RETURN DISTINCT x } AS sectors,
  COLLECT { UNWIND measures AS a MATCH (a)-[:DUE_BY]->(x:Milestone) RETURN DISTINCT x } AS milestones,
  COLLECT { UNWIND measures + projects AS a MATCH (a)-[:LOCATED_IN]->(:Place)-[:WITHIN*0..8]->(x:Place) RETURN DISTINCT x } AS places
WITH p, parents, sections, aspects, measures, planMilestones, projects, sectors, milestones, places,
  COLLECT { UNWIND [p] + parents + measures + projects + places AS a MATCH (a)<-[:` + plan.RelTypeConcerns + `]-(x:Event) RETURN DISTINCT x } AS events
WITH p, parents, sections, aspects, measures, planMilestones, projects, sectors, milestones, places, events,
  ` + exportRecordsCypher() + ` AS records
WITH [p] + parents + sections + aspects + measures + planMilestones + projects + sectors + milestones + places + events + records AS nodes,
  [p] + measures + projects + places AS linkStarts
WITH nodes,
  COLLECT { UNWIND nodes AS a MATCH (a)-[:SUPPORTED_BY]->(x:Source) RETURN DISTINCT x } AS cited,
  COLLECT {
    UNWIND linkStarts AS a
    MATCH (a)-[r:` + graphRels + `]->()
    WHERE r.source IS NOT NULL
    MATCH (x:Source {id: $sourcePrefix + r.source})
    RETURN DISTINCT x
  } AS linkCited
UNWIND nodes + cited + linkCited AS n
WITH DISTINCT n
RETURN n AS node, CASE WHEN n:Plan THEN COUNT { (m:Measure {plan: n.id}) } END AS cataloged`

// exportVars are the lists of exportNodesCypher that hold each kind.
var exportVars = map[plan.Kind]string{
	plan.KindPlan: "[p] + parents", plan.KindSection: "sections", plan.KindAspect: "aspects",
	plan.KindMeasure: "measures", plan.KindProject: "projects", plan.KindSector: "sectors",
	plan.KindPlace: "places", plan.KindMilestone: "planMilestones + milestones", plan.KindEvent: "events",
}

// exportRecordsCypher collects the nodes of the kinds whose format derives
// from the model that one of their link fields joins to a node of the
// export, derived from the model's rows.
func exportRecordsCypher() string {
	var parts []string
	for _, k := range plan.RecordKinds() {
		for _, e := range k.LinkEdges() {
			from, ok := exportVars[e.To]
			if !ok {
				continue
			}
			parts = append(parts, "COLLECT { UNWIND "+from+" AS a MATCH (a)<-[:"+e.Type+"]-(x:"+string(k.Kind)+") RETURN DISTINCT x }")
		}
	}
	if len(parts) == 0 {
		return "[]"
	}
	return strings.Join(parts, " + ")
}

// exportLinksCypher returns the relationships that start at the given
// nodes; ExportPlan keeps those that end at one of them too.
var exportLinksCypher = `UNWIND $ids AS key
MATCH (a:Entity {id: key})-[r:` + strings.Join(plan.ExportedRelTypes(), "|") + `]->(b:Entity)
RETURN a.id AS from, type(r) AS type, b.id AS to, r.source AS source, r.excerpt AS excerpt, r.claim AS claim, r.fact AS fact`

// ExportPlan reads everything an open-data export of the plan with the slug
// holds, in two round trips whatever the size of the plan (one when there
// is no such plan: then it returns nil, nil).
func (s *Store) ExportPlan(ctx context.Context, planSlug string) (*PlanExport, error) {
	planID := plan.NewID(plan.KindPlan, planSlug)
	recs, err := s.read(ctx, exportNodesCypher, map[string]any{
		"plan": string(planID), "sourcePrefix": string(plan.NewID(plan.KindSource, "")),
	})
	if err != nil {
		return nil, fmt.Errorf("export plan %q: %w", planSlug, err)
	}
	if len(recs) == 0 {
		return nil, nil
	}
	e := &PlanExport{nodes: make(map[plan.ID]plan.Node, len(recs)), out: map[exportKey][]ExportLink{}}
	nums := map[plan.ID]measureNumbers{} // measures' own section and aspect numbers
	for _, rec := range recs {
		n, err := scanRecord(rec, "node")
		if err != nil {
			return nil, fmt.Errorf("export plan %q: %w", planSlug, err)
		}
		e.nodes[n.NodeID()] = n
		if n.NodeID().Kind() == plan.KindMeasure {
			props, err := recordNode(rec, "node")
			if err != nil {
				return nil, fmt.Errorf("export plan %q: %w", planSlug, err)
			}
			p := &propReader{m: props}
			nums[n.NodeID()] = measureNumbers{section: p.int("sectionNumber"), aspect: p.int("aspectNumber")}
			if p.err != nil {
				return nil, fmt.Errorf("export plan %q: measure %s: %w", planSlug, n.NodeID(), p.err)
			}
		}
	}
	p, ok := e.nodes[planID].(*plan.Plan)
	if !ok {
		return nil, fmt.Errorf("export plan %q: the plan is missing from its own export", planSlug)
	}
	e.Plan = p

	ids := make([]string, 0, len(e.nodes))
	for id := range e.nodes {
		ids = append(ids, string(id))
	}
	sort.Strings(ids)
	recs, err = s.read(ctx, exportLinksCypher, map[string]any{"ids": ids})
	if err != nil {
		return nil, fmt.Errorf("export plan %q: links: %w", planSlug, err)
	}
	for _, rec := range recs {
		l, src, err := scanExportLink(rec)
		if err != nil {
			return nil, fmt.Errorf("export plan %q: links: %w", planSlug, err)
		}
		if e.nodes[l.To] == nil {
			continue // for example the parent plan's own sections
		}
		switch {
		case l.Type == plan.RelTypeSupportedBy:
			l.Source = l.To
		case src != "":
			l.Source = plan.NewID(plan.KindSource, src)
		}
		e.Links = append(e.Links, l)
	}
	e.arrange(nums)
	return e, nil
}

// measureNumbers are the section and aspect numbers a measure holds itself
// (0 when absent), for a measure whose section or aspect is not in the export.
type measureNumbers struct{ section, aspect int }

// scanExportLink reads a record of exportLinksCypher: the link without its
// Source, and the id of the source its relationship names ("" for none: the
// source and excerpt properties are optional on a relationship).
func scanExportLink(rec *neo4j.Record) (ExportLink, string, error) {
	var cols [7]string
	for i, k := range []string{"from", "type", "to", "source", "excerpt", "claim", "fact"} {
		v, err := recordValue[string](rec, k)
		if err != nil {
			return ExportLink{}, "", err
		}
		cols[i] = v
	}
	return ExportLink{From: plan.ID(cols[0]), Type: cols[1], To: plan.ID(cols[2]), Excerpt: cols[4], Claim: cols[5], Fact: cols[6]}, cols[3], nil
}

// arrange fills the typed lists from the nodes and puts everything in order.
func (e *PlanExport) arrange(nums map[plan.ID]measureNumbers) {
	var measures []*plan.Measure
	for id, n := range e.nodes {
		switch n := n.(type) {
		case *plan.Plan:
			if id != e.Plan.ID && (e.Parent == nil || id < e.Parent.ID) {
				e.Parent = n
			}
		case *plan.Section:
			e.Sections = append(e.Sections, n)
		case *plan.Aspect:
			e.Aspects = append(e.Aspects, n)
		case *plan.Measure:
			measures = append(measures, n)
		case *plan.Project:
			e.Projects = append(e.Projects, n)
		case *plan.Sector:
			e.Sectors = append(e.Sectors, n)
		case *plan.Place:
			e.Places = append(e.Places, n)
		case *plan.Milestone:
			e.Milestones = append(e.Milestones, n)
		case *plan.Event:
			e.Events = append(e.Events, n)
		case *plan.Source:
			e.Sources = append(e.Sources, n)
		default:
			e.Records = append(e.Records, n)
		}
	}
	order := map[plan.Kind]int{}
	for i, k := range plan.Kinds {
		order[k] = i
	}
	sort.Slice(e.Records, func(i, j int) bool {
		a, b := e.Records[i].NodeID(), e.Records[j].NodeID()
		if order[a.Kind()] != order[b.Kind()] {
			return order[a.Kind()] < order[b.Kind()]
		}
		return a < b
	})
	secNum := map[plan.ID]int{}
	for _, s := range e.Sections {
		secNum[s.ID] = s.Number
	}
	sort.Slice(e.Sections, func(i, j int) bool { return e.Sections[i].Number < e.Sections[j].Number })
	sort.Slice(e.Aspects, func(i, j int) bool {
		a, b := e.Aspects[i], e.Aspects[j]
		if secNum[a.SectionID] != secNum[b.SectionID] {
			return secNum[a.SectionID] < secNum[b.SectionID]
		}
		return a.Number < b.Number
	})
	aspNum := map[plan.ID]int{}
	for _, a := range e.Aspects {
		aspNum[a.ID] = a.Number
	}
	for _, m := range measures {
		em := &ExportMeasure{Measure: m, SectionNumber: secNum[m.SectionID]}
		if em.SectionNumber == 0 {
			em.SectionNumber = nums[m.ID].section
		}
		if m.AspectID != nil {
			em.AspectNumber = aspNum[*m.AspectID]
			if em.AspectNumber == 0 {
				em.AspectNumber = nums[m.ID].aspect
			}
		}
		e.Measures = append(e.Measures, em)
	}
	sort.Slice(e.Measures, func(i, j int) bool {
		a, b := CodeKey(e.Measures[i].Code), CodeKey(e.Measures[j].Code)
		if a != b {
			return a < b
		}
		return e.Measures[i].Code < e.Measures[j].Code
	})
	sort.Slice(e.Projects, func(i, j int) bool { return e.Projects[i].Slug < e.Projects[j].Slug })
	sort.Slice(e.Sectors, func(i, j int) bool { return e.Sectors[i].Slug < e.Sectors[j].Slug })
	sort.Slice(e.Places, func(i, j int) bool { return e.Places[i].Slug < e.Places[j].Slug })
	sort.Slice(e.Milestones, func(i, j int) bool {
		a, b := e.Milestones[i], e.Milestones[j]
		if a.Year != b.Year {
			return a.Year < b.Year
		}
		return a.Slug < b.Slug
	})
	sort.Slice(e.Events, func(i, j int) bool {
		a, b := eventStart(e.Events[i]), eventStart(e.Events[j])
		if a != b {
			return a < b
		}
		return e.Events[i].Slug < e.Events[j].Slug
	})
	sort.Slice(e.Sources, func(i, j int) bool { return e.Sources[i].ID < e.Sources[j].ID })

	e.orderLinks()
}

// orderLinks puts the links in the export's order (by the rank of their
// start node, type, the rank of their end, provenance) and indexes them
// by (start, type).
func (e *PlanExport) orderLinks() {
	// The rank of a node is its position in the export: plan, parent,
	// sections, aspects, measures, projects, sectors, places, milestones,
	// events, sources.
	rank := make(map[plan.ID]int, len(e.nodes))
	add := func(id plan.ID) { rank[id] = len(rank) }
	add(e.Plan.ID)
	if e.Parent != nil {
		add(e.Parent.ID)
	}
	for _, n := range e.Sections {
		add(n.ID)
	}
	for _, n := range e.Aspects {
		add(n.ID)
	}
	for _, n := range e.Measures {
		add(n.ID)
	}
	for _, n := range e.Projects {
		add(n.ID)
	}
	for _, n := range e.Sectors {
		add(n.ID)
	}
	for _, n := range e.Places {
		add(n.ID)
	}
	for _, n := range e.Milestones {
		add(n.ID)
	}
	for _, n := range e.Events {
		add(n.ID)
	}
	for _, n := range e.Sources {
		add(n.ID)
	}
	sort.Slice(e.Links, func(i, j int) bool {
		a, b := e.Links[i], e.Links[j]
		switch {
		case rank[a.From] != rank[b.From]:
			return rank[a.From] < rank[b.From]
		case a.Type != b.Type:
			return a.Type < b.Type
		case rank[a.To] != rank[b.To]:
			return rank[a.To] < rank[b.To]
		case a.Source != b.Source:
			return a.Source < b.Source
		case a.Excerpt != b.Excerpt:
			return a.Excerpt < b.Excerpt
		}
		return a.Claim < b.Claim
	})
	for _, l := range e.Links {
		k := exportKey{l.From, l.Type}
		e.out[k] = append(e.out[k], l)
	}
}

// eventStart is the first day an event's date stands for (the timeline's
// order: "2020" sorts with 2020-01-01), or its date when that is malformed.
func eventStart(ev *plan.Event) string {
	if first, _, _, err := plan.DateSpan(ev.Date); err == nil {
		return first
	}
	return ev.Date
}
