// Yanked versions (Shelf's yank, as a registry client sees it in the full packument) are never chosen.
import { describe, expect, it } from 'vitest';
import { resolveProject } from '../../../src/main/services/resolver/resolve';
import { SHELF_YANKED_NOTICE } from '../../../src/main/services/resolver/yanked';
import { YANKED_NOTICE } from '../../../src/main/services/packages/packument';
import type { Manifest } from '../../../src/main/services/resolver/types';
import { fakeClient, type FixturePackages } from './fake-registry';

async function resolveA(packages: FixturePackages, range: string) {
  const graph = await resolveProject(
    { dir: '/p', manifest: { name: 'root', version: '1.0.0', dependencies: { a: range } } as Manifest, workspaces: [] },
    fakeClient(packages),
  );
  return graph.nodes.get('node_modules/a')!;
}

describe('yanked versions', () => {
  it('recognises the notice Shelf renders for a yanked version', () => {
    expect(SHELF_YANKED_NOTICE).toBe(YANKED_NOTICE);
  });

  it('skips a yanked latest and a yanked highest match, even though npm would take a merely deprecated one', async () => {
    const a = await resolveA(
      {
        a: {
          versions: { '1.0.0': {}, '1.1.0': {}, '1.2.0': { deprecated: SHELF_YANKED_NOTICE }, '1.3.0': { yanked: true } },
          tags: { latest: '1.3.0' },
        },
      },
      '^1.0.0',
    );
    expect(a.version).toBe('1.1.0');
    expect(a.choice.skipped).toEqual([
      { version: '1.3.0', reason: 'yanked by its owners' },
      { version: '1.2.0', reason: 'yanked by its owners' },
    ]);
  });

  it('fails with the yanked versions named when only yanked versions match', async () => {
    await expect(resolveA({ a: { versions: { '1.0.0': {}, '2.0.0': { yanked: true } } } }, '^2.0.0')).rejects.toThrow(
      /no version of a satisfies|no version of a matches/,
    );
  });
});
