// The drawing surface: sigma.js (WebGL) over a graphology graph. A new drawing replaces the graph and resets the camera,
// which sigma fits to the container's real size (a ResizeObserver keeps it fitted as the layout changes); drag pans,
// the wheel, the +/- keys and the zoom buttons zoom, arrow keys pan, clicking a node selects it, hovering shows a card.
// Without WebGL the surface says so instead of staying blank.
import Graph from 'graphology';
import Sigma from 'sigma';
import { forwardRef, useEffect, useImperativeHandle, useRef, useState, type ReactNode } from 'react';
import { placeLabels, type Drawing, type LabelBox } from './model';
import { drawAtRest } from './moving-picture';

export interface NodeLook {
  label: string;
  colour: string;
  size: number;
}

interface Props {
  drawing: Drawing;
  look(id: string): NodeLook;
  /** Nodes (and edges between them) drawn in full; everything else fades. Undefined: nothing fades. */
  emphasis?: ReadonlySet<string>;
  selected?: string;
  edgeColour: string;
  edgeStrong: string;
  labelColour: string;
  /** Changes whenever colours or emphasis change, so the surface redraws without rebuilding the graph. */
  styleKey: string;
  onSelect(id: string): void;
  onHover(id: string | undefined, x: number, y: number): void;
  /** The surface's width/height, for a layout with the same shape. */
  onAspect(aspect: number): void;
  label: string;
  children?: ReactNode;
}

export interface SigmaHandle {
  fit(): void;
  zoom(factor: number): void;
  centreOn(id: string): void;
}

/** The surface's background (its own, else the nearest painted ancestor's) at 85 % opacity; white when none is painted. */
function surfaceBacking(el: HTMLElement | null): string {
  for (let node = el; node; node = node.parentElement) {
    const m = /rgba?\((\d+),\s*(\d+),\s*(\d+)(?:,\s*([\d.]+))?\)/.exec(getComputedStyle(node).backgroundColor);
    if (m && m[4] !== '0') return `rgba(${m[1]},${m[2]},${m[3]},0.85)`;
  }
  return 'rgba(255,255,255,0.85)';
}

export function webglAvailable(): boolean {
  try {
    const canvas = document.createElement('canvas');
    return Boolean(canvas.getContext('webgl2') ?? canvas.getContext('webgl'));
  } catch {
    return false;
  }
}

function fade(hex: string, alpha: number): string {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  return m ? `rgba(${parseInt(m[1]!, 16)},${parseInt(m[2]!, 16)},${parseInt(m[3]!, 16)},${alpha})` : hex;
}

/**
 * The camera that shows every node inside the surface, labels of a small drawing included: sigma's own fit ignores
 * labels and leaves a drawing whose shape differs from the surface's overflowing one side, so it is measured here.
 */
function fittedCamera(renderer: Sigma): { x: number; y: number; ratio: number; angle: number } {
  const home = { x: 0.5, y: 0.5, ratio: 1, angle: 0 };
  const graph = renderer.getGraph();
  if (!graph.order) return home;
  const { width, height } = renderer.getDimensions();
  let [x0, y0, x1, y1] = [Infinity, Infinity, -Infinity, -Infinity];
  graph.forEachNode((_, a) => {
    const p = renderer.graphToViewport({ x: a.x as number, y: a.y as number }, { cameraState: home });
    x0 = Math.min(x0, p.x);
    x1 = Math.max(x1, p.x);
    y0 = Math.min(y0, p.y);
    y1 = Math.max(y1, p.y);
  });
  // Room for the node discs, and for labels when there are few enough nodes to show them all.
  const pad = 16;
  const labelRoom = graph.order <= 80 ? 150 : 0;
  const ratio = Math.max((x1 - x0) / Math.max(1, width - 2 * pad - labelRoom), (y1 - y0) / Math.max(1, height - 2 * pad), 0.02);
  const centre = renderer.viewportToFramedGraph({ x: (x0 + x1) / 2 + (labelRoom / 2) * ratio, y: (y0 + y1) / 2 }, { cameraState: home });
  return { x: centre.x, y: centre.y, ratio, angle: 0 };
}

/** A bigger overview draws no edges until something is selected. */
const EDGES_HIDDEN_ABOVE = 300;

