// The API through Apollo Client (@apollo/client 4, InMemoryCache, HttpLink,
// GraphQLWsLink over graphql-ws), with the operation types graphql-codegen
// generated from the running server.
//
//   API_URL=http://127.0.0.1:8080 API_TOKEN=<token> node --test build/apollo.test.js
//
// Normally run by e2e/run.sh, which starts the API with a fresh token.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { OperationTypeNode } from 'graphql';
import { createClient, type Client as WsClient } from 'graphql-ws';
import { ApolloClient, ApolloLink, CombinedGraphQLErrors, HttpLink, InMemoryCache, type Reference } from '@apollo/client';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import {
  MeasureByCodeDocument,
  MeasureChangedDocument,
  NodeByIdDocument,
  NodeFieldsFragmentDoc,
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
  possibleTypes,
  within,
} from './support.js';

// The measure this file changes (the urql test changes another one, so the
// two files can run at the same time).
const CODE = 'S1.M4';

function newCache() {
  return new InMemoryCache({
    // Generated from the schema (graphql-codegen's fragment-matcher): lets the
    // cache match fragments on the Node interface against Measure, Plan, …
    possibleTypes,
    typePolicies: {
      Query: {
        fields: {
          // node(id:) is answered from the cache when an object with that id is
          // already there under any Node type (a "cache redirect"); ids are global.
          node: {
            read(existing: Reference | undefined, { args, toReference, canRead }) {
              if (existing !== undefined) return existing;
              const id = args?.['id'];
              if (typeof id !== 'string') return undefined;
              for (const __typename of nodeTypes) {
                const ref = toReference({ __typename, id });
                if (ref && canRead(ref)) return ref;
              }
              return undefined;
            },
          },
        },
      },
    },
  });
}

function wsClient(token?: string): WsClient {
  return createClient({
    url: endpoints.ws,
    webSocketImpl: WebSocket,
    // gqlgen reads the token from the connection_init payload.
    connectionParams: token ? { Authorization: `Bearer ${token}` } : {},
    retryAttempts: 0,
    lazy: true,
  });
}

function apolloClient(opts: { fetch: typeof fetch; ws: WsClient }) {
  const http = new HttpLink({ uri: endpoints.http, fetch: opts.fetch });
  const link = ApolloLink.split((op) => op.operationType === OperationTypeNode.SUBSCRIPTION, new GraphQLWsLink(opts.ws), http);
  return new ApolloClient({ link, cache: newCache() });
}

