// Owns choosing one version from a packument the way npm does (npm-pick-manifest), and recording why.
import { checkEngine } from 'npm-install-checks';
import pickManifest from 'npm-pick-manifest';
import semver from 'semver';
import { ShelfError } from '../../errors';
import type { Choice, Manifest, Packument } from './types';
import { looseRange, type Requested } from './spec';
import { choosablePackument, versionIndex, type IndexedVersion, type VersionFacts } from './version-index';

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
    /** Versions the registry's policy holds that would have matched, in words ("2.0.0 (held: deny)"). */
    readonly held: string[] = [],
  ) {
    const shown = available.length > 12 ? `${available.slice(-12).join(', ')} (and ${available.length - 12} older)` : available.join(', ');
    const yankedText = yanked.length ? `; yanked (never chosen): ${yanked.join(', ')}` : '';
    const heldText = held.length ? `; held by the registry's policy: ${held.join(', ')}` : '';
    super('not_found', `no version of ${packageName} matches "${wanted}"; published versions: ${shown || 'none'}${yankedText}${heldText}`);
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
    const fast = requested.kind === 'range' ? fastRangePick(choosable, wanted, nodeVersion) : undefined;
    const exact = fast === undefined ? undefined : choosable.versions[fast];
    // For an exact version pickManifest only looks it up and normalises `bin` (deleting an absent one): without a `bin`
    // that is the manifest itself, so the lookup (npm-package-arg's parse of the spec) is skipped.
    manifest =
      exact && exact.bin === undefined && !Object.hasOwn(exact, 'bin')
        ? exact
        : pickManifest(choosable, fast ?? wanted, { defaultTag: 'latest', nodeVersion });
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ETARGET' || code === 'ENOVERSIONS') {
      const yanked = versionIndex(packument)
        .filter((entry) => entry.yanked)
        .map((entry) => entry.version)
        .reverse();
      const held = heldMatching(packument, requested.kind === 'range' ? wanted : undefined).map(
        ({ version, rule }) => `${version} (${rule})`,
      );
      throw new NoMatchingVersion(requested.packageName, wanted, Object.keys(choosable.versions).sort(semver.compareLoose), yanked, held);
    }
    throw error;
  }
  return { manifest, choice: describeChoice(packument, requested, manifest.version, nodeVersion) };
}

const engineOk = (facts: VersionFacts, nodeVersion: string): boolean => {
  if (facts.engineNode === undefined) return true;
  try {
    checkEngine({ engines: { node: facts.engineNode as string } }, null, nodeVersion);
    return true;
  } catch {
    return false;
  }
};

/**
 * npm-pick-manifest's choice for a range, found in one pass over the pre-sorted versions instead of its parse-and-sort of
 * every version on every call (most of a resolution's CPU time). Returns the exact version, which pickManifest then
 * looks up (so its bin normalisation and result stay its own), or undefined to leave the whole choice to pickManifest:
 * anything unusual (an exact version, a tag, policy-restricted or staged versions, an unclean version string, no match).
 * The order is pickManifest's: the `latest` tag when it satisfies and is neither deprecated nor engine-incompatible;
 * else the highest version that is neither, then engine-compatible but deprecated, then not deprecated, then any.
 */
