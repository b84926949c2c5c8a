// GraphQL client and the operations the explorer sends. The endpoint is
// /graphql on the page's own origin (the explorer is served by the API).

export const ENDPOINT = '/graphql';

export class GraphQLRequestError extends Error {
  constructor(message, { status, errors } = {}) {
    super(message);
    this.name = 'GraphQLRequestError';
    this.status = status;
    this.errors = errors;
  }
}

// POSTs one operation and returns its `data`; throws on transport errors, on
// non-JSON answers and on any GraphQL error (the explorer never uses partial data).
export async function gql(query, variables = {}, { signal } = {}) {
  let res;
  try {
    res = await fetch(ENDPOINT, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ query, variables }),
      credentials: 'same-origin',
      signal,
    });
  } catch (err) {
    if (err?.name === 'AbortError') throw err;
    throw new GraphQLRequestError(`The API did not answer (${err?.message || err}).`);
  }
  let body;
  try {
    body = await res.json();
  } catch {
    throw new GraphQLRequestError(`The API answered HTTP ${res.status} without a JSON body.`, { status: res.status });
  }
  if (Array.isArray(body?.errors) && body.errors.length > 0) {
    const msg = body.errors.map((e) => e?.message || String(e)).join('; ');
    throw new GraphQLRequestError(msg, { status: res.status, errors: body.errors });
  }
  if (!res.ok || !body?.data) {
    throw new GraphQLRequestError(`The API answered HTTP ${res.status}.`, { status: res.status });
  }
  return body.data;
}

// --- operations ---------------------------------------------------------------
// Written out readably: they are also what "Open in GraphiQL" shows.

export const PLAN_QUERY = `query ExplorerPlan {
  plan {
    title
    declaredMeasureCount
    catalogedMeasureCount
  }
}
`;

export const SEARCH_QUERY = `query ExplorerSearch($text: String!, $types: [String!], $first: Int) {
  search(text: $text, types: $types, first: $first) {
    score
    snippet
    node {
      __typename
      id
      ... on Plan { title }
      ... on Section { number title }
      ... on Aspect { number title }
      ... on Measure { code title }
      ... on Project { name }
      ... on Sector { name }
      ... on Place { name }
      ... on Milestone { label }
      ... on Source { title }
      ... on Event { title date }
      ... on Organization { name }
    }
  }
}
`;

export const NEIGHBORHOOD_QUERY = `query ExplorerNeighborhood($id: ID!, $depth: Int, $limit: Int) {
  neighborhood(id: $id, depth: $depth, limit: $limit) {
    truncated
    nodes { id type label }
    edges { id source target type }
  }
}
`;

export const NODE_QUERY = `query ExplorerNode($id: ID!) {
  node(id: $id) {
    __typename
    id
    ... on Plan {
      slug title titleZh issuer summary goal goalYear
      declaredMeasureCount catalogedMeasureCount tranches domains
      sources { ...SourceFields }
    }
    ... on Section {
      number title summary
      sources { ...SourceFields }
    }
    ... on Aspect {
      number title summary
      sources { ...SourceFields }
    }
    ... on Measure {
      code title titleZh description status
      sources { ...SourceFields }
    }
    ... on Project {
      slug name nameZh kind description
      sources { ...SourceFields }
    }
    ... on Sector {
      slug name nameZh
      sources { ...SourceFields }
    }
    ... on Place {
      slug name nameZh kind
      sources { ...SourceFields }
    }
    ... on Milestone {
      slug year date approximate label
      sources { ...SourceFields }
    }
    ... on Event {
      slug eventKind: kind title eventDate: date precision dateNote targetYear confirmed
      quantities { of value unit }
      sources { ...SourceFields }
    }
    ... on Organization {
      slug name nameZh level
      sources { ...SourceFields }
    }
    ... on Source {
      title publisher url publishedOn authority
    }
  }
}

fragment SourceFields on Source {
  id
  title
  publisher
  url
  publishedOn
  authority
  excerpt
  claim
  fact
}
`;

