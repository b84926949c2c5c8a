package graph_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.uber.org/zap"

	"github.com/shenzhenplan/kgapi/plan"
	"github.com/shenzhenplan/kgapi/server"
)

// Apollo Federation v2: the subgraph's _service and _entities, as a
// gateway calls them.

const entitiesQuery = `query($r: [_Any!]!) { _entities(representations: $r) { __typename
  ... on Measure { id code title plan { slug } section { number } projects { slug } }
  ... on Project { id slug name }
  ... on Sector { id slug name }
  ... on Place { id slug name }
  ... on Plan { id slug title } } }`

// measureRep is a Measure representation by its natural key.
func measureRep(m *measureX) map[string]any {
	return map[string]any{"__typename": "Measure", "code": m.Code, "plan": map[string]any{"slug": m.Plan}}
}

func TestFederationEntities(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	m1, m2 := e.x.measures[0], e.x.measures[len(e.x.measures)-1]
	proj, sector, place, pl := e.x.ds.Projects[0], e.x.ds.Sectors[0], e.x.ds.Places[0], e.x.ds.Plans[0]

	t.Run("every key of every entity, in one request", func(t *testing.T) {
		reps := []any{
			measureRep(m1),
			map[string]any{"__typename": "Measure", "id": m2.ID},
			map[string]any{"__typename": "Project", "slug": proj.Slug},
			map[string]any{"__typename": "Project", "id": gid(plan.KindProject, proj.Slug)},
			map[string]any{"__typename": "Sector", "slug": sector.Slug},
			map[string]any{"__typename": "Place", "id": gid(plan.KindPlace, place.Slug)},
			map[string]any{"__typename": "Plan", "slug": pl.Slug},
			// Unknown, or an id of another kind: null, no error.
			map[string]any{"__typename": "Measure", "code": "S9.M99", "plan": map[string]any{"slug": m1.Plan}},
			map[string]any{"__typename": "Sector", "id": gid(plan.KindPlace, place.Slug)},
			// The same measure again, by id.
			map[string]any{"__typename": "Measure", "id": m1.ID},
		}
		var d struct {
			Entities []map[string]any `json:"_entities"`
		}
		query(t, e.url, entitiesQuery, map[string]any{"r": reps}, &d)
		if len(d.Entities) != len(reps) {
			t.Fatalf("%d entities for %d representations", len(d.Entities), len(reps))
		}
		want := []struct{ typename, key, value string }{
			{"Measure", "code", m1.Code},
			{"Measure", "code", m2.Code},
			{"Project", "slug", proj.Slug},
			{"Project", "slug", proj.Slug},
			{"Sector", "slug", sector.Slug},
			{"Place", "slug", place.Slug},
			{"Plan", "slug", pl.Slug},
			{},
			{},
			{"Measure", "code", m1.Code},
		}
		for i, w := range want {
			got := d.Entities[i]
			if w.typename == "" {
				if got != nil {
					t.Errorf("_entities[%d]: %v, want null", i, got)
				}
				continue
			}
			if got["__typename"] != w.typename || got[w.key] != w.value {
				t.Errorf("_entities[%d]: %v, want a %s with %s %q", i, got, w.typename, w.key, w.value)
			}
		}
		// A measure's relationship fields resolve as anywhere else.
		m := d.Entities[0]
		if m["title"] != m1.Title || m["id"] != m1.ID || m["plan"].(map[string]any)["slug"] != m1.Plan ||
			int(m["section"].(map[string]any)["number"].(float64)) != m1.Section {
			t.Errorf("_entities[0]: %v, want %s %q of section %d of %s", m, m1.Code, m1.Title, m1.Section, m1.Plan)
		}
		var projects []string
		for _, p := range m["projects"].([]any) {
			projects = append(projects, p.(map[string]any)["slug"].(string))
		}
		if strings.Join(projects, ",") != strings.Join(m1.Projects, ",") {
			t.Errorf("_entities[0].projects: %v, want %v", projects, m1.Projects)
		}
	})

	t.Run("a malformed representation fails alone", func(t *testing.T) {
		reps := []any{
			map[string]any{"__typename": "Measure", "id": "not a global id"},
			measureRep(m1),
			map[string]any{"__typename": "Measure", "code": m1.Code, "plan": map[string]any{"slug": nil}},
		}
		r := post(t, e.url, entitiesQuery, map[string]any{"r": reps})
		var d struct {
			Entities []map[string]any `json:"_entities"`
		}
		if err := json.Unmarshal(r.Data, &d); err != nil || len(d.Entities) != 3 {
			t.Fatalf("want 3 entities: %s", r.Body)
		}
		if d.Entities[0] != nil || d.Entities[2] != nil || d.Entities[1]["code"] != m1.Code {
			t.Errorf("want null, %s, null: %v", m1.Code, d.Entities)
		}
		if len(r.Errors) != 2 {
			t.Fatalf("want 2 errors: %s", r.Body)
		}
		for i, at := range []float64{0, 2} {
			er := r.Errors[i]
			if er.code() != plan.EINVALID || len(er.Path) != 2 || er.Path[0] != "_entities" || er.Path[1] != at {
				t.Errorf("error %d: %+v, want BAD_USER_INPUT at _entities[%v]", i, er, at)
			}
		}
	})

	t.Run("_service gives the subgraph SDL with its keys", func(t *testing.T) {
		var d struct {
			Service struct {
				SDL string `json:"sdl"`
			} `json:"_service"`
		}
		query(t, e.url, `{ _service { sdl } }`, nil, &d)
		for _, want := range []string{
			`@link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])`,
			`type Measure implements Node @key(fields: "id") @key(fields: "code plan { slug }")`,
			`type Plan implements Node @key(fields: "id") @key(fields: "slug")`,
			`type Project implements Node @key(fields: "id") @key(fields: "slug")`,
			`type Sector implements Node @key(fields: "id") @key(fields: "slug")`,
			`type Place implements Node @key(fields: "id") @key(fields: "slug")`,
		} {
			if !strings.Contains(d.Service.SDL, want) {
				t.Errorf("_service.sdl lacks %s", want)
			}
		}
		if strings.Contains(d.Service.SDL, "_entities") || strings.Contains(d.Service.SDL, "MeasureRepresentation") {
			t.Error("_service.sdl holds gqlgen's own federation definitions; the gateway adds those")
		}
	})

	t.Run("the server's limits price every representation", func(t *testing.T) {
		srv := httptest.NewServer(server.NewHandler(server.Deps{Store: e.st, Log: zap.NewNop(), Limits: server.DefaultLimits}))
		defer srv.Close()
		const q = `query($r: [_Any!]!) { _entities(representations: $r) { ... on Measure { title projects { name } } } }`
		var few, many []any
		for i := range 400 {
			rep := measureRep(e.x.measures[i%len(e.x.measures)])
			if i < 30 {
				few = append(few, rep)
			}
			many = append(many, rep)
		}
		if r := post(t, srv.URL+"/graphql", q, map[string]any{"r": few}); len(r.Errors) > 0 || r.Status != http.StatusOK {
			t.Errorf("30 representations: %s", r.Body)
		}
		r := post(t, srv.URL+"/graphql", q, map[string]any{"r": many})
		wantError(t, r, "COMPLEXITY_LIMIT_EXCEEDED")
		if r.hasData() {
			t.Errorf("refused, yet data: %s", r.Body)
		}
	})
}
