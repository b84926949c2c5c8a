package store

import (
	"encoding/json"
	"fmt"
	"reflect"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
	"github.com/neo4j/neo4j-go-driver/v5/neo4j/dbtype"

	"github.com/shenzhenplan/kgapi/plan"
)

// scanNode maps a node's properties onto its domain type, by the kind its
// id names. extra carries computed columns (cataloged, excerpt). A property
// of the wrong type is an error.
func scanNode(props map[string]any, extra map[string]any) (plan.Node, error) {
	s, err := as[string](props["id"], "property id")
	if err != nil {
		return nil, fmt.Errorf("scan node: %w", err)
	}
	id := plan.ID(s)
	n, err := scanKind(id, &propReader{m: props}, &propReader{m: extra})
	if err != nil {
		return nil, fmt.Errorf("scan node %s: %w", id, err)
	}
	return n, nil
}

// scanKind builds the node of id's kind from its properties p and the
// computed columns x.
func scanKind(id plan.ID, p, x *propReader) (plan.Node, error) {
	var n plan.Node
	switch id.Kind() {
	case plan.KindPlan:
		n = &plan.Plan{
			ID: id, Slug: p.str("slug"), Title: p.str("title"),
			TitleZh: p.optStr("titleZh"), Issuer: p.optStr("issuer"), Summary: p.optStr("summary"),
			Goal: p.optStr("goal"), GoalYear: p.optInt("goalYear"),
			DeclaredMeasureCount: p.optInt("declaredMeasureCount"), Tranches: p.optInt("tranches"),
			Domains: p.strs("domains"), CatalogedMeasureCount: x.int("cataloged"),
		}
	case plan.KindSection:
		n = &plan.Section{ID: id, PlanID: plan.ID(p.str("plan")), Number: p.int("number"),
			Title: p.str("title"), Summary: p.optStr("summary")}
	case plan.KindAspect:
		n = &plan.Aspect{ID: id, SectionID: plan.ID(p.str("section")), Number: p.int("number"),
			Title: p.str("title"), Summary: p.optStr("summary")}
	case plan.KindMeasure:
		n = p.measure()
	case plan.KindProject:
		n = &plan.Project{ID: id, Slug: p.str("slug"), Name: p.str("name"), NameZh: p.optStr("nameZh"),
			Kind: p.optStr("kind"), Description: p.optStr("description")}
	case plan.KindSector:
		n = &plan.Sector{ID: id, Slug: p.str("slug"), Name: p.str("name"), NameZh: p.optStr("nameZh")}
	case plan.KindPlace:
		n = &plan.Place{ID: id, Slug: p.str("slug"), Name: p.str("name"), NameZh: p.optStr("nameZh"),
			Kind: p.optStr("kind")}
	case plan.KindMilestone:
		n = &plan.Milestone{ID: id, Slug: p.str("slug"), Year: p.int("year"), Date: p.optStr("date"),
			Approximate: p.bool("approximate"), Label: p.str("label")}
	case plan.KindSource:
		n = &plan.Source{ID: id, Title: p.str("title"), Publisher: p.optStr("publisher"), URL: p.optStr("url"),
			PublishedOn: p.optStr("publishedOn"), Authority: p.optStr("authority"),
			Excerpt: x.optStr("excerpt"), Claim: x.optStr("claim"), Fact: x.optStr("fact")}
	case plan.KindEvent:
		n = p.event(id)
	default:
		m, ok := plan.KindOf(id.Kind())
		if !ok || m.New == nil {
			return nil, fmt.Errorf("unknown kind %q", id.Kind())
		}
		n = m.New()
		p.fill(n, id)
	}
	if p.err != nil {
		return nil, p.err
	}
	if x.err != nil {
		return nil, x.err
	}
	return n, nil
}

// event reads an event from p's properties.
func (p *propReader) event(id plan.ID) *plan.Event {
	e := &plan.Event{ID: id, Slug: p.str("slug"), Kind: plan.EventKind(p.str("kind")), Title: p.str("title"),
		Date: p.str("date"), Precision: plan.DatePrecision(p.str("precision")), DateNote: p.optStr("dateNote"),
		TargetYear: p.optInt("targetYear"), Confirmed: p.bool("confirmed"), Quantities: []plan.Quantity{}}
	if q := p.str("quantities"); q != "" {
		if err := json.Unmarshal([]byte(q), &e.Quantities); err != nil {
			p.fail(fmt.Errorf("property quantities: %w", err))
		}
	}
	return e
}

