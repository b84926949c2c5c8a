package dataset

import (
	"slices"
	"strconv"

	"github.com/shenzhenplan/kgapi/plan"
)

// Counts is the number of nodes per label and relationships per type that a
// dataset gives in Neo4j. Every label and type of the model has an entry.
type Counts struct {
	Nodes map[string]int
	Rels  map[string]int
}

// Total is the number of nodes plus the number of relationships.
func (c Counts) Total() int {
	n := 0
	for _, v := range c.Nodes {
		n += v
	}
	for _, v := range c.Rels {
		n += v
	}
	return n
}

// Counts computes, from the dataset alone, how many nodes and relationships
// the loader writes for it. Nodes are identified as in the graph (plans,
// projects, sectors, places, milestones and sources by slug or id, sections
// by plan and number, aspects by section and number, measures by plan and
// code); links with the same ends and type collapse to one relationship, and
// SUPPORTED_BY is one per distinct (node, source, excerpt). Links to nodes
// that do not exist are not counted (a valid dataset has none).
func (d *Dataset) Counts() Counts {
	c := counter{
		ids:  map[string]map[string]int32{},
		rels: map[relKey]struct{}{},
		srcs: map[supportKey]struct{}{},
	}
	for _, k := range plan.Kinds {
		c.ids[string(k)] = map[string]int32{}
	}
	for _, s := range d.Sources {
		c.node(string(plan.KindSource), s.ID)
	}
	for _, p := range d.Projects {
		c.node(string(plan.KindProject), p.Slug)
	}
	for _, s := range d.Sectors {
		c.node(string(plan.KindSector), s.Slug)
	}
	for _, p := range d.Places {
		c.node(string(plan.KindPlace), p.Slug)
	}
	for _, m := range d.Milestones {
		c.node(string(plan.KindMilestone), m.Slug)
	}
	for _, p := range d.Plans {
		c.node(string(plan.KindPlan), p.Slug)
	}
	for _, e := range d.Events {
		c.node(string(plan.KindEvent), e.Slug)
	}
	c.recordNodes(d)

	for _, p := range d.Plans {
		pn := c.ids[string(plan.KindPlan)][p.Slug]
		if p.Parent != nil {
			c.link(relParent, pn, string(plan.KindPlan), p.Parent.To)
		}
		c.links(relHasMilestone, pn, string(plan.KindMilestone), p.Milestones)
		c.support(pn, p.Sources)
		for _, s := range p.Sections {
			sid := p.Slug + "/" + strconv.Itoa(s.Number)
			sn := c.node(string(plan.KindSection), sid)
			c.rel(relHasSection, pn, sn)
			c.support(sn, s.Sources)
			c.measures(p.Slug, sn, s.Measures)
			for _, a := range s.Aspects {
				an := c.node(string(plan.KindAspect), sid+"/"+strconv.Itoa(a.Number))
				c.rel(relHasAspect, sn, an)
				c.support(an, a.Sources)
				c.measures(p.Slug, an, a.Measures)
			}
		}
	}
	for _, p := range d.Projects {
		pn := c.ids[string(plan.KindProject)][p.Slug]
		c.links(relLocatedIn, pn, string(plan.KindPlace), p.Places)
		c.links(relInSector, pn, string(plan.KindSector), p.Sectors)
		c.links(relDueBy, pn, string(plan.KindMilestone), p.Milestones)
		c.support(pn, p.Sources)
	}
	for _, s := range d.Sectors {
		c.support(c.ids[string(plan.KindSector)][s.Slug], s.Sources)
	}
	for _, p := range d.Places {
		pn := c.ids[string(plan.KindPlace)][p.Slug]
		if p.Within != nil {
			c.link(relWithin, pn, string(plan.KindPlace), p.Within.To)
		}
		c.support(pn, p.Sources)
	}
	for _, m := range d.Milestones {
		c.support(c.ids[string(plan.KindMilestone)][m.Slug], m.Sources)
	}
	byCode := d.MeasureKeys()
	for _, e := range d.Events {
		en := c.ids[string(plan.KindEvent)][e.Slug]
		for _, ref := range e.Measures {
			if key, ok := byCode[ref]; ok {
				c.link(relConcerns, en, string(plan.KindMeasure), key)
			}
		}
		for _, to := range []struct {
			label string
			slugs []string
		}{{string(plan.KindProject), e.Projects}, {string(plan.KindPlace), e.Places}, {string(plan.KindPlan), e.Plans}} {
			for _, s := range to.slugs {
				c.link(relConcerns, en, to.label, s)
			}
		}
		c.support(en, e.Sources)
	}
	c.recordRels(d)

	out := Counts{Nodes: map[string]int{}, Rels: map[string]int{}}
	for l, ids := range c.ids {
		out.Nodes[l] = len(ids)
	}
	types := plan.RelTypes()
	for _, t := range types {
		out.Rels[t] = 0
	}
	for k := range c.rels {
		out.Rels[types[k.typ]]++
	}
	out.Rels[plan.RelTypeSupportedBy] = len(c.srcs)
	return out
}

