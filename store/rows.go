package store

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/shenzhenplan/kgapi/dataset"
	"github.com/shenzhenplan/kgapi/plan"
)

// nodeRow is one node to write: its id and properties (nil removes a property).
type nodeRow struct {
	ID    string
	Props map[string]any
	Hash  string
}

// relRow is one relationship to write.
type relRow struct {
	From, To, Source, Excerpt string
	// Claim and Fact cite a web page (SUPPORTED_BY, or a project's target
	// date): the claim in our words and the public fact it rests on.
	Claim, Fact string
	// Props are the link keys of a measure's link to a scope node (see
	// linkKeys); nil for other relationships. PropsHash is their hash.
	Props     map[string]any
	PropsHash string
}

func (r relRow) key(typ string) string {
	if typ == plan.RelTypeSupportedBy {
		if r.Claim != "" {
			return r.From + "|" + r.To + "|" + r.Excerpt + "|" + r.Claim
		}
		return r.From + "|" + r.To + "|" + r.Excerpt
	}
	return r.From + "|" + r.To
}

// Rows is a dataset turned into the nodes and relationships of the graph model.
type Rows struct {
	Dataset string
	Nodes   map[plan.Kind][]nodeRow
	Rels    map[string][]relRow
}

// NodeCount and RelCount are the numbers of distinct nodes and relationships.
func (r *Rows) NodeCount(k plan.Kind) int { return len(r.Nodes[k]) }
func (r *Rows) RelCount(typ string) int   { return len(r.Rels[typ]) }

// Total is the number of entities (nodes and relationships).
func (r *Rows) Total() int {
	n := 0
	for _, v := range r.Nodes {
		n += len(v)
	}
	for _, v := range r.Rels {
		n += len(v)
	}
	return n
}

// ToRows maps a dataset onto the graph model. name identifies the dataset
// (the file's stem): nodes and relationships remember it so that --prune
// removes only what this dataset wrote.
func ToRows(ds *dataset.Dataset, name string) *Rows {
	b := &rowBuilder{rows: &Rows{Dataset: name, Nodes: map[plan.Kind][]nodeRow{}, Rels: map[string][]relRow{}}, seenRel: map[string]bool{}}
	years := map[string]int{}
	for _, m := range ds.Milestones {
		years[m.Slug] = m.Year
	}
	for _, s := range ds.Sources {
		id := plan.NewID(plan.KindSource, s.ID)
		b.node(plan.KindSource, id, map[string]any{
			"title": s.Title, "publisher": str(s.Publisher), "url": str(s.URL),
			"publishedOn": str(s.PublishedOn), "file": str(s.File), "authority": str(s.Authority),
		})
	}
	for _, m := range ds.Milestones {
		id := plan.NewID(plan.KindMilestone, m.Slug)
		b.node(plan.KindMilestone, id, map[string]any{
			"slug": m.Slug, "year": int64(m.Year), "date": str(m.Date), "approximate": m.Approximate, "label": m.Label,
		})
		b.sources(id, m.Sources)
	}
	for _, s := range ds.Sectors {
		id := plan.NewID(plan.KindSector, s.Slug)
		b.node(plan.KindSector, id, map[string]any{"slug": s.Slug, "name": s.Name, "nameZh": str(s.NameZh)})
		b.sources(id, s.Sources)
	}
	for _, p := range ds.Places {
		id := plan.NewID(plan.KindPlace, p.Slug)
		b.node(plan.KindPlace, id, map[string]any{"slug": p.Slug, "name": p.Name, "nameZh": str(p.NameZh), "kind": str(p.Kind)})
		b.sources(id, p.Sources)
		if p.Within != nil {
			b.link(plan.RelTypeWithin, id, plan.KindPlace, *p.Within)
		}
	}
	for _, p := range ds.Projects {
		id := plan.NewID(plan.KindProject, p.Slug)
		b.node(plan.KindProject, id, map[string]any{
			"slug": p.Slug, "name": p.Name, "nameZh": str(p.NameZh), "kind": str(p.Kind), "description": str(p.Description),
		})
		b.sources(id, p.Sources)
		b.links(plan.RelTypeLocatedIn, id, plan.KindPlace, p.Places)
		b.links(plan.RelTypeInSector, id, plan.KindSector, p.Sectors)
		b.links(plan.RelTypeDueBy, id, plan.KindMilestone, p.Milestones)
	}
	for _, p := range ds.Plans {
		pid := plan.NewID(plan.KindPlan, p.Slug)
		var domains any
		if len(p.Domains) > 0 {
			domains = append([]string(nil), p.Domains...)
		}
		b.node(plan.KindPlan, pid, map[string]any{
			"slug": p.Slug, "title": p.Title, "titleZh": str(p.TitleZh), "issuer": str(p.Issuer),
			"summary": str(p.Summary), "goal": str(p.Goal), "goalYear": num(p.GoalYear),
			"declaredMeasureCount": num(p.DeclaredMeasureCount), "tranches": num(p.Tranches), "domains": domains,
		})
		b.sources(pid, p.Sources)
		if p.Parent != nil {
			b.link(plan.RelTypeParent, pid, plan.KindPlan, *p.Parent)
		}
		b.links(plan.RelTypeHasMilestone, pid, plan.KindMilestone, p.Milestones)
		for _, sec := range p.Sections {
			sid := plan.NewID(plan.KindSection, fmt.Sprintf("%s/S%d", p.Slug, sec.Number))
			b.node(plan.KindSection, sid, map[string]any{
				"plan": string(pid), "number": int64(sec.Number), "title": sec.Title, "summary": str(sec.Summary),
			})
			b.sources(sid, sec.Sources)
			b.rel(plan.RelTypeHasSection, string(pid), string(sid), "", "")
			for _, m := range sec.Measures {
				b.measure(pid, p.Slug, sid, sec.Number, "", 0, m, years)
			}
			for _, a := range sec.Aspects {
				aid := plan.NewID(plan.KindAspect, fmt.Sprintf("%s/S%d.A%d", p.Slug, sec.Number, a.Number))
				b.node(plan.KindAspect, aid, map[string]any{
					"plan": string(pid), "section": string(sid), "number": int64(a.Number), "title": a.Title, "summary": str(a.Summary),
				})
				b.sources(aid, a.Sources)
				b.rel(plan.RelTypeHasAspect, string(sid), string(aid), "", "")
				for _, m := range a.Measures {
					b.measure(pid, p.Slug, sid, sec.Number, aid, a.Number, m, years)
				}
			}
		}
	}
	measureKeys := ds.MeasureKeys()
	for _, e := range ds.Events {
		b.event(e, measureKeys)
	}
	for _, k := range plan.RecordKinds() {
		for _, r := range ds.Records[k.Kind] {
			b.record(k, r)
		}
	}
	return b.rows
}

