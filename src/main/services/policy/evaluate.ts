// The policy's rules over one upstream packument: which versions are held (hidden, tarballs refused) or flagged, and why.
// Pure: the service hands in everything (policy, reviews, takedowns, advisories, keys, the time), so the same input always
// gives the same decision, whichever path (full or abbreviated packument, tarball, offline view) asks for it.
import semver from 'semver';
import { offlineDistTags } from '../mirror/offline-view';
import { licenseAllowed } from './licenses';
import type { Policy } from './policy-file';
import { verifySignatures, type RegistryKey } from './signatures';

export type Rule = 'age' | 'deny' | 'takedown' | 'install-scripts' | 'license' | 'signature' | 'provenance' | 'review';

export interface Hold {
  rule: Rule;
  reason: string;
  /** When the version becomes available by itself (quarantine), ISO time. */
  until?: string;
}

export interface Advisory {
  id: number | string;
  title?: string;
  url?: string;
  severity?: string;
  vulnerable_versions: string;
}

export interface EvaluationInput {
  name: string;
  doc: { versions?: Record<string, Manifest>; time?: Record<string, string>; 'dist-tags'?: Record<string, string> };
  policy: Policy;
  minReleaseAgeMs: number | undefined;
  now: Date;
  reviews: { version: string; decision: 'approved' | 'denied'; decided_by: string | null }[];
  takedowns: { version: string; reason: string }[];
  advisories: Advisory[];
  keys: RegistryKey[] | undefined;
  /**
   * Per version, the dependencies it gained (compared with the version before it) that run install scripts, in words
   * (`dependencyScriptGains`): a worm that spreads by adding a scripted dependency changes no script of its own.
   */
  gainedScripts?: Record<string, string[]>;
  /** Per version, why its provenance attestations failed verification (sigstore; provenance.ts). */
  attestationProblems?: Record<string, string>;
}

export interface Manifest {
  license?: unknown;
  scripts?: Record<string, unknown>;
  dependencies?: Record<string, unknown>;
  optionalDependencies?: Record<string, unknown>;
  hasInstallScript?: boolean;
  dist?: {
    integrity?: string;
    signatures?: { keyid: string; sig: string }[];
    /** npm's pointer to a version's attestations; `provenance` is there when it was published with SLSA provenance. */
    attestations?: { url?: string; provenance?: { predicateType?: string } };
  };
}

export interface Decision {
  holds: Record<string, Hold>;
  flags: Record<string, Hold>;
  /** The versions served, and the dist-tags moved onto them. */
  keep: string[];
  distTags: Record<string, string>;
  /** The earliest quarantine end: the decision must be made again then. */
  validUntil: string | null;
}

const INSTALL_SCRIPTS = ['preinstall', 'install', 'postinstall'] as const;

export function matchesPackage(pattern: string, name: string): boolean {
  if (pattern.endsWith('/*')) return name.startsWith(pattern.slice(0, -1));
  return pattern === name;
}

function exempt(exceptions: readonly string[], name: string, version: string): boolean {
  return exceptions.some((e) => e === `${name}@${version}` || matchesPackage(e, name));
}

export function installScriptsOf(manifest: Manifest | undefined): Record<string, string> {
  const scripts = manifest?.scripts && typeof manifest.scripts === 'object' ? manifest.scripts : {};
  const out: Record<string, string> = {};
  for (const s of INSTALL_SCRIPTS) if (typeof scripts[s] === 'string') out[s] = scripts[s] as string;
  return out;
}

/** What changed in the install scripts from `before` to `after`, in words; empty when nothing was added or changed. */
export function scriptChanges(before: Record<string, string>, after: Record<string, string>): string[] {
  const out: string[] = [];
  for (const s of INSTALL_SCRIPTS) {
    if (after[s] === undefined || after[s] === before[s]) continue;
    out.push(
      before[s] === undefined
        ? `adds ${s} ${JSON.stringify(after[s])}`
        : `changes ${s} from ${JSON.stringify(before[s])} to ${JSON.stringify(after[s])}`,
    );
  }
  return out;
}

