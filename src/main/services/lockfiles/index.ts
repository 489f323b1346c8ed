// One reader interface over every lockfile format: text (and, where known, the project's package.json) in, the logical
// dependency graph out. The graph screen, `shelf why`, `shelf tree` and `shelf dupes` read non-npm projects through it.
import { existsSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { badRequest } from '../../errors';
import { bunGraph } from './bun-lock';
import type { LockFormat, LogicalGraph, ManifestDeps } from './logical-graph';
import { npmGraph } from './npm-lock';
import { pnpmGraph } from './pnpm-lock';
import { yarnGraph } from './yarn-lock';

export * from './logical-graph';
export { parseBunLock, type BunLock, type BunLockPackage } from './bun-lock';
export { parsePnpmLock, pnpmPackages } from './pnpm-lock';
export { parseYarnLock, yarnPackages } from './yarn-lock';
export { parseLockText, findInstalled, nameAt, NPM_EDGE_FIELDS } from './npm-lock';

/** The lockfiles a project folder is looked at for, npm's first (the one `shelf lock` writes and reads). */
export const PROJECT_LOCKFILES = ['npm-shrinkwrap.json', 'package-lock.json', 'pnpm-lock.yaml', 'yarn.lock', 'bun.lock'] as const;
export const NPM_LOCKFILES = new Set(['npm-shrinkwrap.json', 'package-lock.json']);

/** The format by the file's usual name, else by its content (an upload may be renamed "before.lock"). */
export function lockFormatOf(text: string, file: string): 'npm' | 'pnpm' | 'yarn' | 'bun' {
  const name = basename(file);
  if (NPM_LOCKFILES.has(name)) return 'npm';
  if (name === 'pnpm-lock.yaml') return 'pnpm';
  if (name === 'yarn.lock') return 'yarn';
  if (name === 'bun.lock') return 'bun';
  const head = text.trimStart();
  if (head.startsWith('{')) {
    try {
      const doc = JSON.parse(text) as Record<string, unknown>;
      return typeof doc.workspaces === 'object' && !('name' in doc) ? 'bun' : 'npm';
    } catch {
      // bun.lock allows trailing commas, which JSON does not; anything else is npm's to refuse as invalid JSON.
      return /"lockfileVersion"/.test(text) && /"workspaces"/.test(text) ? 'bun' : 'npm';
    }
  }
  if (/^lockfileVersion:/m.test(text)) return 'pnpm';
  if (/^# yarn lockfile v1|^__metadata:/m.test(text)) return 'yarn';
  throw badRequest(
    `${name} is not a lockfile Shelf reads; pick a package-lock.json, npm-shrinkwrap.json, pnpm-lock.yaml, yarn.lock or bun.lock`,
  );
}

export function readLockfileGraph(text: string, file: string, manifest?: ManifestDeps): LogicalGraph {
  const format = lockFormatOf(text, file);
  const name = basename(file);
  if (format === 'npm') return npmGraph(text, name, manifest);
  if (format === 'pnpm') return pnpmGraph(text, name, manifest);
  if (format === 'yarn') return yarnGraph(text, name, manifest);
  return bunGraph(text, name, manifest);
}

/** The project's lockfile (`file` inside `dir`, or the first one found) with its package.json, as a logical graph. */
export function readProjectLockfileGraph(dir: string, file?: string): LogicalGraph {
  const path = file ? resolve(dir, file) : PROJECT_LOCKFILES.map((f) => join(dir, f)).find((p) => existsSync(p));
  if (!path || !existsSync(path))
    throw badRequest(
      file
        ? `${path} does not exist; name a lockfile in the project (${PROJECT_LOCKFILES.join(', ')})`
        : `${dir} holds no lockfile (${PROJECT_LOCKFILES.join(', ')}); run your package manager's install first`,
    );
  let manifest: ManifestDeps | undefined;
  const manifestPath = join(dir, 'package.json');
  if (existsSync(manifestPath)) {
    try {
      manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as ManifestDeps;
    } catch (error) {
      throw badRequest(`${manifestPath} is not valid JSON (${(error as Error).message})`);
    }
  }
  return readLockfileGraph(readFileSync(path, 'utf8'), path, manifest);
}

/** Which client wrote it, in words. */
export const FORMAT_NAMES: Record<LockFormat, string> = {
  npm: 'npm',
  pnpm: 'pnpm',
  'yarn-classic': 'yarn classic',
  'yarn-berry': 'yarn berry',
  bun: 'bun',
};
