package dataset

import (
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/shenzhenplan/kgapi/plan"
)

// Record is a node of a kind whose file format derives from the graph model
// (plan.KindModel.Records): nothing in this package names such a kind. In
// the file it is an item of the kind's list:
//
//	organizations:
//	  - slug: shenzhen-stock-exchange   # the kind's key
//	    name: "Shenzhen Stock Exchange" # its stored properties, by field name
//	    events:                         # each outgoing relationship field: cited links
//	      - { to: chinext-applications-open-2020, source: …, fact: F9, claim: "…" }
//	    sources:                        # its own citations
//	      - { source: …, fact: F9, claim: "…" }
type Record struct {
	Slug string
	// Props holds the given properties by stored name: a string, an int64,
	// a bool or a []string. An absent property has no entry.
	Props map[string]any
	// Links holds the links of each relationship field, by field name.
	Links   map[string][]Link
	Sources []Ref
}

// recordKeys are the keys an item of kind k may have.
func recordKeys(k plan.KindModel) []string {
	var keys []string
	for _, p := range k.StoredProps() {
		keys = append(keys, p.Field)
	}
	for _, e := range k.LinkEdges() {
		keys = append(keys, e.Field)
	}
	return append(keys, "sources")
}

// datasetKeys are the top-level keys of a file: the lists parse.go decodes,
// then one per kind whose format derives from the model.
func datasetKeys(fixed ...string) []string {
	for _, k := range plan.RecordKinds() {
		fixed = append(fixed, k.Records)
	}
	return fixed
}

// records decodes the list of every kind whose format derives from the model.
func (p *parser) records(o *object, d *Dataset) {
	for _, k := range plan.RecordKinds() {
		for i, n := range o.list(k.Records, false) {
			if d.Records == nil {
				d.Records = map[plan.Kind][]Record{}
			}
			d.Records[k.Kind] = append(d.Records[k.Kind], p.record(k, n, index(k.Records, i)))
		}
	}
}

// record decodes one item of kind k: its properties by the model's types,
// its links and its sources.
func (p *parser) record(k plan.KindModel, n *yaml.Node, path string) Record {
	o := p.object(n, path, recordKeys(k)...)
	r := Record{Props: map[string]any{}, Links: map[string][]Link{}}
	if o == nil {
		return r
	}
	for _, pr := range k.StoredProps() {
		required := pr.Required || pr.Name == k.Key
		switch pr.Type {
		case plan.PropInt:
			if v, ok := o.integer(pr.Field, required); ok {
				r.Props[pr.Name] = int64(v)
			}
		case plan.PropBool:
			if _, given := o.fields[pr.Field]; given {
				r.Props[pr.Name] = o.boolean(pr.Field)
			}
		case plan.PropStrings:
			var ss []string
			for i, vn := range o.list(pr.Field, required) {
				if s, ok := p.scalarString(vn, index(join(path, pr.Field), i)); ok {
					ss = append(ss, s)
				}
			}
			if len(ss) > 0 {
				r.Props[pr.Name] = ss
			}
		default:
			if s := o.str(pr.Field, required); s != "" {
				r.Props[pr.Name] = s
			}
		}
	}
	r.Slug, _ = r.Props[k.Key].(string)
	for _, e := range k.LinkEdges() {
		if ls := p.links(o, e.Field); len(ls) > 0 {
			r.Links[e.Field] = ls
		}
	}
	r.Sources = p.refs(o)
	return r
}

// allRecords defines the slugs of every Records kind, then checks each
// item: its texts, that every link reaches a node of the edge's kind, and
// every citation. It runs after the other kinds are defined.
func (v *validator) allRecords() {
	kinds := plan.RecordKinds()
	v.records = make(map[plan.Kind]map[string]string, len(kinds))
	for _, k := range kinds {
		seen := map[string]string{}
		v.records[k.Kind] = seen
		for i, r := range v.d.Records[k.Kind] {
			v.define(seen, noun(k.Kind)+" "+k.Key, join(index(k.Records, i), k.Key), r.Slug)
		}
	}
	for _, k := range kinds {
		for i := range v.d.Records[k.Kind] {
			v.record(k, index(k.Records, i), &v.d.Records[k.Kind][i])
		}
	}
}

func (v *validator) record(k plan.KindModel, path string, r *Record) {
	for _, pr := range k.StoredProps() {
		switch x := r.Props[pr.Name].(type) {
		case string:
			if pr.Name != k.Key {
				v.text(join(path, pr.Field), x, false)
			}
		case []string:
			for i, s := range x {
				v.text(index(join(path, pr.Field), i), s, true)
			}
		}
	}
	for _, e := range k.LinkEdges() {
		v.links(join(path, e.Field), r.Links[e.Field], noun(e.To), v.slugs(e.To))
	}
	v.refs(join(path, "sources"), r.Sources)
}

// slugs is the defined slugs of kind k (slug → path of its definition).
func (v *validator) slugs(k plan.Kind) map[string]string {
	switch k {
	case plan.KindPlan:
		return v.plans
	case plan.KindProject:
		return v.projects
	case plan.KindSector:
		return v.sectors
	case plan.KindPlace:
		return v.places
	case plan.KindMilestone:
		return v.milestones
	case plan.KindEvent:
		return v.events
	case plan.KindSource:
		return v.sources
	}
	return v.records[k]
}

// noun names kind k in messages: "organization".
func noun(k plan.Kind) string { return strings.ToLower(string(k)) }

// recordNodes adds the nodes of every Records kind to c.
func (c *counter) recordNodes(d *Dataset) {
	for _, k := range plan.RecordKinds() {
		for _, r := range d.Records[k.Kind] {
			c.node(string(k.Kind), r.Slug)
		}
	}
}

// recordRels adds the links and citations of every Records kind to c.
func (c *counter) recordRels(d *Dataset) {
	for _, k := range plan.RecordKinds() {
		for _, r := range d.Records[k.Kind] {
			n := c.ids[string(k.Kind)][r.Slug]
			for _, e := range k.LinkEdges() {
				c.links(relIndex(e.Type), n, string(e.To), r.Links[e.Field])
			}
			c.support(n, r.Sources)
		}
	}
}