// record adds a node of a kind whose format derives from the model: its
// stored properties (an absent one removed), its links and its sources.
func (b *rowBuilder) record(k plan.KindModel, r dataset.Record) {
	id := plan.NewID(k.Kind, r.Slug)
	props := map[string]any{}
	for _, p := range k.StoredProps() {
		props[p.Name] = r.Props[p.Name]
	}
	b.node(k.Kind, id, props)
	b.sources(id, r.Sources)
	for _, e := range k.LinkEdges() {
		b.links(e.Type, id, e.To, r.Links[e.Field])
	}
}

// event adds an event, what it concerns and its sources.
func (b *rowBuilder) event(e dataset.Event, measureKeys map[string]string) {
	id := plan.NewID(plan.KindEvent, e.Slug)
	first, last, precision, _ := plan.DateSpan(e.Date) // the dataset is valid
	var quantities any
	if len(e.Quantities) > 0 {
		qs := make([]map[string]any, len(e.Quantities))
		for i, q := range e.Quantities {
			qs[i] = map[string]any{"of": q.Of, "value": q.Value, "unit": q.Unit}
		}
		raw, _ := json.Marshal(qs)
		quantities = string(raw)
	}
	// planIds: the plans the event concerns, directly or through its
	// measures (a plan's timeline reads them without walking its measures).
	var planIDs []string
	for _, m := range e.Measures {
		if key, ok := measureKeys[m]; ok {
			slug, _, _ := strings.Cut(key, "/")
			planIDs = append(planIDs, string(plan.NewID(plan.KindPlan, slug)))
		}
	}
	for _, p := range e.Plans {
		planIDs = append(planIDs, string(plan.NewID(plan.KindPlan, p)))
	}
	slices.Sort(planIDs)
	planIDs = slices.Compact(planIDs)
	var plans any
	if len(planIDs) > 0 {
		plans = planIDs
	}
	b.node(plan.KindEvent, id, map[string]any{
		"slug": e.Slug, "kind": e.Kind, "title": e.Title, "date": e.Date, "precision": string(precision),
		"dateNote": str(e.DateNote), "targetYear": num(e.Target), "confirmed": e.Confirmed,
		"quantities": quantities, "startDate": first, "endDate": last, "planIds": plans,
	})
	b.sources(id, e.Sources)
	for _, m := range e.Measures {
		if key, ok := measureKeys[m]; ok {
			b.rel(plan.RelTypeConcerns, string(id), string(plan.NewID(plan.KindMeasure, key)), "", "")
		}
	}
	for _, to := range []struct {
		kind  plan.Kind
		slugs []string
	}{{plan.KindProject, e.Projects}, {plan.KindPlace, e.Places}, {plan.KindPlan, e.Plans}} {
		for _, s := range to.slugs {
			b.rel(plan.RelTypeConcerns, string(id), string(plan.NewID(to.kind, s)), "", "")
		}
	}
}

type rowBuilder struct {
	rows    *Rows
	seenRel map[string]bool
}

