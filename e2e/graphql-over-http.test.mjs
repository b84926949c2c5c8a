// The GraphQL over HTTP audit: graphql-http's auditServer, the reference
// audit of the spec (https://graphql.github.io/graphql-over-http/draft/),
// run against the API's /graphql. Every audit must pass, the SHOULDs and
// MAYs too: a warning, a notice or an error fails the test, each one printed.
//
//   API_URL=http://127.0.0.1:8080 node --test graphql-over-http.test.mjs
//
// Normally started by e2e/run.sh, which builds and starts the API first.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { auditServer } from 'graphql-http';

const apiUrl = process.env.API_URL;
if (!apiUrl) {
  throw new Error('API_URL is not set: set it to the running API\'s base URL, e.g. API_URL=http://127.0.0.1:8080 (e2e/run.sh does it)');
}
const endpoint = new URL('graphql', apiUrl.endsWith('/') ? apiUrl : `${apiUrl}/`).href;

// The media type an audit is about, from its name.
const media = (name) =>
  name.includes('application/graphql-response+json') ? 'application/graphql-response+json'
    : name.includes('application/json') ? 'application/json'
      : 'either';

test('graphql-http audit: every MUST, SHOULD and MAY passes for both media types', async (t) => {
  const results = await auditServer({ url: endpoint });
  assert.ok(results.length > 0, 'the audit ran no checks');

  const counts = {};
  for (const r of results) {
    const m = media(r.name);
    counts[m] ??= { ok: 0, warn: 0, notice: 0, error: 0 };
    counts[m][r.status] += 1;
  }
  for (const [m, c] of Object.entries(counts)) {
    t.diagnostic(`${m}: ${c.ok} ok, ${c.warn} warn, ${c.notice} notice, ${c.error} error`);
  }
  assert.ok(counts['application/json']?.ok > 0 && counts['application/graphql-response+json']?.ok > 0,
    `the audit did not cover both media types: ${JSON.stringify(counts)}`);

  const failed = results.filter((r) => r.status !== 'ok');
  const lines = await Promise.all(failed.map(async (r) => {
    let body = '';
    try {
      body = (await r.response.clone().text()).slice(0, 300);
    } catch {
      // the audit already read it
    }
    return `${r.status.toUpperCase()} ${r.id} ${r.name}: ${r.reason}` +
      (r.response ? ` (HTTP ${r.response.status}${body ? `: ${body}` : ''})` : '');
  }));
  assert.equal(failed.length, 0, `${failed.length} of ${results.length} audits not ok:\n${lines.join('\n')}`);
});
