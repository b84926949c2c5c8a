// Graph explorer for the kgapi GraphQL API: search, draw a node's
// neighbourhood with Cytoscape.js, tap nodes to expand them, and read a
// node's properties, sources and timeline (its events by date) in the side
// panel; or switch to the plan timeline view (every event of the plan).
//
// Bundled by build.mjs into ../dist and served by explore.go; nothing is
// loaded from any other host. URL parameters: ?q=<text> runs a search on
// load, ?id=<global id> opens that node on load, ?view=timeline shows the
// plan timeline.
import cytoscape from 'cytoscape';
import fcose from 'cytoscape-fcose';

import './explorer.css';
import {
  FIELDS,
  NEIGHBORHOOD_QUERY,
  NODE_QUERY,
  PLAN_QUERY,
  PLAN_TIMELINE_QUERY,
  SEARCH_QUERY,
  TIMELINE_QUERY,
  TIMELINE_TYPES,
  gql,
  graphiqlHref,
  hitLabel,
} from './graphql.js';
import { TYPES, cytoscapeStyle, typeInfo, typeSwatch } from './types.js';
import { KIND_LABELS, authorityLabel, eventYear, formatQuantity, kindLabel, renderEvent } from './timeline.js';

cytoscape.use(fcose);

const NEIGHBOURS_LIMIT = 60; // nodes per neighbourhood fetch
const SEARCH_FIRST = 20;
const TIMELINE_FIRST = 20; // events per page in the side panel
const PLAN_TIMELINE_FIRST = 100; // events per request in the plan timeline view (the API's maximum)

const $ = (id) => document.getElementById(id);
const el = (tag, attrs = {}, ...children) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k.startsWith('data-')) e.setAttribute(k, v);
    else if (k in e) e[k] = v;
    else e.setAttribute(k, v);
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
};

const ui = {
  planFigure: $('plan-count-figure'),
  planTitle: $('plan-count-title'),
  form: $('search-form'),
  text: $('search-text'),
  type: $('search-type'),
  searchStatus: $('search-status'),
  hits: $('hits'),
  legend: $('legend'),
  graph: $('graph'),
  graphEmpty: $('graph-empty'),
  graphStatus: $('graph-status'),
  details: $('details'),
  detailsBody: $('details-body'),
  graphiql: $('graphiql-link'),
  graphPanel: document.querySelector('.graph-panel'),
  graphWrap: $('graph-wrap'),
  viewGraph: $('view-graph'),
  viewTimeline: $('view-timeline'),
  planTimeline: $('plan-timeline'),
  planTimelineCount: $('plan-timeline-count'),
  planTimelineKind: $('plan-timeline-kind'),
  planTimelineConfirmed: $('plan-timeline-confirmed'),
  planTimelineBody: $('plan-timeline-body'),
};

// --- state ----------------------------------------------------------------------

const state = {
  selectedId: null,
  lastSearch: null, // { text, types }
  searchSeq: 0,
  detailsSeq: 0,
  pending: new Map(), // id -> promise of an in-flight expansion
  layout: null,
  view: 'graph', // or 'timeline' (the plan timeline)
  plan: null, // { title } of the default plan, once loaded
  planEvents: null, // the plan's events, once the timeline view loaded them
  planTimelineSeq: 0,
};

// --- Cytoscape ------------------------------------------------------------------

const cy = cytoscape({
  container: ui.graph,
  style: cytoscapeStyle(),
  elements: [],
  minZoom: 0.15,
  maxZoom: 1.8, // fitting a 3-node graph must not blow the labels up
  wheelSensitivity: 0.3,
  boxSelectionEnabled: false,
  selectionType: 'single',
});

// For tests and the curious: what is drawn.
window.__explorer = { cy };

