// The API through urql (@urql/core 6 with the normalised cache of
// @urql/exchange-graphcache, fetchExchange, and subscriptionExchange over
// graphql-ws), with the operation types graphql-codegen generated from the
// running server.
//
//   API_URL=http://127.0.0.1:8080 API_TOKEN=<token> node --test build/urql.test.js
//
// Normally run by e2e/run.sh, which starts the API with a fresh token.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { createClient as createWsClient, type Client as WsClient } from 'graphql-ws';
import { Client, fetchExchange, subscriptionExchange, type OperationResult } from '@urql/core';
import { cacheExchange, type KeyingConfig } from '@urql/exchange-graphcache';
import schema from './__generated__/introspection.js';
import {
  MeasureByCodeDocument,
  MeasureChangedDocument,
  NodeByIdDocument,
  PlanMeasureCodesDocument,
  PlanMeasuresPageDocument,
  SearchDocument,
  SetMeasureStatusDocument,
  type MeasureChangedSubscription,
  type MeasureFieldsFragment,
  type PlanMeasuresPageQueryVariables,
} from './__generated__/graphql.js';
import type { MeasureStatus } from './__generated__/schema.js';
import {
  Inbox,
  PLAN,
  apiToken,
  apiTokenName,
  captureConsole,
  changeUntilEvent,
  connected,
  countingFetch,
  endpoints,
  errorCodes,
  nodeTypes,
  otherStatus,
  within,
} from './support.js';

// The measure this file changes (the Apollo test changes another one).
const CODE = 'S1.M5';

/** Object types that are not Nodes have no id: graphcache embeds them in
 * their parent (key null) instead of warning that it cannot key them. */
function embeddedTypes(): KeyingConfig {
  const keys: KeyingConfig = {};
  const roots = new Set(['Query', 'Mutation', 'Subscription']);
  for (const t of schema.__schema.types) {
    if (t.kind === 'OBJECT' && !t.name.startsWith('__') && !roots.has(t.name) && !nodeTypes.includes(t.name)) {
      keys[t.name] = () => null;
    }
  }
  return keys;
}

function wsClient(token?: string): WsClient {
  return createWsClient({
    url: endpoints.ws,
    webSocketImpl: WebSocket,
    connectionParams: token ? { Authorization: `Bearer ${token}` } : {},
    retryAttempts: 0,
    lazy: true,
  });
}

function urqlClient(opts: { fetch: typeof fetch; ws: WsClient }) {
  return new Client({
    url: endpoints.http,
    fetch: opts.fetch,
    requestPolicy: 'cache-first',
    exchanges: [
      cacheExchange({
        // The schema, generated from the running server: exact fragment
        // matching on the Node interface, and schema awareness.
        schema,
        // Keyed by id alone: the API's ids are global (Relay), so node(id:)
        // can be resolved without knowing the type.
        globalIDs: [...nodeTypes],
        keys: embeddedTypes(),
        resolvers: {
          Query: {
            // node(id:) is answered from the cache when an entity with that id
            // is there already (a "cache redirect"); else it goes to the API.
            node: (_parent, args) => (typeof args['id'] === 'string' ? args['id'] : null),
          },
        },
      }),
      fetchExchange,
      subscriptionExchange({
        forwardSubscription(request) {
          const input = { ...request, query: request.query || '' };
          return {
            subscribe(sink) {
              const unsubscribe = opts.ws.subscribe(input, sink);
              return { unsubscribe };
            },
          };
        },
      }),
    ],
  });
}

/** graphcache's verdict on an operation: 'hit', 'partial' or 'miss'. */
const cacheOutcome = (r: OperationResult) => r.operation.context.meta?.cacheOutcome;

