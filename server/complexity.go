package server

import (
	"github.com/shenzhenplan/kgapi/graph"
	"github.com/shenzhenplan/kgapi/graph/generated"
	"github.com/shenzhenplan/kgapi/graph/model"
)

// complexity makes list fields cost by how many items they may return:
// connections by first/last (20 when neither is given), search by first,
// neighborhood by limit, nodes by the number of ids.
func complexity() generated.ComplexityRoot {
	var c generated.ComplexityRoot
	conn := func(child int, _ *model.MeasureFilter, _ []*model.MeasureOrder, first *int, _ *string, last *int, _ *string) int {
		return cost(pageCost(first, last, graph.DefaultPageSize), child)
	}
	c.Query.Measures = conn
	c.Plan.Measures = conn
	c.Section.Measures = conn
	c.Aspect.Measures = conn
	c.Project.Measures = conn
	c.Sector.Measures = conn
	c.Place.Measures = conn
	c.Milestone.Measures = conn
	c.Query.Projects = func(child int, first *int, _ *string) int {
		return cost(pageCost(first, nil, graph.DefaultPageSize), child)
	}
	c.Query.Search = func(child int, _ string, _ []string, first *int) int {
		return cost(pageCost(first, nil, 10), child)
	}
	c.Query.Nodes = func(child int, ids []string) int { return cost(len(ids), child) }
	c.Query.Neighborhood = func(child int, _ string, _ *int, limit *int) int {
		n := 200
		if limit != nil && *limit > 0 {
			n = *limit
		}
		return 1 + n/10 + child
	}
	return c
}

// cost is 1 + n·child, saturating instead of overflowing for absurd n.
func cost(n, child int) int {
	const ceiling = 1 << 30
	if n <= 0 || child <= 0 {
		return 1 + max(child, 0)
	}
	if n > ceiling/child {
		return ceiling
	}
	return min(1+n*child, ceiling)
}
