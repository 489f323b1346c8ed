// Draws the graph on a 2D canvas (thousands of nodes stay smooth: a frame only when something changed, culled to the view,
// one path per style); drag pans, the wheel and +/- zoom, arrow keys pan, clicking a node selects it.
import { useEffect, useLayoutEffect, useRef } from 'react';
import type { GraphEdge } from '../../../shared/contract';
import type { Layout, Placed } from './graph-layout';

export interface View {
  x: number;
  y: number;
  scale: number;
}

interface Props {
  layout: Layout;
  edges: GraphEdge[];
  visibleTypes: Set<string>;
  selected?: string;
  highlighted: Set<string>;
  involved: Set<string>;
  view: View;
  onView(view: View): void;
  onSelect(id: string): void;
}

/** Zoom limits, shared by the wheel, the keys and the screen's buttons: 0.01 fits a few thousand rows on screen. */
export const MIN_SCALE = 0.01;
export const MAX_SCALE = 4;
export const clampScale = (scale: number) => Math.min(MAX_SCALE, Math.max(MIN_SCALE, scale));

interface Palette {
  text: string;
  muted: string;
  accent: string;
  danger: string;
  warn: string;
}

/** The theme's colours, read from the CSS variables once per theme change (reading them per frame forces a style pass). */
function colours(): Palette {
  const style = getComputedStyle(document.documentElement);
  const v = (name: string) => style.getPropertyValue(name).trim();
  return { text: v('--text'), muted: v('--border'), accent: v('--accent'), danger: v('--danger-text'), warn: v('--warn-text') };
}

const DASH: Record<string, number[]> = { peer: [4, 3], peerOptional: [4, 3], dev: [1, 3] };

/**
 * One frame. Edges and nodes are grouped by style so that each group is one path and one stroke or fill (a few calls a
 * frame instead of thousands), and anything whose bounding box is outside the view is skipped.
 */
function drawGraph(ctx: CanvasRenderingContext2D, p: Props, c: Palette, w: number, h: number, ratio: number): void {
  const { view, layout } = p;
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, w, h);
  ctx.setTransform(ratio * view.scale, 0, 0, ratio * view.scale, ratio * view.x, ratio * view.y);
  const left = -view.x / view.scale - 200;
  const top = -view.y / view.scale - 50;
  const right = left + w / view.scale + 400;
  const bottom = top + h / view.scale + 100;

  // Edges: muted first, then the path from the root, then conflicts on top.
  const groups = new Map<string, { colour: string; width: number; dash: number[]; order: number; lines: number[] }>();
  for (const e of p.edges) {
    if (!e.to || !p.visibleTypes.has(e.type)) continue;
    const a = layout.placed.get(e.from);
    const b = layout.placed.get(e.to);
    if (!a || !b) continue;
    if (Math.max(a.x, b.x) < left || Math.min(a.x, b.x) > right || Math.max(a.y, b.y) < top || Math.min(a.y, b.y) > bottom) continue;
    const onPath = p.highlighted.has(e.from) && p.highlighted.has(e.to);
    const order = e.conflicted ? 2 : onPath ? 1 : 0;
    const key = `${order}:${e.type}`;
    let group = groups.get(key);
    if (!group) {
      group = { colour: [c.muted, c.accent, c.danger][order]!, width: order ? 2.5 : 1, dash: DASH[e.type] ?? [], order, lines: [] };
      groups.set(key, group);
    }
    group.lines.push(a.x, a.y, b.x, b.y);
  }
  for (const g of [...groups.values()].sort((x, y) => x.order - y.order)) {
    ctx.strokeStyle = g.colour;
    ctx.lineWidth = g.width / view.scale;
    ctx.setLineDash(g.dash);
    ctx.beginPath();
    for (let i = 0; i < g.lines.length; i += 4) {
      const [ax, ay, bx, by] = [g.lines[i]!, g.lines[i + 1]!, g.lines[i + 2]!, g.lines[i + 3]!];
      ctx.moveTo(ax + 8, ay);
      ctx.bezierCurveTo(ax + 120, ay, bx - 120, by, bx - 4, by);
    }
    ctx.stroke();
  }
  ctx.setLineDash([]);

  // Nodes, one fill per colour; labels only when they are big enough to read.
  const showLabels = view.scale > 0.45;
  const fills = new Map<string, Placed[]>();
  let selected: { placed: Placed; colour: string } | undefined;
  for (const placed of layout.placed.values()) {
    if (placed.x < left || placed.x > right || placed.y < top || placed.y > bottom) continue;
    const n = placed.node;
    const colour = p.involved.has(n.name) ? c.danger : n.duplicate ? c.warn : p.highlighted.has(n.id) ? c.accent : c.text;
    if (n.id === p.selected) selected = { placed, colour };
    const list = fills.get(colour);
    if (list) list.push(placed);
    else fills.set(colour, [placed]);
  }
  ctx.font = '12px system-ui, sans-serif';
  ctx.textBaseline = 'middle';
  for (const [colour, list] of fills) {
    ctx.fillStyle = colour;
    ctx.beginPath();
    for (const placed of list) {
      ctx.moveTo(placed.x + 4.5, placed.y);
      ctx.arc(placed.x, placed.y, 4.5, 0, Math.PI * 2);
    }
    ctx.fill();
    if (showLabels)
      for (const placed of list) {
        const n = placed.node;
        ctx.fillText(
          `${n.name}@${n.version}${layout.children.has(n.id) && !hasPlacedChild(layout, n.id) ? ' +' : ''}`,
          placed.x + 10,
          placed.y,
        );
      }
  }
  if (selected) {
    ctx.fillStyle = selected.colour;
    ctx.beginPath();
    ctx.arc(selected.placed.x, selected.placed.y, 7, 0, Math.PI * 2);
    ctx.fill();
    ctx.strokeStyle = c.accent;
    ctx.lineWidth = 3 / view.scale;
    ctx.stroke();
  }
}