function fastRangePick(packument: Packument, wanted: string, nodeVersion: string): string | undefined {
  const unusual = packument as { policyRestrictions?: unknown; stagedVersions?: unknown };
  if (!wanted || unusual.policyRestrictions || unusual.stagedVersions || semver.valid(wanted, true)) return undefined;
  const range = looseRange(wanted);
  if (!range) return undefined;
  const latest = packument['dist-tags']?.latest;
  const latestFacts = latest ? versionIndex(packument).find((entry) => entry.version === latest)?.facts : undefined;
  if (latest && latestFacts && (wanted === '*' || semver.satisfies(latest, range, { loose: true }))) {
    if (engineOk(latestFacts, nodeVersion) && !latestFacts.deprecated) return cleanOrUndefined(latest);
  }
  let engineOnly: IndexedVersion | undefined;
  let notDeprecatedOnly: IndexedVersion | undefined;
  let any: IndexedVersion | undefined;
  for (const entry of versionIndex(packument)) {
    if (!range.test(entry.parsed)) continue;
    const engine = engineOk(entry.facts, nodeVersion);
    const notDeprecated = !entry.facts.deprecated;
    if (engine && notDeprecated) return cleanOrUndefined(entry.version);
    if (engine) engineOnly ??= entry;
    else if (notDeprecated) notDeprecatedOnly ??= entry;
    else any ??= entry;
  }
  const best = engineOnly ?? notDeprecatedOnly ?? any;
  return best ? cleanOrUndefined(best.version) : undefined;
}

/** pickManifest looks an exact version up by its clean form; a key that is not clean goes the slow way. */
function cleanOrUndefined(version: string): string | undefined {
  return semver.clean(version, { loose: true }) === version ? version : undefined;
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
  const chosenParsed = semver.parse(chosen, true);
  const parsedRange = looseRange(range) ?? undefined;
  const skipped: Choice['skipped'] = [];
  let newest: IndexedVersion | undefined;
  // Newest first: the versions above the chosen one come first, so the walk stops at it.
  for (const entry of versionIndex(packument)) {
    if (!newest && !entry.parsed.prerelease.length) newest = entry;
    if (!chosenParsed || entry.parsed.compare(chosenParsed) <= 0) {
      if (newest) break;
      continue;
    }
    if (parsedRange?.test(entry.parsed)) skipped.push({ version: entry.version, reason: skipReason(entry.facts, nodeVersion, latest) });
  }
  // Held versions are not in the document at all: newer ones the range allows are named as passed over, with the rule.
  for (const { version, reason } of heldMatching(packument, range))
    if (chosenParsed && semver.gt(version, chosenParsed, true)) skipped.push({ version, reason });
  skipped.sort((a, b) => semver.rcompare(a.version, b.version, true));
  const newestRejected =
    newest && chosenParsed && newest.parsed.compare(chosenParsed) > 0 && !parsedRange?.test(newest.parsed)
      ? { version: newest.version, range }
      : undefined;
  return { rule: chosen === latest ? 'latest-tag' : 'highest-match', skipped, ...(newestRejected && { newestRejected }) };
}

/** The versions a Shelf registry's policy holds that satisfy `range` (all of them without one), newest first, with why. */
function heldMatching(packument: Packument, range: string | undefined): { version: string; rule: string; reason: string }[] {
  const out: { version: string; rule: string; reason: string }[] = [];
  for (const [version, hold] of Object.entries(packument._shelfHeld ?? {})) {
    if (!semver.valid(version, true)) continue;
    if (range !== undefined && !safeSatisfies(version, range)) continue;
    const until = hold.until ? ` until ${hold.until}` : '';
    out.push({ version, rule: `${hold.rule}${until}`, reason: `held by the registry's policy (${hold.rule})${until}` });
  }
  return out.sort((a, b) => semver.rcompare(a.version, b.version, true));
}

function safeSatisfies(version: string, range: string): boolean {
  try {
    return semver.satisfies(version, range, { loose: true });
  } catch {
    return false;
  }
}

function skipReason(facts: VersionFacts, nodeVersion: string, latest: string | undefined): string {
  if (facts.yanked) return 'yanked by its owners';
  if (facts.deprecated) return `deprecated: ${facts.deprecated}`;
  const node = facts.engineNode;
  if (node && !semver.satisfies(nodeVersion, node as string, { includePrerelease: true }))
    return `needs node ${String(node)}, this is ${nodeVersion}`;
  if (latest && semver.lt(latest, facts.version, true)) return `newer than the latest tag (${latest}), which npm prefers`;
  return 'not preferred';
}
