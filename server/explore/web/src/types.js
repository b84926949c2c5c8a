// Node types (those of GraphNode.type and of search's `types`): colour and
// shape in the graph, the legend and the hit list.
// Colours: the Okabe–Ito palette (distinguishable with the common colour-vision
// deficiencies) plus three darker tones; every type also has its own shape.

export const TYPES = [
  { type: 'Plan', color: '#1f3b73', shape: 'star' },
  { type: 'Section', color: '#0072b2', shape: 'round-rectangle' },
  { type: 'Aspect', color: '#56b4e9', shape: 'round-rectangle' },
  { type: 'Measure', color: '#e69f00', shape: 'ellipse' },
  { type: 'Project', color: '#d55e00', shape: 'diamond' },
  { type: 'Sector', color: '#009e73', shape: 'hexagon' },
  { type: 'Place', color: '#cc79a7', shape: 'round-triangle' },
  { type: 'Milestone', color: '#6a4c93', shape: 'round-pentagon' },
  { type: 'Event', color: '#8c510a', shape: 'round-tag' },
  { type: 'Organization', color: '#000000', shape: 'barrel' },
];

// Sources are nodes too (node(id:) answers for them) but neighbourhoods leave
// provenance out and search does not index them: no legend entry, no search type.
const SOURCE = { type: 'Source', color: '#6b7280', shape: 'round-rectangle' };

const BY_TYPE = new Map([...TYPES, SOURCE].map((t) => [t.type, t]));
const UNKNOWN = { type: '?', color: '#9ca3af', shape: 'ellipse' };

export const typeInfo = (type) => BY_TYPE.get(type) ?? UNKNOWN;

const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", Arial, sans-serif';

// The Cytoscape stylesheet (a JS object: no CSS parsing, no inline <style>).
export function cytoscapeStyle() {
  return [
    {
      selector: 'node',
      style: {
        label: 'data(label)',
        'font-family': FONT,
        'font-size': 11,
        color: '#1f2937',
        'text-valign': 'bottom',
        'text-halign': 'center',
        'text-margin-y': 4,
        'text-wrap': 'wrap',
        'text-max-width': 150,
        'text-background-color': '#ffffff',
        'text-background-opacity': 0.8,
        'text-background-padding': 1,
        'text-background-shape': 'round-rectangle',
        // Zoomed far out, labels would be an unreadable blur: hide them
        // until they are at least this big on screen.
        'min-zoomed-font-size': 6,
        width: 26,
        height: 26,
        'background-color': UNKNOWN.color,
        'border-width': 2,
        'border-color': '#ffffff',
        'border-style': 'solid',
        'overlay-padding': 6,
      },
    },
    ...[...TYPES, SOURCE].map((t) => ({
      selector: `node[type = "${t.type}"]`,
      style: { 'background-color': t.color, shape: t.shape },
    })),
    { selector: 'node[type = "Plan"]', style: { width: 34, height: 34 } },
    { selector: 'node[type = "Section"], node[type = "Aspect"]', style: { width: 30, height: 22 } },
    // Not expanded yet: a dashed outline says "tap to see more".
    {
      selector: 'node[!expanded]',
      style: { 'border-style': 'dashed', 'border-color': '#4b5563', 'border-width': 1.5 },
    },
    // Measures are the many; the few structural nodes, the root and the
    // selected node keep their labels at any zoom.
    { selector: 'node[type != "Measure"]', style: { 'min-zoomed-font-size': 0 } },
    { selector: 'node.root', style: { 'font-weight': 'bold', 'min-zoomed-font-size': 0 } },
    {
      selector: 'node:selected',
      style: {
        'border-width': 4,
        'border-style': 'solid',
        'border-color': '#111827',
        'font-weight': 'bold',
        'min-zoomed-font-size': 0,
        'z-index': 10,
      },
    },
    {
      selector: 'edge',
      style: {
        width: 1.5,
        'line-color': '#9ca3af',
        'target-arrow-color': '#9ca3af',
        'target-arrow-shape': 'triangle',
        'arrow-scale': 0.9,
        'curve-style': 'bezier',
        label: 'data(type)',
        'font-family': FONT,
        'font-size': 8,
        'min-zoomed-font-size': 7,
        color: '#4b5563',
        'text-rotation': 'autorotate',
        'text-background-color': '#f9fafb',
        'text-background-opacity': 0.9,
        'text-background-padding': 1,
      },
    },
    {
      selector: 'edge.hl',
      style: {
        width: 2.5,
        'line-color': '#374151',
        'target-arrow-color': '#374151',
        color: '#111827',
        'z-index': 5,
      },
    },
  ];
}

// A small SVG of the type's shape in its colour, for the legend and the hit
// list (built with the DOM, so no inline style or markup parsing is involved).
const SVG_NS = 'http://www.w3.org/2000/svg';
const POINTS = {
  star: '8,0.8 10,5.6 15.2,5.9 11.2,9.3 12.5,14.4 8,11.6 3.5,14.4 4.8,9.3 0.8,5.9 6,5.6',
  diamond: '8,1 15,8 8,15 1,8',
  hexagon: '4.5,2 11.5,2 15,8 11.5,14 4.5,14 1,8',
  'round-triangle': '8,1.5 15,14 1,14',
  'round-pentagon': '8,1 15,6.2 12.3,14.5 3.7,14.5 1,6.2',
  'round-tag': '1,2 11,2 15,8 11,14 1,14',
};

export function typeSwatch(type) {
  const t = typeInfo(type);
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('viewBox', '0 0 16 16');
  svg.setAttribute('width', '14');
  svg.setAttribute('height', '14');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('class', 'swatch');
  let shape;
  if (POINTS[t.shape]) {
    shape = document.createElementNS(SVG_NS, 'polygon');
    shape.setAttribute('points', POINTS[t.shape]);
    if (t.shape.startsWith('round-')) shape.setAttribute('stroke-linejoin', 'round');
  } else if (t.shape === 'ellipse') {
    shape = document.createElementNS(SVG_NS, 'circle');
    shape.setAttribute('cx', '8');
    shape.setAttribute('cy', '8');
    shape.setAttribute('r', '7');
  } else {
    shape = document.createElementNS(SVG_NS, 'rect');
    shape.setAttribute('x', '1');
    shape.setAttribute('y', '3');
    shape.setAttribute('width', '14');
    shape.setAttribute('height', '10');
    shape.setAttribute('rx', '2.5');
  }
  shape.setAttribute('fill', t.color);
  if (t.shape.startsWith('round-') && POINTS[t.shape]) {
    shape.setAttribute('stroke', t.color);
    shape.setAttribute('stroke-width', '1.5');
  }
  svg.appendChild(shape);
  return svg;
}