// Indexes into plan.RelTypes(), for compact relationship keys.
var (
	relHasSection   = relIndex(plan.RelTypeHasSection)
	relHasAspect    = relIndex(plan.RelTypeHasAspect)
	relPartOf       = relIndex(plan.RelTypePartOf)
	relAdvances     = relIndex(plan.RelTypeAdvances)
	relInSector     = relIndex(plan.RelTypeInSector)
	relLocatedIn    = relIndex(plan.RelTypeLocatedIn)
	relWithin       = relIndex(plan.RelTypeWithin)
	relDueBy        = relIndex(plan.RelTypeDueBy)
	relHasMilestone = relIndex(plan.RelTypeHasMilestone)
	relParent       = relIndex(plan.RelTypeParent)
	relConcerns     = relIndex(plan.RelTypeConcerns)
)

func relIndex(typ string) uint8 {
	return uint8(slices.Index(plan.RelTypes(), typ))
}

// counter collects distinct nodes, numbered in the order first seen, and
// distinct relationships between them.
type counter struct {
	ids  map[string]map[string]int32 // label → node id → number
	rels map[relKey]struct{}
	srcs map[supportKey]struct{}
	next int32 // number of the next new node
}

type relKey struct {
	typ      uint8
	from, to int32
}

type supportKey struct {
	node, source int32
	excerpt      string
}

// node adds (once) the node of label with id and returns its number.
func (c *counter) node(label, id string) int32 {
	ids := c.ids[label]
	if n, ok := ids[id]; ok {
		return n
	}
	n := c.next
	c.next++
	ids[id] = n
	return n
}

func (c *counter) rel(typ uint8, from, to int32) { c.rels[relKey{typ, from, to}] = struct{}{} }

// link adds a relationship to the node of label toLabel with id to, if it exists.
func (c *counter) link(typ uint8, from int32, toLabel, to string) {
	if n, ok := c.ids[toLabel][to]; ok {
		c.rel(typ, from, n)
	}
}

func (c *counter) links(typ uint8, from int32, toLabel string, ls []Link) {
	for _, l := range ls {
		c.link(typ, from, toLabel, l.To)
	}
}

func (c *counter) support(node int32, rs []Ref) {
	for _, r := range rs {
		if n, ok := c.ids[string(plan.KindSource)][r.Source]; ok {
			c.srcs[supportKey{node, n, r.Excerpt + "\x00" + r.Claim}] = struct{}{}
		}
	}
}

// measures adds the measures of a section or aspect (container) of a plan.
func (c *counter) measures(planSlug string, container int32, ms []Measure) {
	for _, m := range ms {
		mn := c.node(string(plan.KindMeasure), planSlug+"/"+m.Code)
		c.rel(relPartOf, mn, container)
		c.links(relAdvances, mn, string(plan.KindProject), m.Projects)
		c.links(relInSector, mn, string(plan.KindSector), m.Sectors)
		c.links(relLocatedIn, mn, string(plan.KindPlace), m.Places)
		c.links(relDueBy, mn, string(plan.KindMilestone), m.Milestones)
		c.support(mn, m.Sources)
	}
}
