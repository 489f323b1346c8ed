// Two lockfiles compared by install location — what an upgrade added, removed, changed the version of, or moved (the
// same name and version now installed elsewhere, hoisted or nested) — with the "after" tree to draw them on.
import type { GraphComparison } from '../../../shared/contract';
import { lockfileGraph, parseLockText } from './lockfile-graph';

interface Picked {
  name: string;
  text: string;
}

const installed = (packages: Record<string, Record<string, unknown>>) => {
  const out = new Map<string, { name: string; version: string }>();
  for (const [location, e] of Object.entries(packages)) {
    if (location === '' || e.link === true) continue;
    const name = typeof e.name === 'string' ? e.name : location.slice(location.lastIndexOf('node_modules/') + 'node_modules/'.length);
    out.set(location, { name, version: String(e.version ?? '') });
  }
  return out;
};

export function compareLocks(before: Picked, after: Picked): GraphComparison {
  const a = installed(parseLockText(before.text, before.name));
  const b = installed(parseLockText(after.text, after.name));
  const result: Omit<GraphComparison, 'graph' | 'before' | 'after'> = { added: [], removed: [], changed: [], moved: [] };
  // Locations gone from "before", by name@version, so that a copy that reappears elsewhere counts as moved.
  const gone = new Map<string, string[]>();
  for (const [location, e] of a) {
    const now = b.get(location);
    if (!now) {
      const key = `${e.name}@${e.version}`;
      gone.set(key, [...(gone.get(key) ?? []), location]);
    } else if (now.name !== e.name || now.version !== e.version) {
      result.changed.push({ id: location, name: now.name, from: e.version, to: now.version });
    }
  }
  for (const [location, e] of b) {
    if (a.has(location)) continue;
    const from = gone.get(`${e.name}@${e.version}`);
    if (from?.length) result.moved.push({ name: e.name, version: e.version, from: from.shift()!, to: location });
    else result.added.push({ id: location, name: e.name, version: e.version });
  }
  for (const locations of gone.values())
    for (const location of locations) result.removed.push({ id: location, name: a.get(location)!.name, version: a.get(location)!.version });
  const byName = (x: { name: string }, y: { name: string }) => x.name.localeCompare(y.name);
  for (const list of Object.values(result)) list.sort(byName);
  return { before: before.name, after: after.name, ...result, graph: lockfileGraph(after.text, after.name) };
}
