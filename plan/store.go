package plan

import (
	"context"
	"fmt"
	"strconv"
	"strings"
)

// Relation names a relationship field that the API resolves in batches: the
// allow-list of traversals the store knows how to run.
type Relation string

// The batched relations, "<Kind>.<field>".
const (
	RelPlanParent        Relation = "Plan.parent"
	RelPlanSections      Relation = "Plan.sections"
	RelPlanMilestones    Relation = "Plan.milestones"
	RelPlanSources       Relation = "Plan.sources"
	RelSectionPlan       Relation = "Section.plan"
	RelSectionAspects    Relation = "Section.aspects"
	RelSectionSources    Relation = "Section.sources"
	RelAspectSection     Relation = "Aspect.section"
	RelAspectSources     Relation = "Aspect.sources"
	RelMeasureProjects   Relation = "Measure.projects"
	RelMeasureSectors    Relation = "Measure.sectors"
	RelMeasurePlaces     Relation = "Measure.places"
	RelMeasureMilestone  Relation = "Measure.milestones"
	RelMeasureSources    Relation = "Measure.sources"
	RelProjectPlaces     Relation = "Project.places"
	RelProjectSectors    Relation = "Project.sectors"
	RelProjectSources    Relation = "Project.sources"
	RelSectorProjects    Relation = "Sector.projects"
	RelSectorSources     Relation = "Sector.sources"
	RelPlaceWithin       Relation = "Place.within"
	RelPlaceContains     Relation = "Place.contains"
	RelPlaceProjects     Relation = "Place.projects"
	RelPlaceSources      Relation = "Place.sources"
	RelMilestoneSources  Relation = "Milestone.sources"
	RelProjectMilestones Relation = "Project.milestones"
	RelEventMeasures     Relation = "Event.measures"
	RelEventProjects     Relation = "Event.projects"
	RelEventPlaces       Relation = "Event.places"
	RelEventPlans        Relation = "Event.plans"
	RelEventSources      Relation = "Event.sources"
)

// Store reads the knowledge graph. Every method that takes a slice of ids
// answers for all of them in one database round trip.
type Store interface {
	// ChangeLog reads the graph's change log (subscriptions, caches).
	ChangeLog
	// Timeline reads events.
	Timeline
	// Ping checks that the database answers.
	Ping(ctx context.Context) error
	// Nodes returns the nodes with the given ids; unknown ids are absent from the map.
	Nodes(ctx context.Context, ids []ID) (map[ID]Node, error)
	// Related returns, for each id, the nodes reached through rel, in the relation's order.
	Related(ctx context.Context, rel Relation, ids []ID) (map[ID][]Node, error)
	// Plans returns every plan, ordered by slug.
	Plans(ctx context.Context) ([]*Plan, error)
	// FindByKey returns the node of kind k with natural key key (a slug or
	// "<plan>/<code>"), or a nil Node, and in the same round trip what the
	// lookup asks to bring along.
	FindByKey(ctx context.Context, k Kind, key string, with Lookup) (Found, error)
	// FindMeasureByCode returns the measure with the code in the plan (any plan when plan is ""), or nil.
	FindMeasureByCode(ctx context.Context, plan, code string) (*Measure, error)
	// List returns every node of kind k (the kinds with a ListOrder in the
	// model), in that order, and in the same round trip what the lookup asks
	// to bring along for each.
	List(ctx context.Context, k Kind, with Lookup) (Listed, error)
	// Measures answers a measure connection for each of the scope ids (or for
	// the whole graph when q.Scope is ScopeAll): in one round trip, or a few
	// more whatever the number of scopes (the pages whose walk gave up, and
	// for many scopes the filter's sizes and a grouped count).
	Measures(ctx context.Context, q MeasureQuery, scopeIDs []ID) (map[ID]*MeasurePage, error)
	// Projects pages through projects ordered by slug.
	Projects(ctx context.Context, first int, afterSlug string) (*ProjectPage, error)
	// Search queries the full-text index.
	Search(ctx context.Context, text string, kinds []Kind, first int) ([]SearchHit, error)
	// Neighborhood returns the subgraph within depth hops of id, at most limit nodes.
	Neighborhood(ctx context.Context, id ID, depth, limit int) (*Subgraph, error)
	// Path returns one shortest path between two nodes, or nil.
	Path(ctx context.Context, from, to ID, maxDepth int) (*Subgraph, error)
	// CatalogedCounts counts the measures each plan holds.
	CatalogedCounts(ctx context.Context, ids []ID) (map[ID]int, error)
	// Stats counts measures and their distribution, for one plan or all ("").
	Stats(ctx context.Context, planSlug string) (*Stats, error)
}

