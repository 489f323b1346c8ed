// Manifest confusion: what installers act on (dependencies, bin, scripts, platform fields…) is served from the
// tarball's own package.json, and a publish whose manifest says otherwise is refused, naming the field.
import { isDeepStrictEqual } from 'node:util';
import { posix } from 'node:path';
import { badRequest } from '../../errors';
import type { TarballInspection } from '../packer/inspect-tarball';

type Json = Record<string, unknown>;

/** The fields an installer acts on; the registry serves them as the tarball's package.json has them. */
export const INSTALL_FIELDS = [
  'name',
  'version',
  'dependencies',
  'devDependencies',
  'optionalDependencies',
  'peerDependencies',
  'peerDependenciesMeta',
  'bundleDependencies',
  'bin',
  'scripts',
  'os',
  'cpu',
  'libc',
  'engines',
  'directories',
] as const;

/** Scripts npm runs on install; a version with one is marked `hasInstallScript` (npm's own registry does the same). */
const INSTALL_SCRIPTS = ['preinstall', 'install', 'postinstall'];

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Empty lists and objects say nothing: the same as an absent field. */
function meaningful(value: unknown): unknown {
  if (value === null || value === undefined || value === false) return undefined;
  if (Array.isArray(value) && value.length === 0) return undefined;
  if (isObject(value) && Object.keys(value).length === 0) return undefined;
  return value;
}

/** `node_modules/.bin/x` in a script is written `x` by npm before it publishes. */
const BIN_PREFIX = /^(\.[/\\])?node_modules[/\\].bin[\\/]/;

