// Owns reading a dependency spec (range, version, dist-tag, `npm:` alias, workspace) and checking a node against it.
import npa from 'npm-package-arg';
import semver from 'semver';
import { badRequest } from '../../errors';

export type Requested =
  | { kind: 'range'; packageName: string; range: string }
  | { kind: 'tag'; packageName: string; tag: string }
  | { kind: 'workspace'; packageName: string; range: string };

/** Parsed specs by name and spec: npm-package-arg builds URLs and semver objects per call, and one run asks thousands of times. */
const parsedSpecs = new Map<string, Requested>();
const MAX_CACHED_SPECS = 50_000;

/** Parses `spec` as written under `name` in a package.json (memoised; failures are not cached, so their message names `where`). */
export function parseSpec(name: string, spec: string, where: string): Requested {
  const key = `${name}\0${spec}`;
  const cached = parsedSpecs.get(key);
  if (cached) return cached;
  const parsed = parseSpecUncached(name, spec, where);
  if (parsedSpecs.size >= MAX_CACHED_SPECS) parsedSpecs.clear();
  parsedSpecs.set(key, parsed);
  return parsed;
}

function parseSpecUncached(name: string, spec: string, where: string): Requested {
  // Fast path for the common case, a plain semver range (npm-package-arg would first try it as a git URL).
  const trimmed = spec.trim();
  if (trimmed !== '' && !/[:/\\]/.test(trimmed) && semver.validRange(trimmed, { loose: true }) !== null)
    return { kind: 'range', packageName: name, range: trimmed };
  if (spec.startsWith('workspace:')) return { kind: 'workspace', packageName: name, range: spec.slice('workspace:'.length) || '*' };
  let parsed: npa.Result;
  try {
    parsed = npa.resolve(name, spec === '' ? '*' : spec);
  } catch (error) {
    throw badRequest(`${where} asks for ${name}@"${spec}", which is not a valid dependency spec (${(error as Error).message})`);
  }
  if (parsed.type === 'alias') {
    const sub = (parsed as npa.Result & { subSpec: npa.Result }).subSpec;
    return fromRegistrySpec(sub, where, name, spec);
  }
  return fromRegistrySpec(parsed, where, name, spec);
}

function fromRegistrySpec(parsed: npa.Result, where: string, name: string, spec: string): Requested {
  const packageName = parsed.name ?? name;
  if (parsed.type === 'range' || parsed.type === 'version') return { kind: 'range', packageName, range: parsed.fetchSpec ?? '*' };
  if (parsed.type === 'tag') return { kind: 'tag', packageName, tag: parsed.fetchSpec ?? 'latest' };
  if (parsed.type === 'directory' || parsed.type === 'file') return { kind: 'workspace', packageName: name, range: '*' };
  throw badRequest(
    `${where} asks for ${name}@"${spec}", a ${parsed.type} dependency; Shelf resolves registry versions, ranges, dist-tags and npm: aliases only, so publish it to the registry and depend on a version`,
  );
}

/** Loose ranges and versions by their text: a run tests the same few thousand of each against each other many times over. */
const looseRanges = new Map<string, semver.Range | null>();
const looseVersions = new Map<string, semver.SemVer | null>();

/** `range` parsed loosely (memoised), or null when it is not a valid range. */
export function looseRange(range: string): semver.Range | null {
  let parsed = looseRanges.get(range);
  if (parsed === undefined) {
    try {
      parsed = new semver.Range(range, { loose: true });
    } catch {
      parsed = null;
    }
    if (looseRanges.size >= MAX_CACHED_SPECS) looseRanges.clear();
    looseRanges.set(range, parsed);
  }
  return parsed;
}

/** semver.satisfies(version, range, { loose: true }), with both sides parsed once per run. */
export function satisfiesLoose(version: string, range: string): boolean {
  const parsedRange = looseRange(range);
  if (!parsedRange) return false;
  let parsed = looseVersions.get(version);
  if (parsed === undefined) {
    parsed = semver.parse(version, { loose: true });
    if (looseVersions.size >= MAX_CACHED_SPECS) looseVersions.clear();
    looseVersions.set(version, parsed);
  }
  return parsed !== null && parsedRange.test(parsed);
}

/** Whether a resolved node can stand for `spec` under `name` (npm's dep-valid, for the kinds Shelf resolves). */
export function nodeSatisfies(
  node: { packageName: string; version: string; isWorkspace: boolean },
  name: string,
  spec: string,
  tagTargets?: (pkg: string, tag: string) => string | undefined,
): boolean {
  let requested: Requested;
  try {
    requested = parseSpec(name, spec, 'a dependency');
  } catch {
    return false;
  }
  if (requested.kind === 'workspace')
    return node.isWorkspace && semver.satisfies(node.version, requested.range, { loose: true, includePrerelease: true });
  if (node.packageName !== requested.packageName) return false;
  if (requested.kind === 'tag') return tagTargets?.(requested.packageName, requested.tag) === node.version;
  // A workspace satisfies any range its version fits, as npm links it instead of fetching.
  return satisfiesLoose(node.version, requested.range);
}
