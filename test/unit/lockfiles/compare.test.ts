// Two lockfiles compared when either is pnpm's, yarn's or bun's: by name@version on the logical graph, across formats.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareLocks } from '../../../src/main/services/graph';

const FIXTURES = join(__dirname, '../../fixtures/lockfiles');
const pnpmV6 = readFileSync(join(FIXTURES, 'pnpm-v6', 'pnpm-lock.yaml'), 'utf8');
const yarnV1 = readFileSync(join(FIXTURES, 'yarn-v1', 'yarn.lock'), 'utf8');

describe('lockfiles compared on the logical graph', () => {
  it('finds nothing changed between pnpm and yarn lockfiles of the same project', () => {
    const diff = compareLocks({ name: 'pnpm-lock.yaml', text: pnpmV6 }, { name: 'yarn.lock', text: yarnV1 });
    expect({ added: diff.added, removed: diff.removed, changed: diff.changed, moved: diff.moved }).toEqual({
      added: [],
      removed: [],
      changed: [],
      moved: [],
    });
    expect(diff.graph.duplicates.map((d) => d.name)).toEqual(['shared']);
  });

  it('lists a version swapped as changed, and versions that come and go as added and removed', () => {
    // The "after" file: shared 1.3.0 upgraded to 1.4.0, deep dropped, a new package added.
    const after = yarnV1
      .replace('version "1.3.0"', 'version "1.4.0"')
      .replace(/\ndeep@\^1\.0\.0:\n(?: {2}.*\n)+/, '\n')
      .replace('    deep "^1.0.0"\n', '')
      .concat('\nextra@^1.0.0:\n  version "1.0.0"\n  resolved "http://127.0.0.1/extra-1.0.0.tgz"\n');
    const diff = compareLocks({ name: 'pnpm-lock.yaml', text: pnpmV6 }, { name: 'yarn.lock', text: after });
    expect(diff.changed).toEqual([{ id: 'shared@1.4.0', name: 'shared', from: '1.3.0', to: '1.4.0' }]);
    expect(diff.removed).toEqual([{ id: 'deep@1.0.0', name: 'deep', version: '1.0.0' }]);
    expect(diff.added).toEqual([{ id: 'extra@1.0.0', name: 'extra', version: '1.0.0' }]);
    expect(diff.moved).toEqual([]);
    expect(diff.graph.nodes.some((n) => n.id === 'shared@1.4.0')).toBe(true);
  });
});