function layoutOptions(randomize) {
  return {
    name: 'fcose',
    quality: 'default',
    randomize,
    animate: cy.nodes().length < 250,
    animationDuration: 450,
    fit: true,
    padding: 40,
    nodeDimensionsIncludeLabels: true,
    uniformNodeDimensions: false,
    packComponents: true,
    idealEdgeLength: () => 110,
    edgeElasticity: () => 0.45,
    nodeRepulsion: () => 9000,
    nodeSeparation: 90,
    gravity: 0.25,
    numIter: 2500,
  };
}

function runLayout({ randomize = false } = {}) {
  if (state.layout) state.layout.stop();
  if (cy.nodes().empty()) {
    ui.graph.dataset.layout = 'idle';
    return Promise.resolve();
  }
  const layout = cy.layout(layoutOptions(randomize));
  state.layout = layout;
  ui.graph.dataset.layout = 'running';
  const done = new Promise((resolve) => {
    layout.one('layoutstop', () => {
      if (state.layout === layout) {
        state.layout = null;
        ui.graph.dataset.layout = 'idle';
      }
      resolve();
    });
  });
  layout.run();
  return done;
}

// Adds the nodes and edges of a subgraph that are not drawn yet; returns the
// added nodes. New nodes start next to `near` (the node being expanded), so
// the incremental layout moves the rest of the graph as little as possible.
function merge(subgraph, near) {
  const origin = near && near.nonempty() ? near.position() : null;
  const fresh = subgraph.nodes.filter((n) => cy.getElementById(n.id).empty());
  const elements = fresh.map((n, i) => {
    const angle = (2 * Math.PI * i) / Math.max(1, fresh.length);
    return {
      group: 'nodes',
      data: { id: n.id, type: n.type, label: n.label, expanded: false },
      position: origin
        ? { x: origin.x + 90 * Math.cos(angle), y: origin.y + 90 * Math.sin(angle) }
        : { x: 0, y: 0 },
    };
  });
  for (const e of subgraph.edges) {
    if (cy.getElementById(e.id).nonempty()) continue;
    // Edges to nodes left out by the limit are dropped.
    const hasEnd = (id) => cy.getElementById(id).nonempty() || fresh.some((n) => n.id === id);
    if (!hasEnd(e.source) || !hasEnd(e.target)) continue;
    elements.push({ group: 'edges', data: { id: e.id, source: e.source, target: e.target, type: e.type } });
  }
  const added = cy.add(elements);
  updateGraphChrome();
  return added.nodes();
}

async function fetchNeighborhood(id) {
  const data = await gql(NEIGHBORHOOD_QUERY, { id, depth: 1, limit: NEIGHBOURS_LIMIT });
  return data.neighborhood;
}

// Draws a node's neighbourhood on a clean graph (opening a search hit or ?id=).
async function openNode(id) {
  setGraphStatus('Loading the neighbourhood…');
  ui.graph.setAttribute('aria-busy', 'true');
  try {
    const sub = await fetchNeighborhood(id);
    if (!sub.nodes.some((n) => n.id === id)) {
      throw new Error('The API does not know this node.');
    }
    cy.elements().remove();
    state.pending.clear();
    state.selectedId = null; // re-render the side panel for the new graph
    merge(sub);
    const root = cy.getElementById(id);
    root.data('expanded', true);
    root.addClass('root');
    select(id);
    setGraphStatus(summary(sub.truncated ? `Showing the first ${NEIGHBOURS_LIMIT} neighbours.` : ''));
    await runLayout({ randomize: true });
  } catch (err) {
    setGraphStatus(`Could not load the neighbourhood: ${err.message}`, true);
  } finally {
    ui.graph.removeAttribute('aria-busy');
  }
}

