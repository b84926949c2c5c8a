package plan

// The graph model: one table of what the knowledge graph holds — every kind
// of node with its properties and the fields they answer, every
// relationship type and which fields walk it. The lists that the store,
// the loader, the GraphQL layer and the exports need (labels, relationship
// types, traversals, indexes, the full-text index, field projections,
// export selections) are derived from it here or by its readers; nothing
// else names the vocabulary again. ARCHITECTURE.md says what to edit to
// add a kind or a field.

// PropType is the type of a stored property.
type PropType uint8

// The property types.
const (
	PropString  PropType = iota // a string; "" is stored as absent
	PropInt                     // an integer
	PropBool                    // a boolean
	PropStrings                 // a list of strings
	PropID                      // a string holding another node's id
)

// Prop is one stored property of a kind and the GraphQL field it answers,
// or a scalar field computed from elsewhere (Name "": a count, a citation's
// excerpt).
type Prop struct {
	// Name is the Neo4j property; "" for a computed field.
	Name string
	// Field is the GraphQL field that reads it; "" when no field reads it
	// alone (a property only the store uses).
	Field string
	Type  PropType
	// Search puts the property in the full-text index (Query.search).
	Search bool
	// Required: a data file must give it (kinds whose format derives from
	// the model, KindModel.Records).
	Required bool
}

// Edge is a field of a kind that reaches other nodes: through a
// relationship type (Type, outgoing unless In), through an id the node
// keeps (Ref, a to-one reference), or both.
type Edge struct {
	Field string
	// Type is the relationship type walked; "" for a reference only.
	Type string
	// In walks the relationship against its direction: (b)-[:Type]->(a).
	In bool
	To Kind
	// One marks a to-one field (at most one node).
	One bool
	// Order is the properties of the reached nodes that order them, after
	// which ties go by id.
	Order []string
	// Ref is the property of the node that holds the reached node's id,
	// when it keeps one: the field is answered without a walk.
	Ref string
	// Fanout is how many nodes a to-many field typically reaches from one
	// node (the mean, rounded up, on the bundled data and the
	// 100,000-measure synthetic plan): what the cost model charges per
	// parent (graph/cost.go).
	Fanout int
}

// relation is the edge's batched relation, "<Kind>.<field>".
func (e Edge) relation(k Kind) Relation { return RelationOf(k, e.Field) }

// KindModel is one kind of node.
type KindModel struct {
	Kind Kind
	// Key is the property holding the natural key (indexed): the slug, or
	// "" when the key is composite (a section by plan and number, a measure
	// by plan and code) or the id itself.
	Key   string
	Props []Prop
	Edges []Edge
	// Sourced kinds cite their sources (a sources field over SUPPORTED_BY,
	// each with the excerpt of the citation).
	Sourced bool
	// Computed are the fields that are neither props nor edges, answered by
	// resolvers from elsewhere (a connection, a history): they read no
	// stored property.
	Computed []string
	// Scope is the scope of the kind's measures connection; "" when the
	// kind has none.
	Scope Scope
	// ListOrder orders the kind's top-level list (Query.<kinds>); nil when
	// the kind is not listed on its own.
	ListOrder []string
	// Label is the property that names a node of the kind to people.
	Label string
	// Brief is the fields that name a node briefly where it is listed as
	// another node's link (a node page's links, the exports).
	Brief []string
	// Population is how many nodes of the kind a graph typically holds
	// (on the 100,000-measure synthetic plan): what the cost model charges
	// for the kind's top-level list.
	Population int
	// Nests is the relationship type by which a node of the kind lies
	// within another of the same kind; its measures connection holds the
	// measures of the nodes within it too. "" when the kind does not nest.
	Nests string
	// Records is the key of the kind's list in a data file when the file
	// format of the kind derives from this row (dataset/records.go): each
	// item gives the key, the stored properties by field name, each
	// outgoing relationship field as a list of cited links, and its
	// sources; the loader writes it, the validator checks it and the store
	// scans it from the row alone. "" for the kinds whose format
	// dataset/parse.go spells out.
	Records string
	// New makes an empty node of a Records kind, which the store fills
	// from the node's properties through its fields tagged `kg:"<property>"`
	// (`kg:"id"`: the id).
	New func() Node
	// Doc says in a sentence what a node of the kind is, where a reader
	// meets the kind without its GraphQL description (the export
	// vocabulary of a Records kind).
	Doc string
}

