// Cargo-style ranges from /api/v1 packages of older ecosystems, checked against the rules of Cargo's `semver` crate.
import semver from 'semver';
import { describe, expect, it } from 'vitest';
import { normaliseCargoRange, rangeDialect } from '../../../src/main/services/resolver/cargo-ranges';
import { resolveProject } from '../../../src/main/services/resolver/resolve';
import type { Manifest } from '../../../src/main/services/resolver/types';
import { fakeClient } from './fake-registry';

/** Whether `version` meets the Cargo requirement `req` once translated. */
const meets = (req: string, version: string, dialect: 'cargo' | 'cargo-bare-caret' = 'cargo-bare-caret') =>
  semver.satisfies(version, normaliseCargoRange(req, dialect));

describe('Cargo-style ranges', () => {
  it('reads comma-separated comparators as all applying', () => {
    expect(normaliseCargoRange('>=1.0.0, <2.0.0', 'cargo')).toBe('>=1.0.0 <2.0.0');
    expect(meets('>=1.0.0, <2.0.0', '1.9.9')).toBe(true);
    expect(meets('>=1.0.0, <2.0.0', '2.0.0')).toBe(false);
    expect(meets('>= 1.2, < 1.5', '1.4.7')).toBe(true);
    expect(meets('>= 1.2, < 1.5', '1.5.0')).toBe(false);
  });

  it('reads a bare version as a caret requirement in vais.toml packages, and as exact elsewhere', () => {
    expect(normaliseCargoRange('1.2.3', 'cargo-bare-caret')).toBe('^1.2.3');
    expect(meets('1.2.3', '1.9.0')).toBe(true);
    expect(meets('1.2.3', '2.0.0')).toBe(false);
    expect(meets('1.2.3', '1.2.2')).toBe(false);
    expect(normaliseCargoRange('1.2.3', 'cargo')).toBe('1.2.3');
    expect(normaliseCargoRange('=1.2.3', 'cargo-bare-caret')).toBe('=1.2.3');
    expect(meets('=1.2.3', '1.2.4')).toBe(false);
  });

  it('applies caret to 0.x as Cargo does: the leftmost non-zero part is fixed', () => {
    // ^0.2.3 := >=0.2.3, <0.3.0; ^0.0.3 := =0.0.3; ^0.0 := <0.1.0; ^0 := <1.0.0
    expect(meets('^0.2.3', '0.2.9')).toBe(true);
    expect(meets('^0.2.3', '0.3.0')).toBe(false);
    expect(meets('0.2.3', '0.2.9')).toBe(true);
    expect(meets('0.2.3', '0.3.0')).toBe(false);
    expect(meets('^0.0.3', '0.0.3')).toBe(true);
    expect(meets('^0.0.3', '0.0.4')).toBe(false);
    expect(meets('^0.0', '0.0.9')).toBe(true);
    expect(meets('^0.0', '0.1.0')).toBe(false);
    expect(meets('^0', '0.9.9')).toBe(true);
    expect(meets('^0', '1.0.0')).toBe(false);
  });

  it('applies tilde as Cargo does', () => {
    // ~1.2.3 := >=1.2.3, <1.3.0; ~1.2 := >=1.2.0, <1.3.0; ~1 := >=1.0.0, <2.0.0; ~0.2 on 0.x likewise
    expect(meets('~1.2.3', '1.2.9')).toBe(true);
    expect(meets('~1.2.3', '1.3.0')).toBe(false);
    expect(meets('~1.2', '1.2.0')).toBe(true);
    expect(meets('~1', '1.9.0')).toBe(true);
    expect(meets('~1', '2.0.0')).toBe(false);
    expect(meets('~0.2', '0.2.5')).toBe(true);
    expect(meets('~0.2', '0.3.0')).toBe(false);
  });

  it('reads wildcards', () => {
    expect(normaliseCargoRange('*', 'cargo')).toBe('*');
    expect(meets('1.*', '1.7.0')).toBe(true);
    expect(meets('1.*', '2.0.0')).toBe(false);
    expect(meets('1.2.*', '1.2.9')).toBe(true);
    expect(meets('1.2.*', '1.3.0')).toBe(false);
    expect(meets('1.x', '1.4.0')).toBe(true);
  });

  it('matches a prerelease only from a comparator that names a prerelease of the same version', () => {
    expect(meets('>=1.2.3-alpha.1', '1.2.3-alpha.2')).toBe(true);
    expect(meets('>=1.2.3-alpha.1', '1.2.4-alpha.1')).toBe(false);
    expect(meets('1.2.3', '1.3.0-beta')).toBe(false);
    expect(meets('^1.2.3-rc.1, <1.2.4', '1.2.3-rc.2')).toBe(true);
    // Precedence: alpha.1 < alpha.beta < beta < beta.2 < rc.1 < release.
    expect(meets('>1.0.0-alpha.1', '1.0.0-alpha.beta')).toBe(true);
    expect(meets('<1.0.0-rc.1, >1.0.0-beta', '1.0.0-beta.2')).toBe(true);
    expect(meets('<1.0.0', '1.0.0-rc.1')).toBe(false);
  });

  it('ignores build metadata', () => {
    expect(normaliseCargoRange('1.2.3+build.5', 'cargo-bare-caret')).toBe('^1.2.3');
    expect(meets('=1.2.3+abc', '1.2.3')).toBe(true);
  });

  it('leaves npm syntax and anything it cannot read alone', () => {
    expect(normaliseCargoRange('^1 || ^2', 'cargo')).toBe('^1 || ^2');
    expect(normaliseCargoRange('1.0.0 - 2.0.0', 'cargo')).toBe('1.0.0 - 2.0.0');
    expect(normaliseCargoRange('latest', 'cargo')).toBe('latest');
    expect(normaliseCargoRange('>=1.0.0, <2.0.0', 'npm')).toBe('>=1.0.0, <2.0.0');
  });

  it('applies only to versions /api/v1 marked as coming from another ecosystem', () => {
    const base = { name: 'x', version: '1.0.0' } as Manifest;
    expect(rangeDialect(base)).toBe('npm');
    expect(rangeDialect({ ...base, _shelfSource: { api: 'v1', manifest: 'package.json' } })).toBe('npm');
    expect(rangeDialect({ ...base, _shelfSource: { api: 'v1', manifest: 'synapse.json' } })).toBe('cargo');
    expect(rangeDialect({ ...base, _shelfSource: { api: 'v1', manifest: 'vais.toml' } })).toBe('cargo-bare-caret');
  });

  it('resolves the dependencies of a vais.toml package by its Cargo ranges, and npm packages by npm rules', async () => {
    const packages = {
      engine: {
        versions: {
          '1.0.0': { _shelfSource: { api: 'v1', manifest: 'vais.toml' }, dependencies: { util: '1.2.0', core: '>=2.0.0, <3.0.0' } },
        },
      },
      plain: { versions: { '1.0.0': { dependencies: { util: '1.2.0' } } } },
      util: { versions: { '1.2.0': {}, '1.4.0': {}, '2.0.0': {} } },
      core: { versions: { '2.1.0': {}, '2.5.0': {}, '3.0.0': {} } },
    };
    const treeOf = async (dependencies: Record<string, string>) => {
      const graph = await resolveProject(
        { dir: '/p', manifest: { name: 'root', version: '1.0.0', dependencies } as Manifest, workspaces: [] },
        fakeClient(packages),
      );
      return Object.fromEntries([...graph.nodes.values()].filter((n) => !n.isRoot).map((n) => [n.location, n.version]));
    };
    // engine's bare "1.2.0" is ^1.2.0 (highest match 1.4.0), and its comma range takes the highest 2.x.
    expect(await treeOf({ engine: '^1.0.0' })).toEqual({
      'node_modules/core': '2.5.0',
      'node_modules/engine': '1.0.0',
      'node_modules/util': '1.4.0',
    });
    // The same "1.2.0" from an npm package is exact.
    expect(await treeOf({ plain: '^1.0.0' })).toEqual({ 'node_modules/plain': '1.0.0', 'node_modules/util': '1.2.0' });
  });
});
