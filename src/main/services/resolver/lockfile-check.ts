// Owns `lock --check`: whether an existing lockfile still satisfies package.json, without asking a registry.
import { nodeSatisfies } from './spec';
import type { ParsedLock } from './lockfile-read';
import type { ProjectInput } from './types';

const DEP_FIELDS = ['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies'] as const;

/** Problems found, as sentences; empty when the lock satisfies package.json. */
export function checkLockfile(project: ProjectInput, lock: ParsedLock | undefined): string[] {
  if (!lock) return ['there is no package-lock.json; run `shelf lock` to write one'];
  if (!lock.packages || lock.version < 2)
    return [`package-lock.json is version ${lock.version}; run \`shelf lock\` to upgrade it to version 3`];
  const problems: string[] = [];
  const tops: [string, Record<string, unknown>][] = [
    ['', project.manifest],
    ...project.workspaces.map((w): [string, Record<string, unknown>] => [w.path, w.manifest]),
  ];
  for (const [location, manifest] of tops) {
    const entry = lock.packages[location] ?? {};
    const label = location === '' ? 'package.json' : `${location}/package.json`;
    for (const field of DEP_FIELDS) {
      const wanted = (manifest[field] ?? {}) as Record<string, string>;
      const locked = (entry[field] ?? {}) as Record<string, string>;
      for (const [name, spec] of Object.entries(wanted)) {
        if (locked[name] !== spec)
          problems.push(
            `${label} ${field} has ${name}@"${spec}" but the lockfile recorded ${locked[name] === undefined ? 'no such dependency' : `"${locked[name]}"`}`,
          );
      }
      for (const name of Object.keys(locked))
        if (!(name in wanted)) problems.push(`the lockfile still records ${name} in ${field}, which ${label} no longer has`);
    }
  }
  for (const [location, entry] of Object.entries(lock.packages)) {
    if (location === '' || entry.link) continue;
    const deps = { ...(entry.dependencies as Record<string, string>), ...(entry.optionalDependencies as Record<string, string>) };
    for (const [name, spec] of Object.entries(deps)) {
      const target = resolveInLock(lock, location, name);
      const optional = name in ((entry.optionalDependencies as object) ?? {});
      if (!target) {
        if (!optional) problems.push(`${location} needs ${name}@"${spec}" but the lockfile has no ${name} where it would be found`);
        continue;
      }
      if (!nodeSatisfies({ packageName: target.name, version: target.version, isWorkspace: !!target.link }, name, spec)) {
        problems.push(`${location} needs ${name}@"${spec}" but the lockfile resolves it to ${target.name}@${target.version}`);
      }
    }
  }
  return problems;
}

function resolveInLock(lock: ParsedLock, from: string, name: string) {
  let base = from;
  for (;;) {
    const candidate = base ? `${base}/node_modules/${name}` : `node_modules/${name}`;
    const found = lock.entries.get(candidate);
    if (found) return found;
    if (!base) return undefined;
    const cut = base.lastIndexOf('/node_modules/');
    base = cut === -1 ? '' : base.slice(0, cut);
  }
}