// RelationOf is the batched relation of kind k's field (an edge or the
// sources), as Traversals and PrefetchTargets name it.
func RelationOf(k Kind, field string) Relation { return Relation(string(k) + "." + field) }

// RecordKinds lists the kinds whose file format derives from the model, in
// the model's order.
func RecordKinds() []KindModel {
	var out []KindModel
	for _, k := range Model.Kinds {
		if k.Records != "" {
			out = append(out, k)
		}
	}
	return out
}

// LinkEdges are the edges of kind k that a data file gives as lists of
// links: the outgoing to-many relationship fields.
func (k KindModel) LinkEdges() []Edge {
	var out []Edge
	for _, e := range k.Edges {
		if e.Type != "" && !e.In && e.Ref == "" && !e.One {
			out = append(out, e)
		}
	}
	return out
}

// StoredProps are the properties of kind k that a data file gives: stored
// and answered by a field, the key first.
func (k KindModel) StoredProps() []Prop {
	var out []Prop
	for _, p := range k.Props {
		if p.Name != "" && p.Field != "" {
			out = append(out, p)
		}
	}
	return out
}

// RelType is one relationship type of the graph.
type RelType struct {
	Type string
	// From and To are the kinds it connects.
	From []Kind
	To   []Kind
	// Walk puts it in what neighbourhoods and paths follow (every fact but
	// provenance: every node cites the same few sources).
	Walk bool
	// Export puts it in an open-data export's links.
	Export bool
	Doc    string
}

// The relationship types of the graph.
const (
	RelTypeHasSection   = "HAS_SECTION"
	RelTypeHasAspect    = "HAS_ASPECT"
	RelTypePartOf       = "PART_OF"
	RelTypeAdvances     = "ADVANCES"
	RelTypeInSector     = "IN_SECTOR"
	RelTypeLocatedIn    = "LOCATED_IN"
	RelTypeWithin       = "WITHIN"
	RelTypeDueBy        = "DUE_BY"
	RelTypeHasMilestone = "HAS_MILESTONE"
	RelTypeParent       = "PARENT"
	RelTypeSupportedBy  = "SUPPORTED_BY"
	RelTypeConcerns     = "CONCERNS"
	RelTypeActedIn      = "ACTED_IN"
)

// SourcesFanout is how many sources a node typically cites (the cost of a
// sources field per node).
const SourcesFanout = 2

// Fields shared by several kinds.
var (
	slugProp   = Prop{Name: "slug", Field: "slug", Type: PropString}
	nameProps  = []Prop{{Name: "name", Field: "name", Type: PropString, Search: true}, {Name: "nameZh", Field: "nameZh", Type: PropString, Search: true}}
	byName     = []string{"name"}
	sourcesFor = []Kind{KindPlan, KindSection, KindAspect, KindMeasure, KindProject, KindSector, KindPlace, KindMilestone, KindEvent, KindOrganization}
)

func props(groups ...[]Prop) []Prop {
	var out []Prop
	for _, g := range groups {
		out = append(out, g...)
	}
	return out
}

