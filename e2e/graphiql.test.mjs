// End-to-end test of the GraphiQL page served by cmd/api, in a real (headless)
// Chromium that is cut off from every host except the API's.
//
//   API_URL=http://127.0.0.1:8080 node --test graphiql.test.mjs
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

// The operation typed into the editor, and what the result pane must show.
const QUERY = '{ plan { title declaredMeasureCount catalogedMeasureCount } }';
const DECLARED = '"declaredMeasureCount": 127';
const CATALOGED = /"catalogedMeasureCount": (\d+)/;

const RESULTS_DIR = fileURLToPath(new URL('./test-results/', import.meta.url));
const SCREENSHOT = path.join(RESULTS_DIR, 'graphiql.png');

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
const pageUrl = new URL('./', apiUrl.href.endsWith('/') ? apiUrl : `${apiUrl.href}/`).href;

// Collapse runs of whitespace (prettified and one-line queries compare equal).
const squash = (s) => s.replace(/\s+/g, ' ').trim();

// Is this URL on the API's host:port? data:/blob:/about: URLs never reach the network.
function isLocal(url) {
  const u = new URL(url);
  if (['data:', 'blob:', 'about:'].includes(u.protocol)) return true;
  return ['http:', 'https:', 'ws:', 'wss:'].includes(u.protocol) && u.host === apiHost;
}

describe('GraphiQL page (offline, in Chromium)', () => {
  let browser;
  let context;
  let page;
  const outside = new Set(); // requests (or attempts) aimed at another host
  const consoleErrors = [];
  const pageErrors = [];

  before(async () => {
    mkdirSync(RESULTS_DIR, { recursive: true });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
    context = await browser.newContext({
      viewport: { width: 1400, height: 900 },
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
    // ...and attempts that the page's Content-Security-Policy stops before they
    // become requests (they still mean the page tried to reach another host).
    await context.exposeBinding('__e2eCspViolation', (_source, blockedURI, directive) => {
      if (/^(https?|wss?):/.test(blockedURI) && !isLocal(blockedURI)) {
        outside.add(`CSP-BLOCKED (${directive}) ${blockedURI}`);
      }
    });
    await context.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) => {
        window.__e2eCspViolation(String(e.blockedURI), String(e.effectiveDirective));
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
      // Keep a picture of the final state whatever happened (overwrites the
      // success screenshot only when a later step failed).
      await page.screenshot({ path: SCREENSHOT, fullPage: true }).catch(() => {});
    }
    await browser?.close();
  });

  test('serves GraphiQL with its query editor', async () => {
    const res = await page.goto(pageUrl, { waitUntil: 'load' });
    assert.equal(res?.status(), 200, `GET ${pageUrl}`);
    await page.locator('.graphiql-query-editor .CodeMirror').waitFor({ state: 'visible', timeout: 30_000 });
    await page.locator('.graphiql-execute-button').waitFor({ state: 'visible' });
    // A fresh browser has no saved tabs: the default query (the ShenzhenPlan example) is open.
    await page.locator('.graphiql-tab-active', { hasText: 'ShenzhenPlan' }).waitFor({ timeout: 10_000 });
  });

  test('runs a query typed into the editor and shows the result', async () => {
    const editor = page.locator('.graphiql-query-editor .CodeMirror');
    const editorText = () => editor.evaluate((el) => el.CodeMirror.getValue());

    // Focus the editor as a user does, select everything and type over it.
    // CodeMirror auto-closes brackets (typing "{" also inserts "}") and typing
    // the "}" later steps over the inserted one, so the text ends up as QUERY.
    await editor.click();
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.press('Delete');
    await page.keyboard.type(QUERY, { delay: 10 });
    await page.keyboard.press('Escape'); // close the autocompletion popup, if open
    assert.equal((await editorText()).trim(), QUERY, 'text in the query editor after typing');

    // GraphiQL re-parses the editor 100 ms after the last change (debounced)
    // and only then forgets the old operation name; a click before that sends
    // the new text with operationName "ShenzhenPlan" (a request error, "operation
    // ShenzhenPlan not found"). The tab's title changing from "ShenzhenPlan"
    // to "<untitled>" is the visible sign that it has caught up.
    await page.locator('.graphiql-tab-active', { hasText: '<untitled>' }).waitFor({ timeout: 10_000 });

    // Prettify (toolbar button), as a user would before running it; it also
    // makes the query readable in the screenshot.
    await page.getByRole('button', { name: /^Prettify query/ }).click();
    await page.waitForFunction(
      () => document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.getValue().includes('\n'),
      null,
      { timeout: 10_000 },
    );
    assert.equal(squash(await editorText()), QUERY, 'query editor text after prettify (whitespace aside)');

    const posted = page.waitForRequest(
      (req) => req.method() === 'POST' && new URL(req.url()).pathname === '/graphql' &&
        (req.postData() ?? '').includes('catalogedMeasureCount'),
      { timeout: 30_000 },
    );
    await page.locator('.graphiql-execute-button').click();
    const request = await posted;
    const body = JSON.parse(request.postData());
    assert.equal(squash(body.query), QUERY, 'query sent by GraphiQL (whitespace aside)');
    assert.ok(!body.operationName, `operationName sent: ${JSON.stringify(body.operationName)}`);
    const response = await request.response();
    assert.equal(response?.status(), 200, `POST /graphql status; body: ${await response?.text()}`);

    // Wait for the result pane to show the response, then read what it shows.
    const result = page.locator('.graphiql-response .CodeMirror');
    await result.filter({ hasText: 'catalogedMeasureCount' }).waitFor({ state: 'visible', timeout: 30_000 });
    const text = (await result.innerText()).replace(/\u00a0/g, ' ');

    assert.ok(text.includes(DECLARED), `the result pane should contain ${DECLARED}; it shows:\n${text}`);
    const m = text.match(CATALOGED);
    assert.ok(m, `the result pane should contain a catalogedMeasureCount number; it shows:\n${text}`);
    assert.ok(Number(m[1]) > 0, `catalogedMeasureCount should be > 0, got ${m[1]}`);
    assert.ok(!text.includes('"errors"'), `the result should have no errors; it shows:\n${text}`);

    await page.screenshot({ path: SCREENSHOT, fullPage: true });
  });

  test('requested nothing from any other host', () => {
    assert.deepEqual([...outside], [], `the page tried to reach hosts other than ${apiHost}`);
  });

  test('logged no console errors and threw no uncaught exceptions', () => {
    // No exceptions are expected: the page is fully offline-capable and its
    // CSP allows everything it needs.
    assert.deepEqual(pageErrors, [], 'uncaught exceptions in the page');
    assert.deepEqual(consoleErrors, [], 'console.error messages in the page');
  });
});
