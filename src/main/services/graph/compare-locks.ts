// Two lockfiles compared by install location — what an upgrade added, removed, changed the version of, or moved (the
// same name and version now installed elsewhere, hoisted or nested) — with the "after" tree to draw them on. When either
// is pnpm's, yarn's or bun's, they are compared by name@version on the logical graph instead (there are no locations).
import type { GraphComparison } from '../../../shared/contract';
import { lockFormatOf, readLockfileGraph, type LogicalGraph } from '../lockfiles';
import { lockfileGraph, logicalGraphResult, parseLockText } from './lockfile-graph';

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

const versionsByName = (graph: LogicalGraph) => {
  const out = new Map<string, Set<string>>();
  for (const n of graph.nodes.values()) if (!n.isRoot && !n.isWorkspace) out.set(n.name, (out.get(n.name) ?? new Set()).add(n.version));
  return out;
};

/** By name: one version swapped for another is a change; anything else is versions added and removed. */
function compareLogical(before: Picked, after: Picked): GraphComparison {
  const a = versionsByName(readLockfileGraph(before.text, before.name));
  const graph = readLockfileGraph(after.text, after.name);
  const b = versionsByName(graph);
  const result: Omit<GraphComparison, 'graph' | 'before' | 'after'> = { added: [], removed: [], changed: [], moved: [] };
  for (const name of [...new Set([...a.keys(), ...b.keys()])].sort()) {
    const was = a.get(name) ?? new Set<string>();
    const now = b.get(name) ?? new Set<string>();
    const gone = [...was].filter((v) => !now.has(v));
    const added = [...now].filter((v) => !was.has(v));
    if (gone.length === 1 && added.length === 1) {
      result.changed.push({ id: `${name}@${added[0]}`, name, from: gone[0]!, to: added[0]! });
      continue;
    }
    for (const version of gone) result.removed.push({ id: `${name}@${version}`, name, version });
    for (const version of added) result.added.push({ id: `${name}@${version}`, name, version });
  }
  return { before: before.name, after: after.name, ...result, graph: logicalGraphResult(graph, after.name) };
}

export function compareLocks(before: Picked, after: Picked): GraphComparison {
  if (lockFormatOf(before.text, before.name) !== 'npm' || lockFormatOf(after.text, after.name) !== 'npm')
    return compareLogical(before, after);
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