function normalizeBin(bin: unknown, name: string): Json | undefined {
  let entries: [string, unknown][];
  if (typeof bin === 'string') entries = [[name.replace(/^@[^/]+\//, ''), bin]];
  else if (Array.isArray(bin)) entries = bin.map((b) => [posix.basename(String(b)), b]);
  else if (isObject(bin)) entries = Object.entries(bin);
  else return undefined;
  const out: Json = {};
  for (const [key, target] of entries) {
    // As npm-normalize-package-bin: the key is a bare file name, the target a relative path without './'.
    const base = posix.join('/', posix.basename(key.replace(/\\|:/g, '/'))).slice(1);
    if (typeof target !== 'string' || !base) continue;
    const clean = posix.join('/', target.replace(/\\/g, '/')).slice(1);
    if (clean) out[base] = clean;
  }
  return meaningful(out) as Json | undefined;
}

function dependencyObject(value: unknown): unknown {
  // npm turns the old string and array forms into objects before it publishes.
  const list = typeof value === 'string' ? value.trim().split(/[\n\r\s\t ,]+/) : Array.isArray(value) ? value : undefined;
  if (!list) return value;
  const out: Json = {};
  for (const d of list) {
    if (typeof d !== 'string') continue;
    const parts = d.trim().split(/(:?[@\s><=])/);
    const depName = parts.shift()!;
    out[depName] = parts.join('').replace(/^@/, '').trim();
  }
  return out;
}

/**
 * The install fields of a manifest the way `npm publish` writes them (its "prepare" normalization), given the files the
 * tarball holds: so the package.json in the tarball and the manifest npm sent beside it compare equal when honest.
 */
export function installView(manifest: Json, files: ReadonlySet<string>): Json {
  const m: Json = { ...manifest };
  const name = typeof m.name === 'string' ? m.name : '';
  for (const type of ['dependencies', 'devDependencies', 'optionalDependencies']) m[type] = dependencyObject(m[type]);
  if (m.bundleDependencies === undefined && m.bundledDependencies !== undefined) m.bundleDependencies = m.bundledDependencies;
  delete m.bundledDependencies;
  if (m.bundleDependencies === true) m.bundleDependencies = Object.keys(isObject(m.dependencies) ? m.dependencies : {});
  else if (isObject(m.bundleDependencies)) m.bundleDependencies = Object.keys(m.bundleDependencies);
  // npm no longer repeats optional dependencies among the regular ones.
  if (isObject(m.dependencies) && isObject(m.optionalDependencies)) {
    const deps = { ...m.dependencies };
    for (const d of Object.keys(m.optionalDependencies)) delete deps[d];
    m.dependencies = deps;
  }
  const scripts: Json = {};
  if (isObject(m.scripts)) {
    for (const [key, script] of Object.entries(m.scripts)) if (typeof script === 'string') scripts[key] = script.replace(BIN_PREFIX, '');
  }
  // npm adds these from the files it packs: a *.gyp at the root means `node-gyp rebuild`, a server.js means `node server.js`.
  if (!scripts.install && !scripts.preinstall && m.gypfile !== false && [...files].some((f) => !f.includes('/') && f.endsWith('.gyp'))) {
    scripts.install = 'node-gyp rebuild';
  }
  if (!scripts.start && files.has('server.js')) scripts.start = 'node server.js';
  m.scripts = scripts;
  const binDir = isObject(m.directories) && typeof m.directories.bin === 'string' ? m.directories.bin : undefined;
  if (m.bin === undefined && binDir !== undefined) {
    const dir = posix.join('/', binDir.replace(/\\/g, '/')).slice(1).replace(/\/$/, '');
    const bin: Json = {};
    for (const file of files) {
      if (!file.startsWith(`${dir}/`)) continue;
      const base = posix.basename(file);
      if (!base.startsWith('.')) bin[base] = file;
    }
    m.bin = bin;
  }
  m.bin = normalizeBin(m.bin, name);
  const out: Json = {};
  for (const field of INSTALL_FIELDS) {
    const value = meaningful(m[field]);
    if (value !== undefined) out[field] = value;
  }
  return out;
}

/** The files of an inspected tarball, relative to its top folder. */
export function packageFiles(inspection: TarballInspection): Set<string> {
  const prefix = `${inspection.topFolder}/`;
  return new Set(inspection.files.map((f) => (f.path.startsWith(prefix) ? f.path.slice(prefix.length) : f.path)));
}

function show(value: unknown): string {
  const text = value === undefined ? 'nothing' : JSON.stringify(value);
  return text.length > 120 ? `${text.slice(0, 117)}…` : text;
}

/**
 * Refuses a manifest whose install fields differ from the tarball's package.json, naming the first field that does;
 * returns the tarball's view of those fields, which is what gets stored and served.
 */
export function checkInstallFields(sent: Json, inspection: TarballInspection, spec: string, source: string): Json {
  const files = packageFiles(inspection);
  const packed = installView(inspection.manifest, files);
  const claimed = installView(sent, files);
  for (const field of INSTALL_FIELDS) {
    if (!isDeepStrictEqual(sortKeys(claimed[field]), sortKeys(packed[field]))) {
      throw badRequest(
        `the ${source} of ${spec} says ${field} is ${show(claimed[field])}, but the package.json inside the tarball says ` +
          `${show(packed[field])}; installers act on the tarball, so publish a manifest that matches it (pack and publish the same folder)`,
      );
    }
  }
  return packed;
}

/** Replaces the install fields of a manifest with the tarball's, and marks install scripts as the registry does. */
export function withInstallFields(manifest: Json, packed: Json): Json {
  const out: Json = { ...manifest };
  for (const field of INSTALL_FIELDS) {
    if (packed[field] === undefined) delete out[field];
    else out[field] = packed[field];
  }
  delete out.bundledDependencies;
  const scripts = isObject(packed.scripts) ? packed.scripts : {};
  if (INSTALL_SCRIPTS.some((s) => typeof scripts[s] === 'string')) out.hasInstallScript = true;
  else delete out.hasInstallScript;
  return out;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (!isObject(value)) return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((k) => [k, sortKeys(value[k])]),
  );
}
