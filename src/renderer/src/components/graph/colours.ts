// Node colours: read from the theme's CSS variables (normalised to #rrggbb, which the WebGL renderer parses) and
// picked per node by the chosen "colour by".
import type { GraphNode } from '../../../../shared/contract';
import type { ColourBy } from './model';

export interface Palette {
  text: string;
  muted: string;
  faint: string;
  accent: string;
  danger: string;
  warn: string;
  ok: string;
  surface: string;
  /** Categorical colours (licences), readable on both themes. */
  series: string[];
}

function normalise(ctx: CanvasRenderingContext2D | null, colour: string, fallback: string): string {
  if (!ctx) return fallback;
  ctx.fillStyle = fallback;
  ctx.fillStyle = colour || fallback;
  return String(ctx.fillStyle);
}

export function readPalette(): Palette {
  const style = getComputedStyle(document.documentElement);
  const ctx = document.createElement('canvas').getContext('2d');
  const v = (name: string, fallback: string) => normalise(ctx, style.getPropertyValue(name).trim(), fallback);
  const dark =
    v('--bg', '#ffffff')
      .match(/[0-9a-f]{2}/gi)
      ?.reduce((s, h) => s + parseInt(h, 16), 0) ?? 765;
  return {
    text: v('--text', '#1b1f24'),
    muted: v('--muted', '#5b6470'),
    faint: v('--border', '#d5dae1'),
    accent: v('--accent', '#0b5fd6'),
    danger: v('--danger-text', '#9b1c1c'),
    warn: dark < 300 ? '#f0b429' : '#b7791f',
    ok: dark < 300 ? '#5fd38d' : '#1e7d3c',
    surface: v('--surface', '#ffffff'),
    series:
      dark < 300
        ? ['#5a9cff', '#5fd38d', '#f0b429', '#ff8a80', '#c792ea', '#4dd0e1', '#ffcb6b', '#a5d6a7']
        : ['#0b5fd6', '#1e7d3c', '#b7791f', '#c62828', '#7b1fa2', '#00838f', '#8d6e00', '#455a64'],
  };
}

/** The most common licences get their own colour; the rest share "other"; none is "unknown". */
export function licenceKey(nodes: GraphNode[], palette: Palette): { colour: Map<string, string>; legend: [string, string][] } {
  const counts = new Map<string, number>();
  for (const n of nodes) if (n.license) counts.set(n.license, (counts.get(n.license) ?? 0) + 1);
  const top = [...counts].sort((a, b) => b[1] - a[1]).slice(0, palette.series.length - 1);
  const colour = new Map(top.map(([l], i) => [l, palette.series[i]!]));
  return {
    colour,
    legend: [
      ...top.map(([l], i) => [l, palette.series[i]!] as [string, string]),
      ['other', palette.series.at(-1)!],
      ['unknown', palette.faint],
    ],
  };
}

export function nodeColour(n: GraphNode, by: ColourBy, palette: Palette, licences: Map<string, string>, largest: number): string {
  if (n.isRoot) return palette.accent;
  switch (by) {
    case 'duplicate':
      return n.duplicate ? palette.warn : palette.muted;
    case 'license':
      return n.license ? (licences.get(n.license) ?? palette.series.at(-1)!) : palette.faint;
    case 'size': {
      if (n.size === null) return palette.faint;
      const share = Math.sqrt(n.size / Math.max(1, largest));
      return share > 0.5 ? palette.danger : share > 0.2 ? palette.warn : palette.ok;
    }
    default:
      return n.peer ? palette.series[4]! : n.optional ? palette.series[5]! : n.dev ? palette.series[2]! : palette.muted;
  }
}

export function legendFor(by: ColourBy, palette: Palette, licenceLegend: [string, string][]): [string, string][] {
  switch (by) {
    case 'duplicate':
      return [
        ['installed in more than one version', palette.warn],
        ['one version', palette.muted],
      ];
    case 'license':
      return licenceLegend;
    case 'size':
      return [
        ['small', palette.ok],
        ['medium', palette.warn],
        ['large', palette.danger],
        ['size unknown', palette.faint],
      ];
    default:
      return [
        ['production', palette.muted],
        ['dev', palette.series[2]!],
        ['optional', palette.series[5]!],
        ['peer', palette.series[4]!],
      ];
  }
}
