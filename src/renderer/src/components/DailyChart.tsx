// Counts per day drawn by uPlot: a date axis, a count axis, and the hovered day's value in the legend. Days without a count
// are drawn as zero, so gaps read as quiet days rather than being joined over. The colours come from the theme's variables
// and the chart is drawn again when the theme or the width changes.
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface DailyCount {
  date: string;
  count: number;
}

const DAY_S = 86_400;
const COUNT_STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000, 1_000_000];

/** The last `days` days up to the latest date given (or today), each with its count or 0, as uPlot's columns. */
export function denseDays(daily: DailyCount[], days: number, today = new Date()): [number[], number[]] {
  const byDay = new Map(daily.map((d) => [d.date.slice(0, 10), d.count]));
  const lastIso = [...byDay.keys()].sort().at(-1);
  const end =
    Math.max(Date.parse(`${today.toISOString().slice(0, 10)}T00:00:00Z`), lastIso ? Date.parse(`${lastIso}T00:00:00Z`) : 0) / 1000;
  const xs: number[] = [];
  const ys: number[] = [];
  for (let i = days - 1; i >= 0; i--) {
    const t = end - i * DAY_S;
    xs.push(t);
    ys.push(byDay.get(new Date(t * 1000).toISOString().slice(0, 10)) ?? 0);
  }
  return [xs, ys];
}

function cssVar(name: string, fallback: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
}

export function DailyChart({
  daily,
  label,
  days = 30,
  height = 160,
}: {
  daily: DailyCount[];
  label: string;
  days?: number;
  height?: number;
}) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const data = denseDays(daily, days);
    let plot: uPlot | undefined;
    const draw = () => {
      plot?.destroy();
      const text = cssVar('--muted', '#5b6470');
      const grid = cssVar('--border', '#d5dae1');
      const accent = cssVar('--accent', '#0b5fd6');
      const axis = { stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
      plot = new uPlot(
        {
          width: Math.max(200, el.clientWidth),
          height,
          // Half a day of room at each end, so the first and last bars are whole.
          scales: {
            x: { time: true, range: (_u, min, max) => [min - DAY_S / 2, max + DAY_S / 2] },
            y: { range: (_u, _min, max) => [0, Math.max(1, Math.ceil(max * 1.1))] },
          },
          axes: [
            { ...axis, values: (_u, ticks) => ticks.map((t) => new Date(t * 1000).toISOString().slice(5, 10)) },
            // Whole counts only, spaced so a short chart still labels its top.
            { ...axis, size: 40, space: 18, incrs: COUNT_STEPS, values: (_u, ticks) => ticks.map((t) => String(t)) },
          ],
          series: [
            { label: 'Day', value: (_u, t) => (t == null ? '—' : new Date(t * 1000).toISOString().slice(0, 10)) },
            {
              label,
              stroke: accent,
              // The canvas takes #rrggbbaa; a theme colour in another form gets no fill rather than a wrong one.
              fill: /^#[0-9a-f]{6}$/i.test(accent) ? `${accent}b3` : undefined,
              width: 2,
              // One bar per day, so a single busy day is a visible bar rather than an edge.
              paths: uPlot.paths.bars!({ size: [0.7, 40] }),
              points: { show: false },
              value: (_u, v) => (v == null ? '—' : String(v)),
            },
          ],
          legend: { show: true, live: true },
          cursor: { drag: { x: false, y: false } },
        },
        data as uPlot.AlignedData,
        el,
      );
    };
    draw();
    // Redrawn at the new width, and in the new colours when the theme changes.
    const resize = new ResizeObserver(() => {
      if (plot && Math.abs(plot.width - el.clientWidth) > 4) draw();
    });
    resize.observe(el);
    const theme = new MutationObserver(draw);
    theme.observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'] });
    const scheme = globalThis.matchMedia?.('(prefers-color-scheme: dark)');
    scheme?.addEventListener('change', draw);
    return () => {
      resize.disconnect();
      theme.disconnect();
      scheme?.removeEventListener('change', draw);
      plot?.destroy();
    };
  }, [daily, days, height, label]);
  const total = daily.reduce((n, d) => n + d.count, 0);
  return (
    <figure className="daily-chart">
      <div ref={box} className="daily-chart__plot" aria-hidden="true" />
      <figcaption className="visually-hidden">
        {label} over the last {days} days: {total} in all
        {daily.length > 0 ? `; ${daily.map((d) => `${d.date.slice(0, 10)}: ${d.count}`).join(', ')}` : ''}.
      </figcaption>
    </figure>
  );
}
