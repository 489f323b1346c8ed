// PolicyService: the supply-chain policy at the mirror. Decisions are made when a packument is ingested or re-rendered
// (and stored with its renderings), never per request: a read only compares the decision's stamp and expiry.
import { EventEmitter } from 'node:events';
import { gunzipSync } from 'node:zlib';
import semver from 'semver';
import { ShelfError, notFound } from '../../errors';
import { getAttestation, listAttestations, putAttestation, type AttestationRow } from '../../storage/db/attestations';
import type { BlobStore } from '../../storage/blobs/blob-store';
import type { MetadataDb } from '../../storage/sql/port';
import { deleteCachedTarball, findCachedTarball, getUpstreamPackument, listUpstreamVersions } from '../../storage/db/mirror';
import { offlineDistTags } from '../mirror/offline-view';
import { isIntegrityReferenced, isLocalName } from '../../storage/db/packages';
import {
  addAudit,
  anyKeys,
  deletePolicyDecision,
  getAdvisories,
  getKeys,
  getPolicyDecision,
  listAudit,
  listPolicyDecisions,
  putAdvisories,
  putKeys,
  putPolicyDecision,
  putReview,
  putTakedown,
  reviewsOf,
  takedownsOf,
  type PolicyAuditRow,
} from '../../storage/db/policy';
import { auditProject, type AuditReport } from './audit';
import { PolicyNotifier, type PolicyNotice } from './notify';
// Types only: the sigstore libraries (some 30 000 lines) load on the first attestation to verify, not at start-up.
import type { ProvenanceSummary } from './provenance';
import type { TrustedRoots } from './trusted-root';
import {
  dependencyGains,
  describeHold,
  evaluate,
  runsInstallScripts,
  safeSatisfies,
  type Advisory,
  type Decision,
  type Hold,
  type Manifest,
} from './evaluate';
import { EMPTY_STAMP, isActive, parseDurationMs, parsePolicy, readPolicyFile, stampOf, writePolicyFile, type Policy } from './policy-file';
import type { RegistryKey } from './signatures';

/** What the policy needs of an upstream: the mirror's client for it (time-outs, retries, its own token). */
export interface PolicyUpstream {
  url: string;
  post(path: string, body: Buffer, headers: Record<string, string>): Promise<{ status: number; body: unknown }>;
  get(path: string): Promise<Buffer>;
}

export interface PolicyDeps {
  db: MetadataDb;
  blobs: BlobStore;
  dataDir: string;
  now: () => Date;
  /** --min-release-age, over the file's minReleaseAge. */
  minReleaseAgeMs?: number;
  /** --policy-webhook: notices of held and purged versions are POSTed there. */
  webhook?: string;
  warn?: (message: string) => void;
}

interface Memo {
  stamp: string;
  validUntil: number;
  holds: Record<string, Hold>;
  flags: Record<string, Hold>;
  /** The X-Shelf-Policy value, made once per decision: every packument read sends it. */
  header?: string | null;
}

/** Signing keys are asked of the upstream again after this long. */
const KEYS_MAX_AGE_MS = 24 * 3_600_000;
/** Versions published within this window are checked for dependencies they gained that run install scripts. */
export const DEPENDENCY_SCRIPTS_WINDOW_MS = 90 * 86_400_000;
/** A dependency's install scripts, as read from its document, are trusted this long. */
const DEPENDENCY_SCRIPTS_MAX_AGE_MS = 3_600_000;
/** At most this many gained dependencies are looked up per decision (each is one document read). */
const DEPENDENCY_LOOKUPS_MAX = 25;
/**
 * Provenance attestations are fetched and verified for versions published within this window (newest first, at most
 * ATTESTATION_FETCHES_MAX per decision): the rule is about new releases, and each version costs one upstream request.
 */
export const ATTESTATION_WINDOW_MS = 90 * 86_400_000;
const ATTESTATION_FETCHES_MAX = 50;

