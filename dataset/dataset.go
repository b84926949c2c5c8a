// Package dataset is the in-memory form of a plan knowledge-graph file in the
// plankg/v1 format (documented in data/README.md, schema in
// data/plan.schema.json): a plan, its sections, aspects and measures, the
// projects, sectors, places and milestones they link to, and the sources that
// support every node and every link.
//
// Parse reads and validates a file; Synth makes a deterministic synthetic
// plan for scale tests. Both give a *Dataset that the loader writes to Neo4j.
// The package knows nothing about Neo4j.
package dataset

import "github.com/shenzhenplan/kgapi/plan"

// Format is the value of the file's `format` key.
const Format = "plankg/v1"

// Dataset is one parsed, validated file.
type Dataset struct {
	Sources    []Source
	Plans      []Plan
	Projects   []Project
	Sectors    []Sector
	Places     []Place
	Milestones []Milestone
	Events     []Event
	// Records holds the nodes of the kinds whose format derives from the
	// graph model (records.go), by kind.
	Records map[plan.Kind][]Record
}

// Source is a document that facts cite.
type Source struct {
	ID          string
	Title       string
	Publisher   string // "" when absent
	URL         string
	PublishedOn string // ISO date or ""
	File        string // path relative to the dataset file, or ""
	// Authority is how far the page can be trusted: AuthorityOfficial,
	// AuthorityMainstream or AuthorityRepost; "" for a bundled file.
	Authority string
}

// The authorities of a web source.
const (
	AuthorityOfficial   = "official"
	AuthorityMainstream = "mainstream"
	AuthorityRepost     = "repost"
)

// Web reports whether the source is a web page cited by claims: it has an
// authority and no bundled file to quote.
func (s Source) Web() bool { return s.File == "" && s.Authority != "" }

// Ref is a node's provenance: the source and either a verbatim excerpt of
// it (a bundled source) or a claim in our own words with the id of the
// public fact it rests on (a web page).
type Ref struct {
	Source  string
	Excerpt string
	Claim   string
	Fact    string // e.g. "F20"; "" when none
}

// Link is a relationship to another node by its slug (or code), with
// provenance as in Ref.
type Link struct {
	To      string
	Source  string
	Excerpt string
	Claim   string
	Fact    string
}

// Ref is the link's provenance.
func (l Link) Ref() Ref {
	return Ref{Source: l.Source, Excerpt: l.Excerpt, Claim: l.Claim, Fact: l.Fact}
}

// Plan is a plan with its sections.
type Plan struct {
	Slug                 string
	Title                string
	TitleZh              string
	Issuer               string
	Summary              string
	Goal                 string
	GoalYear             int // 0 when absent
	DeclaredMeasureCount int // 0 when absent
	Tranches             int // 0 when absent
	Domains              []string
	Parent               *Link // to a plan slug
	Milestones           []Link
	Sources              []Ref
	Sections             []Section
}

// Section is a numbered section of a plan.
type Section struct {
	Number   int
	Title    string
	Summary  string
	Sources  []Ref
	Measures []Measure
	Aspects  []Aspect
}

// Aspect is a numbered aspect of a section.
type Aspect struct {
	Number   int
	Title    string
	Summary  string
	Sources  []Ref
	Measures []Measure
}

// Measure statuses.
const (
	StatusPlanned    = "PLANNED"
	StatusInProgress = "IN_PROGRESS"
	StatusCompleted  = "COMPLETED"
	StatusUnknown    = "UNKNOWN"
)

// Measure is one measure of a plan: S<s>.M<n> or S<s>.A<a>.M<n>.
type Measure struct {
	Code        string
	Title       string
	TitleZh     string
	Description string
	Status      string // one of the Status constants; UNKNOWN when absent
	Projects    []Link
	Sectors     []Link
	Places      []Link
	Milestones  []Link
	Sources     []Ref
}

// Project is a named project that measures advance.
type Project struct {
	Slug        string
	Name        string
	NameZh      string
	Kind        string
	Description string
	Places      []Link
	Sectors     []Link
	Milestones  []Link // the project's target dates
	Sources     []Ref
}

// Sector is an economic or policy sector.
type Sector struct {
	Slug    string
	Name    string
	NameZh  string
	Sources []Ref
}

// Place is a place; Within names the place that contains it.
type Place struct {
	Slug    string
	Name    string
	NameZh  string
	Kind    string
	Within  *Link
	Sources []Ref
}

// Milestone is a target date.
type Milestone struct {
	Slug        string
	Year        int
	Date        string // ISO date or ""
	Approximate bool
	Label       string
	Sources     []Ref
}

// Event is a dated happening that public sources report about the plan,
// its measures, projects and places.
type Event struct {
	Slug  string
	Kind  string // one of EventKinds
	Title string
	// Date is "YYYY", "YYYY-MM" or "YYYY-MM-DD": only as precise as the
	// sources.
	Date     string
	DateNote string // why the date is implied or approximate, or ""
	// Target is the year a TARGET_SET (or DELAYED) event's target is for; 0 when none.
	Target     int
	Confirmed  bool
	Quantities []Quantity
	Measures   []string // codes, or "<plan slug>/<code>" when several plans use the code
	Projects   []string // slugs
	Places     []string // slugs
	Plans      []string // slugs
	Sources    []Ref
}

// Quantity is an amount an event reports.
type Quantity struct {
	Of    string
	Value float64
	Unit  string
}

// EventKinds lists the kinds of events.
var EventKinds = []string{"ANNOUNCED", "APPROVED", "ISSUED", "LAUNCHED", "IN_FORCE", "OPENED", "COMPLETED", "EXPANDED", "DELAYED", "TARGET_SET", "REPORTED"}
