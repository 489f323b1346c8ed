// Reads a Verdaccio storage folder: one folder per package (scoped ones under @scope/name/) holding package.json, the
// packument Verdaccio keeps, beside the package's .tgz files. Dot-files (.verdaccio-db.json) are Verdaccio's own.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { badRequest, notFound } from '../../errors';

type Json = Record<string, unknown>;

export interface StoredPackage {
  name: string;
  dir: string;
  /** undefined when package.json is missing or unreadable; `problem` says why. */
  packument?: Json;
  problem?: string;
}

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

function readPackage(name: string, dir: string): StoredPackage {
  const file = join(dir, 'package.json');
  if (!existsSync(file)) return { name, dir, problem: `${file} is missing` };
  try {
    const packument: unknown = JSON.parse(readFileSync(file, 'utf8'));
    if (!isObject(packument) || !isObject(packument.versions)) return { name, dir, problem: `${file} is not a packument (no versions)` };
    if (packument.name !== undefined && packument.name !== name) {
      return { name, dir, problem: `${file} names '${String(packument.name)}', not '${name}' as its folder does` };
    }
    return { name, dir, packument };
  } catch (error) {
    return { name, dir, problem: `${file} is not valid JSON (${(error as Error).message})` };
  }
}

const visible = (dir: string): string[] =>
  readdirSync(dir)
    .filter((entry) => !entry.startsWith('.') && statSync(join(dir, entry)).isDirectory())
    .sort();

/** Every package folder under the storage folder, in name order (scoped ones by scope). */
export function listStoredPackages(storageDir: string): StoredPackage[] {
  if (!existsSync(storageDir)) throw notFound(`there is no folder ${storageDir}; pass the folder Verdaccio's config.yaml names as storage`);
  if (!statSync(storageDir).isDirectory()) throw badRequest(`${storageDir} is not a folder; pass Verdaccio's storage folder`);
  const packages: StoredPackage[] = [];
  for (const entry of visible(storageDir)) {
    if (entry.startsWith('@')) {
      for (const inner of visible(join(storageDir, entry))) packages.push(readPackage(`${entry}/${inner}`, join(storageDir, entry, inner)));
    } else {
      packages.push(readPackage(entry, join(storageDir, entry)));
    }
  }
  return packages;
}

/** The tarball file of a version: the name in its dist.tarball URL, else npm's `<name>-<version>.tgz`. */
export function tarballFileOf(name: string, version: string, manifest: Json): string {
  const dist = isObject(manifest.dist) ? manifest.dist : {};
  if (typeof dist.tarball === 'string') {
    const last = dist.tarball.split('/').pop();
    if (last && /^[^/\\]+\.tgz$/.test(decodeURIComponent(last))) return decodeURIComponent(last);
  }
  return `${name.startsWith('@') ? name.slice(name.indexOf('/') + 1) : name}-${version}.tgz`;
}