// Model is the graph model: the kinds in the order the loader writes them
// (a kind after the kinds its references need), then the relationship
// types in the order the loader writes them.
var Model = struct {
	Kinds []KindModel
	Rels  []RelType
}{
	Kinds: []KindModel{
		{Kind: KindPlan, Key: "slug", Population: 3, Sourced: true, Scope: ScopePlan, Label: "title", Brief: []string{"slug", "title"},
			Props: []Prop{slugProp,
				{Name: "title", Field: "title", Type: PropString, Search: true},
				{Name: "titleZh", Field: "titleZh", Type: PropString, Search: true},
				{Name: "issuer", Field: "issuer", Type: PropString},
				{Name: "summary", Field: "summary", Type: PropString, Search: true},
				{Name: "goal", Field: "goal", Type: PropString},
				{Name: "goalYear", Field: "goalYear", Type: PropInt},
				{Name: "declaredMeasureCount", Field: "declaredMeasureCount", Type: PropInt},
				{Name: "tranches", Field: "tranches", Type: PropInt},
				{Name: "domains", Field: "domains", Type: PropStrings},
				{Field: "catalogedMeasureCount", Type: PropInt},
			},
			Edges: []Edge{
				{Field: "parent", Type: RelTypeParent, To: KindPlan, One: true, Order: []string{"slug"}},
				{Field: "sections", Type: RelTypeHasSection, To: KindSection, Order: []string{"number"}, Fanout: 3},
				{Field: "milestones", Type: RelTypeHasMilestone, To: KindMilestone, Order: []string{"year"}, Fanout: 3},
			},
			Computed: []string{"measures", "stats", "timeline"}},
		{Kind: KindSection, Sourced: true, Scope: ScopeSection, Label: "title", Brief: []string{"number", "title"},
			Props: []Prop{
				{Name: "number", Field: "number", Type: PropInt},
				{Name: "title", Field: "title", Type: PropString, Search: true},
				{Name: "summary", Field: "summary", Type: PropString, Search: true},
			},
			Edges: []Edge{
				{Field: "plan", Type: RelTypeHasSection, In: true, To: KindPlan, One: true, Order: []string{"slug"}, Ref: "plan"},
				{Field: "aspects", Type: RelTypeHasAspect, To: KindAspect, Order: []string{"number"}, Fanout: 3},
			},
			Computed: []string{"measures"}},
		{Kind: KindAspect, Sourced: true, Scope: ScopeAspect, Label: "title", Brief: []string{"number", "title"},
			Props: []Prop{
				{Name: "number", Field: "number", Type: PropInt},
				{Name: "title", Field: "title", Type: PropString, Search: true},
				{Name: "summary", Field: "summary", Type: PropString, Search: true},
			},
			Edges: []Edge{
				{Field: "section", Type: RelTypeHasAspect, In: true, To: KindSection, One: true, Order: []string{"number"}, Ref: "section"},
			},
			Computed: []string{"measures"}},
		{Kind: KindMeasure, Sourced: true, Label: "title", Brief: []string{"code", "title"},
			Props: []Prop{
				{Name: "code", Field: "code", Type: PropString, Search: true},
				{Name: "title", Field: "title", Type: PropString, Search: true},
				{Name: "titleZh", Field: "titleZh", Type: PropString, Search: true},
				{Name: "description", Field: "description", Type: PropString, Search: true},
				{Name: "status", Field: "status", Type: PropString},
			},
			Edges: []Edge{
				{Field: "plan", To: KindPlan, One: true, Ref: "plan"},
				{Field: "section", To: KindSection, One: true, Ref: "sectionId"},
				{Field: "aspect", To: KindAspect, One: true, Ref: "aspectId"},
				{Field: "projects", Type: RelTypeAdvances, To: KindProject, Order: byName, Fanout: 2},
				{Field: "sectors", Type: RelTypeInSector, To: KindSector, Order: byName, Fanout: 2},
				{Field: "places", Type: RelTypeLocatedIn, To: KindPlace, Order: byName, Fanout: 2},
				{Field: "milestones", Type: RelTypeDueBy, To: KindMilestone, Order: []string{"year"}, Fanout: 1},
			},
			Computed: []string{"statusHistory", "statusEvidence", "timeline"}},
		{Kind: KindProject, Key: "slug", Sourced: true, Scope: ScopeProject, ListOrder: []string{"name", "slug"}, Label: "name", Brief: []string{"slug", "name"},
			Props: props([]Prop{slugProp}, nameProps, []Prop{
				{Name: "kind", Field: "kind", Type: PropString},
				{Name: "description", Field: "description", Type: PropString, Search: true},
			}),
			Edges: []Edge{
				{Field: "places", Type: RelTypeLocatedIn, To: KindPlace, Order: byName, Fanout: 2},
				{Field: "sectors", Type: RelTypeInSector, To: KindSector, Order: byName, Fanout: 2},
				{Field: "milestones", Type: RelTypeDueBy, To: KindMilestone, Order: []string{"year"}, Fanout: 2},
			},
			Computed: []string{"measures", "timeline"}},
		{Kind: KindSector, Key: "slug", Population: 20, Sourced: true, Scope: ScopeSector, ListOrder: []string{"name", "slug"}, Label: "name", Brief: []string{"slug", "name"},
			Props: props([]Prop{slugProp}, nameProps),
			Edges: []Edge{
				{Field: "projects", Type: RelTypeInSector, In: true, To: KindProject, Order: byName, Fanout: 150},
			},
			Computed: []string{"measures"}},
		{Kind: KindPlace, Key: "slug", Population: 500, Sourced: true, Scope: ScopePlace, ListOrder: []string{"name", "slug"}, Label: "name", Brief: []string{"slug", "name"}, Nests: RelTypeWithin,
			Props: props([]Prop{slugProp}, nameProps, []Prop{{Name: "kind", Field: "kind", Type: PropString}}),
			Edges: []Edge{
				{Field: "within", Type: RelTypeWithin, To: KindPlace, One: true, Order: byName},
				{Field: "contains", Type: RelTypeWithin, In: true, To: KindPlace, Order: byName, Fanout: 2},
				{Field: "projects", Type: RelTypeLocatedIn, In: true, To: KindProject, Order: byName, Fanout: 7},
			},
			Computed: []string{"measures", "timeline"}},
		{Kind: KindMilestone, Key: "slug", Population: 31, Sourced: true, Scope: ScopeMilestone, ListOrder: []string{"year", "slug"}, Label: "label", Brief: []string{"year", "label"},
			Props: []Prop{slugProp,
				{Name: "year", Field: "year", Type: PropInt},
				{Name: "date", Field: "date", Type: PropString},
				{Name: "approximate", Field: "approximate", Type: PropBool},
				{Name: "label", Field: "label", Type: PropString, Search: true},
			},
			Computed: []string{"measures"}},
		{Kind: KindEvent, Key: "slug", Population: 100, Sourced: true, Label: "title", Brief: []string{"date", "title"},
			Props: []Prop{slugProp,
				{Name: "kind", Field: "kind", Type: PropString},
				{Name: "title", Field: "title", Type: PropString, Search: true},
				{Name: "date", Field: "date", Type: PropString},
				{Name: "precision", Field: "precision", Type: PropString},
				{Name: "dateNote", Field: "dateNote", Type: PropString},
				{Name: "targetYear", Field: "targetYear", Type: PropInt},
				{Name: "confirmed", Field: "confirmed", Type: PropBool},
				// quantities: a JSON list of {of, value, unit}.
				{Name: "quantities", Field: "quantities", Type: PropString},
				// The first and last day the date stands for: the timeline's
				// order and its date filter.
				{Name: "startDate", Type: PropString},
				{Name: "endDate", Type: PropString},
				// The ids of the plans it concerns, directly or through its
				// measures (written by the loader): a plan's timeline.
				{Name: "planIds", Type: PropStrings},
			},
			Edges: []Edge{
				{Field: "measures", Type: RelTypeConcerns, To: KindMeasure, Order: []string{"codeKey"}, Fanout: 2},
				{Field: "projects", Type: RelTypeConcerns, To: KindProject, Order: byName, Fanout: 1},
				{Field: "places", Type: RelTypeConcerns, To: KindPlace, Order: byName, Fanout: 1},
				{Field: "plans", Type: RelTypeConcerns, To: KindPlan, Order: []string{"slug"}, Fanout: 1},
				{Field: "organizations", Type: RelTypeActedIn, In: true, To: KindOrganization, Order: byName, Fanout: 1},
			}},
		{Kind: KindOrganization, Key: "slug", Population: 10, Sourced: true, ListOrder: []string{"name", "slug"}, Label: "name", Brief: []string{"slug", "name"},
			Records: "organizations", New: func() Node { return &Organization{} },
			Doc: "A body that acted in events of the plan's story (approved, issued, announced, opened): a government, a commission, a regulator, an exchange.",
			Props: []Prop{slugProp,
				{Name: "name", Field: "name", Type: PropString, Search: true, Required: true},
				{Name: "nameZh", Field: "nameZh", Type: PropString, Search: true},
				{Name: "level", Field: "level", Type: PropString},
			},
			Edges: []Edge{
				{Field: "events", Type: RelTypeActedIn, To: KindEvent, Order: []string{"startDate"}, Fanout: 2},
			}},
		{Kind: KindSource, Label: "title", Brief: []string{"title", "url"},
			Props: []Prop{
				{Name: "title", Field: "title", Type: PropString},
				{Name: "publisher", Field: "publisher", Type: PropString},
				{Name: "url", Field: "url", Type: PropString},
				{Name: "publishedOn", Field: "publishedOn", Type: PropString},
				{Name: "authority", Field: "authority", Type: PropString},
				{Name: "file", Type: PropString},
				{Field: "excerpt", Type: PropString},
				{Field: "claim", Type: PropString},
				{Field: "fact", Type: PropString},
			}},
	},
	Rels: []RelType{
		{Type: RelTypeHasSection, From: []Kind{KindPlan}, To: []Kind{KindSection}, Walk: true, Export: true, Doc: "a plan's sections"},
		{Type: RelTypeHasAspect, From: []Kind{KindSection}, To: []Kind{KindAspect}, Walk: true, Export: true, Doc: "a section's aspects"},
		{Type: RelTypePartOf, From: []Kind{KindMeasure}, To: []Kind{KindSection, KindAspect}, Walk: true, Export: true, Doc: "a measure's section or aspect"},
		{Type: RelTypeAdvances, From: []Kind{KindMeasure}, To: []Kind{KindProject}, Walk: true, Export: true, Doc: "a project a measure advances"},
		{Type: RelTypeInSector, From: []Kind{KindMeasure, KindProject}, To: []Kind{KindSector}, Walk: true, Export: true, Doc: "a measure's or project's sector"},
		{Type: RelTypeLocatedIn, From: []Kind{KindMeasure, KindProject}, To: []Kind{KindPlace}, Walk: true, Export: true, Doc: "where a measure or project is"},
		{Type: RelTypeWithin, From: []Kind{KindPlace}, To: []Kind{KindPlace}, Walk: true, Export: true, Doc: "the place a place lies within"},
		{Type: RelTypeDueBy, From: []Kind{KindMeasure, KindProject}, To: []Kind{KindMilestone}, Walk: true, Export: true, Doc: "a measure's or project's target date"},
		{Type: RelTypeHasMilestone, From: []Kind{KindPlan}, To: []Kind{KindMilestone}, Walk: true, Export: true, Doc: "a plan's target dates"},
		{Type: RelTypeParent, From: []Kind{KindPlan}, To: []Kind{KindPlan}, Walk: true, Export: true, Doc: "the plan a plan implements"},
		{Type: RelTypeConcerns, From: []Kind{KindEvent}, To: []Kind{KindMeasure, KindProject, KindPlace, KindPlan}, Walk: true, Export: true, Doc: "what an event concerns"},
		{Type: RelTypeActedIn, From: []Kind{KindOrganization}, To: []Kind{KindEvent}, Walk: true, Export: true, Doc: "an event an organisation acted in (approved, issued, announced, opened)"},
		{Type: RelTypeSupportedBy, From: sourcesFor, To: []Kind{KindSource}, Export: true, Doc: "a source citing a node, one per (node, source, excerpt)"},
	},
}