/**
 * Sigma's WebGL layers that have nothing to show are taken out of the page (display: none): without a GPU, Chromium
 * reads every WebGL layer drawn into back to the CPU at each frame sigma draws (tens of ms each on a loaded 2-core
 * machine, whatever it holds), and sigma clears them all on every render. The edge layer is empty in a big overview
 * with nothing selected; the hovered-node layer holds something only while a node is hovered.
 */
function showLayers(renderer: Sigma, emphasis: ReadonlySet<string> | undefined, hovered: boolean): void {
  const layers = renderer.getCanvases();
  if (layers.edges) layers.edges.style.display = emphasis || renderer.getGraph().order <= EDGES_HIDDEN_ABOVE ? '' : 'none';
  if (layers.hoverNodes) layers.hoverNodes.style.display = hovered ? '' : 'none';
}

const LABEL_SIZE = 12;
const LABEL_FONT = 'system-ui, sans-serif';
let measuring: CanvasRenderingContext2D | null | undefined;

/** A label's box as sigma's label drawer below places it: right of the disc, the text's baseline a third below centre. */
function labelBox(id: string, label: string, x: number, y: number, size: number): LabelBox {
  measuring ??= document.createElement('canvas').getContext('2d');
  if (measuring) measuring.font = `${LABEL_SIZE}px ${LABEL_FONT}`;
  const width = measuring ? measuring.measureText(label).width : label.length * LABEL_SIZE * 0.6;
  const x0 = x + size + 3;
  return { id, x0: x0 - 2, y0: y - LABEL_SIZE * 0.8 - 1, x1: x0 + width + 2, y1: y + LABEL_SIZE * 0.4 + 1 };
}

/** The focus view's labels, chosen where they overlap nothing wanted more (see placeLabels); undefined: sigma's grid. */
function focusLabels(renderer: Sigma, priority: readonly string[] | undefined): Set<string> | undefined {
  if (!priority) return undefined;
  const graph = renderer.getGraph();
  const boxes: LabelBox[] = [];
  for (const id of priority) {
    const data = renderer.getNodeDisplayData(id);
    const label = graph.hasNode(id) ? (graph.getNodeAttribute(id, 'label') as string | undefined) : undefined;
    if (!data || !label) continue;
    const p = renderer.framedGraphToViewport(data);
    boxes.push(labelBox(id, label, p.x, p.y, renderer.scaleSize(data.size)));
  }
  const { width, height } = renderer.getDimensions();
  return placeLabels(boxes, width, height);
}