func (b *rowBuilder) node(k plan.Kind, id plan.ID, props map[string]any) {
	props["dataset"] = b.rows.Dataset
	b.rows.Nodes[k] = append(b.rows.Nodes[k], nodeRow{ID: string(id), Props: props, Hash: hashProps(props)})
}

func (b *rowBuilder) rel(typ, from, to, source, excerpt string) {
	b.relWith(typ, from, to, dataset.Ref{Source: source, Excerpt: excerpt}, nil)
}

func (b *rowBuilder) relWith(typ, from, to string, c dataset.Ref, props map[string]any) {
	r := relRow{From: from, To: to, Source: c.Source, Excerpt: c.Excerpt, Claim: c.Claim, Fact: c.Fact, Props: props}
	if props != nil {
		r.PropsHash = hashProps(props)
	}
	k := typ + "|" + r.key(typ)
	if b.seenRel[k] {
		return // duplicate links collapse to one relationship; the first wins
	}
	b.seenRel[k] = true
	b.rows.Rels[typ] = append(b.rows.Rels[typ], r)
}

func (b *rowBuilder) link(typ string, from plan.ID, to plan.Kind, l dataset.Link) {
	b.cite(typ, string(from), string(plan.NewID(to, l.To)), l.Ref())
}

// cite adds a relationship with its full provenance (an excerpt, or a claim
// and its fact).
func (b *rowBuilder) cite(typ, from, to string, r dataset.Ref) { b.relWith(typ, from, to, r, nil) }

func (b *rowBuilder) links(typ string, from plan.ID, to plan.Kind, ls []dataset.Link) {
	for _, l := range ls {
		b.link(typ, from, to, l)
	}
}

func (b *rowBuilder) sources(id plan.ID, refs []dataset.Ref) {
	for _, r := range refs {
		b.cite(plan.RelTypeSupportedBy, string(id), string(plan.NewID(plan.KindSource, r.Source)), r)
	}
}

func (b *rowBuilder) measure(pid plan.ID, planSlug string, sid plan.ID, secNum int, aid plan.ID, aspNum int, m dataset.Measure, years map[string]int) {
	id := plan.NewID(plan.KindMeasure, planSlug+"/"+m.Code)
	status := m.Status
	if status == "" {
		status = dataset.StatusUnknown
	}
	var minYear any
	for _, l := range m.Milestones {
		if y, ok := years[l.To]; ok {
			if cur, ok := minYear.(int64); !ok || int64(y) < cur {
				minYear = int64(y)
			}
		}
	}
	var aspectID any
	parent := string(sid)
	if aid != "" {
		aspectID = string(aid)
		parent = string(aid)
	}
	props := map[string]any{
		"plan": string(pid), "code": m.Code, "codeKey": CodeKey(m.Code), "title": m.Title,
		"titleZh": str(m.TitleZh), "description": str(m.Description), "status": status,
		"sectionId": string(sid), "aspectId": aspectID, "sectionNumber": int64(secNum), "aspectNumber": int64(aspNum),
		"milestoneYear": minYear, "searchText": measureSearchText(m.Code, m.Title, m.TitleZh, m.Description),
	}
	var year *int64
	if y, ok := minYear.(int64); ok {
		year = &y
	}
	for k, v := range measureSortProps(secNum, aspNum, year) {
		props[k] = v
	}
	b.node(plan.KindMeasure, id, props)
	b.sources(id, m.Sources)
	b.rel(plan.RelTypePartOf, string(id), parent, "", "")
	for _, l := range []struct {
		typ   string
		to    plan.Kind
		links []dataset.Link
	}{{plan.RelTypeAdvances, plan.KindProject, m.Projects}, {plan.RelTypeInSector, plan.KindSector, m.Sectors}, {plan.RelTypeLocatedIn, plan.KindPlace, m.Places}, {plan.RelTypeDueBy, plan.KindMilestone, m.Milestones}} {
		for _, link := range l.links {
			to := string(plan.NewID(l.to, link.To))
			keys := linkKeys(props, string(id), to)
			b.relWith(l.typ, string(id), to, link.Ref(), keys)
		}
	}
}

// CodeKey is a measure code with its numbers zero-padded, so that codes sort
// in plan order as strings: "S2.A10.M3" → "S000002.A000010.M000003".
func CodeKey(code string) string {
	parts := strings.Split(code, ".")
	for i, p := range parts {
		if len(p) > 1 {
			digits := p[1:]
			if len(digits) < 6 {
				digits = strings.Repeat("0", 6-len(digits)) + digits
			}
			parts[i] = p[:1] + digits
		}
	}
	return strings.Join(parts, ".")
}

func str(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func num(n int) any {
	if n == 0 {
		return nil
	}
	return int64(n)
}

func hashProps(props map[string]any) string {
	keys := make([]string, 0, len(props))
	for k := range props {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	h := sha256.New()
	for _, k := range keys {
		v, _ := json.Marshal(props[k])
		h.Write([]byte(k))
		h.Write([]byte{0})
		h.Write(v)
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:12])
}
