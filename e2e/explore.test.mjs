// End-to-end test of the graph explorer page served by cmd/api at /explore/,
// in a real (headless) Chromium that is cut off from every host except the API's.
//
//   API_URL=http://127.0.0.1:8080 node --test explore.test.mjs
//
// Normally started by e2e/run.sh, which builds and starts the API first.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { chromium } from 'playwright-core';

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const SEARCH_TEXT = 'Qianhai';
const PROJECT_LABEL = 'Qianhai free trade zone';
const CATALOGUED = /^(\d+) of 127 catalogued$/;

// Events of the bundled data (data/shenzhen-2019-2025.yaml) that the timeline
// tests look for.
const QIANHAI_EXPANDED = {
  slug: 'qianhai-zone-expanded-2021',
  date: '2021-09-06',
  title: 'Central plan enlarges the Qianhai cooperation zone',
  quantities: ['area before: 14.92 km2', 'area after: 120.56 km2'],
  url: 'http://english.scio.gov.cn/topnews/2021-09/07/content_77737331.htm',
  fact: 'F20',
};
const QIANHAI_HK_FIRMS = { slug: 'qianhai-hk-firms-2021', date: '2021-08', title: 'About 11,500 Hong Kong-invested firms registered in Qianhai' };
// The first day a date stands for ("2021" → 2021-01-01, "2021-08" → 2021-08-01):
// the timeline's order.
const startOf = (d) => (d.length === 4 ? `${d}-01-01` : d.length === 7 ? `${d}-01` : d);
const inDateOrder = (dates) => dates.every((d, i) => i === 0 || startOf(dates[i - 1]) <= startOf(d));
const CHINEXT = [
  ['chinext-reform-plan-approved-2020', '2020-04-27', 'Central reform commission approves the ChiNext reform and registration-system plan'],
  ['chinext-registration-rules-issued-2020', '2020-06-12', 'Rules switching ChiNext to registration-based IPOs issued'],
  ['chinext-first-listings-2020', '2020-08-24', 'First 18 companies list on ChiNext under the registration system'],
];

const RESULTS_DIR = fileURLToPath(new URL('./test-results/', import.meta.url));
const SCREENSHOT = path.join(RESULTS_DIR, 'explore.png');

