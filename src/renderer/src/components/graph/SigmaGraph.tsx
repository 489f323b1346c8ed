// The drawing surface: sigma.js (WebGL) over a graphology graph. A new drawing replaces the graph and resets the camera,
// which sigma fits to the container's real size (a ResizeObserver keeps it fitted as the layout changes); drag pans,
// the wheel, the +/- keys and the zoom buttons zoom, arrow keys pan, clicking a node selects it, hovering shows a card.
// Without WebGL the surface says so instead of staying blank.
import Graph from 'graphology';
import Sigma from 'sigma';
import { forwardRef, useEffect, useImperativeHandle, useRef, useState, type ReactNode } from 'react';
import type { Drawing } from './model';

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

export const SigmaGraph = forwardRef<SigmaHandle, Props>(function SigmaGraph(props, ref) {
  const container = useRef<HTMLDivElement>(null);
  const sigma = useRef<Sigma | undefined>(undefined);
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
        labelSize: 12,
        labelFont: 'system-ui, sans-serif',
        defaultEdgeType: 'line',
        // While the camera moves, labels and edges wait for it to stop: a pan redraws only the node discs, which keeps
        // frames short when WebGL is software (SwiftShader) and labels would be re-laid out every frame.
        hideLabelsOnMove: true,
        hideEdgesOnMove: true,
        nodeReducer: (id, attrs) => {
          const p = latest.current;
          const on = !p.emphasis || p.emphasis.has(id);
          return {
            ...attrs,
            color: on ? attrs.color : fade(attrs.color as string, 0.18),
            label: on ? attrs.label : null,
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
          if (!p.emphasis || !g) return { ...attrs, color: fade(p.edgeColour, 0.6), hidden: (g?.order ?? 0) > 300 };
          const on = p.emphasis.has(g.source(id)) && p.emphasis.has(g.target(id));
          return { ...attrs, color: on ? p.edgeStrong : p.edgeColour, size: on ? 1.6 : 0.5, zIndex: on ? 1 : 0, hidden: !on };
        },
      });
    } catch (error) {
      setFailed(`The graph cannot be drawn here (${(error as Error).message}); Find, the problems and the panels still work.`);
      return;
    }
    sigma.current = renderer;
    renderer.setSetting('labelColor', { color: latest.current.labelColour });
    renderer.on('clickNode', ({ node }) => latest.current.onSelect(node));
    renderer.on('enterNode', ({ node, event }) => latest.current.onHover(node, event.x, event.y));
    renderer.on('leaveNode', () => latest.current.onHover(undefined, 0, 0));
    const camera = renderer.getCamera();
    // The camera's zoom, for tests and tools: set on the element, so a camera move re-renders nothing in React.
    const showCamera = () => {
      const state = camera.getState();
      el.dataset.cameraRatio = state.ratio.toFixed(4);
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
      resize.disconnect();
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
    renderer.setGraph(graph);
    renderer.once('afterRender', () => performance.mark('shelf:graph-drawn', { detail: { nodes: graph.order } }));
    renderer.refresh();
    fitted.current = fittedCamera(renderer);
    renderer.getCamera().setState(fitted.current);
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
    renderer.refresh();
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