export class PolicyService {
  private policy: Policy;
  private present: boolean;
  private stamp: string;
  private readonly memo = new Map<string, Memo>();
  /** Per dependency name: which of its versions run install scripts, and when that was read. */
  private readonly dependencyScripts = new Map<string, { at: number; scripts: Record<string, Record<string, string>> }>();

  private readonly notifier: PolicyNotifier;
  /** Held and taken-down versions, for the UI's event stream (a toast). */
  private readonly notices = new EventEmitter();
  private trustedRoots?: TrustedRoots;
  /** The mirror's client for a name's upstream (none offline): serving attestations not kept yet. */
  private upstreamOf?: (name: string) => PolicyUpstream | undefined;

  constructor(private readonly deps: PolicyDeps) {
    this.notifier = new PolicyNotifier(deps.webhook, deps.warn);
    this.notices.setMaxListeners(0);
    const { policy, present } = readPolicyFile(deps.dataDir);
    this.policy = policy;
    this.present = present;
    this.stamp = stampOf(policy, this.minAgeMs(), present);
  }

  private minAgeMs(): number | undefined {
    return this.deps.minReleaseAgeMs ?? parseDurationMs(this.policy.minReleaseAge);
  }

  /** Connects the mirror's upstream clients (the one HTTP client to upstreams), once both services exist. */
  useUpstreams(upstreamOf: (name: string) => PolicyUpstream | undefined): void {
    this.upstreamOf = upstreamOf;
  }

  /** Hears every hold and takedown as it is decided (the UI's toasts); returns the unsubscribe function. */
  subscribe(listener: (notice: PolicyNotice) => void): () => void {
    this.notices.on('notice', listener);
    return () => this.notices.off('notice', listener);
  }

  /**
   * A notice another node decided (team mode, carried by services/events.ts): told to this node's listeners (its open
   * pages' toasts) only; the deciding node has sent the webhook already.
   */
  hear(notice: PolicyNotice): void {
    this.notices.emit('notice', notice);
  }

  private tell(notice: PolicyNotice): void {
    this.notifier.notify(notice);
    this.notices.emit('notice', notice);
  }

  get(): { policy: Policy; minReleaseAgeMs: number | null; fromFlag: boolean } {
    return { policy: this.policy, minReleaseAgeMs: this.minAgeMs() ?? null, fromFlag: this.deps.minReleaseAgeMs !== undefined };
  }

  /** Replaces the policy (admins); every package's decision is made again on its next read. */
  async set(input: unknown, actor: string | null): Promise<Policy> {
    const policy = parsePolicy(input, 'the policy');
    writePolicyFile(this.deps.dataDir, policy);
    this.policy = policy;
    this.present = true;
    this.stamp = stampOf(policy, this.minAgeMs(), true);
    this.memo.clear();
    await this.audit('policy-changed', null, null, null, JSON.stringify(policy), actor);
    return policy;
  }

  private get takedownsOn(): boolean {
    return this.present && this.policy.takedowns;
  }

  // ── ingest ──────────────────────────────────────────────────────────────────

