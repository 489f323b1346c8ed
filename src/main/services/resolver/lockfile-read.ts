// Owns reading package-lock.json (v1, v2 and v3) into entries by install location.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { badRequest } from '../../errors';
import type { LockedEntries, LockedEntry } from './types';

export interface ParsedLock {
  version: number;
  entries: LockedEntries;
  /** The root entry's dependency maps (v2/v3), to compare with package.json. */
  root?: Record<string, unknown>;
  /** Raw per-location entries (v2/v3) with their own dependency maps, for --check. */
  packages?: Record<string, Record<string, unknown>>;
}

export function readLockfile(dir: string): ParsedLock | undefined {
  for (const file of ['npm-shrinkwrap.json', 'package-lock.json']) {
    const path = join(dir, file);
    if (!existsSync(path)) continue;
    let doc: unknown;
    try {
      doc = JSON.parse(readFileSync(path, 'utf8'));
    } catch (error) {
      throw badRequest(`${path} is not valid JSON (${(error as Error).message}); delete it to resolve from scratch`);
    }
    return parseLockfile(doc, path);
  }
  return undefined;
}

export function parseLockfile(doc: unknown, where = 'package-lock.json'): ParsedLock {
  const lock = doc as {
    lockfileVersion?: number;
    packages?: Record<string, Record<string, unknown>>;
    dependencies?: Record<string, V1Entry>;
  };
  const version = lock.lockfileVersion ?? 1;
  const entries: LockedEntries = new Map();
  if (lock.packages && version >= 2) {
    for (const [location, raw] of Object.entries(lock.packages)) {
      if (location === '') continue;
      // A workspace folder's entry has no name when it is the folder's own (npm leaves it out).
      const name =
        typeof raw.name === 'string'
          ? raw.name
          : location.includes('node_modules/')
            ? location.slice(location.lastIndexOf('node_modules/') + 'node_modules/'.length)
            : location.slice(location.lastIndexOf('/') + 1);
      if (typeof raw.version !== 'string' && !raw.link) continue;
      entries.set(location, {
        name,
        version: String(raw.version ?? ''),
        ...(typeof raw.resolved === 'string' && { resolved: raw.resolved }),
        ...(typeof raw.integrity === 'string' && { integrity: raw.integrity }),
        ...(raw.link === true && { link: true }),
      });
    }
    return { version, entries, root: lock.packages[''], packages: lock.packages };
  }
  if (lock.dependencies) {
    addV1(entries, lock.dependencies, '');
    return { version, entries };
  }
  throw badRequest(`${where} has neither "packages" nor "dependencies"; delete it to resolve from scratch`);
}

interface V1Entry {
  version: string;
  resolved?: string;
  integrity?: string;
  dependencies?: Record<string, V1Entry>;
}

/** v1 nests entries by folder; aliases are written as version "npm:real-name@1.2.3". */
function addV1(entries: LockedEntries, deps: Record<string, V1Entry>, prefix: string): void {
  for (const [folder, raw] of Object.entries(deps)) {
    const location = `${prefix}node_modules/${folder}`;
    let name = folder;
    let version = raw.version;
    const alias = /^npm:(.+)@([^@]+)$/.exec(version);
    if (alias) [, name, version] = alias as unknown as [string, string, string];
    const entry: LockedEntry = {
      name,
      version,
      ...(raw.resolved && { resolved: raw.resolved }),
      ...(raw.integrity && { integrity: raw.integrity }),
    };
    entries.set(location, entry);
    if (raw.dependencies) addV1(entries, raw.dependencies, `${location}/`);
  }
}
