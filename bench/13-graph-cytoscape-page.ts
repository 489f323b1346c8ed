// The cytoscape.js side of the graph comparison (bench/11-graph-render.mjs bundles this file with esbuild into a page
// served on Shelf's own origin). It draws the same graph as the graph screen's overview, from the same graph.resolve
// answer, with the same layout (components/graph/model.ts), node sizes and colours, and, like the screen for a graph of
// over 300 nodes, no edges until something is selected. Cytoscape's canvas renderer runs with the options its
// documentation recommends for large graphs: hideEdgesOnViewport and textureOnViewport.
import cytoscape from 'cytoscape';
import { licenceKey, nodeColour, readPalette } from '../src/renderer/src/components/graph/colours';
import { EDGE_TYPES, indexGraph, label, overview } from '../src/renderer/src/components/graph/model';
import type { GraphResult } from '../src/shared/contract';

declare global {
  interface Window {
    benchSource?: unknown;
    benchCy?: cytoscape.Core;
  }
}

const surface = document.querySelector<HTMLDivElement>('.gv-surface')!;
const form = document.querySelector('form')!;
const PADDING = 24;

form.addEventListener('submit', (e) => {
  e.preventDefault();
  void (async () => {
    const response = await fetch(`/-/shelf/rpc/graph.resolve`, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify(window.benchSource),
    });
    const graph = (await response.json()) as GraphResult;
    if (!response.ok) {
      const alert = document.createElement('p');
      alert.setAttribute('role', 'alert');
      alert.textContent = JSON.stringify(graph);
      document.body.append(alert);
      return;
    }
    draw(graph);
  })();
});

function draw(graph: GraphResult): void {
  const index = indexGraph(graph, new Set(EDGE_TYPES));
  const { width, height } = surface.getBoundingClientRect();
  const drawing = overview(index, new Set(), width / height);
  const palette = readPalette();
  const licences = licenceKey(graph.nodes, palette);
  const largest = Math.max(1, ...graph.nodes.map((n) => n.size ?? 0));
  const involved = new Set(graph.conflict?.involved ?? []);
  // The model's units scaled so the fitted drawing is at zoom ~1, where sizes are the screen's pixels as in sigma.
  const xs = drawing.nodes.map((n) => n.x);
  const ys = drawing.nodes.map((n) => -n.y);
  const spanX = Math.max(1e-9, Math.max(...xs) - Math.min(...xs));
  const spanY = Math.max(1e-9, Math.max(...ys) - Math.min(...ys));
  const scale = Math.min((width - 2 * PADDING) / spanX, (height - 2 * PADDING) / spanY);
  const big = drawing.nodes.length > 400;
  const elements: cytoscape.ElementDefinition[] = [];
  // Graph ids are install locations, the root's "" among them, which cytoscape refuses: each node gets its index.
  const key = new Map(drawing.nodes.map((p, i) => [p.id, `n${i}`]));
  for (const p of drawing.nodes) {
    const n = index.byId.get(p.id)!;
    const colour = involved.has(n.name)
      ? palette.danger
      : n.isRoot
        ? palette.accent
        : nodeColour(n, 'kind', palette, licences.colour, largest);
    const size = n.isRoot ? 8 : big ? 3 : 5;
    elements.push({
      group: 'nodes',
      data: { id: key.get(p.id)!, label: label(n), colour, d: 2 * size },
      position: { x: p.x * scale, y: -p.y * scale },
    });
  }
  drawing.edges.forEach(([from, to], i) =>
    elements.push({ group: 'edges', data: { id: `e${i}`, source: key.get(from)!, target: key.get(to)! } }),
  );
  const hideEdges = drawing.nodes.length > 300;
  const cy = cytoscape({
    container: surface,
    elements,
    // Fitted as the screen fits a big graph, to the discs (cytoscape's own fit counts the hidden labels' boxes too):
    // the positions were scaled for zoom 1, so the pan centres them.
    layout: { name: 'preset', fit: false },
    zoom: 1,
    pan: {
      x: width / 2 - ((Math.min(...xs) + Math.max(...xs)) / 2) * scale,
      y: height / 2 - ((Math.min(...ys) + Math.max(...ys)) / 2) * scale,
    },
    hideEdgesOnViewport: true,
    textureOnViewport: true,
    minZoom: 0.05,
    maxZoom: 40,
    style: [
      {
        selector: 'node',
        style: {
          width: 'data(d)',
          height: 'data(d)',
          'background-color': 'data(colour)',
          label: 'data(label)',
          // sigma shows a label once its disc is 6 px across (labelRenderedSizeThreshold): the same zoom here.
          'font-size': 12 / (6 / 3),
          'min-zoomed-font-size': 12,
          'text-halign': 'right',
          'text-valign': 'center',
          'text-margin-x': 3,
          color: palette.text,
        },
      },
      {
        selector: 'edge',
        style: { width: 0.6, 'line-color': palette.faint, 'curve-style': 'haystack', display: hideEdges ? 'none' : 'element' },
      },
    ],
  });
  window.benchCy = cy;
  // The screen's "Zoom in" button: 1.5× about the centre, animated for 150 ms.
  document.querySelector('[aria-label="Zoom in"]')!.addEventListener('click', () => {
    cy.animate({ zoom: { level: cy.zoom() * 1.5, renderedPosition: { x: width / 2, y: height / 2 } } } as cytoscape.AnimationOptions, {
      duration: 150,
    });
  });
  cy.one('render', () => performance.mark('shelf:graph-drawn', { detail: { nodes: cy.nodes().length } }));
}