  /**
   * The decision for an upstream packument being stored or re-rendered: the versions to serve and the dist-tags moved onto
   * them (undefined: serve the document as it is), and `commit`, to call once the renderings are stored.
   * `previousVersions` (on a fresh fetch) are the versions the last copy listed: one gone from the new copy was taken down.
   */
  async decide(
    name: string,
    raw: Buffer,
    options: { rawIsGzip?: boolean; upstream?: PolicyUpstream; previousVersions?: readonly string[] },
  ): Promise<{ view: { keep: string[]; distTags: Record<string, string> } | undefined; commit: () => Promise<void> }> {
    const active = isActive(this.policy, this.minAgeMs());
    let takedowns = await takedownsOf(this.deps.db, name);
    const reviews = await reviewsOf(this.deps.db, name);
    if (!active && !this.takedownsOn && takedowns.length === 0 && !reviews.some((r) => r.decision === 'denied')) {
      return { view: undefined, commit: () => this.store(name, undefined) };
    }
    let doc: Parameters<typeof evaluate>[0]['doc'];
    try {
      doc = JSON.parse((options.rawIsGzip ? gunzipSync(raw) : raw).toString('utf8')) as typeof doc;
    } catch {
      // Not JSON: the mirror's transform refuses it with its own words, and nothing is stored.
      return { view: undefined, commit: async () => undefined };
    }
    if (!doc || typeof doc !== 'object') return { view: undefined, commit: async () => undefined };
    const listed = new Set(Object.keys(doc.versions ?? {}));
    if (this.takedownsOn && options.previousVersions) {
      for (const version of options.previousVersions)
        if (!listed.has(version)) await this.takedown(name, version, 'it disappeared from the upstream packument');
      takedowns = await takedownsOf(this.deps.db, name);
    }
    let advisories: Advisory[] = [];
    let keys: RegistryKey[] | undefined;
    if (active) {
      advisories = await this.advisoriesFor(name, [...listed], options.upstream);
      if (this.policy.signatures !== 'off') keys = await this.keysOf(options.upstream);
    }
    const gainedScripts = this.policy.installScripts !== 'off' ? await this.gainedScripts(doc, options.upstream) : undefined;
    const attestations = active && this.policy.provenance !== 'off' ? await this.checkAttestations(name, doc, options.upstream) : undefined;
    const decision = evaluate({
      name,
      doc,
      policy: this.policy,
      minReleaseAgeMs: this.minAgeMs(),
      now: this.deps.now(),
      reviews,
      takedowns,
      advisories,
      keys,
      gainedScripts,
      attestationProblems: attestations?.problems,
    });
    const trims = Object.keys(decision.holds).length > 0;
    return {
      view: trims ? { keep: decision.keep, distTags: decision.distTags } : undefined,
      commit: async () => {
        // Verified bundles are kept with the renderings that point clients at Shelf for them.
        for (const row of attestations?.verified ?? []) await putAttestation(this.deps.db, row);
        await this.store(name, decision);
      },
    };
  }

  private async store(name: string, decision: Decision | undefined): Promise<void> {
    const now = this.deps.now().toISOString();
    if (!decision || (this.stamp === EMPTY_STAMP && Object.keys(decision.holds).length === 0 && Object.keys(decision.flags).length === 0)) {
      if (this.stamp === EMPTY_STAMP) await deletePolicyDecision(this.deps.db, name);
      else await putPolicyDecision(this.deps.db, { name, stamp: this.stamp, valid_until: null, holds: '{}', flags: '{}', decided_at: now });
      this.memo.set(name, { stamp: this.stamp, validUntil: Infinity, holds: {}, flags: {} });
      return;
    }
    for (const [version, hold] of Object.entries(decision.holds)) {
      const before = this.memo.get(name)?.holds[version];
      if (!before || before.rule !== hold.rule) {
        await this.audit('held', name, version, hold.rule, hold.reason, null);
        this.tell({ action: 'held', name, version, rule: hold.rule, detail: hold.reason, at: now });
      }
    }
    await putPolicyDecision(this.deps.db, {
      name,
      stamp: this.stamp,
      valid_until: decision.validUntil,
      holds: JSON.stringify(decision.holds),
      flags: JSON.stringify(decision.flags),
      decided_at: now,
    });
    this.memo.set(name, {
      stamp: this.stamp,
      validUntil: decision.validUntil ? Date.parse(decision.validUntil) : Infinity,
      holds: decision.holds,
      flags: decision.flags,
    });
  }

  // ── reads (cheap: a map lookup, the database once per package after a start) ─────────────────────────────────────

  private async memoOf(name: string): Promise<Memo> {
    let memo = this.memo.get(name);
    if (!memo) {
      const row = await getPolicyDecision(this.deps.db, name);
      memo = row
        ? {
            stamp: row.stamp,
            validUntil: row.valid_until ? Date.parse(row.valid_until) : Infinity,
            holds: JSON.parse(row.holds) as Record<string, Hold>,
            flags: JSON.parse(row.flags) as Record<string, Hold>,
          }
        : { stamp: EMPTY_STAMP, validUntil: Infinity, holds: {}, flags: {} };
      this.memo.set(name, memo);
    }
    return memo;
  }

