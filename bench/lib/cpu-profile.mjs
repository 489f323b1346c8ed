// Reads a V8 .cpuprofile (written by `node --cpu-prof`) and sums self time per function, so a missed target can be
// recorded with what limits it. A profile's shape stays meaningful on a busy machine even where its absolute times do not.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ROOT } from './common.mjs';

/** The newest .cpuprofile in a folder (node names them by time and pid), or undefined. */
export function newestProfile(dir) {
  if (!existsSync(dir)) return undefined;
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .sort();
  return files.length ? join(dir, files.at(-1)) : undefined;
}

/** Every .cpuprofile in a folder (a CLI that starts worker threads writes one per thread). */
export function allProfiles(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .sort()
    .map((f) => join(dir, f));
}

/**
 * Top functions by self time: [{ fn, where, ms, pct }], plus the total sampled time and the idle share. Functions are
 * keyed by name and source location; node_modules paths are cut to the package, the project's own to their path.
 */
export function summarizeProfile(file, top = 10) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  let total = 0;
  const { samples = [], timeDeltas = [] } = profile;
  for (let i = 0; i < samples.length; i++) {
    const dt = (timeDeltas[i + 1] ?? timeDeltas[i] ?? 0) / 1000;
    const node = byId.get(samples[i]);
    if (!node) continue;
    total += dt;
    const key = keyOf(node.callFrame);
    self.set(key, (self.get(key) ?? 0) + dt);
  }
  const rows = [...self.entries()]
    .map(([key, ms]) => ({ ...JSON.parse(key), ms: Math.round(ms), pct: total ? Math.round((ms / total) * 1000) / 10 : 0 }))
    .sort((a, b) => b.ms - a.ms);
  const idle = rows.filter((r) => r.fn === '(idle)').reduce((n, r) => n + r.ms, 0);
  return {
    file,
    totalMs: Math.round(total),
    idlePct: total ? Math.round((idle / total) * 1000) / 10 : 0,
    top: rows.filter((r) => r.fn !== '(idle)').slice(0, top),
  };
}

function keyOf(frame) {
  const fn = frame.functionName || '(anonymous)';
  let where = frame.url ?? '';
  if (where.startsWith('file://')) where = where.slice(7);
  const nm = where.lastIndexOf('node_modules/');
  if (nm >= 0) where = where.slice(nm + 13);
  else if (where.startsWith(ROOT)) where = relative(ROOT, where);
  if (where && frame.lineNumber >= 0) where += `:${frame.lineNumber + 1}`;
  return JSON.stringify({ fn, where });
}

/** One line per function, for a result's notes: "fn (where) 12.3%". */
export function profileText(summary, top = 8) {
  if (!summary) return 'no profile';
  const lines = summary.top
    .slice(0, top)
    .map((r) => `${r.fn}${r.where ? ` (${r.where})` : ''} ${r.pct}%`)
    .join('; ');
  return `${summary.totalMs} ms sampled, ${summary.idlePct}% idle; top self time: ${lines}`;
}

/** Inclusive time (ms) of every function whose name matches, counted once per sample however deep it recurs. */
export function inclusiveTimes(file, names) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const out = Object.fromEntries(names.map((n) => [n, 0]));
  let total = 0;
  const { samples = [], timeDeltas = [] } = profile;
  for (let i = 0; i < samples.length; i++) {
    const dt = (timeDeltas[i + 1] ?? timeDeltas[i] ?? 0) / 1000;
    total += dt;
    const seen = new Set();
    for (let id = samples[i]; id !== undefined; id = parent.get(id)) {
      const fn = byId.get(id)?.callFrame.functionName;
      if (Object.hasOwn(out, fn) && !seen.has(fn)) {
        seen.add(fn);
        out[fn] += dt;
      }
    }
  }
  return { totalMs: Math.round(total), ms: Object.fromEntries(Object.entries(out).map(([k, v]) => [k, Math.round(v)])) };
}
