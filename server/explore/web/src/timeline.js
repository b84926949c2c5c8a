// Events as the explorer shows them: one <li class="event"> per event, with
// its date and how precise it is, its kind, title, whether a source of
// authority confirms it, the amounts it reports, what it concerns and its
// sources (publisher, authority, the claim in our words, the public-fact id
// and a link to the page). Used by the side panel's timeline and by the plan
// timeline view. All text goes in with textContent.

export const KIND_LABELS = {
  ANNOUNCED: 'announced',
  APPROVED: 'approved',
  ISSUED: 'issued',
  LAUNCHED: 'launched',
  IN_FORCE: 'in force',
  OPENED: 'opened',
  COMPLETED: 'completed',
  EXPANDED: 'expanded',
  DELAYED: 'delayed',
  TARGET_SET: 'target set',
  REPORTED: 'reported',
};

const PRECISION_LABELS = { DAY: 'day', MONTH: 'month only', YEAR: 'year only' };
const AUTHORITY_LABELS = { OFFICIAL: 'official', MAINSTREAM: 'mainstream', REPOST: 'repost' };

export const kindLabel = (k) => KIND_LABELS[k] ?? String(k ?? '').replace(/_/g, ' ').toLowerCase();
export const authorityLabel = (a) => AUTHORITY_LABELS[a] ?? String(a ?? '').toLowerCase();

export function safeHttpUrl(u) {
  try {
    const url = new URL(u);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
  } catch {
    return null;
  }
}

// A quantity as text: "area after 120.56 km2".
export function formatQuantity(q) {
  const value = Number.isInteger(q.value) ? q.value.toLocaleString('en') : String(q.value);
  return `${q.of}: ${value} ${q.unit}`;
}

export function createEl(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k.startsWith('data-') || k.startsWith('aria-')) e.setAttribute(k, v);
    else if (k in e) e[k] = v;
    else e.setAttribute(k, v);
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
}
const el = createEl;

// renderEvent draws one event. selfId: the node whose timeline this is (left
// out of the "concerns" list); onOpen(id): called when a concerned node is
// picked (none: the list is plain text).
export function renderEvent(ev, { selfId = null, onOpen = null } = {}) {
  const li = el('li', {
    class: `event kind-${String(ev.kind).toLowerCase()}${ev.confirmed ? '' : ' unconfirmed'}`,
    'data-slug': ev.slug,
    'data-date': ev.date,
    'data-kind': ev.kind,
    'data-confirmed': String(!!ev.confirmed),
  });

  const when = el(
    'div',
    { class: 'event-when' },
    el('time', { class: 'event-date', dateTime: ev.date, text: ev.date }),
    el('span', {
      class: `event-precision precision-${String(ev.precision).toLowerCase()}`,
      text: PRECISION_LABELS[ev.precision] ?? String(ev.precision).toLowerCase(),
      title: ev.precision === 'DAY' ? 'The day is known' : `The sources give the ${ev.precision === 'MONTH' ? 'month' : 'year'} only`,
    }),
  );
  li.append(when);

  const head = el(
    'div',
    { class: 'event-head' },
    el('span', { class: `event-kind kind-${String(ev.kind).toLowerCase()}`, text: kindLabel(ev.kind) }),
    ev.confirmed
      ? null
      : el('span', {
        class: 'event-unconfirmed',
        text: 'unconfirmed',
        title: 'Only reposts support it, or the source leaves doubt',
      }),
  );
  li.append(head, el('p', { class: 'event-title', text: ev.title }));

  const facts = [];
  if (ev.targetYear != null) facts.push(el('li', { class: 'event-target', text: `Target year: ${ev.targetYear}` }));
  for (const q of ev.quantities ?? []) facts.push(el('li', { class: 'event-quantity', text: formatQuantity(q) }));
  if (facts.length) li.append(el('ul', { class: 'event-facts' }, ...facts));
  if (ev.dateNote) li.append(el('p', { class: 'event-date-note', text: `Date: ${ev.dateNote}` }));

  const concerns = [
    ...(ev.measures ?? []).map((m) => ({ id: m.id, type: 'Measure', label: `${m.code} ${m.title}` })),
    ...(ev.projects ?? []).map((p) => ({ id: p.id, type: 'Project', label: p.name })),
    ...(ev.places ?? []).map((p) => ({ id: p.id, type: 'Place', label: p.name })),
  ].filter((c) => c.id !== selfId);
  if (concerns.length) {
    const list = el('ul', { class: 'event-concerns', 'aria-label': 'Concerns' });
    for (const c of concerns) {
      const item = onOpen
        ? el('button', { type: 'button', class: 'event-concern', 'data-id': c.id, 'data-type': c.type, title: `Open ${c.label} (${c.type})`, text: c.label })
        : el('span', { class: 'event-concern', 'data-type': c.type, text: c.label });
      if (onOpen) item.addEventListener('click', () => onOpen(c.id));
      list.append(el('li', {}, item));
    }
    li.append(el('div', { class: 'event-concerns-box' }, el('span', { class: 'event-label', text: 'Concerns' }), list));
  }

  const sources = ev.sources ?? [];
  if (sources.length) {
    const list = el('ul', { class: 'event-sources', 'aria-label': 'Sources' });
    for (const s of sources) list.append(renderEventSource(s));
    li.append(list);
  }
  return li;
}

function renderEventSource(s) {
  const href = s.url ? safeHttpUrl(s.url) : null;
  const li = el('li', { class: 'event-source', 'data-authority': s.authority ?? undefined });
  const line = el('div', { class: 'event-source-line' });
  if (s.authority) {
    line.append(el('span', {
      class: `authority authority-${s.authority.toLowerCase()}`,
      text: authorityLabel(s.authority),
      title: 'How far the source can be trusted',
    }));
  }
  line.append(el('span', { class: 'event-source-publisher', text: s.publisher || 'unknown publisher' }));
  if (s.publishedOn) line.append(el('span', { class: 'event-source-date', text: s.publishedOn }));
  if (s.fact) line.append(el('span', { class: 'event-source-fact', text: s.fact, title: 'Id of the fact in the list of public facts' }));
  li.append(line);
  li.append(href
    ? el('a', { class: 'event-source-title', href, target: '_blank', rel: 'noopener noreferrer', text: s.title })
    : el('span', { class: 'event-source-title', text: s.title }));
  if (s.claim) li.append(el('p', { class: 'event-claim', text: s.claim }));
  if (s.excerpt) li.append(el('blockquote', { class: 'excerpt', cite: href ?? undefined }, el('p', { text: s.excerpt })));
  return li;
}

// The year an event falls in (its date starts with it).
export const eventYear = (ev) => String(ev.date).slice(0, 4);