describe('urql with graphcache', () => {
  const token = apiToken();
  const auth = { fetchOptions: { headers: { Authorization: `Bearer ${token}` } } };
  const counter = countingFetch();
  const ws = wsClient(token);
  const client = urqlClient({ fetch: counter.fetch, ws });
  const console_ = captureConsole();

  const walked: MeasureFieldsFragment[] = [];
  let status: MeasureStatus; // CODE's status, as last seen

  after(async () => {
    console_.restore();
    await ws.dispose();
  });

  test('walks the plan\'s measures connection with cursors (first: 5, after) to the end: no duplicate, no gap, totalCount in all', async () => {
    const pageSize = 5;
    const seen = new Set<string>();
    let cursor: string | null = null;
    let totalCount = -1;
    let cataloged = -1;
    let pages = 0;
    for (;;) {
      const variables: PlanMeasuresPageQueryVariables = { plan: PLAN, first: pageSize, after: cursor };
      const r = await client.query(PlanMeasuresPageDocument, variables, { requestPolicy: 'network-only' }).toPromise();
      assert.equal(r.error, undefined, `page ${pages + 1}: ${r.error?.message}`);
      const plan = r.data?.plan;
      assert.ok(plan, `plan ${PLAN} not found`);
      const conn = plan.measures;
      pages++;
      if (totalCount < 0) {
        totalCount = conn.totalCount;
        cataloged = plan.catalogedMeasureCount;
      }
      assert.equal(conn.totalCount, totalCount, `totalCount changed on page ${pages}`);
      assert.ok(conn.edges.length <= pageSize, `page ${pages} has ${conn.edges.length} edges, more than first: ${pageSize}`);
      for (const e of conn.edges) {
        assert.ok(e.cursor, 'an edge without a cursor');
        assert.ok(!seen.has(e.node.id), `duplicate: ${e.node.code} on page ${pages}`);
        seen.add(e.node.id);
        walked.push(e.node);
      }
      if (!conn.pageInfo.hasNextPage) break;
      assert.equal(conn.edges.length, pageSize, `page ${pages} is short (${conn.edges.length}) but hasNextPage is true`);
      assert.equal(conn.pageInfo.endCursor, conn.edges.at(-1)?.cursor, 'endCursor is not the last edge\'s cursor');
      cursor = conn.pageInfo.endCursor;
      assert.ok(pages < 100, 'more than 100 pages: the cursor does not advance');
    }
    assert.ok(totalCount > 0, 'the plan has no measures');
    assert.equal(walked.length, totalCount, `walked ${walked.length} measures in ${pages} pages, totalCount says ${totalCount}`);
    assert.equal(totalCount, cataloged, 'totalCount differs from the plan\'s catalogedMeasureCount');
    assert.equal(pages, Math.ceil(totalCount / pageSize), 'number of pages');

    // No gap: the pages put together are exactly the one-page answer, in order.
    assert.ok(totalCount <= 100, 'the bundled plan fits in one page of 100');
    const all = await client.query(PlanMeasureCodesDocument, { plan: PLAN, first: 100 }, { requestPolicy: 'network-only' }).toPromise();
    assert.equal(all.error, undefined, all.error?.message);
    assert.equal(all.data?.plan?.measures.totalCount, totalCount);
    assert.deepEqual(
      walked.map((m) => m.code),
      all.data?.plan?.measures.nodes.map((m) => m.code),
    );
    assert.ok(walked.some((m) => m.code === CODE), `${CODE} is not in the plan`);
  });

  test('search(text: "Qianhai") finds the Qianhai free trade zone project', async () => {
    const r = await client.query(SearchDocument, { text: 'Qianhai', first: 20 }).toPromise();
    assert.equal(r.error, undefined, r.error?.message);
    const hits = r.data?.search ?? [];
    const project = hits.find((h) => h.node.__typename === 'Project' && h.node.slug === 'qianhai-free-trade-zone');
    assert.ok(project, `no Project qianhai-free-trade-zone among ${JSON.stringify(hits.map((h) => h.node))}`);
    assert.equal(project.node.__typename === 'Project' && project.node.name, 'Qianhai free trade zone');
    assert.ok(project.score > 0);
  });

  test('refetches a node by id: the normalised cache serves the second node(id:) query with no request', async () => {
    const [first, second] = walked;
    assert.ok(first && second, 'needs the walk above');

    // 1. node(id:) over the network.
    let before = counter.count;
    const r1 = await client.query(NodeByIdDocument, { id: first.id }, { requestPolicy: 'network-only' }).toPromise();
    assert.equal(r1.error, undefined, r1.error?.message);
    assert.equal(counter.count, before + 1, 'node(id:) with network-only sends one request');
    assert.deepEqual(r1.data?.node, { __typename: 'Measure', id: first.id, code: first.code, title: first.title, status: first.status });

    // 2. The same query again, cache-first: a cache hit, no request.
    before = counter.count;
    const r2 = await client.query(NodeByIdDocument, { id: first.id }).toPromise();
    assert.equal(counter.count, before, `the second node(id:) sent a request: ${counter.operations.slice(before)}`);
    assert.equal(cacheOutcome(r2), 'hit');
    assert.deepEqual(r2.data?.node, r1.data?.node);

    // 3. node(id:) of a measure only seen in the connection walk: the
    //    normalised entity (keyed by its id) answers it, no request.
    before = counter.count;
    const r3 = await client.query(NodeByIdDocument, { id: second.id }).toPromise();
    assert.equal(counter.count, before, 'node(id:) of a cached measure sent a request');
    assert.equal(cacheOutcome(r3), 'hit');
    assert.deepEqual(r3.data?.node, { __typename: 'Measure', id: second.id, code: second.code, title: second.title, status: second.status });

    // 4. readQuery reads the cache synchronously, without any exchange below it.
    assert.deepEqual(client.readQuery(NodeByIdDocument, { id: second.id })?.data?.node, r3.data?.node);
  });

  test('setMeasureStatus without a token fails with UNAUTHENTICATED and changes nothing', async () => {
    const r = await client.query(MeasureByCodeDocument, { code: CODE, plan: PLAN }, { requestPolicy: 'network-only' }).toPromise();
    assert.ok(r.data?.measure, `measure ${CODE} not found: ${r.error?.message}`);
    status = r.data.measure.status;
    const m = await client
      .mutation(SetMeasureStatusDocument, { code: CODE, plan: PLAN, status: otherStatus(status), note: 'e2e urql: no token' })
      .toPromise();
    assert.ok(m.error, 'the mutation without a token did not fail');
    assert.equal(m.error.networkError, undefined, `network error: ${m.error.networkError}`);
    assert.deepEqual(errorCodes(m.error.graphQLErrors), ['UNAUTHENTICATED']);
    assert.equal(m.data?.setMeasureStatus ?? null, null);
    const again = await client.query(MeasureByCodeDocument, { code: CODE, plan: PLAN }, { requestPolicy: 'network-only' }).toPromise();
    assert.equal(again.data?.measure?.status, status, 'the status changed without a token');
  });

  test('setMeasureStatus with a token (Authorization: Bearer) changes the status and records who', async () => {
    const next = otherStatus(status);
    const note = `e2e urql ${new Date().toISOString()}`;
    const r = await client.mutation(SetMeasureStatusDocument, { code: CODE, plan: PLAN, status: next, note }, auth).toPromise();
    assert.equal(r.error, undefined, r.error?.message);
    assert.ok(r.data, 'no data');
    const m = r.data.setMeasureStatus;
    assert.equal(m.code, CODE);
    assert.equal(m.status, next);
    const latest = m.statusHistory[0];
    assert.ok(latest, 'empty statusHistory');
    assert.equal(latest.status, next);
    assert.equal(latest.note, note);
    if (apiTokenName) assert.equal(latest.by, apiTokenName);
    else assert.ok(latest.by, 'statusHistory[0].by is empty');
    // The mutation's answer updated the normalised entity.
    assert.equal(client.readQuery(MeasureByCodeDocument, { code: CODE, plan: PLAN })?.data?.measure?.status, next);
    status = next;
  });

  test('receives measureChanged over graphql-ws (subscriptionExchange) with the new status', async (t) => {
    const next = otherStatus(status);
    const events = new Inbox<MeasureChangedSubscription['measureChanged']>();
    const errors: unknown[] = [];
    const wsUp = connected(ws);
    const sub = client.subscription(MeasureChangedDocument, { code: CODE, plan: PLAN }).subscribe((r) => {
      if (r.error) errors.push(r.error);
      if (r.data) events.push(r.data.measureChanged);
    });
    try {
      await wsUp; // connection_ack: the subscribe message is on its way
      const { event: got, attempts } = await changeUntilEvent(events, async (attempt) => {
        const r = await client
          .mutation(SetMeasureStatusDocument, { code: CODE, plan: PLAN, status: next, note: `e2e urql subscription #${attempt}` }, auth)
          .toPromise();
        assert.equal(r.error, undefined, r.error?.message);
        assert.deepEqual(errors, [], 'subscription errors');
      });
      assert.deepEqual(errors, [], 'subscription errors');
      t.diagnostic(`measureChanged arrived after change #${attempts}`);
      assert.equal(got.code, CODE);
      assert.equal(got.status, next);
      assert.equal(client.readQuery(MeasureByCodeDocument, { code: CODE, plan: PLAN })?.data?.measure?.status, next);
      status = next;
    } finally {
      sub.unsubscribe();
    }
  });

  test('refuses measureChanged over graphql-ws without a token (UNAUTHENTICATED)', async () => {
    const anon = wsClient();
    const c = urqlClient({ fetch: countingFetch().fetch, ws: anon });
    try {
      const r = await within(
        5000,
        'an answer to the anonymous subscription',
        new Promise<OperationResult>((resolve) => {
          c.subscription(MeasureChangedDocument, { code: CODE, plan: PLAN }).subscribe(resolve);
        }),
      );
      assert.ok(r.error, `expected an error, got ${JSON.stringify(r.data)}`);
      assert.deepEqual(errorCodes(r.error.graphQLErrors), ['UNAUTHENTICATED']);
    } finally {
      await anon.dispose();
    }
  });

  test('the client logged no warnings or errors', () => {
    assert.deepEqual(console_.lines, []);
  });
});
