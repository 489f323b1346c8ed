// The registry packages a project needs: read from its lockfile, or — for a package.json without one — resolved.
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { RegistryClient, loadProject, resolveProject } from '../resolver';
import { LOCKFILE_NAMES, findLockfile, readLockfile, type PackageVersion } from './lockfiles';

export interface ProjectPackages {
  /** Where the list came from: a lockfile's path, or the folder whose package.json was resolved. */
  source: string;
  resolved: boolean;
  packages: PackageVersion[];
}

/**
 * A folder with a package.json and no lockfile is resolved against `registryUrl` — Shelf's own address, so that the
 * mirror's routing (scopes, local names, tokens) applies and every packument resolution reads is cached on the way.
 */
export async function projectPackages(path: string, registryUrl: string): Promise<ProjectPackages> {
  const isManifestOnly =
    existsSync(path) &&
    statSync(path).isDirectory() &&
    existsSync(join(path, 'package.json')) &&
    !LOCKFILE_NAMES.some((name) => existsSync(join(path, name)));
  if (!isManifestOnly) {
    const file = findLockfile(path);
    return { source: file, resolved: false, packages: readLockfile(file) };
  }
  const graph = await resolveProject(loadProject(path), new RegistryClient({ registry: registryUrl }));
  const seen = new Map<string, PackageVersion>();
  for (const node of graph.nodes.values()) {
    if (node.isRoot || node.isWorkspace || node.linkTarget) continue;
    seen.set(`${node.packageName}@${node.version}`, { name: node.packageName, version: node.version });
  }
  return { source: path, resolved: true, packages: [...seen.values()] };
}