  /** Whether the stored renderings of `name` were made under the policy in force and no quarantine has ended since. */
  async isCurrent(name: string): Promise<boolean> {
    const memo = await this.memoOf(name);
    return memo.stamp === this.stamp && this.deps.now().getTime() < memo.validUntil;
  }

  /**
   * isCurrent and header together, from memory only, for the HTTP fast path (http/fast-path.ts): undefined when the
   * decision is not in memory or not current (the caller then takes the full path, which reads or re-renders it).
   */
  peek(name: string): { header: string | undefined } | undefined {
    const memo = this.memo.get(name);
    if (!memo || memo.stamp !== this.stamp || this.deps.now().getTime() >= memo.validUntil || memo.header === undefined) return undefined;
    return { header: memo.header ?? undefined };
  }

  async holdOf(name: string, version: string): Promise<Hold | undefined> {
    return (await this.memoOf(name)).holds[version];
  }

  /** Refuses a held version's tarball (403, naming the rule and when it becomes available). */
  async assertServable(name: string, version: string): Promise<void> {
    const hold = await this.holdOf(name, version);
    if (hold) throw new PolicyRefusal(name, version, hold);
  }

  /** The X-Shelf-Policy header of a packument: what is held and flagged, `version=rule` pairs; undefined when nothing is. */
  async header(name: string): Promise<string | undefined> {
    const memo = await this.memoOf(name);
    if (memo.header === undefined) {
      const parts = [
        ...Object.entries(memo.holds).map(([v, h]) => `${v}=${h.rule}${h.until ? `;until=${h.until}` : ''}`),
        ...Object.entries(memo.flags).map(([v, h]) => `${v}=flagged-${h.rule}`),
      ];
      memo.header = parts.length > 0 ? parts.join(', ') : null;
    }
    return memo.header ?? undefined;
  }

  /**
   * The dist-tags clients are served for an upstream package: moved off held versions (the UI's mirrored package page and
   * its search show what npm would get). Reads the stored decision; no evaluation.
   */
  async servedTags(name: string, tags: Record<string, string>): Promise<Record<string, string>> {
    const holds = (await this.memoOf(name)).holds;
    if (Object.keys(holds).length === 0) return tags;
    return offlineDistTags(
      tags,
      (await listUpstreamVersions(this.deps.db, name)).map((v) => v.version).filter((v) => !holds[v]),
    );
  }

  /** Why each version of a package is held or flagged (the UI's package page, `shelf why`). */
  async explain(
    name: string,
  ): Promise<{ version: string; held: boolean; rule: string; reason: string; until?: string; message: string }[]> {
    const memo = await this.memoOf(name);
    return [
      ...Object.entries(memo.holds).map(([version, h]) => ({ version, held: true, ...h, message: describeHold(name, version, h) })),
      ...Object.entries(memo.flags).map(([version, h]) => ({
        version,
        held: false,
        ...h,
        message: `${name}@${version} is flagged (${h.rule}): ${h.reason}`,
      })),
    ].sort((a, b) => (semver.valid(a.version) && semver.valid(b.version) ? semver.compare(a.version, b.version) : 0));
  }

  /** Everything held or flagged now (the Policy screen). */
  async listHeld(): Promise<{ name: string; version: string; held: boolean; rule: string; reason: string; until?: string }[]> {
    const out: { name: string; version: string; held: boolean; rule: string; reason: string; until?: string }[] = [];
    for (const row of await listPolicyDecisions(this.deps.db)) {
      for (const [version, h] of Object.entries(JSON.parse(row.holds) as Record<string, Hold>))
        out.push({ name: row.name, version, held: true, ...h });
      for (const [version, h] of Object.entries(JSON.parse(row.flags) as Record<string, Hold>))
        out.push({ name: row.name, version, held: false, ...h });
    }
    return out;
  }