// Fetches a drawn node's neighbourhood and merges it in (once per node).
function expand(id) {
  const node = cy.getElementById(id);
  if (node.empty() || node.data('expanded')) return Promise.resolve();
  if (state.pending.has(id)) return state.pending.get(id);
  const p = (async () => {
    setGraphStatus(`Expanding ${node.data('label')}…`);
    ui.graph.setAttribute('aria-busy', 'true');
    try {
      const sub = await fetchNeighborhood(id);
      if (cy.getElementById(id).empty()) return; // cleared meanwhile
      const added = merge(sub, cy.getElementById(id));
      cy.getElementById(id).data('expanded', true);
      const note = added.length === 0 ? 'No new neighbours.' : `Added ${added.length} node${added.length === 1 ? '' : 's'}.`;
      setGraphStatus(summary(note + (sub.truncated ? ` (the first ${NEIGHBOURS_LIMIT} neighbours only)` : '')));
      highlightSelection();
      if (state.selectedId === id) renderConnections();
      if (added.length > 0) await runLayout({ randomize: false });
    } catch (err) {
      setGraphStatus(`Could not expand ${node.data('label')}: ${err.message}`, true);
    } finally {
      state.pending.delete(id);
      if (state.pending.size === 0) ui.graph.removeAttribute('aria-busy');
    }
  })();
  state.pending.set(id, p);
  return p;
}

// Tap on a node: select it (side panel) and expand it.
function activate(id) {
  select(id);
  return expand(id);
}

function select(id) {
  const node = cy.getElementById(id);
  cy.elements(':selected').unselect();
  if (node.nonempty()) node.select();
  highlightSelection(node);
  if (state.selectedId !== id) {
    state.selectedId = id;
    setUrl({ id });
    showDetails(id);
  } else {
    renderConnections();
  }
  updateGraphiqlLink();
}

// Emphasises the edges of the selected node.
function highlightSelection(node = cy.getElementById(state.selectedId ?? '')) {
  cy.edges('.hl').removeClass('hl');
  if (node.nonempty()) node.connectedEdges().addClass('hl');
}

cy.on('tap', 'node', (evt) => {
  activate(evt.target.id());
});

function summary(note = '') {
  const n = cy.nodes().length;
  const m = cy.edges().length;
  const base = `${n} node${n === 1 ? '' : 's'}, ${m} edge${m === 1 ? '' : 's'}.`;
  return note ? `${base} ${note}` : base;
}

function setGraphStatus(text, isError = false) {
  ui.graphStatus.textContent = text;
  ui.graphStatus.classList.toggle('error', isError);
}

function updateGraphChrome() {
  ui.graphEmpty.hidden = cy.nodes().nonempty();
  const counts = new Map();
  cy.nodes().forEach((n) => counts.set(n.data('type'), (counts.get(n.data('type')) ?? 0) + 1));
  for (const li of ui.legend.querySelectorAll('li[data-type]')) {
    const c = counts.get(li.dataset.type) ?? 0;
    li.querySelector('.legend-count').textContent = c ? String(c) : '';
    li.classList.toggle('absent', c === 0);
  }
}

// --- legend and search-type options ------------------------------------------

for (const t of TYPES) {
  ui.legend.append(
    el('li', { 'data-type': t.type, class: 'absent' }, typeSwatch(t.type), el('span', { text: t.type }), el('span', { class: 'legend-count' })),
  );
  ui.type.append(el('option', { value: t.type, text: t.type }));
}
ui.legend.append(el('li', { class: 'legend-note', text: 'dashed outline: tap to expand' }));

$('btn-fit').addEventListener('click', () => cy.animate({ fit: { eles: cy.elements(), padding: 40 } }, { duration: 250 }));
$('btn-layout').addEventListener('click', () => runLayout({ randomize: true }));
$('btn-clear').addEventListener('click', () => {
  if (state.layout) state.layout.stop();
  cy.elements().remove();
  state.pending.clear();
  state.selectedId = null;
  state.detailsSeq++;
  setUrl({ id: null });
  renderDetailsPlaceholder();
  updateGraphChrome();
  updateGraphiqlLink();
  setGraphStatus('');
});

// --- search ---------------------------------------------------------------------

ui.form.addEventListener('submit', (ev) => {
  ev.preventDefault();
  const text = ui.text.value.trim();
  if (!text) {
    ui.text.focus();
    return;
  }
  search(text, ui.type.value ? [ui.type.value] : null);
});

