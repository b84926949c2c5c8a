package store

import (
	"fmt"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
	"github.com/neo4j/neo4j-go-driver/v5/neo4j/dbtype"

	"github.com/shenzhenplan/kgapi/plan"
)

// scanNode maps a node's properties onto its domain type, by the kind its
// id names. extra carries computed columns (cataloged, excerpt).
func scanNode(props map[string]any, extra map[string]any) (plan.Node, error) {
	id := plan.ID(sprop(props, "id"))
	switch id.Kind() {
	case plan.KindPlan:
		return &plan.Plan{
			ID: id, Slug: sprop(props, "slug"), Title: sprop(props, "title"),
			TitleZh: optS(props, "titleZh"), Issuer: optS(props, "issuer"), Summary: optS(props, "summary"),
			Goal: optS(props, "goal"), GoalYear: optI(props, "goalYear"),
			DeclaredMeasureCount: optI(props, "declaredMeasureCount"), Tranches: optI(props, "tranches"),
			Domains: stringList(props["domains"]), CatalogedMeasureCount: iprop(extra, "cataloged"),
		}, nil
	case plan.KindSection:
		return &plan.Section{ID: id, PlanID: plan.ID(sprop(props, "plan")), Number: iprop(props, "number"),
			Title: sprop(props, "title"), Summary: optS(props, "summary")}, nil
	case plan.KindAspect:
		return &plan.Aspect{ID: id, SectionID: plan.ID(sprop(props, "section")), Number: iprop(props, "number"),
			Title: sprop(props, "title"), Summary: optS(props, "summary")}, nil
	case plan.KindMeasure:
		return scanMeasure(props), nil
	case plan.KindProject:
		return &plan.Project{ID: id, Slug: sprop(props, "slug"), Name: sprop(props, "name"), NameZh: optS(props, "nameZh"),
			Kind: optS(props, "kind"), Description: optS(props, "description")}, nil
	case plan.KindSector:
		return &plan.Sector{ID: id, Slug: sprop(props, "slug"), Name: sprop(props, "name"), NameZh: optS(props, "nameZh")}, nil
	case plan.KindPlace:
		return &plan.Place{ID: id, Slug: sprop(props, "slug"), Name: sprop(props, "name"), NameZh: optS(props, "nameZh"),
			Kind: optS(props, "kind")}, nil
	case plan.KindMilestone:
		ap, _ := props["approximate"].(bool)
		return &plan.Milestone{ID: id, Slug: sprop(props, "slug"), Year: iprop(props, "year"), Date: optS(props, "date"),
			Approximate: ap, Label: sprop(props, "label")}, nil
	case plan.KindSource:
		return &plan.Source{ID: id, Title: sprop(props, "title"), Publisher: optS(props, "publisher"), URL: optS(props, "url"),
			PublishedOn: optS(props, "publishedOn"), Excerpt: optS(extra, "excerpt")}, nil
	}
	return nil, fmt.Errorf("scan node: unknown kind in id %q", id)
}

func scanMeasure(props map[string]any) *plan.Measure {
	m := &plan.Measure{
		ID: plan.ID(sprop(props, "id")), PlanID: plan.ID(sprop(props, "plan")), Code: sprop(props, "code"),
		Title: sprop(props, "title"), TitleZh: optS(props, "titleZh"), Description: optS(props, "description"),
		Status: plan.Status(sprop(props, "status")), SectionID: plan.ID(sprop(props, "sectionId")),
	}
	if a := sprop(props, "aspectId"); a != "" {
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

func sprop(m map[string]any, k string) string {
	s, _ := m[k].(string)
	return s
}

func optS(m map[string]any, k string) *string {
	if s, ok := m[k].(string); ok && s != "" {
		return &s
	}
	return nil
}

func iprop(m map[string]any, k string) int {
	switch v := m[k].(type) {
	case int64:
		return int(v)
	case float64:
		return int(v)
	}
	return 0
}

func optI(m map[string]any, k string) *int {
	if v, ok := m[k].(int64); ok {
		n := int(v)
		return &n
	}
	return nil
}

func stringList(v any) []string {
	l, _ := v.([]any)
	out := make([]string, 0, len(l))
	for _, x := range l {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}