  async auditLog(limit = 200): Promise<PolicyAuditRow[]> {
    return listAudit(this.deps.db, limit);
  }

  // ── admin decisions ─────────────────────────────────────────────────────────

  async review(name: string, version: string, decision: 'approved' | 'denied', actor: string | null): Promise<void> {
    if (!semver.valid(version)) throw new ShelfError('invalid_request', `'${version}' is not a version`);
    await putReview(this.deps.db, { name, version, decision, decided_by: actor, decided_at: this.deps.now().toISOString() });
    await this.invalidate(name);
    await this.audit(decision, name, version, 'review', `${decision} by ${actor ?? 'an admin'}`, actor);
  }

  /** Marks a version taken down, purges its cached tarball and records it; the package's decision is made again. */
  async takedown(name: string, version: string, reason: string): Promise<void> {
    if (!(await putTakedown(this.deps.db, name, version, reason, this.deps.now().toISOString()))) return;
    const cached = await findCachedTarball(this.deps.db, name, version);
    if (cached) {
      await deleteCachedTarball(this.deps.db, name, version);
      if (!(await isIntegrityReferenced(this.deps.db, cached.integrity))) await this.deps.blobs.remove(cached.integrity);
    }
    await this.invalidate(name);
    const detail = `${reason}${cached ? '; the cached tarball was purged' : ''}`;
    await this.audit('takedown', name, version, 'takedown', detail, null);
    this.tell({ action: 'takedown', name, version, rule: 'takedown', detail, at: this.deps.now().toISOString() });
    this.deps.warn?.(`policy: ${name}@${version} was taken down upstream (${reason})${cached ? '; its cached tarball was purged' : ''}`);
  }

  /** The upstream answered 404 or 451 for a listed version's tarball: a takedown, when the policy watches for them. */
  async tarballFailed(name: string, version: string, error: unknown): Promise<void> {
    if (!this.takedownsOn || !(error instanceof ShelfError)) return;
    if (error.code === 'not_found' || / 451\b/.test(error.message))
      await this.takedown(name, version, `the upstream answered ${error.code === 'not_found' ? '404' : '451'} for its tarball`);
  }

  private async invalidate(name: string): Promise<void> {
    await deletePolicyDecision(this.deps.db, name);
    // A stamp no decision has: the next read re-renders the package.
    this.memo.set(name, { stamp: 'stale', validUntil: 0, holds: this.memo.get(name)?.holds ?? {}, flags: {} });
  }

  private async audit(
    action: string,
    name: string | null,
    version: string | null,
    rule: string | null,
    detail: string,
    actor: string | null,
  ) {
    await addAudit(this.deps.db, { at: this.deps.now().toISOString(), action, name, version, rule, detail, actor });
  }

  // ── dependencies gained with install scripts ────────────────────────────────

  /**
   * For each recent version, the dependencies it gained that run install scripts (in words). A dependency whose document
   * cannot be read counts as one that may: the version is held (or flagged) saying so, since failing open is what a worm
   * would count on; an admin's approval lets it through.
   */
  private async gainedScripts(
    doc: Parameters<typeof evaluate>[0]['doc'],
    upstream: PolicyUpstream | undefined,
  ): Promise<Record<string, string[]>> {
    const gains = dependencyGains(doc, this.deps.now().getTime() - DEPENDENCY_SCRIPTS_WINDOW_MS);
    const out: Record<string, string[]> = {};
    let lookups = 0;
    for (const [version, deps] of Object.entries(gains)) {
      for (const [dep, range] of Object.entries(deps)) {
        let scripts: Record<string, Record<string, string>> | undefined;
        let problem: string | undefined;
        if (lookups++ < DEPENDENCY_LOOKUPS_MAX) {
          try {
            scripts = await this.scriptsOfDependency(dep, upstream);
          } catch (error) {
            problem = (error as Error).message;
          }
        } else problem = `more than ${DEPENDENCY_LOOKUPS_MAX} gained dependencies to look up at once`;
        if (!scripts) {
          (out[version] ??= []).push(`gains dependency ${dep}@${range}, whose install scripts could not be checked (${problem})`);
          continue;
        }
        const scripted = Object.entries(scripts).filter(([v]) => safeSatisfies(v, range));
        if (scripted.length === 0) continue;
        const [v, s] = scripted.at(-1)!;
        const what = Object.entries(s)
          .map(([k, text]) => `${k} ${JSON.stringify(text)}`)
          .join(', ');
        (out[version] ??= []).push(`gains dependency ${dep}@${range}, whose ${v} runs ${what}`);
      }
    }
    return out;
  }