async function search(text, types) {
  const seq = ++state.searchSeq;
  state.lastSearch = { text, types };
  setUrl({ q: text, type: types ? types[0] : null });
  updateGraphiqlLink();
  ui.hits.replaceChildren();
  ui.hits.setAttribute('aria-busy', 'true');
  ui.searchStatus.classList.remove('error');
  ui.searchStatus.textContent = `Searching for “${text}”…`;
  try {
    const vars = { text, first: SEARCH_FIRST };
    if (types) vars.types = types;
    const data = await gql(SEARCH_QUERY, vars);
    if (seq !== state.searchSeq) return;
    const hits = data.search;
    ui.searchStatus.textContent = hits.length === 0
      ? `No matches for “${text}”.`
      : `${hits.length} result${hits.length === 1 ? '' : 's'} for “${text}”${hits.length === SEARCH_FIRST ? ' (the best ' + SEARCH_FIRST + ')' : ''}.`;
    ui.hits.replaceChildren(...hits.map(renderHit));
  } catch (err) {
    if (seq !== state.searchSeq) return;
    ui.searchStatus.textContent = `Search failed: ${err.message}`;
    ui.searchStatus.classList.add('error');
  } finally {
    if (seq === state.searchSeq) ui.hits.removeAttribute('aria-busy');
  }
}

function renderHit(hit) {
  const n = hit.node;
  const label = hitLabel(n);
  const button = el(
    'button',
    { type: 'button', class: 'hit', 'data-id': n.id, 'data-type': n.__typename, title: `Score ${hit.score.toFixed(2)}` },
    el('span', { class: 'hit-type' }, typeSwatch(n.__typename), el('span', { text: n.__typename })),
    el('span', { class: 'hit-label', text: label }),
  );
  // The snippet, unless it only repeats the label.
  if (hit.snippet && !label.toLowerCase().includes(hit.snippet.trim().toLowerCase())) {
    button.append(el('span', { class: 'hit-snippet', text: hit.snippet }));
  }
  button.addEventListener('click', () => {
    for (const b of ui.hits.querySelectorAll('.hit[aria-current]')) b.removeAttribute('aria-current');
    button.setAttribute('aria-current', 'true');
    openNode(n.id);
  });
  return el('li', {}, button);
}

// --- side panel -----------------------------------------------------------------

const FIELD_LABELS = {
  titleZh: 'Title (Chinese)',
  nameZh: 'Name (Chinese)',
  goalYear: 'Goal year',
  declaredMeasureCount: 'Declared measures',
  catalogedMeasureCount: 'Catalogued measures',
  publishedOn: 'Published',
  url: 'URL',
  eventDate: 'Date',
  eventKind: 'Kind',
  dateNote: 'Date note',
  targetYear: 'Target year',
};
const fieldLabel = (f) => FIELD_LABELS[f] ?? f.charAt(0).toUpperCase() + f.slice(1);

function formatValue(v) {
  if (v === null || v === undefined) return null;
  if (Array.isArray(v)) return v.length ? v.join(', ') : null;
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  return String(v);
}

const safeHttpUrl = (u) => {
  try {
    const url = new URL(u);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
  } catch {
    return null;
  }
};

const FIELD_FORMATS = {
  quantities: (v) => (Array.isArray(v) && v.length ? v.map(formatQuantity).join('; ') : null),
  eventKind: (v) => kindLabel(v),
  authority: (v) => (v ? authorityLabel(v) : null),
  precision: (v) => (v ? v.toLowerCase() : null),
};

function renderDetailsPlaceholder() {
  ui.details.dataset.state = 'empty';
  ui.details.removeAttribute('data-id');
  ui.detailsBody.replaceChildren(el('p', { class: 'placeholder', text: 'Select a node to see its properties and sources.' }));
}

