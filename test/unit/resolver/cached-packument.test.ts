// A packument read back from the metadata cache chooses exactly as the fetched one does (latest tag, deprecated and
// engine skips, prereleases, yanked versions, dist-tags, versions that are not semver) and reads only the manifests
// it picks.
import { describe, expect, it } from 'vitest';
import { fromCacheRows, toCacheRows } from '../../../src/main/services/resolver/cached-packument';
import { pickVersion } from '../../../src/main/services/resolver/pick-version';
import { parseSpec } from '../../../src/main/services/resolver/spec';
import type { Packument } from '../../../src/main/services/resolver/types';
import { SHELF_YANKED_NOTICE } from '../../../src/main/services/resolver/yanked';
import { packumentsOf } from './fake-registry';

const doc = packumentsOf({
  lib: {
    versions: {
      '0.9.0': {},
      '1.0.0': { engines: { node: '>=8' } },
      '1.1.0': { deprecated: 'use 1.0.0' },
      '1.2.0': { engines: { node: '>=99' } },
      '1.3.0-beta.1': {},
      '1.3.0': { yanked: true },
      '1.4.0': { deprecated: SHELF_YANKED_NOTICE },
      '2.0.0': { dependencies: { other: '^1.0.0' }, bin: { lib: 'cli.js' } },
      '2.1.0': { engines: { node: '>=99' }, deprecated: 'old' },
      'not-semver': {},
    },
    tags: { latest: '1.2.0', next: '2.1.0', beta: '1.3.0-beta.1' },
  },
}).get('lib')!;

const SPECS = ['*', '^1.0.0', '~1.1.0', '>=1.2.0', '1.2.0', '^2.0.0', '>1.2.0 <2.0.0', '^0.9.0', 'next', 'beta', 'latest', '^1.3.0-beta.0'];

describe('a packument from the metadata cache', () => {
  it.each(SPECS)('chooses as the fetched one does for %s, with the same recorded reasons', (spec) => {
    const fromCache = fromCacheRows(toCacheRows(doc));
    const requested = parseSpec('lib', spec, 'test') as Parameters<typeof pickVersion>[1];
    const run = (p: Packument) => {
      try {
        return pickVersion(p, requested, '20.11.0');
      } catch (error) {
        return { error: (error as Error).message };
      }
    };
    expect(run(fromCache)).toEqual(run(structuredClone(doc)));
  });

  it('lists every version, answers membership, and parses only the manifests that are read', () => {
    const rows = toCacheRows(doc);
    const parse = JSON.parse;
    const parsed: string[] = [];
    JSON.parse = ((text: string, ...rest: never[]) => {
      const value = parse(text, ...rest) as { version?: string };
      if (value && typeof value === 'object' && typeof value.version === 'string') parsed.push(value.version);
      return value;
    }) as typeof JSON.parse;
    try {
      const p = fromCacheRows(rows);
      expect(Object.keys(p.versions).sort()).toEqual(Object.keys(doc.versions).sort());
      expect('2.0.0' in p.versions).toBe(true);
      expect('9.9.9' in p.versions).toBe(false);
      expect(p['dist-tags']).toEqual(doc['dist-tags']);
      const picked = pickVersion(p, parseSpec('lib', '^2.0.0', 'test') as Parameters<typeof pickVersion>[1], '20.11.0');
      expect(picked.manifest).toEqual(doc.versions['2.0.0']);
      expect(parsed).toEqual(['2.0.0']);
      expect(p.versions['not-semver']).toEqual(doc.versions['not-semver']);
    } finally {
      JSON.parse = parse;
    }
  });
});