// The timeline of a measure, project, place or plan: one page of its events,
// oldest first. The side panel asks for 20 at a time ("Show more" pages on
// with after).
export const TIMELINE_QUERY = `query ExplorerTimeline($id: ID!, $first: Int, $after: String) {
  node(id: $id) {
    __typename
    id
    ... on Plan { timeline(first: $first, after: $after) { ...TimelinePage } }
    ... on Measure { timeline(first: $first, after: $after) { ...TimelinePage } }
    ... on Project { timeline(first: $first, after: $after) { ...TimelinePage } }
    ... on Place { timeline(first: $first, after: $after) { ...TimelinePage } }
  }
}

fragment TimelinePage on EventConnection {
  totalCount
  pageInfo { hasNextPage endCursor }
  nodes {
    id slug kind title date precision dateNote targetYear confirmed
    quantities { of value unit }
    measures { id code title }
    projects { id name }
    places { id name }
    sources { id title publisher url publishedOn authority claim fact excerpt }
  }
}
`;

// Every event of the (default) plan: the plan timeline view pages through
// them, 100 at a time. (A query of its own: TIMELINE_QUERY's four inline
// fragments are priced as four timelines, so a page of 100 would exceed the
// API's complexity budget.)
export const PLAN_TIMELINE_QUERY = `query ExplorerPlanTimeline($first: Int, $after: String) {
  plan {
    id
    slug
    title
    timeline(first: $first, after: $after) { ...TimelinePage }
  }
}

fragment TimelinePage on EventConnection {
  totalCount
  pageInfo { hasNextPage endCursor }
  nodes {
    id slug kind title date precision dateNote targetYear confirmed
    quantities { of value unit }
    measures { id code title }
    projects { id name }
    places { id name }
    sources { id title publisher url publishedOn authority claim fact excerpt }
  }
}
`;

// The node types that have a timeline.
export const TIMELINE_TYPES = new Set(['Plan', 'Measure', 'Project', 'Place']);

// The scalar fields shown in the side panel, per type, in display order.
export const FIELDS = {
  Plan: ['title', 'titleZh', 'slug', 'issuer', 'summary', 'goal', 'goalYear', 'declaredMeasureCount', 'catalogedMeasureCount', 'tranches', 'domains'],
  Section: ['number', 'title', 'summary'],
  Aspect: ['number', 'title', 'summary'],
  Measure: ['code', 'title', 'titleZh', 'description', 'status'],
  Project: ['name', 'nameZh', 'slug', 'kind', 'description'],
  Sector: ['name', 'nameZh', 'slug'],
  Place: ['name', 'nameZh', 'slug', 'kind'],
  Milestone: ['label', 'year', 'date', 'approximate', 'slug'],
  Event: ['title', 'eventDate', 'precision', 'dateNote', 'eventKind', 'targetYear', 'confirmed', 'quantities', 'slug'],
  Organization: ['name', 'nameZh', 'level', 'slug'],
  Source: ['title', 'publisher', 'url', 'publishedOn', 'authority'],
};

// Display label of a search hit's node, the same as the label the API gives
// the node in a neighbourhood (store/subgraph.go).
export function hitLabel(n) {
  switch (n?.__typename) {
    case 'Section':
      return `Section ${n.number}: ${n.title}`;
    case 'Aspect':
      return `Aspect ${n.number}: ${n.title}`;
    case 'Measure':
      return `${n.code} ${n.title}`;
    case 'Milestone':
      return n.label;
    case 'Project':
    case 'Sector':
    case 'Place':
    case 'Organization':
      return n.name;
    default:
      return n?.title ?? n?.name ?? n?.id ?? '';
  }
}

// Link that opens an operation in the GraphiQL page served at / (it reads
// ?query= and &variables= to prefill a tab).
export function graphiqlHref(query, variables) {
  let href = `/?query=${encodeURIComponent(query)}`;
  if (variables && Object.keys(variables).length > 0) {
    href += `&variables=${encodeURIComponent(JSON.stringify(variables, null, 2))}`;
  }
  return href;
}
