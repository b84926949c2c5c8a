package load

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
)

// Workload is one kind of request, written in each server's dialect, with
// the expected answer every response is checked against.
type Workload struct {
	// Name is the short name used in flags and tables.
	Name string
	// Title says what it asks, for the report.
	Title string
	reqs  map[Dialect]request
	check func(d Dialect, body []byte) error
}

type request struct {
	method, path string
	body         []byte
}

// Request builds one request for the target.
func (w *Workload) Request(ctx context.Context, t Target) (*http.Request, error) {
	r, ok := w.reqs[t.Dialect]
	if !ok {
		return nil, fmt.Errorf("workload %s has no %s request", w.Name, t.Dialect)
	}
	var body *bytes.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	} else {
		body = bytes.NewReader(nil)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, t.BaseURL+r.path, body)
	if err != nil {
		return nil, err
	}
	if r.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	return req, nil
}

// Check says whether a response body of the dialect carries the expected answer.
func (w *Workload) Check(d Dialect, body []byte) error { return w.check(d, body) }

// Describe returns the request of a dialect, for the README and -show.
func (w *Workload) Describe(d Dialect) string {
	r := w.reqs[d]
	if r.body == nil {
		return r.method + " " + r.path
	}
	var q struct {
		Query     string         `json:"query"`
		Variables map[string]any `json:"variables"`
	}
	_ = json.Unmarshal(r.body, &q)
	v, _ := json.Marshal(q.Variables)
	return q.Query + "\nvariables: " + string(v)
}

// GraphQL paths of the servers.
const (
	oursPath = "/graphql"
	peerPath = "/"
)

func gql(path, query string, vars map[string]any) request {
	b, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		panic(err)
	}
	return request{method: http.MethodPost, path: path, body: b}
}

func get(path string, params url.Values) request {
	return request{method: http.MethodGet, path: path + "?" + params.Encode()}
}

// ServerError is a response in which the server reports an error (GraphQL
// errors): counted as an error, not as an incorrect answer.
type ServerError struct{ Msg string }

func (e *ServerError) Error() string { return e.Msg }

// graphQLEnvelope is a GraphQL response; a response with errors is never correct.
type graphQLEnvelope[T any] struct {
	Data   *T                `json:"data"`
	Errors []json.RawMessage `json:"errors"`
}

func decode[T any](body []byte) (*T, error) {
	var env graphQLEnvelope[T]
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, fmt.Errorf("not JSON: %v", err)
	}
	if len(env.Errors) > 0 {
		return nil, &ServerError{"GraphQL errors: " + clip(env.Errors[0], 300)}
	}
	if env.Data == nil {
		return nil, fmt.Errorf("no data: %s", clip(body, 300))
	}
	return env.Data, nil
}