  /** The versions of a dependency that run install scripts: from the mirror's stored copy, else asked of the upstream. */
  private async scriptsOfDependency(dep: string, upstream: PolicyUpstream | undefined): Promise<Record<string, Record<string, string>>> {
    const now = this.deps.now().getTime();
    const known = this.dependencyScripts.get(dep);
    if (known && now - known.at < DEPENDENCY_SCRIPTS_MAX_AGE_MS) return known.scripts;
    const stored = await getUpstreamPackument(this.deps.db, dep);
    let raw: Buffer;
    if (stored) raw = gunzipSync(stored.raw_gzip);
    else if (upstream) raw = await upstream.get(encodeURIComponent(dep).replace(/^%40/, '@'));
    else throw new Error(`${dep} is not cached and no upstream can be asked`);
    const parsed = JSON.parse(raw.toString('utf8')) as { versions?: Record<string, Manifest> };
    const scripts: Record<string, Record<string, string>> = {};
    for (const [version, manifest] of Object.entries(parsed.versions ?? {})) {
      const runs = semver.valid(version) ? runsInstallScripts(manifest) : undefined;
      if (runs) scripts[version] = runs;
    }
    const sorted = Object.fromEntries(Object.entries(scripts).sort(([a], [b]) => semver.compare(a, b)));
    this.dependencyScripts.set(dep, { at: now, scripts: sorted });
    return sorted;
  }

  // ── provenance attestations (fetched and verified on ingest, kept for offline use) ──────────────────────────────

  /**
   * Fetches and verifies the attestations of the recent versions that point at some (`dist.attestations.url`) and are not
   * kept for their integrity yet: the problems, per version, and the verified answers to keep. A version whose
   * attestations cannot be fetched or checked has a problem too (held or flagged saying so): failing open is what an
   * attacker stripping or breaking them would count on.
   */
  private async checkAttestations(
    name: string,
    doc: Parameters<typeof evaluate>[0]['doc'],
    upstream: PolicyUpstream | undefined,
  ): Promise<{ problems: Record<string, string>; verified: AttestationRow[] }> {
    const problems: Record<string, string> = {};
    const verified: AttestationRow[] = [];
    const manifests = doc.versions && typeof doc.versions === 'object' ? doc.versions : {};
    const since = this.deps.now().getTime() - ATTESTATION_WINDOW_MS;
    const candidates = Object.keys(manifests)
      .filter((version) => semver.valid(version) && typeof manifests[version]?.dist?.attestations?.url === 'string')
      .filter((version) => Date.parse(doc.time?.[version] ?? '') >= since)
      .sort(semver.rcompare);
    const due: string[] = [];
    for (const version of candidates) {
      if (due.length >= ATTESTATION_FETCHES_MAX) break;
      if ((await getAttestation(this.deps.db, name, version))?.integrity !== manifests[version]?.dist?.integrity) due.push(version);
    }
    if (due.length === 0) return { problems, verified };
    const [{ attestationVerifier, verifyAttestations }, { TrustedRoots }] = await Promise.all([
      import('./provenance'),
      import('./trusted-root'),
    ]);
    this.trustedRoots ??= new TrustedRoots(this.deps.dataDir, this.deps.now, this.deps.warn);
    let trust: Awaited<ReturnType<TrustedRoots['get']>> | undefined;
    try {
      trust = await this.trustedRoots.get(this.policy.provenanceTrustedRoot);
    } catch (error) {
      for (const version of due) problems[version] = `its attestations cannot be verified: ${(error as Error).message}`;
      return { problems, verified };
    }
    const verifier = attestationVerifier(trust.root, await this.keysOf(upstream));
    for (const version of due) {
      const integrity = manifests[version]?.dist?.integrity;
      let body: unknown;
      try {
        if (!upstream) throw new Error('Shelf is offline and has not kept them');
        body = JSON.parse((await upstream.get(attestationsPath(name, version))).toString('utf8'));
      } catch (error) {
        problems[version] = `its attestations could not be fetched from the upstream (${(error as Error).message})`;
        continue;
      }
      const check = verifyAttestations(name, version, integrity, body, verifier);
      if (!check.ok) problems[version] = check.problem;
      else
        verified.push({
          name,
          version,
          integrity: integrity!,
          bundles: JSON.stringify(body),
          summary: JSON.stringify(check.summary),
          verified_at: this.deps.now().toISOString(),
        });
    }
    return { problems, verified };
  }

