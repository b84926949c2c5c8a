package graph

import (
	"context"
	"slices"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/shenzhenplan/kgapi/graph/dataloader"
	"github.com/shenzhenplan/kgapi/graph/generated"
	"github.com/shenzhenplan/kgapi/graph/model"
	"github.com/shenzhenplan/kgapi/plan"
)

// Apollo Federation entity resolution (_entities). gqlgen hands each
// entity type's resolver every representation of that type in the request
// at once (entity_resolver_multi, entity_resolver_per_entity in gqlgen.yml),
// whichever @key each matched. Every key names the node's id: the global id
// itself, or the natural key the id is made of (a slug; a measure's plan
// slug and code, plan.NewID). So a type's representations cost one
// Store.Nodes call, one round trip, however many there are and whichever
// keys they use.

// entityRef is what one representation names: the node's id, or why it
// names none (a malformed id, a key with a null part).
type entityRef struct {
	id  plan.ID
	err error
}

// byGlobalID is the entityRef of an `id` key of kind k. A well-formed id of
// another kind names no node of this type: null, like an unknown id.
func byGlobalID(k plan.Kind, gid *string) entityRef {
	if gid == nil {
		return entityRef{err: plan.Errorf(plan.EINVALID, "representation of a %s: id is null", k)}
	}
	id, err := plan.ParseGlobalID(*gid)
	if err != nil {
		return entityRef{err: err}
	}
	if id.Kind() != k {
		return entityRef{}
	}
	return entityRef{id: id}
}

// bySlug is the entityRef of a `slug` key of kind k.
func bySlug(k plan.Kind, slug *string) entityRef {
	if slug == nil {
		return entityRef{err: plan.Errorf(plan.EINVALID, "representation of a %s: slug is null", k)}
	}
	return entityRef{id: plan.NewID(k, *slug)}
}

// resolveEntities loads the nodes refs name, in one store call, and returns
// them in the order of refs: nil where no node of kind k has the id, with
// a per-representation error (graphql.BatchErrorList) where a
// representation names none. The nodes found form one level for the
// dataloader, so their relationship fields are batched too.
func resolveEntities[T plan.Node](ctx context.Context, r *Resolver, refs []entityRef) ([]T, error) {
	var ids []plan.ID
	seen := map[plan.ID]bool{}
	failed := false
	for _, ref := range refs {
		if ref.err != nil {
			failed = true
		}
		if ref.id != "" && !seen[ref.id] {
			seen[ref.id] = true
			ids = append(ids, ref.id)
		}
	}
	found := map[plan.ID]plan.Node{}
	if len(ids) > 0 {
		var err error
		if found, err = r.Store.Nodes(ctx, ids); err != nil {
			return nil, err
		}
	}
	out := make([]T, len(refs))
	level := make([]T, 0, len(found))
	for _, id := range ids {
		if t, ok := found[id].(T); ok {
			level = append(level, t)
		}
	}
	for i, ref := range refs {
		if t, ok := found[ref.id].(T); ok {
			out[i] = t
		}
	}
	dataloader.Group(r.loaders(ctx), level)
	if !failed {
		return out, nil
	}
	errs := make(graphql.BatchErrorList, len(refs))
	for i, ref := range refs {
		errs[i] = ref.err
	}
	return out, errs
}

func measureRefs(reps []*model.MeasureRepresentation) []entityRef {
	refs := make([]entityRef, len(reps))
	for i, rep := range reps {
		switch rep.MatchedKey {
		case model.MeasureMatchedKeyCodeAndPlanSlug:
			if rep.Code == nil || rep.Plan == nil || rep.Plan.Slug == nil {
				refs[i].err = plan.Errorf(plan.EINVALID, "representation of a Measure by code and plan { slug }: a part is null")
				continue
			}
			refs[i].id = plan.NewID(plan.KindMeasure, *rep.Plan.Slug+"/"+*rep.Code)
		default:
			refs[i] = byGlobalID(plan.KindMeasure, rep.ID)
		}
	}
	return refs
}

// slugRefs is the entityRefs of the representations of a kind keyed by
// `id` or `slug`.
func slugRefs[R any](k plan.Kind, reps []*R, key func(*R) (bySlug bool, id, slug *string)) []entityRef {
	refs := make([]entityRef, len(reps))
	for i, rep := range reps {
		s, id, slug := key(rep)
		if s {
			refs[i] = bySlug(k, slug)
		} else {
			refs[i] = byGlobalID(k, id)
		}
	}
	return refs
}

// FederationSources are the sources gqlgen adds to schema.graphqls for
// Apollo Federation (the federation directives, _Any, _Entity, _Service,
// the representation inputs, Query._entities and Query._service): with
// them, schema.graphqls loads as the server serves it. schema.graphqls
// alone does not load: it uses @link and @key without declaring them, as
// a subgraph schema does.
func FederationSources() []*ast.Source {
	s := generated.NewExecutableSchema(generated.Config{}).Schema()
	seen := map[*ast.Source]bool{}
	var out []*ast.Source
	add := func(p *ast.Position) {
		if p == nil || p.Src == nil || !p.Src.BuiltIn || seen[p.Src] || !strings.Contains(p.Src.Name, "federation/") {
			return
		}
		seen[p.Src] = true
		out = append(out, p.Src)
	}
	for _, d := range s.Directives {
		add(d.Position)
	}
	for _, d := range s.Types {
		add(d.Position)
		for _, f := range d.Fields {
			add(f.Position)
		}
	}
	slices.SortFunc(out, func(a, b *ast.Source) int { return strings.Compare(a.Name, b.Name) })
	return out
}