// Kinds lists every node kind, in the model's order.
var Kinds = func() []Kind {
	out := make([]Kind, len(Model.Kinds))
	for i, k := range Model.Kinds {
		out[i] = k.Kind
	}
	return out
}()

// KindOf is the model of kind k.
func KindOf(k Kind) (KindModel, bool) {
	for _, m := range Model.Kinds {
		if m.Kind == k {
			return m, true
		}
	}
	return KindModel{}, false
}

// RelTypes lists the relationship types, in the order the loader writes them.
func RelTypes() []string {
	out := make([]string, len(Model.Rels))
	for i, r := range Model.Rels {
		out[i] = r.Type
	}
	return out
}

// WalkedRelTypes lists the relationship types neighbourhoods and paths follow.
func WalkedRelTypes() []string { return relTypesWhere(func(r RelType) bool { return r.Walk }) }

// ExportedRelTypes lists the relationship types an export's links hold.
func ExportedRelTypes() []string { return relTypesWhere(func(r RelType) bool { return r.Export }) }

func relTypesWhere(keep func(RelType) bool) []string {
	var out []string
	for _, r := range Model.Rels {
		if keep(r) {
			out = append(out, r.Type)
		}
	}
	return out
}

// Traversal is a batched relation as the store runs it: from nodes of kind
// From through relationship Type (against its direction when In) to nodes
// of kind To, ordered by Order of the reached node then by id; Cites is
// set for a sources relation, whose relationships carry the excerpt.
type Traversal struct {
	From, To Kind
	Type     string
	In       bool
	Order    []string
	Cites    bool
}

