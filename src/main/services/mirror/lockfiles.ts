// Reads the registry packages a project needs from its lockfile: package-lock v1–v3, npm-shrinkwrap, yarn.lock v1 and berry, pnpm-lock.yaml.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import semver from 'semver';
import { badRequest } from '../../errors';
import { parseBunLock } from '../lockfiles/bun-lock';
import { parsePnpmLock, pnpmPackages } from '../lockfiles/pnpm-lock';
import { parseYarnLock, yarnPackages } from '../lockfiles/yarn-lock';

export interface PackageVersion {
  name: string;
  version: string;
}

export const LOCKFILE_NAMES = ['package-lock.json', 'npm-shrinkwrap.json', 'yarn.lock', 'pnpm-lock.yaml', 'bun.lock'] as const;

/** A folder is read through the first lockfile it holds; a file is read by its name. */
export function findLockfile(path: string): string {
  if (!existsSync(path)) throw badRequest(`${path} does not exist`);
  if (!statSync(path).isDirectory()) return path;
  for (const name of LOCKFILE_NAMES) if (existsSync(join(path, name))) return join(path, name);
  if (existsSync(join(path, 'package.json'))) {
    throw badRequest(
      `${path} has a package.json but no lockfile; run \`shelf lock ${path}\` (or \`npm install --package-lock-only\`) first, then mirror the lockfile`,
    );
  }
  throw badRequest(`${path} holds no lockfile (${LOCKFILE_NAMES.join(', ')}) and no package.json`);
}

export function readLockfile(file: string): PackageVersion[] {
  const text = readFileSync(file, 'utf8');
  const name = basename(file);
  const found =
    name === 'yarn.lock'
      ? fromYarnLock(text, file)
      : name === 'pnpm-lock.yaml'
        ? fromPnpmLock(text, file)
        : name === 'bun.lock'
          ? parseBunLock(text, file).packages.map(({ name: n, version }) => ({ name: n, version }))
          : name.endsWith('.json')
            ? fromPackageLock(parseJson(text, file))
            : undefined;
  if (!found) throw badRequest(`${file} is not a lockfile Shelf reads (${LOCKFILE_NAMES.join(', ')})`);
  return dedupe(found.filter((p) => semver.valid(p.version)));
}

function parseJson(text: string, file: string): Record<string, unknown> {
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch (error) {
    throw badRequest(`${file} is not valid JSON: ${(error as Error).message}`);
  }
}

/** Registry tarballs only: git, file and link dependencies have nothing to mirror. */
const isRegistryResolved = (resolved: unknown) => resolved === undefined || (typeof resolved === 'string' && /^https?:/.test(resolved));

function fromPackageLock(lock: Record<string, unknown>): PackageVersion[] {
  const out: PackageVersion[] = [];
  const packages = lock.packages as Record<string, Record<string, unknown>> | undefined;
  if (packages) {
    for (const [path, entry] of Object.entries(packages)) {
      if (path === '' || entry.link || typeof entry.version !== 'string' || !isRegistryResolved(entry.resolved)) continue;
      if (!path.includes('node_modules/')) continue;
      const name = typeof entry.name === 'string' ? entry.name : path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
      out.push({ name, version: entry.version });
    }
    return out;
  }
  // lockfileVersion 1: a nested `dependencies` tree; aliases are written as version "npm:real@1.2.3".
  const walk = (deps: Record<string, Record<string, unknown>> | undefined) => {
    for (const [name, entry] of Object.entries(deps ?? {})) {
      const version = String(entry.version ?? '');
      const alias = /^npm:(.+)@([^@]+)$/.exec(version);
      if (alias) out.push({ name: alias[1]!, version: alias[2]! });
      else if (isRegistryResolved(entry.resolved) && !/^(file|git|link):/.test(version)) out.push({ name, version });
      walk(entry.dependencies as Record<string, Record<string, unknown>> | undefined);
    }
  };
  walk(lock.dependencies as Record<string, Record<string, unknown>> | undefined);
  return out;
}

// yarn.lock and pnpm-lock.yaml are read by services/lockfiles, the same readers the graph and `shelf why` use.
function fromYarnLock(text: string, file: string): PackageVersion[] {
  return yarnPackages(parseYarnLock(text, file));
}

function fromPnpmLock(text: string, file: string): PackageVersion[] {
  return pnpmPackages(parsePnpmLock(text, file));
}

function dedupe(list: PackageVersion[]): PackageVersion[] {
  const seen = new Map<string, PackageVersion>();
  for (const p of list) seen.set(`${p.name}@${p.version}`, p);
  return [...seen.values()].sort((a, b) => (a.name === b.name ? semver.compare(a.version, b.version) : a.name < b.name ? -1 : 1));
}
