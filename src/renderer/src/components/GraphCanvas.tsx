// Draws the graph on a 2D canvas (thousands of nodes stay smooth: one pass per frame, culled to the view); drag pans,
// the wheel and +/- zoom, arrow keys pan, clicking a node selects it.
import { useEffect, useRef } from 'react';
import type { GraphEdge } from '../../../shared/contract';
import type { Layout } from './graph-layout';

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

function colours() {
  const style = getComputedStyle(document.documentElement);
  const v = (name: string) => style.getPropertyValue(name).trim();
  return {
    text: v('--text'),
    muted: v('--border'),
    accent: v('--accent'),
    danger: v('--danger-text'),
    warn: v('--warn-text'),
    surface: v('--surface'),
  };
}

export function GraphCanvas(props: Props) {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const drag = useRef<{ x: number; y: number; moved: boolean } | undefined>(undefined);
  const propsRef = useRef(props);
  propsRef.current = props;

  useEffect(() => {
    const canvas = canvasRef.current;
    if (!canvas) return;
    let frame = requestAnimationFrame(function draw() {
      frame = requestAnimationFrame(draw);
      const p = propsRef.current;
      const ratio = window.devicePixelRatio || 1;
      const { clientWidth: w, clientHeight: h } = canvas;
      if (canvas.width !== w * ratio || canvas.height !== h * ratio) {
        canvas.width = w * ratio;
        canvas.height = h * ratio;
      }
      const ctx = canvas.getContext('2d');
      if (!ctx) return;
      const c = colours();
      ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
      ctx.clearRect(0, 0, w, h);
      ctx.setTransform(ratio * p.view.scale, 0, 0, ratio * p.view.scale, ratio * p.view.x, ratio * p.view.y);
      const left = -p.view.x / p.view.scale - 200;
      const top = -p.view.y / p.view.scale - 50;
      const right = left + w / p.view.scale + 400;
      const bottom = top + h / p.view.scale + 100;
      const inView = (x: number, y: number) => x >= left && x <= right && y >= top && y <= bottom;
      ctx.lineWidth = 1 / p.view.scale;
      for (const e of p.edges) {
        if (!e.to || !p.visibleTypes.has(e.type)) continue;
        const a = p.layout.placed.get(e.from);
        const b = p.layout.placed.get(e.to);
        if (!a || !b || (!inView(a.x, a.y) && !inView(b.x, b.y))) continue;
        const onPath = p.highlighted.has(e.from) && p.highlighted.has(e.to);
        ctx.strokeStyle = e.conflicted ? c.danger : onPath ? c.accent : c.muted;
        ctx.lineWidth = (e.conflicted || onPath ? 2.5 : 1) / p.view.scale;
        ctx.setLineDash(e.type === 'peer' || e.type === 'peerOptional' ? [4, 3] : e.type === 'dev' ? [1, 3] : []);
        ctx.beginPath();
        ctx.moveTo(a.x + 8, a.y);
        ctx.bezierCurveTo(a.x + 120, a.y, b.x - 120, b.y, b.x - 4, b.y);
        ctx.stroke();
      }
      ctx.setLineDash([]);
      const showLabels = p.view.scale > 0.45;
      ctx.font = '12px system-ui, sans-serif';
      ctx.textBaseline = 'middle';
      for (const placed of p.layout.placed.values()) {
        if (!inView(placed.x, placed.y)) continue;
        const n = placed.node;
        const conflict = p.involved.has(n.name);
        ctx.fillStyle = conflict ? c.danger : n.duplicate ? c.warn : p.highlighted.has(n.id) ? c.accent : c.text;
        ctx.beginPath();
        ctx.arc(placed.x, placed.y, n.id === p.selected ? 7 : 4.5, 0, Math.PI * 2);
        ctx.fill();
        if (n.id === p.selected) {
          ctx.strokeStyle = c.accent;
          ctx.lineWidth = 3 / p.view.scale;
          ctx.stroke();
        }
        if (showLabels)
          ctx.fillText(
            `${n.name}@${n.version}${p.layout.children.has(n.id) && !hasPlacedChild(p.layout, n.id) ? ' +' : ''}`,
            placed.x + 10,
            placed.y,
          );
      }
    });
    return () => cancelAnimationFrame(frame);
  }, []);

  const toWorld = (clientX: number, clientY: number) => {
    const rect = canvasRef.current!.getBoundingClientRect();
    const { view } = propsRef.current;
    return { x: (clientX - rect.left - view.x) / view.scale, y: (clientY - rect.top - view.y) / view.scale };
  };
  const zoom = (factor: number, cx?: number, cy?: number) => {
    const { view, onView } = propsRef.current;
    const rect = canvasRef.current!.getBoundingClientRect();
    const px = cx ?? rect.width / 2;
    const py = cy ?? rect.height / 2;
    const scale = Math.min(4, Math.max(0.05, view.scale * factor));
    onView({ scale, x: px - ((px - view.x) * scale) / view.scale, y: py - ((py - view.y) * scale) / view.scale });
  };

  return (
    <canvas
      ref={canvasRef}
      className="graph-canvas"
      tabIndex={0}
      role="img"
      aria-label="Dependency graph. Arrow keys pan, plus and minus zoom; choose nodes from the Node list."
      onWheel={(e) => {
        const rect = canvasRef.current!.getBoundingClientRect();
        zoom(e.deltaY < 0 ? 1.15 : 1 / 1.15, e.clientX - rect.left, e.clientY - rect.top);
      }}
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
