// Owns choosing one version from a packument the way npm does (npm-pick-manifest), and recording why.
import pickManifest from 'npm-pick-manifest';
import semver from 'semver';
import { ShelfError } from '../../errors';
import type { Choice, Manifest, Packument } from './types';
import type { Requested } from './spec';
import { choosablePackument, isYanked } from './yanked';

export interface Picked {
  manifest: Manifest;
  choice: Choice;
}

export class NoMatchingVersion extends ShelfError {
  constructor(
    readonly packageName: string,
    readonly wanted: string,
    readonly available: string[],
    readonly yanked: string[] = [],
  ) {
    const shown = available.length > 12 ? `${available.slice(-12).join(', ')} (and ${available.length - 12} older)` : available.join(', ');
    const yankedText = yanked.length ? `; yanked (never chosen): ${yanked.join(', ')}` : '';
    super('not_found', `no version of ${packageName} matches "${wanted}"; published versions: ${shown || 'none'}${yankedText}`);
  }
}

/** Choices per packument document and wanted range: one run asks for the same range of the same package many times. */
const picks = new WeakMap<Packument, Map<string, Picked>>();

export function pickVersion(packument: Packument, requested: Exclude<Requested, { kind: 'workspace' }>, nodeVersion: string): Picked {
  const wanted = requested.kind === 'tag' ? requested.tag : requested.range;
  const key = `${requested.kind}\0${wanted}\0${nodeVersion}`;
  let cache = picks.get(packument);
  if (!cache) picks.set(packument, (cache = new Map()));
  const cached = cache.get(key);
  if (cached) return cached;
  const picked = pickUncached(packument, requested, wanted, nodeVersion);
  cache.set(key, picked);
  return picked;
}

function pickUncached(
  packument: Packument,
  requested: Exclude<Requested, { kind: 'workspace' }>,
  wanted: string,
  nodeVersion: string,
): Picked {
  let manifest: Manifest;
  // Yanked versions are never chosen for a new resolution (a lockfile that already names one keeps it).
  const choosable = choosablePackument(packument);
  try {
    manifest = pickManifest(choosable, wanted, { defaultTag: 'latest', nodeVersion });
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ETARGET' || code === 'ENOVERSIONS') {
      const yanked = Object.keys(packument.versions).filter((v) => isYanked(packument.versions[v]!));
      throw new NoMatchingVersion(requested.packageName, wanted, Object.keys(choosable.versions).sort(semver.compareLoose), yanked);
    }
    throw error;
  }
  return { manifest, choice: describeChoice(packument, requested, manifest.version, nodeVersion) };
}

function describeChoice(
  packument: Packument,
  requested: Exclude<Requested, { kind: 'workspace' }>,
  chosen: string,
  nodeVersion: string,
): Choice {
  if (requested.kind === 'tag') return { rule: 'dist-tag', skipped: [] };
  const range = requested.range;
  const latest = packument['dist-tags'].latest;
  const versions = Object.keys(packument.versions).filter((v) => semver.valid(v, true));
  const skipped = versions
    .filter((v) => semver.gt(v, chosen, true) && semver.satisfies(v, range, { loose: true }))
    .sort((a, b) => semver.rcompare(a, b, true))
    .map((version) => ({ version, reason: skipReason(packument.versions[version]!, nodeVersion, latest) }));
  const newest = versions.filter((v) => !semver.prerelease(v, true)).sort((a, b) => semver.rcompare(a, b, true))[0];
  const newestRejected =
    newest && semver.gt(newest, chosen, true) && !semver.satisfies(newest, range, { loose: true }) ? { version: newest, range } : undefined;
  return { rule: chosen === latest ? 'latest-tag' : 'highest-match', skipped, ...(newestRejected && { newestRejected }) };
}

function skipReason(manifest: Manifest, nodeVersion: string, latest: string | undefined): string {
  if (isYanked(manifest)) return 'yanked by its owners';
  if (manifest.deprecated) return `deprecated: ${manifest.deprecated}`;
  const node = manifest.engines?.node;
  if (node && !semver.satisfies(nodeVersion, node, { includePrerelease: true })) return `needs node ${node}, this is ${nodeVersion}`;
  if (latest && semver.lt(latest, manifest.version, true)) return `newer than the latest tag (${latest}), which npm prefers`;
  return 'not preferred';
}