async function showDetails(id) {
  const seq = ++state.detailsSeq;
  ui.details.dataset.state = 'loading';
  ui.details.dataset.id = id;
  ui.details.setAttribute('aria-busy', 'true');
  const drawn = cy.getElementById(id);
  ui.detailsBody.replaceChildren(
    el('p', { class: 'placeholder', text: `Loading ${drawn.nonempty() ? drawn.data('label') : 'the node'}…` }),
  );
  try {
    const data = await gql(NODE_QUERY, { id });
    if (seq !== state.detailsSeq) return;
    if (!data.node) throw new Error('The API does not know this node.');
    renderDetails(data.node);
    ui.details.dataset.state = 'ready';
  } catch (err) {
    if (seq !== state.detailsSeq) return;
    ui.details.dataset.state = 'error';
    ui.detailsBody.replaceChildren(el('p', { class: 'error', role: 'alert', text: `Could not load the node: ${err.message}` }));
  } finally {
    if (seq === state.detailsSeq) ui.details.removeAttribute('aria-busy');
  }
}

function renderDetails(node) {
  const type = node.__typename;
  const drawn = cy.getElementById(node.id);
  const title = drawn.nonempty() ? drawn.data('label') : hitLabel(node);

  const head = el(
    'div',
    { class: 'details-head' },
    el('span', { class: 'type-badge', 'data-type': type }, typeSwatch(type), el('span', { text: type })),
    el('h3', { class: 'details-title', text: title }),
  );

  const dl = el('dl', { class: 'props' });
  for (const f of FIELDS[type] ?? []) {
    const v = formatValue(FIELD_FORMATS[f] ? FIELD_FORMATS[f](node[f], type) : node[f]);
    const dd = el('dd');
    if (v === null) {
      dd.className = 'none';
      dd.textContent = '—';
    } else if (f === 'url' && safeHttpUrl(v)) {
      dd.append(el('a', { href: safeHttpUrl(v), target: '_blank', rel: 'noopener noreferrer', text: v }));
    } else if (f === 'status') {
      dd.append(el('span', { class: `status-chip status-${v.toLowerCase()}`, text: v.replace(/_/g, ' ').toLowerCase() }));
    } else {
      dd.textContent = v;
      if (/[\u3400-\u9fff]/.test(v)) dd.lang = 'zh';
    }
    dl.append(el('dt', { text: fieldLabel(f) }), dd);
  }
  dl.append(el('dt', { text: 'ID' }), el('dd', {}, el('code', { class: 'node-id', text: node.id })));

  const parts = [head, dl];
  if (TIMELINE_TYPES.has(type)) {
    parts.push(el('section', { id: 'timeline', class: 'timeline', 'aria-labelledby': 'timeline-heading', 'data-state': 'loading' },
      el('h4', { id: 'timeline-heading', text: 'Timeline' }),
      el('p', { class: 'placeholder', text: 'Loading the events…' })));
  }
  if (drawn.nonempty()) {
    parts.push(el('div', { id: 'connections', class: 'connections' }));
  }
  if (Array.isArray(node.sources)) {
    parts.push(renderSources(node.sources));
  }
  ui.detailsBody.replaceChildren(...parts);
  if (drawn.nonempty()) renderConnections();
  if (TIMELINE_TYPES.has(type)) loadNodeTimeline(node.id, state.detailsSeq);
}

// --- the selected node's timeline (side panel) ---------------------------------