// Traversals is every relation the store walks, derived from the model:
// each edge with a relationship type, and the sources of each sourced kind.
var Traversals = func() map[Relation]Traversal {
	out := map[Relation]Traversal{}
	for _, k := range Model.Kinds {
		for _, e := range k.Edges {
			if e.Type == "" {
				continue
			}
			out[e.relation(k.Kind)] = Traversal{From: k.Kind, To: e.To, Type: e.Type, In: e.In, Order: e.Order}
		}
		if k.Sourced {
			out[Relation(string(k.Kind)+".sources")] = Traversal{From: k.Kind, To: KindSource, Type: RelTypeSupportedBy, Order: []string{"id"}, Cites: true}
		}
	}
	return out
}()

// PrefetchTargets lists the relations (and reference fields) a query may
// prefetch, with the kind of node each reaches.
var PrefetchTargets = func() map[Relation]Kind {
	out := map[Relation]Kind{}
	for rel, t := range Traversals {
		out[rel] = t.To
	}
	for _, k := range Model.Kinds {
		for _, e := range k.Edges {
			if e.Ref != "" {
				out[e.relation(k.Kind)] = e.To
			}
		}
	}
	return out
}()

// References are the prefetchable to-one fields held as an id on the node,
// with the property that holds it.
var References = func() map[Relation]string {
	out := map[Relation]string{}
	for _, k := range Model.Kinds {
		for _, e := range k.Edges {
			if e.Ref != "" {
				out[e.relation(k.Kind)] = e.Ref
			}
		}
	}
	return out
}()

