// Owns reading bun's text lockfile (bun.lock, bun ≥ 1.2): which registry name@version a bun project installs, and
// each one's declared dependencies, without re-resolving. bun.lock is JSON with trailing commas; YAML 1.2 flow
// collections accept exactly that, so the yaml package (already a dependency) reads it without a hand-written parser.
import semver from 'semver';
import { parse as parseYaml } from 'yaml';
import { badRequest } from '../../errors';

export interface BunLockPackage {
  /** The key in bun.lock's "packages": a folder path such as `a/b` (b nested under a), or an alias name. */
  key: string;
  /** The registry name (differs from the key's last part for `npm:` aliases). */
  name: string;
  version: string;
  dependencies: Record<string, string>;
  optionalDependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
}

export interface BunLock {
  lockfileVersion: number;
  /** Workspace folders ('' for the root) with the dependencies their package.json declares. */
  workspaces: Record<
    string,
    {
      name?: string;
      dependencies: Record<string, string>;
      devDependencies: Record<string, string>;
      optionalDependencies: Record<string, string>;
      peerDependencies: Record<string, string>;
    }
  >;
  /** Registry packages only; workspace, git, file and tarball entries have no registry version. */
  packages: BunLockPackage[];
}

const record = (value: unknown): Record<string, string> =>
  value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, string>) : {};

export function parseBunLock(text: string, file = 'bun.lock'): BunLock {
  let doc: unknown;
  try {
    doc = parseYaml(text, { uniqueKeys: false });
  } catch (error) {
    throw badRequest(
      `${file} is not a readable bun.lock (${(error as Error).message.split('\n')[0]}); regenerate it with \`bun install --lockfile-only\``,
    );
  }
  const lock = record(doc) as unknown as Record<string, unknown>;
  if (typeof lock.lockfileVersion !== 'number' || typeof lock.packages !== 'object')
    throw badRequest(`${file} has no lockfileVersion/packages; only bun's text lockfile (bun.lock) is read, not the binary bun.lockb`);
  const workspaces: BunLock['workspaces'] = {};
  for (const [path, ws] of Object.entries(record(lock.workspaces) as Record<string, unknown>)) {
    const w = record(ws) as unknown as Record<string, unknown>;
    workspaces[path] = {
      name: typeof w.name === 'string' ? w.name : undefined,
      dependencies: record(w.dependencies),
      devDependencies: record(w.devDependencies),
      optionalDependencies: record(w.optionalDependencies),
      peerDependencies: record(w.peerDependencies),
    };
  }
  const packages: BunLockPackage[] = [];
  for (const [key, value] of Object.entries(lock.packages as Record<string, unknown>)) {
    if (!Array.isArray(value) || typeof value[0] !== 'string') continue;
    const id = value[0];
    const at = id.lastIndexOf('@');
    if (at <= 0) continue;
    const name = id.slice(0, at);
    const version = id.slice(at + 1);
    if (!semver.valid(version)) continue; // workspace:, github:, file: and tarball entries
    const meta = record(value[2]) as unknown as Record<string, unknown>;
    packages.push({
      key,
      name,
      version,
      dependencies: record(meta.dependencies),
      optionalDependencies: record(meta.optionalDependencies),
      peerDependencies: record(meta.peerDependencies),
    });
  }
  return { lockfileVersion: lock.lockfileVersion, workspaces, packages };
}