// Loads the first page of the node's events into #timeline, and further pages
// with "Show more"; seq is the side panel's request number (a newer selection
// drops the answer).
async function loadNodeTimeline(id, seq) {
  const box = document.getElementById('timeline');
  if (!box) return;
  const list = el('ol', { class: 'event-list' });
  let total = 0;
  let shown = 0;
  const more = el('button', { type: 'button', class: 'more-btn', hidden: true });
  const heading = box.querySelector('h4');
  const page = async (after) => {
    box.dataset.state = 'loading';
    box.setAttribute('aria-busy', 'true');
    try {
      const vars = { id, first: TIMELINE_FIRST };
      if (after) vars.after = after;
      const data = await gql(TIMELINE_QUERY, vars);
      if (seq !== state.detailsSeq) return;
      const conn = data.node?.timeline;
      if (!conn) throw new Error('The API gives no timeline for this node.');
      total = conn.totalCount;
      for (const ev of conn.nodes) list.append(renderEvent(ev, { selfId: id, onOpen: openFromTimeline }));
      shown += conn.nodes.length;
      heading.textContent = `Timeline (${total} event${total === 1 ? '' : 's'})`;
      box.querySelector('.placeholder, .error')?.remove();
      if (total === 0) box.append(el('p', { class: 'placeholder', text: 'No events recorded for this node.' }));
      more.hidden = !conn.pageInfo.hasNextPage;
      more.textContent = `Show more (${total - shown} more)`;
      more.onclick = () => page(conn.pageInfo.endCursor);
      box.dataset.state = 'ready';
    } catch (err) {
      if (seq !== state.detailsSeq) return;
      box.dataset.state = 'error';
      box.querySelector('.placeholder, .error')?.remove();
      box.append(el('p', { class: 'error', role: 'alert', text: `Could not load the timeline: ${err.message}` }));
    } finally {
      if (seq === state.detailsSeq) box.removeAttribute('aria-busy');
    }
  };
  box.append(list, more);
  await page(null);
}

// A node named by an event (side panel or plan timeline): select it when it
// is drawn, else draw its neighbourhood; in the timeline view, go back to the graph.
function openFromTimeline(id) {
  if (state.view !== 'graph') setView('graph');
  if (cy.getElementById(id).nonempty()) activate(id);
  else openNode(id);
}

function renderSources(sources) {
  const section = el('section', { class: 'sources', 'aria-labelledby': 'sources-heading' });
  section.append(el('h4', { id: 'sources-heading', text: `Sources (${sources.length})` }));
  if (sources.length === 0) {
    section.append(el('p', { class: 'placeholder', text: 'No sources recorded for this node.' }));
    return section;
  }
  const list = el('ul', { class: 'source-list' });
  for (const s of sources) {
    const href = s.url ? safeHttpUrl(s.url) : null;
    const titleEl = href
      ? el('a', { class: 'source-title', href, target: '_blank', rel: 'noopener noreferrer', text: s.title })
      : el('span', { class: 'source-title', text: s.title });
    const meta = [s.publisher, s.publishedOn, s.fact].filter(Boolean).join(' · ');
    const li = el('li', { class: 'source' }, titleEl);
    if (meta || s.authority) {
      const m = el('span', { class: 'source-meta' });
      if (s.authority) {
        m.append(el('span', { class: `authority authority-${s.authority.toLowerCase()}`, text: authorityLabel(s.authority) }), ' ');
      }
      m.append(meta);
      li.append(m);
    }
    if (href) li.append(el('span', { class: 'source-host', text: new URL(href).host }));
    if (s.excerpt) {
      li.append(el('blockquote', { class: 'excerpt', cite: href ?? undefined }, el('p', { text: s.excerpt })));
    }
    if (s.claim) li.append(el('p', { class: 'event-claim', text: s.claim }));
    list.append(li);
  }
  section.append(list);
  return section;
}

// The selected node's edges as buttons: a keyboard-usable way around the graph.
function renderConnections() {
  const box = document.getElementById('connections');
  const node = cy.getElementById(state.selectedId ?? '');
  if (!box || node.empty()) return;
  const rows = node.connectedEdges().map((e) => {
    const out = e.source().id() === node.id();
    const other = out ? e.target() : e.source();
    return { out, type: e.data('type'), other };
  });
  rows.sort((a, b) => a.type.localeCompare(b.type) || a.other.data('label').localeCompare(b.other.data('label')));
  const heading = el('h4', { text: `Connections (${rows.length})` });
  const parts = [heading];
  if (!node.data('expanded')) {
    const btn = el('button', { type: 'button', class: 'expand-btn', text: 'Expand this node' });
    btn.addEventListener('click', () => expand(node.id()));
    parts.push(btn);
  }
  const list = el('ul', { class: 'connection-list' });
  for (const r of rows) {
    const b = el(
      'button',
      { type: 'button', class: 'connection', 'data-id': r.other.id(), title: `Select and expand ${r.other.data('label')}` },
      el('span', { class: 'rel', text: r.out ? `${r.type} →` : `← ${r.type}` }),
      typeSwatch(r.other.data('type')),
      el('span', { class: 'connection-label', text: r.other.data('label') }),
    );
    b.addEventListener('click', () => activate(r.other.id()));
    list.append(el('li', {}, b));
  }
  parts.push(list);
  box.replaceChildren(...parts);
}