export function evaluate(input: EvaluationInput): Decision {
  const { name, policy, now } = input;
  const manifests = input.doc.versions && typeof input.doc.versions === 'object' ? input.doc.versions : {};
  const time = input.doc.time && typeof input.doc.time === 'object' ? input.doc.time : {};
  const versions = Object.keys(manifests)
    .filter((v) => semver.valid(v))
    .sort(semver.compare);
  const reviews = new Map(input.reviews.map((r) => [r.version, r]));
  const takedowns = new Map(input.takedowns.map((t) => [t.version, t]));
  const holds: Record<string, Hold> = {};
  const flags: Record<string, Hold> = {};
  const ageOnly = new Set<string>();
  const minAge = input.minReleaseAgeMs ?? 0;
  let previousScripts: Record<string, string> = {};
  let previousVersion: string | undefined;
  let previousProvenance: string | undefined;

  for (const version of versions) {
    const manifest = manifests[version];
    const review = reviews.get(version);
    const scripts = installScriptsOf(manifest);
    const changes = [
      ...(previousVersion === undefined ? [] : scriptChanges(previousScripts, scripts)),
      ...(input.gainedScripts?.[version] ?? []),
    ];
    const first = previousVersion;
    previousScripts = scripts;
    previousVersion = version;
    // Prereleases neither set nor break the expectation: canaries are often published by hand, without the CI's provenance.
    const provenance = provenanceOf(manifest);
    const dropped = previousProvenance !== undefined && provenance === undefined && semver.prerelease(version) === null;
    const droppedFrom = previousProvenance;
    if (semver.prerelease(version) === null) previousProvenance = provenance ? version : undefined;
    // The hard rules first: nothing an admin approved for review or an exception can bring back.
    const takedown = takedowns.get(version);
    if (takedown) {
      holds[version] = { rule: 'takedown', reason: `removed by the upstream (${takedown.reason})` };
      continue;
    }
    if (review?.decision === 'denied') {
      holds[version] = { rule: 'review', reason: `denied by ${review.decided_by ?? 'an admin'} on review` };
      continue;
    }
    const denied = policy.deny.find(
      (d) => matchesPackage(d.package, name) && (d.range === '*' || semver.satisfies(version, d.range, { includePrerelease: true })),
    );
    if (denied) {
      holds[version] = {
        rule: 'deny',
        reason: `on the deny list (${denied.package}@${denied.range}${denied.reason ? `: ${denied.reason}` : ''})`,
      };
      continue;
    }
    if (policy.signatures !== 'off') {
      const problem = verifySignatures(name, version, manifest?.dist, input.keys, policy.signatures === 'require', time[version]);
      if (problem) {
        holds[version] = { rule: 'signature', reason: problem };
        continue;
      }
    }
    if (policy.licenses.allow.length > 0 || policy.licenses.deny.length > 0) {
      const problem = licenseAllowed(manifest?.license, policy.licenses);
      if (problem) {
        holds[version] = { rule: 'license', reason: problem };
        continue;
      }
    }
    const approved = review?.decision === 'approved';
    if (dropped && policy.provenance !== 'off' && !approved) {
      const hold: Hold = {
        rule: 'provenance',
        reason: `published without provenance, though ${droppedFrom} before it was published with it (how a stolen token publishes outside the project's CI)`,
      };
      if (policy.provenance === 'hold') {
        holds[version] = { ...hold, reason: `held for review: ${hold.reason}` };
        continue;
      }
      flags[version] = hold;
    }
    const attestation = input.attestationProblems?.[version];
    if (attestation && policy.provenance !== 'off' && !approved) {
      const hold: Hold = { rule: 'provenance', reason: `its provenance does not verify: ${attestation}` };
      if (policy.provenance === 'hold') {
        holds[version] = { ...hold, reason: `held for review: ${hold.reason}` };
        continue;
      }
      flags[version] = hold;
    }
    if (changes.length > 0 && policy.installScripts !== 'off' && !approved) {
      const hold: Hold = { rule: 'install-scripts', reason: `${changes.join('; ')} compared with ${first}` };
      if (policy.installScripts === 'hold') {
        holds[version] = { ...hold, reason: `held for review: ${hold.reason}` };
        continue;
      }
      flags[version] = hold;
    }
    const published = Date.parse(time[version] ?? '');
    if (
      minAge > 0 &&
      !approved &&
      Number.isFinite(published) &&
      now.getTime() - published < minAge &&
      !exempt(policy.exceptions, name, version)
    ) {
      const until = new Date(published + minAge).toISOString();
      holds[version] = { rule: 'age', reason: `quarantined: published ${time[version]}, younger than the minimum release age`, until };
      ageOnly.add(version);
    }
  }

  // A quarantined version that fixes an advisory affecting the newest version allowed now comes through early: holding
  // back the fix of a published vulnerability would make the quarantine the risk it exists to prevent.
  if (policy.advisoryException && ageOnly.size > 0 && input.advisories.length > 0) {
    const allowed = versions.filter((v) => !holds[v] && semver.prerelease(v) === null);
    const best = allowed.at(-1);
    const affecting = best ? input.advisories.filter((a) => safeSatisfies(best, a.vulnerable_versions)) : [];
    if (affecting.length > 0) {
      for (const version of ageOnly) {
        if (semver.lte(version, best!) || semver.prerelease(version) !== null) continue;
        if (input.advisories.some((a) => safeSatisfies(version, a.vulnerable_versions))) continue;
        delete holds[version];
        flags[version] = {
          rule: 'age',
          reason: `let through before the end of its quarantine: it fixes ${affecting.map((a) => `advisory ${a.id}${a.title ? ` (${a.title})` : ''}`).join(', ')} affecting ${best}`,
        };
      }
    }
  }

  // A version taken down is gone from the upstream's document, but its cached tarball or a stale lockfile may still ask
  // for it: the hold is what answers them (a 403 naming the takedown), not a bare 404.
  for (const [version, takedown] of takedowns)
    holds[version] ??= { rule: 'takedown', reason: `removed by the upstream (${takedown.reason})` };

  const keep = Object.keys(manifests).filter((v) => !holds[v]);
  const upstreamTags = input.doc['dist-tags'] && typeof input.doc['dist-tags'] === 'object' ? input.doc['dist-tags'] : {};
  const untils = Object.values(holds)
    .map((h) => h.until)
    .filter((u): u is string => u !== undefined)
    .sort();
  return {
    holds,
    flags,
    keep,
    distTags: Object.keys(holds).length > 0 ? offlineDistTags(upstreamTags, keep) : upstreamTags,
    validUntil: untils[0] ?? null,
  };
}