// FieldProps maps, for each kind, every GraphQL field to the stored
// properties it reads: a property field reads itself, a reference its id
// property, a relationship or computed field none (the id is always
// brought).
var FieldProps = func() map[Kind]map[string][]string {
	out := map[Kind]map[string][]string{}
	for _, k := range Model.Kinds {
		m := map[string][]string{"id": nil}
		for _, p := range k.Props {
			switch {
			case p.Field == "":
			case p.Name == "":
				m[p.Field] = nil
			default:
				m[p.Field] = []string{p.Name}
			}
		}
		for _, e := range k.Edges {
			if e.Ref != "" {
				m[e.Field] = []string{e.Ref}
			} else {
				m[e.Field] = nil
			}
		}
		if k.Sourced {
			m["sources"] = nil
		}
		for _, f := range k.Computed {
			m[f] = nil
		}
		out[k.Kind] = m
	}
	return out
}()

// SearchIndexed is what the full-text index covers: the kinds with a
// searchable property, and the searchable properties of any kind, in the
// model's order.
func SearchIndexed() (kinds []Kind, props []string) {
	seen := map[string]bool{}
	for _, k := range Model.Kinds {
		in := false
		for _, p := range k.Props {
			if !p.Search {
				continue
			}
			in = true
			if !seen[p.Name] {
				seen[p.Name] = true
				props = append(props, p.Name)
			}
		}
		if in {
			kinds = append(kinds, k.Kind)
		}
	}
	return kinds, props
}

// MeasureScope is how the node of a measures connection's scope holds its
// measures: in a property of the measure that keeps the node's id (Prop:
// plan, section, aspect), or through the measure's relationship to it (Rel:
// project, sector, place, milestone), with the nodes within it when the
// kind nests (Nests).
type MeasureScope struct {
	Scope Scope
	Kind  Kind
	Prop  string
	Rel   string
	Nests string
}

// MeasureScopes lists the scopes of measures connections, in the model's
// order of kinds, derived from the Measure kind's edges to each kind with a
// scope. The whole graph (ScopeAll) is not among them.
var MeasureScopes = func() []MeasureScope {
	measure, _ := KindOf(KindMeasure)
	var out []MeasureScope
	for _, k := range Model.Kinds {
		if k.Scope == "" {
			continue
		}
		ms := MeasureScope{Scope: k.Scope, Kind: k.Kind, Nests: k.Nests}
		for _, e := range measure.Edges {
			if e.To != k.Kind {
				continue
			}
			if e.Ref != "" {
				ms.Prop = e.Ref
			} else {
				ms.Rel = e.Type
			}
		}
		out = append(out, ms)
	}
	return out
}()