// --- plan timeline view --------------------------------------------------------

for (const [kind, label] of Object.entries(KIND_LABELS)) {
  ui.planTimelineKind.append(el('option', { value: kind, text: label }));
}
ui.viewGraph.addEventListener('click', () => setView('graph'));
ui.viewTimeline.addEventListener('click', () => setView('timeline'));
ui.planTimelineKind.addEventListener('change', renderPlanTimeline);
ui.planTimelineConfirmed.addEventListener('change', renderPlanTimeline);

// Switches between the graph and the plan timeline (kept in ?view=).
function setView(view) {
  state.view = view;
  const timeline = view === 'timeline';
  ui.graphPanel.dataset.view = view;
  ui.viewGraph.setAttribute('aria-pressed', String(!timeline));
  ui.viewTimeline.setAttribute('aria-pressed', String(timeline));
  ui.graphWrap.hidden = timeline;
  ui.planTimeline.hidden = !timeline;
  setUrl({ view: timeline ? 'timeline' : null });
  updateGraphiqlLink();
  if (timeline) {
    if (!state.planEvents) loadPlanTimeline();
  } else {
    // The container was hidden: let Cytoscape measure it again.
    cy.resize();
  }
}

// Reads every event of the plan (Plan.timeline, 100 a page), then draws them.
async function loadPlanTimeline() {
  const seq = ++state.planTimelineSeq;
  ui.planTimeline.dataset.state = 'loading';
  ui.planTimeline.setAttribute('aria-busy', 'true');
  ui.planTimelineCount.textContent = 'Loading the events…';
  ui.planTimelineBody.replaceChildren();
  try {
    const events = [];
    let after = null;
    let total = 0;
    for (;;) {
      const vars = { first: PLAN_TIMELINE_FIRST };
      if (after) vars.after = after;
      const data = await gql(PLAN_TIMELINE_QUERY, vars);
      if (seq !== state.planTimelineSeq) return;
      if (!data.plan) throw new Error('no plan loaded');
      state.plan = state.plan ?? { title: data.plan.title };
      const conn = data.plan.timeline;
      total = conn.totalCount;
      events.push(...conn.nodes);
      if (!conn.pageInfo.hasNextPage || conn.nodes.length === 0) break;
      after = conn.pageInfo.endCursor;
    }
    state.planEvents = { total, events };
    renderPlanTimeline();
    ui.planTimeline.dataset.state = 'ready';
  } catch (err) {
    if (seq !== state.planTimelineSeq) return;
    ui.planTimeline.dataset.state = 'error';
    ui.planTimelineCount.textContent = '';
    ui.planTimelineBody.replaceChildren(el('p', { class: 'error', role: 'alert', text: `Could not load the plan timeline: ${err.message}` }));
  } finally {
    if (seq === state.planTimelineSeq) ui.planTimeline.removeAttribute('aria-busy');
  }
}