  /**
   * npm's /-/npm/v1/attestations/<name>@<version> as Shelf serves it: the verified bundles it kept (no upstream needed),
   * else the upstream's answer passed on unverified and not kept (the policy's provenance rule is off, or the version is
   * older than the window it checks).
   */
  async servedAttestations(name: string, version: string): Promise<unknown> {
    // A package published here is never looked up upstream (local always wins), and Shelf makes no attestations itself.
    if (await isLocalName(this.deps.db, name)) throw notFound(`${name} is published to this Shelf, which serves no attestations for it`);
    const kept = await getAttestation(this.deps.db, name, version);
    if (kept) return JSON.parse(kept.bundles) as unknown;
    const upstream = this.upstreamOf?.(name);
    if (!upstream) throw notFound(`Shelf has kept no attestations of ${name}@${version} and cannot ask the upstream now (offline)`);
    return JSON.parse((await upstream.get(attestationsPath(name, version))).toString('utf8')) as unknown;
  }

  /** The package page's provenance: each kept version's verified summary. */
  async provenance(name: string): Promise<{ version: string; verifiedAt: string; summary: ProvenanceSummary }[]> {
    return (await listAttestations(this.deps.db, name))
      .map((row) => ({ version: row.version, verifiedAt: row.verified_at, summary: JSON.parse(row.summary) as ProvenanceSummary }))
      .sort((a, b) => (semver.valid(a.version) && semver.valid(b.version) ? semver.rcompare(a.version, b.version) : 0));
  }

  // ── advisories and keys (fetched on ingest, kept for offline use) ────────────

  private async advisoriesFor(name: string, versions: string[], upstream: PolicyUpstream | undefined): Promise<Advisory[]> {
    if (upstream) {
      try {
        const response = await upstream.post('-/npm/v1/security/advisories/bulk', Buffer.from(JSON.stringify({ [name]: versions })), {
          'content-type': 'application/json',
          accept: 'application/json',
        });
        if (response.status === 200 && response.body && typeof response.body === 'object') {
          const list = ((response.body as Record<string, unknown>)[name] ?? []) as Advisory[];
          const valid = Array.isArray(list) ? list.filter((a) => a && typeof a.vulnerable_versions === 'string') : [];
          await putAdvisories(this.deps.db, name, JSON.stringify(valid), this.deps.now().toISOString());
          return valid;
        }
      } catch (error) {
        this.deps.warn?.(`policy: advisories of ${name} could not be fetched (${(error as Error).message}); using the cached ones`);
      }
    }
    return this.cachedAdvisories(name);
  }

  /** `shelf audit`: a project's lockfile against the cached advisories (no network). */
  async auditFolder(folder: string): Promise<AuditReport> {
    return auditProject(this.deps.db, folder);
  }

