// Owns rendering a resolved graph as package-lock.json v3, with the entries and fields npm writes.
import type { Manifest, Node, ResolvedGraph } from './types';

export interface Lockfile {
  name: string;
  version?: string;
  lockfileVersion: 3;
  requires: true;
  packages: Record<string, Record<string, unknown>>;
}

/** Manifest fields npm copies into a package's lock entry; kept in the manifest's own order, as npm's output shows. */
const PACKAGE_FIELDS = new Set([
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

export function renderLockfile(graph: ResolvedGraph): string {
  return `${JSON.stringify(buildLockfile(graph), null, 2)}\n`;
}

function entryFor(node: Node): Record<string, unknown> {
  if (node.linkTarget) return { resolved: node.linkTarget.location, link: true };
  if (node.isRoot || node.isWorkspace) return topEntry(node.manifest);
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
    const value = key === 'bin' ? normaliseBin(m) : m[key];
    if (value === undefined || isEmpty(value)) continue;
    entry[key] = value;
  }
  return entry;
}

function topEntry(m: Manifest): Record<string, unknown> {
  const entry: Record<string, unknown> = {};
  for (const key of TOP_FIELDS) {
    const value = key === 'bin' ? normaliseBin(m) : m[key];
    if (value !== undefined && !isEmpty(value)) entry[key] = value;
  }
  return entry;
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

function isEmpty(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length === 0;
}