describe('Apollo Client', () => {
  const token = apiToken();
  const auth = { headers: { Authorization: `Bearer ${token}` } };
  const counter = countingFetch();
  const ws = wsClient(token);
  const client = apolloClient({ fetch: counter.fetch, ws });
  const cache = client.cache;
  const console_ = captureConsole();

  let walked: MeasureFieldsFragment[] = [];
  let status: MeasureStatus; // CODE's status, as last seen

  after(async () => {
    console_.restore();
    client.stop();
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
      const { data } = await client.query({
        query: PlanMeasuresPageDocument,
        variables,
        fetchPolicy: 'network-only',
      });
      assert.ok(data?.plan, `plan ${PLAN} not found`);
      const conn = data.plan.measures;
      pages++;
      if (totalCount < 0) {
        totalCount = conn.totalCount;
        cataloged = data.plan.catalogedMeasureCount;
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
    const { data } = await client.query({ query: PlanMeasureCodesDocument, variables: { plan: PLAN, first: 100 }, fetchPolicy: 'network-only' });
    assert.equal(data?.plan?.measures.totalCount, totalCount);
    assert.deepEqual(
      walked.map((m) => m.code),
      data?.plan?.measures.nodes.map((m) => m.code),
    );
    assert.ok(walked.some((m) => m.code === CODE), `${CODE} is not in the plan`);
  });

  test('search(text: "Qianhai") finds the Qianhai free trade zone project', async () => {
    const { data } = await client.query({ query: SearchDocument, variables: { text: 'Qianhai', first: 20 } });
    const hits = data?.search ?? [];
    const project = hits.find((h) => h.node.__typename === 'Project' && h.node.slug === 'qianhai-free-trade-zone');
    assert.ok(project, `no Project qianhai-free-trade-zone among ${JSON.stringify(hits.map((h) => h.node))}`);
    assert.equal(project.node.__typename === 'Project' && project.node.name, 'Qianhai free trade zone');
    assert.ok(project.score > 0);
  });

  test('refetches a node by id and reads it back from the normalised cache (possibleTypes)', async () => {
    assert.ok(nodeTypes.includes('Measure') && nodeTypes.includes('Project') && nodeTypes.includes('Plan'), `possibleTypes.Node = ${nodeTypes}`);
    const [first, second] = walked;
    assert.ok(first && second, 'needs the walk above');

    // 1. node(id:) over the network.
    let before = counter.count;
    const { data } = await client.query({ query: NodeByIdDocument, variables: { id: first.id }, fetchPolicy: 'network-only' });
    assert.equal(counter.count, before + 1, 'node(id:) with network-only sends one request');
    assert.equal(data?.node?.__typename, 'Measure');
    assert.equal(data?.node?.__typename === 'Measure' && data.node.code, first.code);

    // 2. Read back from the cache by __typename + id, through a fragment on the
    //    Node interface (matches a Measure only with possibleTypes).
    const cacheId = cache.identify({ __typename: 'Measure', id: first.id });
    assert.equal(cacheId, `Measure:${first.id}`);
    const fromCache = cache.readFragment({ id: cacheId, fragment: NodeFieldsFragmentDoc });
    assert.deepEqual(fromCache, { __typename: 'Measure', id: first.id, code: first.code, title: first.title, status: first.status });

    // 3. The same node(id:) again: answered by the cache, no request.
    before = counter.count;
    const again = await client.query({ query: NodeByIdDocument, variables: { id: first.id } });
    assert.equal(counter.count, before, `the second node(id:) sent a request: ${counter.operations.slice(before)}`);
    assert.deepEqual(again.data?.node, data?.node);

    // 4. node(id:) of a measure never asked for by id, only seen in the
    //    connection walk: the normalised entity answers it (cache redirect).
    before = counter.count;
    const redirected = await client.query({ query: NodeByIdDocument, variables: { id: second.id } });
    assert.equal(counter.count, before, 'node(id:) of a cached measure sent a request');
    assert.deepEqual(redirected.data?.node, { __typename: 'Measure', id: second.id, code: second.code, title: second.title, status: second.status });
  });

  test('setMeasureStatus without a token fails with UNAUTHENTICATED and changes nothing', async () => {
    const { data } = await client.query({ query: MeasureByCodeDocument, variables: { code: CODE, plan: PLAN }, fetchPolicy: 'network-only' });
    assert.ok(data?.measure, `measure ${CODE} not found`);
    status = data.measure.status;
    await assert.rejects(
      client.mutate({ mutation: SetMeasureStatusDocument, variables: { code: CODE, plan: PLAN, status: otherStatus(status), note: 'e2e apollo: no token' } }),
      (err: unknown) => {
        assert.ok(CombinedGraphQLErrors.is(err), `not a GraphQL error: ${err}`);
        assert.deepEqual(errorCodes(err.errors), ['UNAUTHENTICATED']);
        return true;
      },
    );
    const after = await client.query({ query: MeasureByCodeDocument, variables: { code: CODE, plan: PLAN }, fetchPolicy: 'network-only' });
    assert.equal(after.data?.measure?.status, status, 'the status changed without a token');
  });

  test('setMeasureStatus with a token (Authorization: Bearer) changes the status and records who', async () => {
    const next = otherStatus(status);
    const note = `e2e apollo ${new Date().toISOString()}`;
    const { data } = await client.mutate({
      mutation: SetMeasureStatusDocument,
      variables: { code: CODE, plan: PLAN, status: next, note },
      context: auth,
    });
    assert.ok(data, 'no data');
    const m = data.setMeasureStatus;
    assert.equal(m.code, CODE);
    assert.equal(m.status, next);
    const latest = m.statusHistory[0];
    assert.ok(latest, 'empty statusHistory');
    assert.equal(latest.status, next);
    assert.equal(latest.note, note);
    if (apiTokenName) assert.equal(latest.by, apiTokenName);
    else assert.ok(latest.by, 'statusHistory[0].by is empty');
    // The mutation's answer updated the normalised entity.
    const cached = cache.readFragment({ id: cache.identify({ __typename: 'Measure', id: m.id }), fragment: NodeFieldsFragmentDoc });
    assert.equal(cached && 'status' in cached ? cached.status : undefined, next);
    status = next;
  });

  test('receives measureChanged over graphql-ws (GraphQLWsLink) with the new status', async (t) => {
    const next = otherStatus(status);
    const events = new Inbox<MeasureChangedSubscription['measureChanged']>();
    const errors: unknown[] = [];
    const wsUp = connected(ws);
    const sub = client.subscribe({ query: MeasureChangedDocument, variables: { code: CODE, plan: PLAN } }).subscribe({
      next: (r) => {
        if (r.error) errors.push(r.error);
        if (r.data) events.push(r.data.measureChanged);
      },
      error: (e) => errors.push(e),
    });
    try {
      await wsUp; // connection_ack: the subscribe message is on its way
      const { event: got, attempts } = await changeUntilEvent(events, async (attempt) => {
        await client.mutate({
          mutation: SetMeasureStatusDocument,
          variables: { code: CODE, plan: PLAN, status: next, note: `e2e apollo subscription #${attempt}` },
          context: auth,
        });
        assert.deepEqual(errors, [], 'subscription errors');
      });
      assert.deepEqual(errors, [], 'subscription errors');
      t.diagnostic(`measureChanged arrived after change #${attempts}`);
      assert.equal(got.code, CODE);
      assert.equal(got.status, next);
      const cached = cache.readFragment({ id: cache.identify({ __typename: 'Measure', id: got.id }), fragment: NodeFieldsFragmentDoc });
      assert.equal(cached && 'status' in cached ? cached.status : undefined, next);
      status = next;
    } finally {
      sub.unsubscribe();
    }
  });

  test('refuses measureChanged over graphql-ws without a token (UNAUTHENTICATED)', async () => {
    const anon = wsClient();
    const c = apolloClient({ fetch: countingFetch().fetch, ws: anon });
    try {
      const outcome = await within(
        5000,
        'an answer to the anonymous subscription',
        new Promise<unknown>((resolve) => {
          c.subscribe({ query: MeasureChangedDocument, variables: { code: CODE, plan: PLAN } }).subscribe({
            next: (r) => resolve(r.error ?? r),
            error: resolve,
          });
        }),
      );
      assert.ok(CombinedGraphQLErrors.is(outcome), `expected GraphQL errors, got ${JSON.stringify(outcome)}`);
      assert.deepEqual(errorCodes(outcome.errors), ['UNAUTHENTICATED']);
    } finally {
      c.stop();
      await anon.dispose();
    }
  });

  test('the client logged no warnings or errors', () => {
    assert.deepEqual(console_.lines, []);
  });
});
