// The graph service on real lockfiles: the Create React App fixture read as it is, and two lockfiles compared.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ShelfError } from '../../../src/main/errors';
import { compareLocks, lockfileGraph } from '../../../src/main/services/graph';

const CRA = join(__dirname, '../../../../shared/fixtures/trees/cra/package-lock.json');

describe.skipIf(!existsSync(CRA))('a lockfile drawn as it is', () => {
  const text = existsSync(CRA) ? readFileSync(CRA, 'utf8') : '';
  it('has every installed package, each edge to the copy Node would load, and the duplicates with paths from the root', () => {
    const doc = JSON.parse(text) as { packages: Record<string, unknown> };
    const graph = lockfileGraph(text, 'package-lock.json');
    expect(graph.nodes).toHaveLength(Object.keys(doc.packages).length);
    const byId = new Map(graph.nodes.map((n) => [n.id, n]));
    expect(byId.get('')!.name).toBe('cra-bench');
    // react-scripts needs babel-loader; the edge points at a copy whose name is babel-loader.
    const edge = graph.edges.find((e) => e.from === 'node_modules/react-scripts' && e.name === 'babel-loader')!;
    expect(byId.get(edge.to!)!.name).toBe('babel-loader');
    expect(graph.nodes.filter((n) => n.license !== null).length).toBeGreaterThan(1400);
    expect(graph.nodes.every((n) => n.size === null)).toBe(true);
    // Names in more than one version, counted from the lockfile's own keys (the folder after the last node_modules/).
    const versions = new Map<string, Set<string>>();
    for (const [location, e] of Object.entries(doc.packages as Record<string, { version: string }>)) {
      if (!location) continue;
      const name = location.slice(location.lastIndexOf('node_modules/') + 13);
      versions.set(name, (versions.get(name) ?? new Set()).add(e.version));
    }
    const expected = [...versions].filter(([, v]) => v.size > 1).map(([n]) => n);
    expect(expected.length).toBeGreaterThan(100);
    expect(graph.duplicates.map((d) => d.name).sort()).toEqual(expected.sort());
    for (const dup of graph.duplicates) {
      expect(new Set(dup.copies.map((c) => c.version)).size).toBeGreaterThan(1);
      for (const copy of dup.copies) {
        expect(copy.paths.length).toBeGreaterThan(0);
        for (const path of copy.paths) {
          expect(path[0]).toBe('');
          expect(path.at(-1)).toBe(copy.id);
          for (let i = 1; i < path.length; i++) expect(graph.edges.some((e) => e.from === path[i - 1] && e.to === path[i])).toBe(true);
        }
      }
    }
  });

  it('refuses what is not a lockfile, saying what to pick', () => {
    expect(() => lockfileGraph('{ nope', 'notes.txt')).toThrow(ShelfError);
    expect(() => lockfileGraph('{ nope', 'notes.txt')).toThrow(/notes.txt is not valid JSON.*pick a package-lock.json/);
    expect(() => lockfileGraph('{"name":"x"}', 'x.json')).toThrow(/has neither "packages" nor "dependencies"/);
  });
});

describe('two lockfiles compared', () => {
  const lock = (packages: Record<string, Record<string, unknown>>) =>
    JSON.stringify({ name: 'app', version: '1.0.0', lockfileVersion: 3, packages: { '': { name: 'app', dependencies: {} }, ...packages } });
  it('lists added, removed, changed-version and moved packages by location', () => {
    const before = lock({
      'node_modules/a': { version: '1.0.0' },
      'node_modules/b': { version: '1.0.0', dependencies: { c: '^1' } },
      'node_modules/b/node_modules/c': { version: '1.0.0' },
      'node_modules/gone': { version: '3.0.0' },
    });
    const after = lock({
      'node_modules/a': { version: '1.1.0' },
      'node_modules/b': { version: '1.0.0', dependencies: { c: '^1' } },
      'node_modules/c': { version: '1.0.0' },
      'node_modules/new': { version: '0.1.0' },
    });
    const diff = compareLocks({ name: 'before.json', text: before }, { name: 'after.json', text: after });
    expect(diff.changed).toEqual([{ id: 'node_modules/a', name: 'a', from: '1.0.0', to: '1.1.0' }]);
    expect(diff.moved).toEqual([{ name: 'c', version: '1.0.0', from: 'node_modules/b/node_modules/c', to: 'node_modules/c' }]);
    expect(diff.added).toEqual([{ id: 'node_modules/new', name: 'new', version: '0.1.0' }]);
    expect(diff.removed).toEqual([{ id: 'node_modules/gone', name: 'gone', version: '3.0.0' }]);
    // The drawn tree is the "after" one: b's c is now the hoisted copy.
    expect(diff.graph.edges.find((e) => e.from === 'node_modules/b')!.to).toBe('node_modules/c');
  });
});
