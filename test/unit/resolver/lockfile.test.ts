import { describe, expect, it } from 'vitest';
import { checkLockfile, parseLockfile } from '../../../src/main/services/resolver';
import type { Manifest } from '../../../src/main/services/resolver/types';

describe('reading lockfiles', () => {
  it('reads v1 nested dependencies, aliases included, into install locations', () => {
    const lock = parseLockfile({
      lockfileVersion: 1,
      dependencies: { a: { version: '1.0.0', dependencies: { b: { version: '2.0.0' } } }, old: { version: 'npm:real@1.2.3' } },
    });
    expect(Object.fromEntries(lock.entries)).toEqual({
      'node_modules/a': { name: 'a', version: '1.0.0' },
      'node_modules/a/node_modules/b': { name: 'b', version: '2.0.0' },
      'node_modules/old': { name: 'real', version: '1.2.3' },
    });
  });

  it('reads v2 and v3 packages maps, with alias names from the entry', () => {
    const lock = parseLockfile({
      lockfileVersion: 3,
      packages: { '': { name: 'p' }, 'node_modules/x': { name: 'y', version: '1.0.0', integrity: 'sha512-abc' } },
    });
    expect(lock.entries.get('node_modules/x')).toEqual({ name: 'y', version: '1.0.0', integrity: 'sha512-abc' });
  });
});

describe('lock --check', () => {
  const manifest = { name: 'p', version: '1.0.0', dependencies: { a: '^1.0.0' } } as Manifest;
  const lockOf = (rootDeps: Record<string, string>, aVersion: string) =>
    parseLockfile({
      lockfileVersion: 3,
      packages: {
        '': { name: 'p', dependencies: rootDeps },
        'node_modules/a': { version: aVersion, dependencies: { b: '^2.0.0' } },
        'node_modules/b': { version: '2.1.0' },
      },
    });

  it('accepts a lock that matches package.json and whose entries satisfy each other', () => {
    expect(checkLockfile({ dir: '/p', manifest, workspaces: [] }, lockOf({ a: '^1.0.0' }, '1.4.0'))).toEqual([]);
  });

  it('names each mismatch between package.json and the lock', () => {
    expect(
      checkLockfile(
        { dir: '/p', manifest: { ...manifest, dependencies: { a: '^2.0.0' } }, workspaces: [] },
        lockOf({ a: '^1.0.0' }, '1.4.0'),
      ),
    ).toEqual(['package.json dependencies has a@"^2.0.0" but the lockfile recorded "^1.0.0"']);
  });
});
