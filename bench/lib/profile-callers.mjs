// Who calls a function that tops a CPU profile's self time. A leaf such as the SQLite adapter's `bind` (better-sqlite3's
// native work is charged to the JS function that calls it) says little alone; the named functions above it say which
// request path spends the time.
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { ROOT } from './common.mjs';

/**
 * The self time of `fn` split by the nearest named caller that is not `fn` itself: [{ caller, ms, pct }] (pct of fn's
 * self time), the `top` largest.
 */
export function callersOf(file, fn, top = 5) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const byCaller = new Map();
  let total = 0;
  const { samples = [], timeDeltas = [] } = profile;
  for (let i = 0; i < samples.length; i++) {
    const node = byId.get(samples[i]);
    if (node?.callFrame.functionName !== fn) continue;
    const dt = (timeDeltas[i + 1] ?? timeDeltas[i] ?? 0) / 1000;
    total += dt;
    let id = parent.get(node.id);
    // Bounded by the stack's depth: every step goes one frame up until the root, which has no parent.
    while (id !== undefined) {
      const name = byId.get(id).callFrame.functionName;
      if (name && name !== fn) break;
      id = parent.get(id);
    }
    const frame = id === undefined ? undefined : byId.get(id).callFrame;
    let where = frame?.url?.startsWith('file://') ? frame.url.slice(7) : (frame?.url ?? '');
    if (where.startsWith(ROOT)) where = relative(ROOT, where);
    const key = frame ? `${frame.functionName}${where ? ` (${where}:${frame.lineNumber + 1})` : ''}` : '(root)';
    byCaller.set(key, (byCaller.get(key) ?? 0) + dt);
  }
  return [...byCaller.entries()]
    .map(([caller, ms]) => ({ caller, ms: Math.round(ms), pct: total ? Math.round((ms / total) * 1000) / 10 : 0 }))
    .sort((a, b) => b.ms - a.ms)
    .slice(0, top);
}

/** "caller 40%; caller 20%" for a result's notes. */
export function callersText(callers) {
  return callers.map((c) => `${c.caller} ${c.pct}%`).join('; ');
}