export function safeSatisfies(version: string, range: string): boolean {
  try {
    return semver.satisfies(version, range, { includePrerelease: true });
  } catch {
    return false;
  }
}

/**
 * The dependencies each version gained compared with the version before it (regular and optional; name → range), for
 * versions published at or after `since` (ISO). Older history is not reviewed retroactively: each gained name costs a
 * lookup of that package's document, and the rule is about new releases.
 */
export function dependencyGains(
  doc: { versions?: Record<string, Manifest>; time?: Record<string, string> },
  since: number,
): Record<string, Record<string, string>> {
  const manifests = doc.versions && typeof doc.versions === 'object' ? doc.versions : {};
  const time = doc.time && typeof doc.time === 'object' ? doc.time : {};
  const versions = Object.keys(manifests)
    .filter((v) => semver.valid(v))
    .sort(semver.compare);
  const out: Record<string, Record<string, string>> = {};
  let previous: Record<string, string> | undefined;
  for (const version of versions) {
    const deps = dependenciesOf(manifests[version]);
    const published = Date.parse(time[version] ?? '');
    if (previous && Number.isFinite(published) && published >= since) {
      const gained = Object.entries(deps).filter(([dep]) => previous![dep] === undefined);
      if (gained.length > 0) out[version] = Object.fromEntries(gained);
    }
    previous = deps;
  }
  return out;
}

function dependenciesOf(manifest: Manifest | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const field of [manifest?.dependencies, manifest?.optionalDependencies])
    if (field && typeof field === 'object')
      for (const [dep, range] of Object.entries(field)) if (typeof range === 'string') out[dep] = range;
  return out;
}

/** The provenance predicate a version was published with (npm's `dist.attestations.provenance`), if any. */
export function provenanceOf(manifest: Manifest | undefined): string | undefined {
  const provenance = manifest?.dist?.attestations?.provenance;
  return provenance && typeof provenance === 'object' ? (provenance.predicateType ?? 'provenance') : undefined;
}

/** Whether a manifest runs install scripts: its own preinstall/install/postinstall, or the abbreviated document's flag. */
export function runsInstallScripts(manifest: Manifest | undefined): Record<string, string> | undefined {
  const scripts = installScriptsOf(manifest);
  if (Object.keys(scripts).length > 0) return scripts;
  return manifest?.hasInstallScript === true ? { install: '(a binding.gyp or install script)' } : undefined;
}

/** One line saying why a version is not served: the 403's message, the header, `shelf why`. */
export function describeHold(name: string, version: string, hold: Hold): string {
  return `${name}@${version} is held by Shelf's policy (rule: ${hold.rule}): ${hold.reason}${hold.until ? `; it becomes available at ${hold.until}` : ''}`;
}