// Scope is what a measure connection is taken over.
type Scope string

// The scopes of a measure connection.
const (
	ScopeAll       Scope = "all"
	ScopePlan      Scope = "plan"
	ScopeSection   Scope = "section"
	ScopeAspect    Scope = "aspect"
	ScopeProject   Scope = "project"
	ScopeSector    Scope = "sector"
	ScopePlace     Scope = "place"
	ScopeMilestone Scope = "milestone"
)

// MeasureCriteria narrows measures; fields combine with AND, values in a list with OR.
type MeasureCriteria struct {
	Section          *int
	Aspect           *int
	Sectors          []string // slugs
	Projects         []string // slugs
	Places           []string // slugs
	MilestoneYearMin *int
	MilestoneYearMax *int
	Statuses         []Status
	Text             *string // case-insensitive substring of code, title, titleZh or description
	// Event keeps the measures that at least one matching event concerns directly.
	Event *EventCriteria
}

// OrderField is a sort key of measures.
type OrderField string

// The sort keys of measures.
const (
	OrderCode          OrderField = "CODE"
	OrderTitle         OrderField = "TITLE"
	OrderSection       OrderField = "SECTION"
	OrderMilestoneYear OrderField = "MILESTONE_YEAR"
)

// Order is one sort key with its direction.
type Order struct {
	Field OrderField
	Desc  bool
}

// MeasureQuery is one measure connection request: scope, filter, order and a
// keyset page. After and Before are decoded cursors (the sort values of the
// measure they point at).
type MeasureQuery struct {
	Scope  Scope
	Filter MeasureCriteria
	Order  []Order // ties are always broken by code
	First  *int
	Last   *int
	After  []any
	Before []any
	// WantTotal asks for the total count of matching measures.
	WantTotal bool
	// CountOnly says that nothing reads the page (the connection selects
	// totalCount alone): the store reads no measure, only the total.
	CountOnly bool
	// Prefetch brings related nodes of the measures in the same round trip.
	Prefetch []Prefetch
	// Props, when set, are the only properties of the measures the query
	// needs (id is always brought); nil brings whole nodes.
	Props []string
}

// MeasurePage is one page of a measure connection.
type MeasurePage struct {
	Measures        []*Measure
	Keys            [][]any // the sort values of each measure, for its cursor
	HasNextPage     bool
	HasPreviousPage bool
	TotalCount      int
	// Related is what q.Prefetch brought.
	Related Prefetched
}

// ProjectPage is one page of projects.
type ProjectPage struct {
	Projects    []*Project
	HasNextPage bool
	TotalCount  int
}

// SearchHit is one full-text match.
type SearchHit struct {
	Node    Node
	Score   float64
	Snippet *string
}

// GraphNode and GraphEdge are a subgraph's elements, shaped for graph viewers.
type GraphNode struct {
	ID    ID
	Type  string
	Label string
}

// GraphEdge is a relationship between two nodes of a subgraph.
type GraphEdge struct {
	ID     string
	Source ID
	Target ID
	Type   string
}

// Subgraph is a set of nodes and the edges among them.
type Subgraph struct {
	Nodes     []GraphNode
	Edges     []GraphEdge
	Truncated bool
}

// Count is one bucket of a distribution.
type Count struct {
	Key   string
	Label string
	Count int
}

// Stats summarises a plan's measures.
type Stats struct {
	Measures        int
	Projects        int
	Sectors         int
	Places          int
	BySection       []Count
	ByAspect        []Count
	BySector        []Count
	ByMilestoneYear []Count
	ByStatus        []Count
}

