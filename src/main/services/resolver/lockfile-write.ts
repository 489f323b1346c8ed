// Owns rendering a resolved graph as package-lock.json v3, with the entries and fields npm writes, laid out as npm lays
// them out, so that `npm install --package-lock-only` leaves the file byte for byte as it is.
import stringify from 'json-stringify-nice';
import type { Manifest, Node, ResolvedGraph } from './types';

export interface Lockfile {
  name: string;
  version?: string;
  lockfileVersion: 3;
  requires: true;
  packages: Record<string, Record<string, unknown>>;
}

/** Manifest fields npm copies into a package's lock entry; kept in the manifest's own order, as npm's output shows. */
export const PACKAGE_FIELDS = new Set([
  'license',
  'dependencies',
  'optionalDependencies',
  'peerDependencies',
  'peerDependenciesMeta',
  'bundleDependencies',
  'acceptDependencies',
  'bin',
  'engines',
  'os',
  'cpu',
  'libc',
  'funding',
  'deprecated',
]);

const TOP_FIELDS = [
  'name',
  'version',
  'license',
  'workspaces',
  'dependencies',
  'devDependencies',
  'optionalDependencies',
  'peerDependencies',
  'peerDependenciesMeta',
  'bin',
  'engines',
];

export function buildLockfile(graph: ResolvedGraph): Lockfile {
  const packages: Lockfile['packages'] = {};
  for (const node of graph.nodes.values()) packages[node.location] = entryFor(node);
  const root = graph.root.manifest;
  return {
    name: root.name ?? graph.root.name,
    ...(root.version !== undefined && { version: root.version }),
    lockfileVersion: 3,
    requires: true,
    packages,
  };
}

/**
 * npm's own serialiser (arborist's Shrinkwrap uses json-stringify-nice with this key order): in every object, plain
 * values before objects, these keys first in this order, the rest in locale order.
 */
const NPM_KEY_ORDER = ['name', 'version', 'lockfileVersion', 'resolved', 'integrity', 'requires', 'packages', 'dependencies'];

export function serializeLockfile(lock: Lockfile): string {
  return stringify(lock, NPM_KEY_ORDER, 2);
}

export function renderLockfile(graph: ResolvedGraph): string {
  return serializeLockfile(buildLockfile(graph));
}

function entryFor(node: Node): Record<string, unknown> {
  if (node.linkTarget) return { resolved: node.linkTarget.location, link: true };
  if (node.isRoot) return topEntry(node.manifest);
  if (node.isWorkspace) {
    // npm records a workspace's name only when it differs from its folder's (apps/docs named "docs" has none).
    const entry = topEntry(node.manifest);
    if (entry.name === node.location.slice(node.location.lastIndexOf('/') + 1)) delete entry.name;
    return entry;
  }
  const m = node.manifest;
  const entry: Record<string, unknown> = {};
  if (node.packageName !== node.name) entry.name = node.packageName;
  entry.version = node.version;
  if (m.dist?.tarball && !node.inBundle) entry.resolved = m.dist.tarball;
  const integrity = m.dist?.integrity ?? (m.dist?.shasum ? `sha1-${Buffer.from(m.dist.shasum, 'hex').toString('base64')}` : undefined);
  if (integrity && !node.inBundle) entry.integrity = integrity;
  if (node.flags.dev) entry.dev = true;
  if (node.flags.optional) entry.optional = true;
  if (node.flags.devOptional) entry.devOptional = true;
  if (node.flags.peer) entry.peer = true;
  if (node.inBundle) entry.inBundle = true;
  if (hasInstallScript(m)) entry.hasInstallScript = true;
  if (m._hasShrinkwrap) entry.hasShrinkwrap = true;
  for (const key of Object.keys(m)) {
    if (!PACKAGE_FIELDS.has(key)) continue;
    const value = lockValue(m, key);
    if (value === undefined || isEmpty(value)) continue;
    entry[key] = value;
  }
  return entry;
}

function topEntry(m: Manifest): Record<string, unknown> {
  const entry: Record<string, unknown> = {};
  for (const key of TOP_FIELDS) {
    const value = lockValue(m, key);
    if (value !== undefined && !isEmpty(value)) entry[key] = value;
  }
  return entry;
}

/** A manifest field as npm records it: bin normalised, a license object reduced to its type. */
function lockValue(m: Manifest, key: string): unknown {
  if (key === 'bin') return normaliseBin(m);
  const value = m[key];
  if (key === 'license' && typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string') {
    return (value as { type: string }).type;
  }
  return value;
}

export function hasInstallScript(m: Manifest): boolean {
  if (m.hasInstallScript) return true;
  const scripts = m.scripts ?? {};
  return ['preinstall', 'install', 'postinstall'].some((s) => typeof scripts[s] === 'string');
}

/** npm writes `bin` as an object of command → path with leading ./ removed. */
export function normaliseBin(m: Manifest): Record<string, string> | undefined {
  if (!m.bin) return undefined;
  const base = m.name?.startsWith('@') ? m.name.slice(m.name.indexOf('/') + 1) : m.name;
  const raw = typeof m.bin === 'string' ? { [base ?? 'bin']: m.bin } : m.bin;
  const out: Record<string, string> = {};
  for (const [command, path] of Object.entries(raw)) {
    const clean = String(path)
      .replace(/\\/g, '/')
      .replace(/^(\.\/)+/, '');
    const name = command.replace(/^.*[\\/]/, '');
    if (name && clean && !clean.split('/').includes('..')) out[name] = clean;
  }
  return Object.keys(out).length ? out : undefined;
}

/** npm leaves out falsy values and empty objects. */
function isEmpty(value: unknown): boolean {
  if (!value) return true;
  return typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length === 0;
}
