// Owns reading a project folder: its package.json, its workspaces (folders and `dir/*` globs) and their manifests.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import { badRequest, notFound } from '../../errors';
import type { Manifest, ProjectInput } from './types';

export function readManifest(dir: string): Manifest {
  const path = join(dir, 'package.json');
  if (!existsSync(path)) throw notFound(`no package.json in ${dir}; run this in a project folder or pass the folder`);
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Manifest;
  } catch (error) {
    throw badRequest(`${path} is not valid JSON (${(error as Error).message}); fix it and try again`);
  }
}

export function loadProject(dir: string): ProjectInput {
  const manifest = readManifest(dir);
  const patterns = Array.isArray(manifest.workspaces) ? manifest.workspaces : (manifest.workspaces?.packages ?? []);
  const workspaces: ProjectInput['workspaces'] = [];
  for (const path of expandWorkspaces(dir, patterns)) {
    const wsManifest = readManifest(join(dir, path));
    if (!wsManifest.name) throw badRequest(`workspace ${path} has no "name" in its package.json; every workspace needs one`);
    workspaces.push({ path, manifest: wsManifest });
  }
  return { dir, manifest, workspaces };
}

/** npm's workspace patterns are globs; `dir`, `dir/*` and `dir/**` cover what projects write in practice. */
function expandWorkspaces(dir: string, patterns: string[]): string[] {
  const found = new Set<string>();
  for (const raw of patterns) {
    const pattern = posix.normalize(raw.replace(/\\/g, '/')).replace(/^\.\//, '').replace(/\/$/, '');
    if (pattern.startsWith('..') || pattern.startsWith('/'))
      throw badRequest(`workspace pattern "${raw}" points outside the project; workspaces must be inside it`);
    const star = pattern.indexOf('*');
    if (star === -1) {
      if (existsSync(join(dir, pattern, 'package.json'))) found.add(pattern);
      continue;
    }
    const base = pattern.slice(0, star).replace(/\/$/, '');
    const full = join(dir, base);
    if (!existsSync(full)) continue;
    for (const entry of readdirSync(full).sort()) {
      const rel = base ? `${base}/${entry}` : entry;
      if (entry !== 'node_modules' && statSync(join(dir, rel)).isDirectory() && existsSync(join(dir, rel, 'package.json'))) found.add(rel);
    }
  }
  return [...found];
}