const apiUrl = (() => {
  const raw = process.env.API_URL;
  if (!raw) {
    throw new Error(
      'API_URL is not set: set it to the running API\'s base URL, e.g. API_URL=http://127.0.0.1:8080 ' +
        '(e2e/run.sh builds, starts and points the test at the API for you)',
    );
  }
  let u;
  try {
    u = new URL(raw);
  } catch {
    throw new Error(`API_URL=${JSON.stringify(raw)} is not a URL like http://127.0.0.1:8080`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new Error(`API_URL=${JSON.stringify(raw)} must be an http:// or https:// URL`);
  }
  return u;
})();
const apiHost = apiUrl.host; // host:port (port omitted when it is the scheme's default)
const base = apiUrl.href.endsWith('/') ? apiUrl.href : `${apiUrl.href}/`;
const exploreUrl = (search = '') => new URL(`explore/${search}`, base).href;

// Is this URL on the API's host:port? data:/blob:/about: URLs never reach the network.
function isLocal(url) {
  const u = new URL(url);
  if (['data:', 'blob:', 'about:'].includes(u.protocol)) return true;
  return ['http:', 'https:', 'ws:', 'wss:'].includes(u.protocol) && u.host === apiHost;
}

// What Cytoscape has drawn (read through window.__explorer.cy).
const graphState = (page) =>
  page.evaluate(() => {
    const { cy } = window.__explorer;
    return {
      nodes: cy.nodes().map((n) => ({
        id: n.id(),
        type: n.data('type'),
        label: n.data('label'),
        expanded: !!n.data('expanded'),
        selected: n.selected(),
      })),
      edges: cy.edges().map((e) => ({ id: e.id(), source: e.source().id(), target: e.target().id(), type: e.data('type') })),
    };
  });

// Waits until the layout (animated) has finished, so positions are final.
const layoutSettled = (page) =>
  page.waitForFunction(() => document.getElementById('graph').dataset.layout === 'idle', null, { timeout: 15_000 });

describe('Graph explorer page (offline, in Chromium)', () => {
  let browser;
  let context;
  let page;
  const outside = new Set(); // requests (or attempts) aimed at another host
  const cspViolations = []; // any, also same-origin (inline styles, eval, ...)
  const consoleErrors = [];
  const pageErrors = [];
  let projectId; // global id of the Qianhai free trade zone, from the search hits
  let timings = {};

  before(async () => {
    mkdirSync(RESULTS_DIR, { recursive: true });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
    context = await browser.newContext({
      viewport: { width: 1440, height: 900 },
      serviceWorkers: 'block', // so that every request goes through context.route
    });

    // Cut the browser off from the internet: only the API's host:port is let through.
    await context.route('**/*', async (route) => {
      const url = route.request().url();
      if (isLocal(url)) {
        await route.continue();
      } else {
        outside.add(`${route.request().method()} ${url}`);
        await route.abort('blockedbyclient');
      }
    });
    await context.routeWebSocket((u) => !isLocal(u.href), (ws) => {
      outside.add(`WEBSOCKET ${ws.url()}`);
      ws.close();
    });
    // Second line of defence: anything the routes did not see...
    context.on('request', (req) => {
      if (!isLocal(req.url())) outside.add(`${req.method()} ${req.url()}`);
    });
    // ...and attempts that the page's Content-Security-Policy stops before
    // they become requests. The explorer's CSP is strict (no inline styles,
    // no eval), so every violation is recorded, not only those aimed elsewhere.
    await context.exposeBinding('__e2eCspViolation', (_source, blockedURI, directive, sample) => {
      cspViolations.push(`${directive}: ${blockedURI}${sample ? ` (${sample})` : ''}`);
      if (/^(https?|wss?):/.test(blockedURI) && !isLocal(blockedURI)) {
        outside.add(`CSP-BLOCKED (${directive}) ${blockedURI}`);
      }
    });
    await context.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) => {
        window.__e2eCspViolation(String(e.blockedURI), String(e.effectiveDirective), String(e.sample || ''));
      });
    });

    page = await context.newPage();
    page.on('console', (msg) => {
      if (msg.type() === 'error') consoleErrors.push(`${msg.text()} (${msg.location().url || 'no url'})`);
    });
    page.on('pageerror', (err) => pageErrors.push(String(err.stack || err)));
  });

  after(async () => {
    if (page) {
      // The picture of the final state (the expanded graph when all went well,
      // the failed state otherwise).
      await page.screenshot({ path: SCREENSHOT, fullPage: true }).catch(() => {});
    }
    await browser?.close();
  });

  test('serves the page; ?q= searches on load; the header shows "n of 127 catalogued"', async (t) => {
    const t0 = Date.now();
    const res = await page.goto(exploreUrl(`?q=${SEARCH_TEXT}`), { waitUntil: 'load' });
    assert.equal(res?.status(), 200, `GET ${exploreUrl()}`);
    const csp = res.headers()['content-security-policy'] ?? '';
    assert.match(csp, /script-src 'self'/, 'CSP');
    assert.doesNotMatch(csp, /unsafe-eval|unsafe-inline/, 'CSP');
    assert.equal(await page.title(), 'Shenzhen Plan Knowledge Graph — Explorer');
    await page.getByRole('heading', { level: 1, name: 'Shenzhen Plan Knowledge Graph — Explorer' }).waitFor();

    // The header's count comes from plan { catalogedMeasureCount declaredMeasureCount }.
    const figure = page.locator('#plan-count-figure');
    await figure.filter({ hasText: 'of 127 catalogued' }).waitFor({ timeout: 15_000 });
    const m = (await figure.innerText()).trim().match(CATALOGUED);
    assert.ok(m, `header count: ${await figure.innerText()}`);
    assert.ok(Number(m[1]) > 0 && Number(m[1]) <= 127, `catalogued measures: ${m[1]}`);

    // ?q= filled the (labelled) search box and ran the search.
    const box = page.getByLabel('Search the graph');
    assert.equal(await box.inputValue(), SEARCH_TEXT);
    const hit = page.locator('#hits .hit[data-type="Project"]', { hasText: PROJECT_LABEL });
    await hit.waitFor({ timeout: 15_000 });
    projectId = await hit.getAttribute('data-id');
    assert.ok(projectId, 'the project hit carries its global id');
    timings['load + search from ?q='] = Date.now() - t0;
    t.diagnostic(`catalogued: ${m[0]}; project id ${projectId}`);
  });

  test('?id= opens a node on load', async () => {
    assert.ok(projectId, 'needs the project id from the previous test');
    const t0 = Date.now();
    await page.goto(exploreUrl(`?id=${encodeURIComponent(projectId)}`), { waitUntil: 'load' });
    await page.waitForFunction((id) => window.__explorer?.cy.getElementById(id).nonempty(), projectId, { timeout: 15_000 });
    await page.locator(`#details[data-state="ready"][data-id="${projectId}"]`).waitFor({ timeout: 15_000 });
    await layoutSettled(page);
    const g = await graphState(page);
    assert.ok(g.nodes.find((n) => n.id === projectId)?.selected, 'the ?id= node is drawn and selected');
    assert.ok(g.nodes.length > 1, `the neighbourhood was drawn too: ${JSON.stringify(g.nodes)}`);
    timings['load with ?id='] = Date.now() - t0;
  });

  test('typing a search and pressing Enter lists hits', async () => {
    const t0 = Date.now();
    await page.goto(exploreUrl(), { waitUntil: 'load' });
    assert.equal(await page.evaluate(() => window.__explorer.cy.nodes().length), 0, 'a fresh page draws nothing');
    const box = page.getByLabel('Search the graph');
    await box.click();
    const posted = page.waitForRequest(
      (req) => req.method() === 'POST' && new URL(req.url()).pathname === '/graphql' &&
        (req.postData() ?? '').includes('ExplorerSearch'),
      { timeout: 15_000 },
    );
    await page.keyboard.type(SEARCH_TEXT, { delay: 20 });
    await page.keyboard.press('Enter');
    const req = await posted;
    assert.equal(JSON.parse(req.postData()).variables.text, SEARCH_TEXT, 'search text sent');
    assert.equal((await req.response())?.status(), 200);

    const hits = page.locator('#hits .hit');
    await hits.first().waitFor({ timeout: 15_000 });
    const types = await hits.evaluateAll((els) => els.map((e) => e.dataset.type));
    assert.ok(types.includes('Project'), `hit types: ${types}`);
    // Every hit shows its type and label.
    for (const h of await hits.all()) {
      assert.ok((await h.locator('.hit-type').innerText()).trim(), 'hit type shown');
      assert.ok((await h.locator('.hit-label').innerText()).trim(), 'hit label shown');
    }
    assert.match(page.url(), /[?&]q=Qianhai\b/, 'the search is kept in the URL');
    timings['type + Enter → hits'] = Date.now() - t0;
  });

  test('clicking the project hit draws its neighbourhood and shows its sources', async () => {
    const t0 = Date.now();
    const hit = page.locator('#hits .hit[data-type="Project"]', { hasText: PROJECT_LABEL });
    const id = await hit.getAttribute('data-id');
    assert.equal(id, projectId);
    await hit.click();

    await page.waitForFunction((pid) => window.__explorer.cy.getElementById(pid).nonempty(), id, { timeout: 15_000 });
    await layoutSettled(page);
    const g = await graphState(page);
    const project = g.nodes.find((n) => n.id === id);
    assert.ok(project, 'the project is drawn');
    assert.equal(project.type, 'Project');
    assert.equal(project.label, PROJECT_LABEL);
    assert.ok(project.selected, 'the project is selected');
    assert.ok(g.nodes.some((n) => n.type === 'Measure'), `a Measure is drawn: ${JSON.stringify(g.nodes)}`);
    assert.ok(g.edges.length >= 1, 'edges are drawn');
    assert.ok(g.edges.every((e) => e.type), 'every edge has a type (its label)');
    assert.ok(g.edges.some((e) => e.source === id || e.target === id), 'the project has an edge');

    // Every node lies inside the visible graph area after the layout.
    const offscreen = await page.evaluate(() => {
      const { cy } = window.__explorer;
      const w = cy.width();
      const h = cy.height();
      return cy.nodes().filter((n) => {
        const p = n.renderedPosition();
        return p.x < 0 || p.y < 0 || p.x > w || p.y > h;
      }).map((n) => n.id());
    });
    assert.deepEqual(offscreen, [], 'nodes outside the visible area');

    // Side panel: the project's properties and its sources with an excerpt.
    const details = page.locator(`#details[data-state="ready"][data-id="${id}"]`);
    await details.waitFor({ timeout: 15_000 });
    assert.equal((await details.locator('.details-title').innerText()).trim(), PROJECT_LABEL);
    await assertSources(details);
    timings['click hit → graph + details'] = Date.now() - t0;
  });

  test('tapping a node expands it; "Open in GraphiQL" carries its query', async (t) => {
    const t0 = Date.now();
    const before = await graphState(page);
    // Tap the measure that advances the project: its neighbourhood (section,
    // milestone, ...) is not drawn yet.
    const measure = before.nodes.find((n) => n.type === 'Measure' && !n.expanded);
    assert.ok(measure, 'an unexpanded Measure to tap');

    const box = await page.locator('#graph').boundingBox();
    const pos = await page.evaluate((mid) => window.__explorer.cy.getElementById(mid).renderedPosition(), measure.id);
    await page.mouse.click(box.x + pos.x, box.y + pos.y);

    await page.waitForFunction((n) => window.__explorer.cy.nodes().length > n, before.nodes.length, { timeout: 15_000 });
    await layoutSettled(page);
    const g = await graphState(page);
    t.diagnostic(`nodes ${before.nodes.length} → ${g.nodes.length}, edges ${before.edges.length} → ${g.edges.length}`);
    assert.ok(g.nodes.length > before.nodes.length, 'the graph grew');
    const tapped = g.nodes.find((n) => n.id === measure.id);
    assert.ok(tapped.expanded && tapped.selected, 'the tapped node is expanded and selected');
    // Merged, not replaced: everything drawn before is still there, once.
    for (const n of before.nodes) assert.ok(g.nodes.some((x) => x.id === n.id), `node ${n.label} kept`);
    for (const e of before.edges) assert.ok(g.edges.some((x) => x.id === e.id), `edge ${e.id} kept`);
    assert.equal(new Set(g.nodes.map((n) => n.id)).size, g.nodes.length, 'no duplicate nodes');
    const edgeKeys = g.edges.map((e) => `${e.source}|${e.type}|${e.target}`);
    assert.equal(new Set(edgeKeys).size, edgeKeys.length, 'no duplicate edges');
    assert.ok(g.nodes.some((n) => !before.nodes.some((b) => b.id === n.id) && n.type !== 'Measure'),
      'the expansion brought in new kinds of neighbours (section, milestone, ...)');

    // The side panel switched to the measure, with its sources.
    const details = page.locator(`#details[data-state="ready"][data-id="${measure.id}"]`);
    await details.waitFor({ timeout: 15_000 });
    assert.equal((await details.locator('.details-title').innerText()).trim(), measure.label);
    assert.ok(await details.locator('dt', { hasText: /^Code$/ }).count(), 'the measure\'s code is listed');
    const shownSources = await assertSources(details);
    // Its connections (keyboard-usable list) include the project.
    await details.locator(`.connection[data-id="${projectId}"]`).waitFor();

    // "Open in GraphiQL": /?query=<the node query>&variables={"id": ...}, and
    // the API answers that very query with the node shown.
    const link = page.getByRole('link', { name: 'Open in GraphiQL' });
    const href = await link.getAttribute('href');
    const u = new URL(href, base);
    assert.equal(u.pathname, '/', `GraphiQL link ${href}`);
    assert.equal(u.origin, new URL(base).origin);
    const query = u.searchParams.get('query');
    const variables = JSON.parse(u.searchParams.get('variables'));
    assert.match(query, /query ExplorerNode\(\$id: ID!\)/);
    assert.match(query, /node\(id: \$id\)/);
    assert.deepEqual(variables, { id: measure.id });
    const answer = await page.request.post(new URL('graphql', base).href, { data: { query, variables } });
    assert.equal(answer.status(), 200);
    const body = await answer.json();
    assert.equal(body.errors, undefined, JSON.stringify(body.errors));
    assert.equal(body.data.node.id, measure.id);
    assert.equal(body.data.node.sources.length, shownSources, 'the panel shows every source');

    timings['tap → expand + details'] = Date.now() - t0;
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    t.diagnostic(`timings (ms): ${JSON.stringify(timings)}`);
  });

  test('a project\'s timeline: its events by date, with precision, kind, quantities and sources', async (t) => {
    assert.ok(projectId, 'needs the project id from the first test');
    const t0 = Date.now();
    await page.goto(exploreUrl(`?id=${encodeURIComponent(projectId)}`), { waitUntil: 'load' });
    const details = page.locator(`#details[data-state="ready"][data-id="${projectId}"]`);
    await details.waitFor({ timeout: 15_000 });
    const timeline = details.locator('#timeline[data-state="ready"]');
    await timeline.waitFor({ timeout: 15_000 });

    // As many events as the API's Project.timeline has, oldest first.
    const answer = await page.request.post(new URL('graphql', base).href, {
      data: { query: 'query($slug: String!) { project(slug: $slug) { timeline(first: 100) { totalCount nodes { slug } } } }', variables: { slug: 'qianhai-free-trade-zone' } },
    });
    const api = (await answer.json()).data.project.timeline;
    assert.ok(api.totalCount >= 2, `the project has events: ${api.totalCount}`);
    assert.equal((await timeline.locator('h4').innerText()).trim(), `Timeline (${api.totalCount} events)`);
    const events = timeline.locator('li.event');
    const shown = await events.evaluateAll((els) => els.map((e) => ({ slug: e.dataset.slug, date: e.dataset.date })));
    assert.deepEqual(shown.map((e) => e.slug), api.nodes.map((n) => n.slug).slice(0, 20), 'the events of the API, in its order');
    const dates = shown.map((e) => e.date);
    assert.ok(inDateOrder(dates), `oldest first: ${dates}`);

    // A dated event with its kind, amounts and an official source with its claim.
    const ev = timeline.locator(`li.event[data-slug="${QIANHAI_EXPANDED.slug}"]`);
    assert.equal((await ev.locator('.event-date').innerText()).trim(), QIANHAI_EXPANDED.date);
    assert.equal((await ev.locator('.event-precision').innerText()).trim(), 'day');
    assert.equal((await ev.locator('.event-kind').innerText()).trim().toLowerCase(), 'expanded');
    assert.equal((await ev.locator('.event-title').innerText()).trim(), QIANHAI_EXPANDED.title);
    assert.equal(await ev.getAttribute('data-confirmed'), 'true');
    assert.equal(await ev.locator('.event-unconfirmed').count(), 0, 'a confirmed event is not marked unconfirmed');
    assert.deepEqual((await ev.locator('.event-quantity').allInnerTexts()).map((s) => s.trim()), QIANHAI_EXPANDED.quantities);
    const src = ev.locator('.event-source', { has: page.locator(`a.event-source-title[href="${QIANHAI_EXPANDED.url}"]`) });
    assert.equal(await src.count(), 1, 'the official source, linked');
    assert.equal((await src.locator('.authority').innerText()).trim().toLowerCase(), 'official');
    assert.equal((await src.locator('.event-source-fact').innerText()).trim(), QIANHAI_EXPANDED.fact);
    assert.match(await src.locator('.event-claim').innerText(), /14\.92 to 120\.56 sq km/);
    assert.equal(await src.locator('a.event-source-title').getAttribute('target'), '_blank');
    assert.match(await src.locator('a.event-source-title').getAttribute('rel'), /noopener/);
    // Every source shows its publisher and authority.
    for (const s of await ev.locator('.event-source').all()) {
      assert.ok((await s.locator('.event-source-publisher').innerText()).trim(), 'publisher');
      assert.ok((await s.locator('.authority').innerText()).trim(), 'authority');
    }

    // A month-precise event says so.
    const month = timeline.locator(`li.event[data-slug="${QIANHAI_HK_FIRMS.slug}"]`);
    assert.equal((await month.locator('.event-date').innerText()).trim(), QIANHAI_HK_FIRMS.date);
    assert.equal((await month.locator('.event-precision').innerText()).trim(), 'month only');
    assert.equal((await month.locator('.event-title').innerText()).trim(), QIANHAI_HK_FIRMS.title);

    // The project itself is not listed among what its events concern; the measure is.
    assert.equal(await ev.locator(`.event-concern[data-id="${projectId}"]`).count(), 0);
    assert.ok(await ev.locator('.event-concern[data-type="Measure"]').count() >= 1, 'a concerned measure');
    // The existing panel is unchanged: the project's own sources, with an excerpt.
    await assertSources(details);
    timings['?id= → project timeline'] = Date.now() - t0;
    t.diagnostic(`project timeline: ${shown.length} events, ${dates[0]} … ${dates.at(-1)}`);
  });

  test('the plan timeline view lists every event of the plan, by year, and filters by kind', async (t) => {
    const t0 = Date.now();
    const posted = page.waitForRequest(
      (req) => req.method() === 'POST' && new URL(req.url()).pathname === '/graphql' &&
        (req.postData() ?? '').includes('ExplorerPlanTimeline'),
      { timeout: 15_000 },
    );
    await page.getByRole('button', { name: 'Plan timeline' }).click();
    assert.equal((await (await posted).response())?.status(), 200);
    const view = page.locator('#plan-timeline[data-state="ready"]');
    await view.waitFor({ timeout: 15_000 });
    assert.equal(await page.getByRole('button', { name: 'Plan timeline' }).getAttribute('aria-pressed'), 'true');
    assert.ok(await page.locator('#graph-wrap').isHidden(), 'the graph is replaced by the timeline');
    assert.match(page.url(), /[?&]view=timeline\b/, 'the view is kept in the URL');

    const answer = await page.request.post(new URL('graphql', base).href, {
      data: { query: '{ plan { timeline(first: 1) { totalCount } } }' },
    });
    const total = (await answer.json()).data.plan.timeline.totalCount;
    assert.ok(total > 50, `the plan has its events: ${total}`);
    const events = view.locator('li.event');
    assert.equal(await events.count(), total, 'every event of the plan is shown');
    assert.match(await page.locator('#plan-timeline-count').innerText(), new RegExp(`^${total} events of `));
    const dates = await events.evaluateAll((els) => els.map((e) => e.dataset.date));
    assert.ok(inDateOrder(dates), `oldest first: ${dates}`);
    const years = await view.locator('.timeline-year').evaluateAll((els) => els.map((e) => e.dataset.year));
    assert.deepEqual([...years].sort(), years, `years in order: ${years}`);
    assert.ok(years.includes('2020') && years.includes('2023'), `years: ${years}`);

    // The ChiNext registration reform, from approval to the first listings.
    for (const [slug, date, title] of CHINEXT) {
      const ev = view.locator(`li.event[data-slug="${slug}"]`);
      assert.equal(await ev.count(), 1, `${slug} is shown`);
      assert.equal((await ev.locator('.event-date').innerText()).trim(), date);
      assert.equal((await ev.locator('.event-title').innerText()).trim(), title);
      assert.equal(await ev.locator('xpath=ancestor::section[contains(@class, "timeline-year")]').getAttribute('data-year'), date.slice(0, 4));
    }
    const chinextOrder = await events.evaluateAll((els) => els.map((e) => e.dataset.slug).filter((s) => s.startsWith('chinext-')));
    const wanted = CHINEXT.map(([slug]) => slug);
    assert.deepEqual(chinextOrder.filter((s) => wanted.includes(s)), wanted, 'in date order');

    // Filter: target dates set only; Qianhai's three targets are there.
    await page.getByLabel('Kind').selectOption('TARGET_SET');
    const kinds = await view.locator('li.event').evaluateAll((els) => els.map((e) => e.dataset.kind));
    assert.ok(kinds.length > 0 && kinds.length < total && kinds.every((k) => k === 'TARGET_SET'), `kinds after the filter: ${kinds}`);
    for (const y of [2025, 2030, 2035]) {
      const ev = view.locator(`li.event[data-slug="qianhai-target-${y}-set-2023"]`);
      assert.equal((await ev.locator('.event-title').innerText()).trim(), `Qianhai plan sets its ${y} goals`);
      assert.equal((await ev.locator('.event-target').innerText()).trim(), `Target year: ${y}`);
    }
    assert.match(await page.locator('#plan-timeline-count').innerText(), new RegExp(`^${kinds.length} of ${total} events`));

    // "Open in GraphiQL" carries the plan timeline query, which the API answers.
    const href = await page.getByRole('link', { name: 'Open in GraphiQL' }).getAttribute('href');
    const u = new URL(href, base);
    const query = u.searchParams.get('query');
    assert.match(query, /query ExplorerPlanTimeline\(/);
    const body = await (await page.request.post(new URL('graphql', base).href, {
      data: { query, variables: JSON.parse(u.searchParams.get('variables')) },
    })).json();
    assert.equal(body.errors, undefined, JSON.stringify(body.errors));
    assert.equal(body.data.plan.timeline.totalCount, total);

    // Picking what an event concerns goes back to the graph with that node.
    const concern = view.locator(`li.event[data-slug="qianhai-target-2035-set-2023"] .event-concern[data-id="${projectId}"]`);
    await concern.click();
    await page.waitForFunction((id) => window.__explorer.cy.getElementById(id).selected(), projectId, { timeout: 15_000 });
    assert.ok(await page.locator('#plan-timeline').isHidden(), 'back to the graph');
    assert.equal(await page.getByRole('button', { name: 'Graph', exact: true }).getAttribute('aria-pressed'), 'true');
    await page.locator(`#details[data-state="ready"][data-id="${projectId}"] #timeline[data-state="ready"]`).waitFor({ timeout: 15_000 });
    await layoutSettled(page);
    timings['plan timeline view'] = Date.now() - t0;
    t.diagnostic(`plan timeline: ${total} events in ${years.length} years; ${kinds.length} targets set`);
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
  });

  test('requested nothing from any other host', () => {
    assert.deepEqual([...outside], [], `the page tried to reach hosts other than ${apiHost}`);
  });

  test('no CSP violations, console errors or uncaught exceptions', () => {
    assert.deepEqual(cspViolations, [], 'Content-Security-Policy violations');
    assert.deepEqual(pageErrors, [], 'uncaught exceptions in the page');
    assert.deepEqual(consoleErrors, [], 'console.error messages in the page');
  });
});

// Checks the side panel lists sources, each with a title, and at least one
// with an http(s) link and an excerpt shown as a quote; returns how many.
async function assertSources(details) {
  const sources = details.locator('.sources .source');
  const n = await sources.count();
  assert.ok(n >= 1, 'the side panel lists sources');
  for (const s of await sources.all()) {
    assert.ok((await s.locator('.source-title').innerText()).trim(), 'source title');
  }
  const quoted = details.locator('.sources .source blockquote.excerpt');
  assert.ok(await quoted.count() >= 1, 'a source excerpt is quoted');
  assert.ok((await quoted.first().innerText()).trim().length > 3, 'the excerpt has text');
  const href = await details.locator('.sources .source a.source-title').first().getAttribute('href');
  assert.match(href ?? '', /^https?:\/\//, 'source link');
  return n;
}
