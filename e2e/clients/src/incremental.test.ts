// @defer over multipart/mixed and lookup(by:) (@oneOf) through Apollo Client
// 4 (HttpLink; the Defer20220824Handler sends Accept:
// multipart/mixed;deferSpec=20220824 for operations with @defer).
//
//   API_URL=http://127.0.0.1:8080 node --test build/incremental.test.js
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ApolloClient, CombinedGraphQLErrors, HttpLink, InMemoryCache } from '@apollo/client';
import { Defer20220824Handler } from '@apollo/client/incremental';
import { LookupDocument, PlanWithDeferredStatsDocument, type PlanWithDeferredStatsQuery } from './__generated__/graphql.js';
import { PLAN, endpoints, errorCodes, possibleTypes } from './support.js';

/** A fetch that records the Accept header sent and the Content-Type received. */
function recordingFetch() {
  const seen: { accept: string; contentType: string }[] = [];
  const fetchFn: typeof fetch = async (input, init) => {
    const res = await fetch(input, init);
    seen.push({ accept: new Headers(init?.headers).get('accept') ?? '', contentType: res.headers.get('content-type') ?? '' });
    return res;
  };
  return { fetch: fetchFn, seen };
}

function client(fetchFn: typeof fetch) {
  return new ApolloClient({
    link: new HttpLink({ uri: endpoints.http, fetch: fetchFn }),
    cache: new InMemoryCache({ possibleTypes }),
    incrementalHandler: new Defer20220824Handler(),
  });
}

describe('Apollo Client: @defer and lookup', () => {
  test('a plan\'s stats under @defer come in a later part of a multipart/mixed answer', async () => {
    const rec = recordingFetch();
    const c = client(rec.fetch);
    type Stats = { measures: number; byStatus: { key: string; count: number }[] } | null | undefined;
    const statsOf = (d: PlanWithDeferredStatsQuery | undefined): Stats => (d?.plan as { stats?: Stats } | undefined)?.stats;
    const results: (PlanWithDeferredStatsQuery | undefined)[] = [];
    // Every result the query gives until the deferred stats are merged in.
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        sub.unsubscribe();
        reject(new Error(`no result with the deferred stats within 10 s: ${JSON.stringify(results)}`));
      }, 10_000);
      const sub = c
        .watchQuery({ query: PlanWithDeferredStatsDocument, variables: { plan: PLAN }, fetchPolicy: 'network-only' })
        .subscribe({
          next: (r) => {
            if (r.error) {
              clearTimeout(timer);
              sub.unsubscribe();
              reject(r.error);
              return;
            }
            if (r.data === undefined) return;
            results.push(r.data as PlanWithDeferredStatsQuery);
            if (statsOf(r.data as PlanWithDeferredStatsQuery)) {
              clearTimeout(timer);
              sub.unsubscribe();
              resolve();
            }
          },
          error: (e) => {
            clearTimeout(timer);
            reject(e);
          },
        });
    });
    c.stop();
    assert.equal(rec.seen.length, 1, 'one request');
    assert.match(rec.seen[0]!.accept, /multipart\/mixed;\s*deferSpec=20220824/, 'Apollo asks for incremental delivery');
    assert.match(rec.seen[0]!.contentType, /^multipart\/mixed;.*deferSpec=20220824/, 'the server answers in parts');

    const first = results[0];
    const last = results.at(-1);
    assert.ok(first && last && results.length >= 2, `want the initial payload, then the deferred one: ${JSON.stringify(results)}`);
    assert.ok(first.plan?.title, 'the initial payload has the title');
    // gqlgen writes the deferred field as null in the initial payload.
    assert.equal(statsOf(first) ?? null, null, 'the initial payload has no stats');
    const stats = statsOf(last);
    assert.ok(stats && stats.measures > 0, `the deferred part has the stats: ${JSON.stringify(last)}`);
    assert.equal(stats.byStatus.reduce((n, b) => n + b.count, 0), stats.measures, 'byStatus adds up to measures');
    assert.equal(last.plan?.title, first.plan?.title);
  });

  test('lookup(by:) finds a node by exactly one key; two keys in a variable are refused', async () => {
    const c = client(fetch);
    const byCode = await c.query({ query: LookupDocument, variables: { by: { measure: { code: 'S1.M1', plan: PLAN } } } });
    const m = byCode.data?.lookup;
    assert.equal(m?.__typename, 'Measure');
    assert.equal(m?.__typename === 'Measure' && m.code, 'S1.M1');

    const byID = await c.query({ query: LookupDocument, variables: { by: { id: m!.id } }, fetchPolicy: 'network-only' });
    assert.equal(byID.data?.lookup?.id, m!.id, 'the same node by its id');

    const bySlug = await c.query({ query: LookupDocument, variables: { by: { slug: { kind: 'PROJECT', slug: 'qianhai-free-trade-zone' } } } });
    assert.equal(bySlug.data?.lookup?.__typename === 'Project' && bySlug.data.lookup.name, 'Qianhai free trade zone');

    const two = await c.query({
      query: LookupDocument,
      variables: { by: { id: m!.id, slug: { kind: 'PLAN', slug: PLAN } } },
      fetchPolicy: 'network-only',
      errorPolicy: 'all',
    });
    assert.ok(CombinedGraphQLErrors.is(two.error), `want GraphQL errors, got ${two.error}`);
    assert.deepEqual(errorCodes(two.error.errors), ['BAD_USER_INPUT']);
    assert.match(two.error.errors[0]!.message, /exactly one of id, measure or slug, not id and slug/);
    c.stop();
  });
});