  /**
   * npm's bulk advisory request answered from the cached advisories, for when the upstream cannot be asked: only the
   * advisories affecting a version asked about; unavailable when none of the names has cached data.
   */
  async cachedBulk(
    path: string,
    body: unknown,
  ): Promise<{ available: boolean; status: number; body: unknown; source?: 'cache' } | undefined> {
    if (path !== '-/npm/v1/security/advisories/bulk' || !body || typeof body !== 'object') return undefined;
    const answer: Record<string, Advisory[]> = {};
    let known = 0;
    for (const [name, versions] of Object.entries(body as Record<string, unknown>)) {
      const row = await getAdvisories(this.deps.db, name);
      if (!row) continue;
      known++;
      const asked = Array.isArray(versions) ? versions.filter((v): v is string => typeof v === 'string') : [];
      const affecting = (JSON.parse(row.advisories) as Advisory[]).filter((a) =>
        asked.some((v) => {
          try {
            return semver.satisfies(v, a.vulnerable_versions, { includePrerelease: true });
          } catch {
            return false;
          }
        }),
      );
      if (affecting.length > 0) answer[name] = affecting;
    }
    return known > 0 ? { available: true, status: 200, body: answer, source: 'cache' } : undefined;
  }

  async cachedAdvisories(name: string): Promise<Advisory[]> {
    const row = await getAdvisories(this.deps.db, name);
    return row ? (JSON.parse(row.advisories) as Advisory[]) : [];
  }

  private async keysOf(upstream: PolicyUpstream | undefined): Promise<RegistryKey[] | undefined> {
    if (!upstream) return (await this.servedKeys())?.keys;
    const row = await getKeys(this.deps.db, upstream.url);
    if (row && this.deps.now().getTime() - Date.parse(row.fetched_at) < KEYS_MAX_AGE_MS)
      return (JSON.parse(row.keys) as { keys: RegistryKey[] }).keys;
    try {
      const body = JSON.parse((await upstream.get('-/npm/v1/keys')).toString('utf8')) as { keys?: RegistryKey[] };
      if (Array.isArray(body.keys)) {
        await putKeys(this.deps.db, upstream.url, JSON.stringify({ keys: body.keys }), this.deps.now().toISOString());
        return body.keys;
      }
    } catch (error) {
      this.deps.warn?.(`policy: the signing keys of ${upstream.url} could not be fetched (${(error as Error).message})`);
    }
    return row ? (JSON.parse(row.keys) as { keys: RegistryKey[] }).keys : undefined;
  }

  /** The upstream's keys as Shelf serves them at /-/npm/v1/keys (npm audit signatures), or undefined when none are known. */
  async servedKeys(): Promise<{ keys: RegistryKey[] } | undefined> {
    const row = await anyKeys(this.deps.db);
    return row ? (JSON.parse(row.keys) as { keys: RegistryKey[] }) : undefined;
  }
}

/** Where npm's registry answers a version's attestations, relative to the registry's address. */
export function attestationsPath(name: string, version: string): string {
  return `-/npm/v1/attestations/${name.replace('/', '%2f')}@${version}`;
}

/** The policy of a composed app (a harness may compose one without: then a 503 saying so). */
export function policyOf(services: { policy?: PolicyService }): PolicyService {
  if (!services.policy) throw new ShelfError('unavailable', 'this Shelf was started without its policy service');
  return services.policy;
}

/** A 403 naming the rule (and, for the quarantine, when the version becomes available). */
export class PolicyRefusal extends ShelfError {
  constructor(
    readonly packageName: string,
    readonly version: string,
    readonly hold: Hold,
  ) {
    super('permission_denied', describeHold(packageName, version, hold));
  }

  /** The X-Shelf-Policy header of the refusal: `version=rule`, with `;until=` for the quarantine. */
  get header(): string {
    return `${this.version}=${this.hold.rule}${this.hold.until ? `;until=${this.hold.until}` : ''}`;
  }
}

/** The response header that says what the policy held or flagged (packuments) or why it refused (tarballs). */
export const POLICY_HEADER = 'X-Shelf-Policy';