// fill sets the fields of n tagged `kg:"<property>"` from p's properties
// (`kg:"id"`: id), for the kinds whose rows the model alone describes.
func (p *propReader) fill(n plan.Node, id plan.ID) {
	v := reflect.ValueOf(n).Elem()
	t := v.Type()
	for i := range t.NumField() {
		name, ok := t.Field(i).Tag.Lookup("kg")
		if !ok {
			continue
		}
		f := v.Field(i)
		if name == "id" {
			f.Set(reflect.ValueOf(id))
			continue
		}
		switch f.Interface().(type) {
		case string:
			f.SetString(p.str(name))
		case *string:
			f.Set(reflect.ValueOf(p.optStr(name)))
		case int:
			f.SetInt(int64(p.int(name)))
		case *int:
			f.Set(reflect.ValueOf(p.optInt(name)))
		case bool:
			f.SetBool(p.bool(name))
		case []string:
			f.Set(reflect.ValueOf(p.strs(name)))
		default:
			p.fail(fmt.Errorf("%s.%s: a tagged field of type %s cannot be scanned", t.Name(), t.Field(i).Name, f.Type()))
		}
	}
}

// measureOf maps a measure node's properties onto a plan.Measure; a
// property of the wrong type is an error.
func measureOf(props map[string]any) (*plan.Measure, error) {
	p := &propReader{m: props}
	m := p.measure()
	if p.err != nil {
		return nil, fmt.Errorf("scan measure %s: %w", m.ID, p.err)
	}
	return m, nil
}

// measure reads a measure from p's properties.
func (p *propReader) measure() *plan.Measure {
	m := &plan.Measure{
		ID: plan.ID(p.str("id")), PlanID: plan.ID(p.str("plan")), Code: p.str("code"),
		Title: p.str("title"), TitleZh: p.optStr("titleZh"), Description: p.optStr("description"),
		Status: plan.Status(p.str("status")), SectionID: plan.ID(p.str("sectionId")),
	}
	if a := p.str("aspectId"); a != "" {
		aid := plan.ID(a)
		m.AspectID = &aid
	}
	if m.Status == "" {
		m.Status = plan.StatusUnknown
	}
	return m
}

// nodeProps reads a node value (or a map projection) as properties.
func nodeProps(v any) (map[string]any, error) {
	switch n := v.(type) {
	case dbtype.Node:
		return n.Props, nil
	case map[string]any:
		return n, nil
	}
	return nil, fmt.Errorf("scan: %T is not a node", v)
}

// recordNode reads column col of a record as a node (or a map projection).
func recordNode(rec *neo4j.Record, col string) (map[string]any, error) {
	v, ok := rec.Get(col)
	if !ok {
		return nil, fmt.Errorf("scan: no column %q", col)
	}
	switch n := v.(type) {
	case dbtype.Node:
		return n.Props, nil
	case map[string]any:
		return n, nil
	case nil:
		return nil, nil
	}
	return nil, fmt.Errorf("scan: column %q is %T, not a node", col, v)
}

// propReader reads the typed properties of one node (or of a map
// projection of one, or a row's computed columns). An absent or null
// property reads as its type's zero value (nil for the opt* reads): the graph
// requires only id, and a projection (see projection) holds only the
// properties a query asked for, so absence is not an error. A property of
// another type is: the first such error is kept in err, and the caller
// returns it once it has read everything.
type propReader struct {
	m   map[string]any
	err error
}

// prop is property k of p as a T, its zero value when absent or null.
func prop[T any](p *propReader, k string) T {
	v, err := asOpt[T](p.m[k], "property "+k)
	p.fail(err)
	return v
}

func (p *propReader) fail(err error) {
	if err != nil && p.err == nil {
		p.err = err
	}
}

func (p *propReader) str(k string) string { return prop[string](p, k) }

func (p *propReader) bool(k string) bool { return prop[bool](p, k) }

// optStr is a string property, nil when absent, null or empty.
func (p *propReader) optStr(k string) *string {
	if s := prop[string](p, k); s != "" {
		return &s
	}
	return nil
}

// int is an integer property, 0 when absent or null.
func (p *propReader) int(k string) int {
	if n := p.optInt(k); n != nil {
		return *n
	}
	return 0
}

// optInt is an integer property, nil when absent or null. A float (a number
// that went through JSON or float arithmetic) is truncated, as int always
// did; any other type is an error.
func (p *propReader) optInt(k string) *int {
	var n int
	switch v := p.m[k].(type) {
	case nil:
		return nil
	case int64:
		n = int(v)
	case float64:
		n = int(v)
	default:
		p.fail(fmt.Errorf("property %s is a %T, not an integer", k, v))
		return nil
	}
	return &n
}

// strs is a list-of-strings property, empty when absent or null.
func (p *propReader) strs(k string) []string {
	l := prop[[]any](p, k)
	out := make([]string, 0, len(l))
	for i, x := range l {
		s, err := as[string](x, fmt.Sprintf("property %s[%d]", k, i))
		if err != nil {
			p.fail(err)
			return nil
		}
		out = append(out, s)
	}
	return out
}