// Prefetch asks a measure query to bring related nodes along in the same
// round trip: Rel from each measure, then Children from each node found.
// Rel is a Relation or a reference field ("Measure.section", "Measure.aspect",
// "Measure.plan", "Section.plan", "Aspect.section").
type Prefetch struct {
	Rel      Relation
	Children []Prefetch
	// Props, when set, are the only properties of the reached nodes the
	// query needs (id is always brought); nil brings whole nodes.
	Props []string
}

// Lookup is what a node lookup brings along in its round trip.
type Lookup struct {
	// Prefetch names the node's relations to bring.
	Prefetch []Prefetch
	// Measures, when set, is a page of the node's measures (q.Scope must be
	// the node's kind's scope).
	Measures *MeasureQuery
}

// Found is the answer to a lookup: Node is nil when there is no such node.
type Found struct {
	Node     Node
	Related  Prefetched
	Measures *MeasurePage
}

// Listed is the answer to a list: its nodes in the kind's list order, what
// the lookup's prefetch brought for them, and, when the lookup asked for
// measures, each node's page by node id.
type Listed struct {
	Nodes    []Node
	Related  Prefetched
	Measures map[ID]*MeasurePage
}

// Prefetched holds what a prefetch brought: for each relation, the nodes
// reached from each node id, in the relation's order.
type Prefetched map[Relation]map[ID][]Node

// PageKey identifies a measure query among those of one request: two
// queries with equal keys read the same page with the same selection. Its
// fields are canonical encodings of the query's parts (comparable, so that
// it can key a map).
type PageKey struct {
	Scope                        Scope
	Filter, Order, Page, Selects string
	Total, CountOnly             bool
}

// Key is q's PageKey.
func (q MeasureQuery) Key() PageKey {
	var f, o, p, sel strings.Builder
	opt := func(b *strings.Builder, v *int) {
		if v == nil {
			b.WriteString("-")
		} else {
			b.WriteString(strconv.Itoa(*v))
		}
		b.WriteByte(0)
	}
	list := func(b *strings.Builder, vs []string) {
		b.WriteString(strconv.Itoa(len(vs)))
		for _, v := range vs {
			b.WriteByte(1)
			b.WriteString(v)
		}
		b.WriteByte(0)
	}
	flt := q.Filter
	opt(&f, flt.Section)
	opt(&f, flt.Aspect)
	list(&f, flt.Sectors)
	list(&f, flt.Projects)
	list(&f, flt.Places)
	opt(&f, flt.MilestoneYearMin)
	opt(&f, flt.MilestoneYearMax)
	st := make([]string, len(flt.Statuses))
	for i, s := range flt.Statuses {
		st[i] = string(s)
	}
	list(&f, st)
	if flt.Text != nil {
		list(&f, []string{*flt.Text})
	} else {
		f.WriteString("-")
	}
	if e := flt.Event; e != nil {
		k := EventQuery{Filter: *e}.Key()
		c := strconv.Itoa(int(k.Confirmed))
		list(&f, []string{"event", k.Kinds, k.From, k.To, c})
	} else {
		f.WriteString("-")
	}
	for _, x := range q.Order {
		o.WriteString(string(x.Field))
		if x.Desc {
			o.WriteString(" DESC")
		}
		o.WriteByte(0)
	}
	opt(&p, q.First)
	opt(&p, q.Last)
	for _, c := range [][]any{q.After, q.Before} {
		if c == nil {
			p.WriteString("-")
		}
		for _, v := range c {
			fmt.Fprintf(&p, "%T:%v\x01", v, v)
		}
		p.WriteByte(0)
	}
	var prefetch func(ps []Prefetch)
	prefetch = func(ps []Prefetch) {
		for _, x := range ps {
			sel.WriteString(string(x.Rel))
			sel.WriteByte('[')
			list(&sel, x.Props)
			prefetch(x.Children)
			sel.WriteByte(']')
		}
	}
	prefetch(q.Prefetch)
	if q.Props == nil {
		sel.WriteString("*")
	} else {
		list(&sel, q.Props)
	}
	return PageKey{Scope: q.Scope, Filter: f.String(), Order: o.String(), Page: p.String(), Selects: sel.String(), Total: q.WantTotal, CountOnly: q.CountOnly}
}