// Queries of each workload in our dialect and the peer's. The floor's are
// its endpoints (bench/floor).
const (
	oursDashboard = `query Dashboard($plan: String!, $first: Int!) {
  plan(slug: $plan) {
    measures(first: $first) {
      nodes { code title section { title } aspect { title } projects { name places { name } } sectors { name } }
    }
  }
}`
	peerDashboard = `query Dashboard($plan: String!, $first: Int!) {
  measures(where: { plan: { eq: $plan } }, sort: [{ codeKey: ASC }, { id: ASC }], limit: $first) {
    code title
    partOfSection { title }
    partOfAspect { title section { title } }
    projects(sort: [{ name: ASC }]) { name places(sort: [{ name: ASC }]) { name } }
    sectors(sort: [{ name: ASC }]) { name }
  }
}`

	oursProject = `query Project($slug: String!, $first: Int!) {
  project(slug: $slug) {
    name places { name } sectors { name }
    measures(first: $first) { nodes { code title } }
  }
}`
	peerProject = `query Project($slug: String!, $first: Int!) {
  projects(where: { slug: { eq: $slug } }) {
    name places(sort: [{ name: ASC }]) { name } sectors(sort: [{ name: ASC }]) { name }
    measures(sort: [{ codeKey: ASC }, { id: ASC }], limit: $first) { code title }
  }
}`

	oursPage = `query Page($plan: String!, $first: Int!, $after: String) {
  plan(slug: $plan) {
    measures(filter: { section: 2, status: [PLANNED] }, orderBy: [{ field: TITLE }], first: $first, after: $after) {
      nodes { code title }
      pageInfo { hasNextPage endCursor }
    }
  }
}`
	peerPage = `query Page($plan: String!, $first: Int!, $after: String) {
  measuresConnection(
    where: { plan: { eq: $plan }, sectionNumber: { eq: 2 }, status: { in: ["PLANNED"] } }
    sort: [{ title: ASC }, { codeKey: ASC }, { id: ASC }]
    first: $first
    after: $after
  ) {
    edges { node { code title } }
    pageInfo { hasNextPage endCursor }
  }
}`

	peerPageOffset = `query Page($plan: String!, $limit: Int!, $offset: Int!) {
  measures(
    where: { plan: { eq: $plan }, sectionNumber: { eq: 2 }, status: { in: ["PLANNED"] } }
    sort: [{ title: ASC }, { codeKey: ASC }, { id: ASC }]
    limit: $limit
    offset: $offset
  ) { code title }
}`

	oursSearch = `query Search($text: String!, $first: Int!) {
  search(text: $text, types: ["Measure"], first: $first) { score node { id ... on Measure { code title } } }
}`
	peerSearch = `query Search($text: String!, $first: Int!) {
  searchMeasures(phrase: $text, sort: [{ score: DESC }], first: $first) { edges { score node { id code title } } }
}`

	oursNeighborhood = `query Neighborhood($id: ID!, $limit: Int!) {
  neighborhood(id: $id, depth: 2, limit: $limit) { truncated nodes { id type label } edges { id source target type } }
}`
	// The peer has no neighbourhood: the closest is the nested query that
	// follows every relationship of a Place and of each of its neighbours
	// (all types but SUPPORTED_BY, both directions), two levels deep.
	peerNeighborhood = `query Neighborhood($id: ID!) {
  places(where: { id: { eq: $id } }) {
    id
    within { ...Place2 }
    contains { ...Place2 }
    projects { ...Project2 }
    measures { ...Measure2 }
    events { ...Event2 }
  }
}
fragment Place2 on Place { id within { id } contains { id } projects { id } measures { id } events { id } }
fragment Project2 on Project { id measures { id } places { id } sectors { id } events { id } }
fragment Measure2 on Measure {
  id partOfSection { id } partOfAspect { id } projects { id } sectors { id } places { id } milestones { id } events { id }
}
fragment Event2 on Event { id measures { id } projects { id } places { id } plans { id } organizations { id } }`

	// Shape classes (bench/README.md, "Shape classes").

	oursNested = `query Nested($first: Int!) {
  sectors { name measures(first: $first) { nodes { code title projects { name } } } }
}`
	peerNested = `query Nested($first: Int!) {
  sectors(sort: [{ name: ASC }, { slug: ASC }]) {
    name
    measures(sort: [{ codeKey: ASC }, { id: ASC }], limit: $first) { code title projects(sort: [{ name: ASC }]) { name } }
  }
}`

	oursWalk = `query Walk($id: ID!, $limit: Int!) {
  neighborhood(id: $id, depth: 3, limit: $limit) { truncated nodes { id type label } edges { id source target type } }
}`
	// The peer has no neighbourhood: the closest is the nested query that
	// follows every relationship (but SUPPORTED_BY, both directions) of the
	// place, then of each neighbour, then of theirs, three levels deep. It
	// cannot cap a level or skip nodes already seen, only limit each list:
	// at most $fan of each (10 × 10 × 10 ≈ our limit of 1,000).
	peerWalk = `query Walk($id: ID!, $fan: Int!) {
  places(where: { id: { eq: $id } }) {
    id
    within { ...Place1 }
    contains(limit: $fan) { ...Place1 }
    projects(limit: $fan) { ...Project1 }
    measures(limit: $fan) { ...Measure1 }
    events(limit: $fan) { ...Event1 }
  }
}
fragment Place1 on Place {
  id within { ...Place2 } contains(limit: $fan) { ...Place2 } projects(limit: $fan) { ...Project2 } measures(limit: $fan) { ...Measure2 }
  events(limit: $fan) { ...Event2 }
}
fragment Project1 on Project {
  id measures(limit: $fan) { ...Measure2 } places(limit: $fan) { ...Place2 } sectors(limit: $fan) { ...Sector2 } events(limit: $fan) { ...Event2 }
}
fragment Measure1 on Measure {
  id partOfSection { ...Section2 } partOfAspect { ...Aspect2 } projects(limit: $fan) { ...Project2 }
  sectors(limit: $fan) { ...Sector2 } places(limit: $fan) { ...Place2 } milestones(limit: $fan) { ...Milestone2 } events(limit: $fan) { ...Event2 }
}
fragment Event1 on Event {
  id measures(limit: $fan) { ...Measure2 } projects(limit: $fan) { ...Project2 } places(limit: $fan) { ...Place2 } plans(limit: $fan) { ...Plan2 }
  organizations(limit: $fan) { ...Organization2 }
}
fragment Place2 on Place {
  id within { id } contains(limit: $fan) { id } projects(limit: $fan) { id } measures(limit: $fan) { id } events(limit: $fan) { id }
}
fragment Project2 on Project { id measures(limit: $fan) { id } places(limit: $fan) { id } sectors(limit: $fan) { id } events(limit: $fan) { id } }
fragment Measure2 on Measure {
  id partOfSection { id } partOfAspect { id } projects(limit: $fan) { id } sectors(limit: $fan) { id } places(limit: $fan) { id }
  milestones(limit: $fan) { id } events(limit: $fan) { id }
}
fragment Event2 on Event {
  id measures(limit: $fan) { id } projects(limit: $fan) { id } places(limit: $fan) { id } plans(limit: $fan) { id } organizations(limit: $fan) { id }
}
fragment Organization2 on Organization { id events(limit: $fan) { id } }
fragment Plan2 on Plan { id parent { id } children(limit: $fan) { id } sections(limit: $fan) { id } milestones(limit: $fan) { id } events(limit: $fan) { id } }
fragment Sector2 on Sector { id measures(limit: $fan) { id } projects(limit: $fan) { id } }
fragment Section2 on Section { id inPlan { id } aspects(limit: $fan) { id } measures(limit: $fan) { id } }
fragment Aspect2 on Aspect { id section { id } measures(limit: $fan) { id } }
fragment Milestone2 on Milestone { id plans(limit: $fan) { id } measures(limit: $fan) { id } }`

	oursOrdered = `query Ordered($plan: String!, $min: Int!, $first: Int!) {
  plan(slug: $plan) {
    measures(filter: { milestoneYear: { min: $min } }, orderBy: [{ field: MILESTONE_YEAR, direction: DESC }], first: $first) {
      nodes { code title }
    }
  }
}`
	peerOrdered = `query Ordered($plan: String!, $min: Int!, $first: Int!) {
  measures(
    where: { plan: { eq: $plan }, milestones: { some: { year: { gte: $min } } } }
    sort: [{ milestoneYear: DESC }, { codeKey: ASC }, { id: ASC }]
    limit: $first
  ) { code title }
}`

	oursCount = `query Count($plan: String!, $section: Int!) {
  plan(slug: $plan) { measures(filter: { section: $section }) { totalCount } }
}`
	peerCount = `query Count($plan: String!, $section: Int!) {
  measuresConnection(where: { plan: { eq: $plan }, sectionNumber: { eq: $section } }) { totalCount }
}`

	oursNode = `query Node($id: ID!) {
  node(id: $id) { __typename id ... on Measure { code title status } }
}`
	peerNode = `query Node($id: ID!) {
  measures(where: { id: { eq: $id } }) { id code title status }
}`
)

// peerCursor is @neo4j/graphql's connection cursor for an offset
// (graphql-relay's "arrayconnection:N"): its cursors are offsets.
func peerCursor(offset int) string {
	return base64.StdEncoding.EncodeToString([]byte("arrayconnection:" + strconv.Itoa(offset)))
}