// Draws the loaded events that pass the kind and confirmed filters, by year.
function renderPlanTimeline() {
  if (!state.planEvents) return;
  const { total, events } = state.planEvents;
  const kind = ui.planTimelineKind.value;
  const confirmedOnly = ui.planTimelineConfirmed.checked;
  const shown = events.filter((ev) => (!kind || ev.kind === kind) && (!confirmedOnly || ev.confirmed));
  const years = new Map();
  for (const ev of shown) {
    const y = eventYear(ev);
    if (!years.has(y)) years.set(y, []);
    years.get(y).push(ev);
  }
  const parts = [];
  for (const [year, evs] of years) {
    const list = el('ol', { class: 'event-list' }, ...evs.map((ev) => renderEvent(ev, { onOpen: openFromTimeline })));
    parts.push(el('section', { class: 'timeline-year', 'data-year': year, 'aria-label': year },
      el('h4', { class: 'timeline-year-heading', text: `${year} (${evs.length})` }), list));
  }
  if (shown.length === 0) parts.push(el('p', { class: 'placeholder', text: 'No events match.' }));
  ui.planTimelineBody.replaceChildren(...parts);
  const of = state.plan ? ` of “${state.plan.title}”` : '';
  ui.planTimelineCount.textContent = shown.length === total
    ? `${total} event${total === 1 ? '' : 's'}${of}, oldest first.`
    : `${shown.length} of ${total} events${of}.`;
}

// --- "Open in GraphiQL" -------------------------------------------------------

function updateGraphiqlLink() {
  let op;
  if (state.view === 'timeline') {
    op = { name: 'ExplorerPlanTimeline', query: PLAN_TIMELINE_QUERY, variables: { first: PLAN_TIMELINE_FIRST } };
  } else if (state.selectedId) {
    op = { name: 'ExplorerNode', query: NODE_QUERY, variables: { id: state.selectedId } };
  } else if (state.lastSearch) {
    const variables = { text: state.lastSearch.text, first: SEARCH_FIRST };
    if (state.lastSearch.types) variables.types = state.lastSearch.types;
    op = { name: 'ExplorerSearch', query: SEARCH_QUERY, variables };
  } else {
    op = { name: 'ExplorerPlan', query: PLAN_QUERY, variables: null };
  }
  ui.graphiql.href = graphiqlHref(op.query, op.variables);
  ui.graphiql.dataset.operation = op.name;
  ui.graphiql.title = `Open the ${op.name} query behind this view in GraphiQL (new tab)`;
}

// --- URL ------------------------------------------------------------------------

function setUrl(changes) {
  const url = new URL(window.location.href);
  for (const [k, v] of Object.entries(changes)) {
    if (v === null || v === undefined || v === '') url.searchParams.delete(k);
    else url.searchParams.set(k, v);
  }
  if (url.href !== window.location.href) history.replaceState(null, '', url);
}

// --- header ---------------------------------------------------------------------

async function loadPlan() {
  try {
    const { plan } = await gql(PLAN_QUERY);
    if (!plan) {
      ui.planFigure.textContent = 'no plan loaded';
      return;
    }
    state.plan = state.plan ?? { title: plan.title };
    const cataloged = plan.catalogedMeasureCount;
    const declared = plan.declaredMeasureCount;
    ui.planFigure.textContent = declared != null ? `${cataloged} of ${declared} catalogued` : `${cataloged} catalogued`;
    ui.planTitle.textContent = plan.title;
    ui.planFigure.title = `Measures of “${plan.title}” held in the graph`;
  } catch (err) {
    ui.planFigure.textContent = 'plan unavailable';
    ui.planFigure.title = err.message;
  }
}

// --- start ----------------------------------------------------------------------

function start() {
  updateGraphChrome();
  updateGraphiqlLink();
  loadPlan();
  const params = new URLSearchParams(window.location.search);
  if (params.get('view') === 'timeline') setView('timeline');
  const q = params.get('q')?.trim();
  const id = params.get('id')?.trim();
  const type = params.get('type');
  if (type && TYPES.some((t) => t.type === type)) ui.type.value = type;
  if (q) {
    ui.text.value = q;
    search(q, ui.type.value ? [ui.type.value] : null);
  }
  if (id) {
    openNode(id);
  } else if (!q && state.view === 'graph') {
    ui.text.focus();
  }
}

start();
