// Trusted documents: a second API that e2e/run.sh starts with
// TRUSTED_DOCUMENTS=only and TRUSTED_DOCUMENTS_MANIFEST set to the manifest
// graphql-codegen's client preset generated from src/operations.graphql
// (src/__generated__/persisted/persisted-documents.json). The client sends
// an operation by its documentId (the hash the preset put in the document's
// __meta__), as GraphQL over HTTP's persisted documents convention says; any
// other document is refused with 400 and a code, unless a token comes with it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import {
  PlanMeasureCodesDocument,
  SearchDocument,
  type PlanMeasureCodesQuery,
  type SearchQuery,
} from './__generated__/persisted/graphql.js';
import { apiToken, PLAN } from './support.js';

const base = process.env.TRUSTED_API_URL;
const skip = base ? false : 'TRUSTED_API_URL is not set: e2e/run.sh starts the API with TRUSTED_DOCUMENTS=only and sets it';
const endpoint = base ? new URL('graphql', base.endsWith('/') ? base : `${base}/`).href : '';

/** The id the client preset gave an operation ("sha256:<hex>"). */
function documentId(doc: unknown): string {
  const hash = (doc as { __meta__?: { hash?: unknown } }).__meta__?.hash;
  if (typeof hash !== 'string' || !/^sha256:[0-9a-f]{64}$/.test(hash)) {
    throw new Error(`the document has no sha256 __meta__.hash (client preset with persistedDocuments): ${String(hash)}`);
  }
  return hash;
}

interface Answer<T> {
  status: number;
  body: { data?: T | null; errors?: { message: string; extensions?: { code?: string } }[] };
}

async function post<T>(payload: Record<string, unknown>, headers: Record<string, string> = {}): Promise<Answer<T>> {
  const res = await fetch(endpoint, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/graphql-response+json', ...headers },
    body: JSON.stringify(payload),
  });
  return { status: res.status, body: (await res.json()) as Answer<T>['body'] };
}

async function get<T>(params: Record<string, string>): Promise<Answer<T>> {
  const url = new URL(endpoint);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  const res = await fetch(url, { headers: { Accept: 'application/json' } });
  return { status: res.status, body: (await res.json()) as Answer<T>['body'] };
}

function assertRefused(answer: Answer<unknown>, code: string): void {
  assert.equal(answer.status, 400, JSON.stringify(answer.body));
  assert.equal(answer.body.data, undefined, 'a refused request has no data entry');
  assert.equal(answer.body.errors?.length, 1, JSON.stringify(answer.body));
  assert.equal(answer.body.errors?.[0]?.extensions?.code, code, JSON.stringify(answer.body));
}

const AD_HOC = '{ plans { slug title } }';

test('trusted documents: a generated operation sent by documentId runs (POST)', { skip }, async () => {
  const id = documentId(SearchDocument);
  const answer = await post<SearchQuery>({ documentId: id, variables: { text: 'Qianhai', first: 20 } });
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  assert.equal(answer.body.errors, undefined, JSON.stringify(answer.body));
  const project = answer.body.data?.search.find((h) => h.node.__typename === 'Project');
  assert.ok(project && project.node.__typename === 'Project', 'a Project hit');
  assert.equal(project.node.slug, 'qianhai-free-trade-zone');
});

test('trusted documents: a generated operation sent by documentId runs (GET)', { skip }, async () => {
  const answer = await get<PlanMeasureCodesQuery>({
    documentId: documentId(PlanMeasureCodesDocument),
    variables: JSON.stringify({ plan: PLAN, first: 100 }),
  });
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  assert.equal(answer.body.errors, undefined, JSON.stringify(answer.body));
  assert.ok((answer.body.data?.plan?.measures.totalCount ?? 0) > 0, JSON.stringify(answer.body));
});

test("trusted documents: the manifest's text sent as the query runs, Apollo's sha256Hash too", { skip }, async () => {
  const manifest = JSON.parse(
    readFileSync(new URL('../src/__generated__/persisted/persisted-documents.json', import.meta.url), 'utf8'),
  ) as Record<string, string>;
  const id = documentId(PlanMeasureCodesDocument);
  const text = manifest[id];
  assert.ok(text, `the generated manifest has ${id}`);
  const byText = await post<PlanMeasureCodesQuery>({ query: text, variables: { plan: PLAN, first: 5 } });
  assert.equal(byText.status, 200, JSON.stringify(byText.body));
  assert.equal(byText.body.errors, undefined, JSON.stringify(byText.body));
  const byApolloHash = await post<PlanMeasureCodesQuery>({
    variables: { plan: PLAN, first: 5 },
    extensions: { persistedQuery: { version: 1, sha256Hash: id.slice('sha256:'.length) } },
  });
  assert.equal(byApolloHash.status, 200, JSON.stringify(byApolloHash.body));
  assert.deepEqual(byApolloHash.body.data, byText.body.data);
});

test('trusted documents: an ad-hoc document is refused (POST and GET), an unknown id too', { skip }, async () => {
  assertRefused(await post({ query: AD_HOC }), 'DOCUMENT_NOT_TRUSTED');
  assertRefused(await post({ query: AD_HOC }, { Accept: 'application/json' }), 'DOCUMENT_NOT_TRUSTED');
  assertRefused(await get({ query: AD_HOC }), 'DOCUMENT_NOT_TRUSTED');
  assertRefused(await post({ documentId: `sha256:${'0'.repeat(64)}` }), 'PERSISTED_QUERY_NOT_FOUND');
  const refused = await post({ query: AD_HOC });
  assert.match(refused.body.errors?.[0]?.message ?? '', /document not trusted/);
});

test('trusted documents: an ad-hoc document with a valid token runs', { skip }, async () => {
  const answer = await post<{ plans: { slug: string }[] }>({ query: AD_HOC }, { Authorization: `Bearer ${apiToken()}` });
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  assert.equal(answer.body.errors, undefined, JSON.stringify(answer.body));
  assert.ok(answer.body.data?.plans.some((p) => p.slug === PLAN), JSON.stringify(answer.body));
});
