package plan

// Node is any node of the graph (the GraphQL Node interface).
type Node interface{ NodeID() ID }

// Plan is a plan: the Shenzhen action plan, its parent guideline, or a synthetic plan.
type Plan struct {
	ID                   ID
	Slug                 string
	Title                string
	TitleZh              *string
	Issuer               *string
	Summary              *string
	Goal                 *string
	GoalYear             *int
	DeclaredMeasureCount *int
	Tranches             *int
	Domains              []string
	// CatalogedMeasureCount is filled by Store.Plans only; the API counts on demand.
	CatalogedMeasureCount int
}

// Section is a numbered section of a plan.
type Section struct {
	ID      ID
	PlanID  ID
	Number  int
	Title   string
	Summary *string
}

// Aspect is a numbered aspect of a section.
type Aspect struct {
	ID        ID
	SectionID ID
	Number    int
	Title     string
	Summary   *string
}

// Status is a measure's status.
type Status string

// Measure statuses.
const (
	StatusPlanned    Status = "PLANNED"
	StatusInProgress Status = "IN_PROGRESS"
	StatusCompleted  Status = "COMPLETED"
	StatusUnknown    Status = "UNKNOWN"
)

// Statuses lists every status.
var Statuses = []Status{StatusPlanned, StatusInProgress, StatusCompleted, StatusUnknown}

// Measure is one measure of a plan.
type Measure struct {
	ID          ID
	PlanID      ID
	Code        string
	Title       string
	TitleZh     *string
	Description *string
	Status      Status
	SectionID   ID
	AspectID    *ID
}

// Project is a project that measures advance.
type Project struct {
	ID          ID
	Slug        string
	Name        string
	NameZh      *string
	Kind        *string
	Description *string
}

// Sector is a sector of the economy or of policy.
type Sector struct {
	ID     ID
	Slug   string
	Name   string
	NameZh *string
}

// Place is a place.
type Place struct {
	ID     ID
	Slug   string
	Name   string
	NameZh *string
	Kind   *string
}

// Milestone is a target date.
type Milestone struct {
	ID          ID
	Slug        string
	Year        int
	Date        *string
	Approximate bool
	Label       string
}

// Source is a document that supports facts. Reached from the fact it
// supports, Excerpt is the supporting phrase (a bundled source), or Claim
// the fact in our words and Fact its id in the list of public facts (a web
// page).
type Source struct {
	ID          ID
	Title       string
	Publisher   *string
	URL         *string
	PublishedOn *string
	Authority   *string
	Excerpt     *string
	Claim       *string
	Fact        *string
}

func (n *Plan) NodeID() ID      { return n.ID }
func (n *Section) NodeID() ID   { return n.ID }
func (n *Aspect) NodeID() ID    { return n.ID }
func (n *Measure) NodeID() ID   { return n.ID }
func (n *Project) NodeID() ID   { return n.ID }
func (n *Sector) NodeID() ID    { return n.ID }
func (n *Place) NodeID() ID     { return n.ID }
func (n *Milestone) NodeID() ID { return n.ID }
func (n *Source) NodeID() ID    { return n.ID }

// IsEntity marks the kinds that are Apollo Federation entities (gqlgen's
// fedruntime.Entity, the _Entity union's Go type).
func (n *Plan) IsEntity()    {}
func (n *Measure) IsEntity() {}
func (n *Project) IsEntity() {}
func (n *Sector) IsEntity()  {}
func (n *Place) IsEntity()   {}
