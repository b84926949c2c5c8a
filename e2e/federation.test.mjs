// Apollo Federation v2, end to end: the API as a subgraph of a supergraph
// that Apollo's own libraries compose and serve. The test
//
//   1. reads the API's subgraph SDL from the running API (`_service { sdl }`);
//   2. starts a second, small subgraph in this process (@apollo/subgraph,
//      @apollo/server) that extends Measure, by its natural key
//      `code plan { slug }`, with a budget;
//   3. composes the two with @apollo/composition into a supergraph SDL and
//      serves it with @apollo/gateway behind @apollo/server: a static
//      supergraph, no Apollo Studio, no uplink, nothing off this machine;
//   4. runs queries that span both subgraphs through the gateway, and checks
//      the API's real data in the answers, and what the gateway asked the API.
//
//   API_URL=http://127.0.0.1:8080 node --test federation.test.mjs
//
// Normally started by e2e/run.sh, which builds and starts the API first.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { composeServices } from '@apollo/composition';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { startStandaloneServer } from '@apollo/server/standalone';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';

const apiUrl = process.env.API_URL;
if (!apiUrl) {
  throw new Error('API_URL is not set: set it to the running API\'s base URL, e.g. API_URL=http://127.0.0.1:8080 (e2e/run.sh does it)');
}
const endpoint = new URL('graphql', apiUrl.endsWith('/') ? apiUrl : `${apiUrl}/`).href;

// Offline: without these Apollo Server and the gateway talk to nobody but
// the two subgraphs (no usage or schema reporting, no managed federation).
for (const v of ['APOLLO_KEY', 'APOLLO_GRAPH_REF', 'APOLLO_SCHEMA_CONFIG_DELIVERY_ENDPOINT']) delete process.env[v];

const PLAN = 'shenzhen-pdz-action-plan';

// The second subgraph: budgets, in millions of yuan, by plan and measure code.
const budgets = new Map([
  [`${PLAN}/S1.M1`, 1200],
  [`${PLAN}/S2.A2.M1`, 800],
  [`${PLAN}/S2.A2.M3`, 650],
]);
const budgetTypeDefs = parse(`
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])

  # A measure of the knowledge graph (its description is the API's), with
  # what the finance office knows of it.
  type Measure @key(fields: "code plan { slug }") {
    code: String!
    plan: Plan!
    "Budget in millions of yuan; null when none is set."
    budget: Int
  }

  type Plan @key(fields: "slug", resolvable: false) {
    slug: String!
  }

  type Query {
    "The measures with the largest budgets, largest first."
    largestBudgets(first: Int! = 3): [Measure!]!
  }
`);
const budgetResolvers = {
  Measure: {
    // The gateway sends every representation the query needs at once; the
    // key is what the API gave it: the code and the plan's slug.
    __resolveReference: (ref) => ({ ...ref, budget: budgets.get(`${ref.plan.slug}/${ref.code}`) ?? null }),
  },
  Query: {
    largestBudgets: (_, { first }) =>
      [...budgets]
        .sort(([, a], [, b]) => b - a)
        .slice(0, first)
        .map(([key, budget]) => {
          const [slug, code] = key.split('/');
          return { code, plan: { slug }, budget };
        }),
  },
};

let budgetServer;
let gatewayServer;
let gatewayUrl;
let supergraphSdl;
// What the gateway sent to the API: one entry per subgraph request.
const sentToApi = [];

before(async () => {
  const res = await fetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: '{ _service { sdl } }' }),
  });
  const body = await res.json();
  assert.equal(res.status, 200, JSON.stringify(body));
  assert.ok(!body.errors, `_service: ${JSON.stringify(body.errors)}`);
  const apiSdl = body.data._service.sdl;

  budgetServer = new ApolloServer({
    schema: buildSubgraphSchema([{ typeDefs: budgetTypeDefs, resolvers: budgetResolvers }]),
    plugins: [ApolloServerPluginInlineTraceDisabled()],
  });
  const { url: budgetUrl } = await startStandaloneServer(budgetServer, { listen: { host: '127.0.0.1', port: 0 } });

  const composed = composeServices([
    { name: 'kgapi', typeDefs: parse(apiSdl), url: endpoint },
    { name: 'budgets', typeDefs: budgetTypeDefs, url: budgetUrl },
  ]);
  assert.ok(!composed.errors, `composition failed:\n${(composed.errors ?? []).map((e) => e.message).join('\n')}`);
  supergraphSdl = composed.supergraphSdl;
  for (const h of composed.hints ?? []) console.log(`# composition hint: ${h.toString()}`);

  const gateway = new ApolloGateway({
    supergraphSdl,
    buildService: ({ name, url }) =>
      new RemoteGraphQLDataSource({
        url,
        willSendRequest({ request }) {
          // (a plain copy: the gateway builds its variables without prototypes)
          if (name === 'kgapi') sentToApi.push(JSON.parse(JSON.stringify({ query: request.query, variables: request.variables })));
        },
      }),
  });
  gatewayServer = new ApolloServer({ gateway });
  ({ url: gatewayUrl } = await startStandaloneServer(gatewayServer, { listen: { host: '127.0.0.1', port: 0 } }));
});