export const SigmaGraph = forwardRef<SigmaHandle, Props>(function SigmaGraph(props, ref) {
  const container = useRef<HTMLDivElement>(null);
  const sigma = useRef<Sigma | undefined>(undefined);
  /** The focus view's labels for the current camera; undefined in the overview. */
  const shownLabels = useRef<Set<string> | undefined>(undefined);
  /** Behind each label, the surface's colour, so text stays readable where it crosses edges. */
  const labelBackground = useRef('rgba(255,255,255,0.85)');
  const relabelRef = useRef<(() => void) | undefined>(undefined);
  const showLayersRef = useRef<(() => void) | undefined>(undefined);
  const fitted = useRef<ReturnType<typeof fittedCamera> | undefined>(undefined);
  const latest = useRef(props);
  latest.current = props;
  const [failed, setFailed] = useState<string | undefined>(() =>
    webglAvailable()
      ? undefined
      : 'This browser cannot draw with WebGL, so the graph is not drawn here; Find, the problems and the panels still work.',
  );

  useImperativeHandle(ref, () => ({
    fit: () => {
      const s = sigma.current;
      if (s) void s.getCamera().animate(fittedCamera(s), { duration: 200 });
    },
    zoom: (factor) => {
      const camera = sigma.current?.getCamera();
      if (camera) void camera.animate({ ratio: camera.getState().ratio / factor }, { duration: 150 });
    },
    centreOn: (id) => {
      const s = sigma.current;
      const data = s?.getNodeDisplayData(id);
      if (s && data)
        void s.getCamera().animate({ x: data.x, y: data.y, ratio: Math.min(0.2, s.getCamera().getState().ratio) }, { duration: 300 });
    },
  }));

  // One renderer for the screen's life; drawings and styles are swapped into it.
  useEffect(() => {
    const el = container.current;
    if (!el || failed) return;
    let renderer: Sigma;
    try {
      renderer = new Sigma(new Graph(), el, {
        allowInvalidContainer: true,
        zIndex: true,
        stagePadding: 24,
        minCameraRatio: 0.005,
        maxCameraRatio: 3,
        labelRenderedSizeThreshold: 6,
        labelDensity: 0.6,
        labelGridCellSize: 90,
        labelSize: LABEL_SIZE,
        labelFont: LABEL_FONT,
        defaultDrawNodeLabel: (context, data, settings) => {
          if (!data.label) return;
          const x = data.x + data.size + 3;
          context.font = `${settings.labelWeight} ${settings.labelSize}px ${settings.labelFont}`;
          if (shownLabels.current) {
            // The focus view's labels sit over edges: a backing of the surface's colour keeps them readable.
            context.fillStyle = labelBackground.current;
            const w = context.measureText(data.label).width;
            context.fillRect(x - 2, data.y - settings.labelSize * 0.8 - 1, w + 4, settings.labelSize * 1.2 + 2);
          }
          context.fillStyle = settings.labelColor.color ?? '#000';
          context.fillText(data.label, x, data.y + settings.labelSize / 3);
        },
        defaultEdgeType: 'line',
        // While the camera moves, the last drawing moves as a picture (moving-picture.ts); when sigma does draw during a
        // move (the picture drifted too far), it draws everything, as the picture will show it until the camera rests.
        hideLabelsOnMove: false,
        hideEdgesOnMove: false,
        renderEdgeLabels: false,
        nodeReducer: (id, attrs) => {
          const p = latest.current;
          const on = !p.emphasis || p.emphasis.has(id);
          const shown = shownLabels.current;
          return {
            ...attrs,
            color: on ? attrs.color : fade(attrs.color as string, 0.18),
            // The focus view labels what placeLabels chose, all of it (forced past sigma's grid); the overview, what the grid does.
            label: on && (!shown || shown.has(id)) ? attrs.label : null,
            forceLabel: shown?.has(id) ?? false,
            zIndex: id === p.selected ? 3 : on ? 1 : 0,
            size: id === p.selected ? (attrs.size as number) * 1.8 : attrs.size,
            // sigma's highlight draws a white label box, unreadable in the dark theme: the selected node is bigger instead.
            highlighted: false,
          };
        },
        edgeReducer: (id, attrs) => {
          const p = latest.current;
          const g = sigma.current?.getGraph();
          // A big overview draws no edges until something is selected (a thousand crossing lines say nothing): its
          // columns are the depths from the root. A small graph keeps them, faint.
          if (!p.emphasis || !g) return { ...attrs, color: fade(p.edgeColour, 0.6), hidden: (g?.order ?? 0) > EDGES_HIDDEN_ABOVE };
          const on = p.emphasis.has(g.source(id)) && p.emphasis.has(g.target(id));
          return { ...attrs, color: on ? p.edgeStrong : p.edgeColour, size: on ? 1.6 : 0.5, zIndex: on ? 1 : 0, hidden: !on };
        },
      });
    } catch (error) {
      setFailed(`The graph cannot be drawn here (${(error as Error).message}); Find, the problems and the panels still work.`);
      return;
    }
    sigma.current = renderer;
    const stopPictures = drawAtRest(renderer);
    renderer.setSetting('labelColor', { color: latest.current.labelColour });
    renderer.on('clickNode', ({ node }) => latest.current.onSelect(node));
    let hovered = false;
    renderer.on('enterNode', ({ node, event }) => {
      hovered = true;
      showLayers(renderer, latest.current.emphasis, hovered);
      // Mid-drag, sigma's hit-testing reads the last drawing, not the moving picture: no card until the camera rests.
      if (!renderer.getMouseCaptor().isMouseDown) latest.current.onHover(node, event.x, event.y);
    });
    renderer.on('leaveNode', () => {
      hovered = false;
      showLayers(renderer, latest.current.emphasis, hovered);
      latest.current.onHover(undefined, 0, 0);
    });
    showLayersRef.current = () => showLayers(renderer, latest.current.emphasis, hovered);
    const camera = renderer.getCamera();
    // The focus view's labels are chosen for the camera where it comes to rest (labels are hidden while it moves).
    let relabelTimer: ReturnType<typeof setTimeout> | undefined;
    const relabel = () => {
      const next = focusLabels(renderer, latest.current.drawing.labelPriority);
      const prev = shownLabels.current;
      if (next === prev || (next && prev && next.size === prev.size && [...next].every((id) => prev.has(id)))) return;
      shownLabels.current = next;
      el.dataset.labels = String(next?.size ?? '');
      renderer.refresh();
    };
    relabelRef.current = relabel;
    // The camera's zoom, for tests and tools: set on the element, so a camera move re-renders nothing in React.
    const showCamera = () => {
      const state = camera.getState();
      el.dataset.cameraRatio = state.ratio.toFixed(4);
      if (latest.current.drawing.labelPriority) {
        clearTimeout(relabelTimer);
        relabelTimer = setTimeout(relabel, 120);
      }
    };
    camera.on('updated', showCamera);
    showCamera();
    const resize = new ResizeObserver(() => {
      renderer.resize();
      renderer.refresh();
      // Still showing the whole drawing: keep it whole at the new size. Moved by the user: leave their view alone.
      const now = camera.getState();
      const fit = fitted.current;
      if (!fit || (Math.abs(now.x - fit.x) < 1e-6 && Math.abs(now.y - fit.y) < 1e-6 && Math.abs(now.ratio - fit.ratio) < 1e-6)) {
        fitted.current = fittedCamera(renderer);
        camera.setState(fitted.current);
      }
      if (el.clientHeight > 0) latest.current.onAspect(el.clientWidth / el.clientHeight);
    });
    resize.observe(el);
    if (el.clientHeight > 0) latest.current.onAspect(el.clientWidth / el.clientHeight);
    return () => {
      clearTimeout(relabelTimer);
      relabelRef.current = undefined;
      resize.disconnect();
      stopPictures();
      showLayersRef.current = undefined;
      renderer.kill();
      sigma.current = undefined;
    };
  }, [failed]);

  // A new drawing: a new graph, the camera back to "everything fitted", and a user-timing mark on its first frame.
  useEffect(() => {
    const renderer = sigma.current;
    if (!renderer) return;
    const graph = new Graph({ type: 'directed', allowSelfLoops: false });
    const p = latest.current;
    for (const n of props.drawing.nodes) {
      const look = p.look(n.id);
      graph.addNode(n.id, { x: n.x, y: n.y, size: look.size, color: look.colour, label: look.label });
    }
    for (const [from, to] of props.drawing.edges) if (graph.hasNode(from) && graph.hasNode(to)) graph.mergeEdge(from, to, { size: 0.6 });
    shownLabels.current = props.drawing.labelPriority ? new Set() : undefined;
    renderer.setGraph(graph);
    showLayersRef.current?.();
    renderer.once('afterRender', () => performance.mark('shelf:graph-drawn', { detail: { nodes: graph.order } }));
    renderer.refresh();
    fitted.current = fittedCamera(renderer);
    renderer.getCamera().setState(fitted.current);
    relabelRef.current?.();
  }, [props.drawing]);

  // Colours, labels or emphasis changed: restyle in place.
  useEffect(() => {
    const renderer = sigma.current;
    if (!renderer) return;
    const graph = renderer.getGraph();
    graph.forEachNode((id) => {
      const look = latest.current.look(id);
      graph.mergeNodeAttributes(id, { color: look.colour, label: look.label, size: look.size });
    });
    renderer.setSetting('labelColor', { color: latest.current.labelColour });
    labelBackground.current = surfaceBacking(container.current);
    showLayersRef.current?.();
    renderer.refresh();
    relabelRef.current?.();
  }, [props.styleKey, props.selected]);

  if (failed)
    return (
      <div className="gv-surface gv-surface--fallback" role="status">
        <p>{failed}</p>
      </div>
    );
  return (
    <div className="gv-stage">
      <div
        ref={container}
        className="gv-surface"
        role="img"
        tabIndex={0}
        aria-label={props.label}
        onKeyDown={(e) => {
          const camera = sigma.current?.getCamera();
          if (!camera) return;
          const s = camera.getState();
          const step = 0.1 * s.ratio;
          if (e.key === '+' || e.key === '=') void camera.animate({ ratio: s.ratio / 1.3 }, { duration: 100 });
          else if (e.key === '-') void camera.animate({ ratio: s.ratio * 1.3 }, { duration: 100 });
          else if (e.key === 'ArrowLeft') camera.setState({ x: s.x - step });
          else if (e.key === 'ArrowRight') camera.setState({ x: s.x + step });
          else if (e.key === 'ArrowUp') camera.setState({ y: s.y + step });
          else if (e.key === 'ArrowDown') camera.setState({ y: s.y - step });
          else return;
          e.preventDefault();
        }}
      />
      {props.children}
    </div>
  );
});