/** Zooms by `factor` around a point of the canvas (its centre by default), keeping that point where it is. */
function zoomView(canvas: HTMLCanvasElement, p: Props, factor: number, cx?: number, cy?: number): void {
  const { view, onView } = p;
  const rect = canvas.getBoundingClientRect();
  const px = cx ?? rect.width / 2;
  const py = cy ?? rect.height / 2;
  const scale = clampScale(view.scale * factor);
  onView({ scale, x: px - ((px - view.x) * scale) / view.scale, y: py - ((py - view.y) * scale) / view.scale });
}

export function GraphCanvas(props: Props) {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const drag = useRef<{ x: number; y: number; moved: boolean } | undefined>(undefined);
  const propsRef = useRef(props);
  const scheduleRef = useRef<() => void>(undefined);

  // Frames are drawn on demand (a change of props, size or theme), never in an idle loop.
  useEffect(() => {
    const canvas = canvasRef.current;
    if (!canvas) return;
    let frame = 0;
    let palette = colours();
    let marked: Layout | undefined;
    const draw = () => {
      frame = 0;
      const p = propsRef.current;
      const ratio = window.devicePixelRatio || 1;
      const { clientWidth: w, clientHeight: h } = canvas;
      if (canvas.width !== w * ratio || canvas.height !== h * ratio) {
        canvas.width = w * ratio;
        canvas.height = h * ratio;
      }
      const ctx = canvas.getContext('2d');
      if (!ctx) return;
      drawGraph(ctx, p, palette, w, h, ratio);
      // The first frame showing a layout: a user-timing mark (DevTools, and the graph benchmark, read it).
      if (marked !== p.layout) {
        marked = p.layout;
        performance.mark('shelf:graph-drawn', { detail: { nodes: p.layout.placed.size } });
      }
    };
    const schedule = () => {
      if (!frame) frame = requestAnimationFrame(draw);
    };
    const themeChanged = () => {
      palette = colours();
      schedule();
    };
    scheduleRef.current = schedule;
    const resize = new ResizeObserver(schedule);
    resize.observe(canvas);
    // The wheel zooms; it must not also scroll the page, and React's wheel handlers are passive (cannot prevent that).
    const wheel = (e: WheelEvent) => {
      e.preventDefault();
      const rect = canvas.getBoundingClientRect();
      zoomView(canvas, propsRef.current, e.deltaY < 0 ? 1.15 : 1 / 1.15, e.clientX - rect.left, e.clientY - rect.top);
    };
    canvas.addEventListener('wheel', wheel, { passive: false });
    const scheme = window.matchMedia('(prefers-color-scheme: dark)');
    scheme.addEventListener('change', themeChanged);
    const theme = new MutationObserver(themeChanged);
    theme.observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'] });
    schedule();
    return () => {
      cancelAnimationFrame(frame);
      resize.disconnect();
      canvas.removeEventListener('wheel', wheel);
      scheme.removeEventListener('change', themeChanged);
      theme.disconnect();
      scheduleRef.current = undefined;
    };
  }, []);
  // Every render may carry a new view, selection or filter: keep it for the handlers and draw it on the next frame.
  useLayoutEffect(() => {
    propsRef.current = props;
    scheduleRef.current?.();
  });

  const toWorld = (clientX: number, clientY: number) => {
    const rect = canvasRef.current!.getBoundingClientRect();
    const { view } = propsRef.current;
    return { x: (clientX - rect.left - view.x) / view.scale, y: (clientY - rect.top - view.y) / view.scale };
  };
  const zoom = (factor: number) => zoomView(canvasRef.current!, propsRef.current, factor);

  return (
    <canvas
      ref={canvasRef}
      className="graph-canvas"
      tabIndex={0}
      role="img"
      aria-label="Dependency graph. Arrow keys pan, plus and minus zoom; choose nodes from the Node list."
      onPointerDown={(e) => {
        drag.current = { x: e.clientX, y: e.clientY, moved: false };
        (e.target as HTMLElement).setPointerCapture?.(e.pointerId);
      }}
      onPointerMove={(e) => {
        const d = drag.current;
        if (!d) return;
        const dx = e.clientX - d.x;
        const dy = e.clientY - d.y;
        if (Math.abs(dx) + Math.abs(dy) > 2) d.moved = true;
        drag.current = { x: e.clientX, y: e.clientY, moved: d.moved };
        const { view, onView } = propsRef.current;
        onView({ ...view, x: view.x + dx, y: view.y + dy });
      }}
      onPointerUp={(e) => {
        const d = drag.current;
        drag.current = undefined;
        if (d?.moved) return;
        const w = toWorld(e.clientX, e.clientY);
        let best: string | undefined;
        let bestDistance = 12 / propsRef.current.view.scale;
        for (const p of propsRef.current.layout.placed.values()) {
          const distance = Math.hypot(p.x - w.x, p.y - w.y);
          if (distance < bestDistance) {
            best = p.node.id;
            bestDistance = distance;
          }
        }
        if (best !== undefined) propsRef.current.onSelect(best);
      }}
      onKeyDown={(e) => {
        const { view, onView } = propsRef.current;
        const step = 60;
        if (e.key === '+' || e.key === '=') zoom(1.2);
        else if (e.key === '-') zoom(1 / 1.2);
        else if (e.key === 'ArrowLeft') onView({ ...view, x: view.x + step });
        else if (e.key === 'ArrowRight') onView({ ...view, x: view.x - step });
        else if (e.key === 'ArrowUp') onView({ ...view, y: view.y + step });
        else if (e.key === 'ArrowDown') onView({ ...view, y: view.y - step });
        else return;
        e.preventDefault();
      }}
    />
  );
}

function hasPlacedChild(layout: Layout, id: string): boolean {
  return (layout.children.get(id) ?? []).some((c) => layout.parent.get(c) === id);
}