after(async () => {
  await gatewayServer?.stop();
  await budgetServer?.stop();
});

async function viaGateway(query, variables) {
  const res = await fetch(gatewayUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  const body = await res.json();
  assert.equal(res.status, 200, JSON.stringify(body));
  assert.ok(!body.errors, `errors: ${JSON.stringify(body.errors)}`);
  return body.data;
}

test('federation: the supergraph composes the API and the budget subgraph', (t) => {
  for (const want of [
    /join__graph\(name: "kgapi", url: "http:\/\/127\.0\.0\.1:\d+\/graphql"\)/,
    /type Measure implements Node\s+@join__implements\(graph: KGAPI, interface: "Node"\)\s+@join__type\(graph: BUDGETS, key: "code plan { slug }"\)\s+@join__type\(graph: KGAPI, key: "id"\)\s+@join__type\(graph: KGAPI, key: "code plan { slug }"\)/,
    /budget: Int @join__field\(graph: BUDGETS\)/,
    /largestBudgets\(first: Int! = 3\): \[Measure!\]! @join__field\(graph: BUDGETS\)/,
  ]) {
    assert.match(supergraphSdl, want);
  }
  t.diagnostic(`supergraph: ${supergraphSdl.split('\n').length} lines`);
});

test('federation: a query from the API into the budget subgraph', async (t) => {
  const q = `query MeasuresWithBudgets { measures(filter: { sector: ["information-technology", "smart-manufacturing"] }) { totalCount nodes { code title budget } } }`;
  const data = await viaGateway(q);
  t.diagnostic(JSON.stringify(data));
  assert.deepEqual(data, {
    measures: {
      totalCount: 2,
      nodes: [
        { code: 'S2.A2.M1', title: 'Modern industries in information technology', budget: 800 },
        { code: 'S2.A2.M3', title: 'Modern industries in smart manufacturing', budget: 650 },
      ],
    },
  });
});

test('federation: a query from the budget subgraph into the API (_entities, one batch)', async (t) => {
  const before = sentToApi.length;
  const q = `query LargestBudgets { largestBudgets(first: 3) { code budget title status plan { title } projects { name } } }`;
  const data = await viaGateway(q);
  t.diagnostic(JSON.stringify(data));
  assert.deepEqual(data.largestBudgets.map(({ code, budget, title }) => ({ code, budget, title })), [
    { code: 'S1.M1', budget: 1200, title: 'Further reform of the Qianhai free trade zone' },
    { code: 'S2.A2.M1', budget: 800, title: 'Modern industries in information technology' },
    { code: 'S2.A2.M3', budget: 650, title: 'Modern industries in smart manufacturing' },
  ]);
  for (const m of data.largestBudgets) {
    assert.equal(m.plan.title, 'Shenzhen action plan for the Pioneering Zone for Socialism with Chinese Characteristics');
  }
  assert.deepEqual(data.largestBudgets[0].projects, [{ name: 'Qianhai free trade zone' }]);

  // The gateway asked the API once, for the three measures by their natural key.
  const sent = sentToApi.slice(before);
  assert.equal(sent.length, 1, `the gateway sent the API ${sent.length} requests: ${JSON.stringify(sent)}`);
  assert.match(sent[0].query, /_entities\(representations: ?\$representations\)/);
  assert.deepEqual(sent[0].variables.representations, [
    { __typename: 'Measure', code: 'S1.M1', plan: { slug: PLAN } },
    { __typename: 'Measure', code: 'S2.A2.M1', plan: { slug: PLAN } },
    { __typename: 'Measure', code: 'S2.A2.M3', plan: { slug: PLAN } },
  ]);
  t.diagnostic(`sent to the API: ${sent[0].query.replace(/\s+/g, ' ')} with ${sent[0].variables.representations.length} representations`);
});
