// MirrorService: the pull-through cache of upstream registries — packuments and tarballs, revalidation, offline serving.
import type { Readable } from 'node:stream';
import semver from 'semver';
import ssri from 'ssri';
import { DEFAULT_MAX_DOCUMENT_BYTES, type MirrorConfig, type UpstreamConfig } from '../../config/config';
import { ShelfError, notFound } from '../../errors';
import type { BlobStore } from '../../storage/blobs/blob-store';
import type { MetadataDb } from '../../storage/sql/port';
import {
  cachedVersionsOf,
  findCachedTarball,
  findUpstreamVersion,
  upstreamPackumentSize,
  knownIntegrities,
  listUpstreamVersions,
  markRevalidated,
  pinUpstreamIntegrity,
  putCachedTarball,
  touchCachedTarball,
  type PackumentRendering,
  type UpstreamPackumentRow,
} from '../../storage/db/mirror';
import { isLocalName } from '../../storage/db/packages';
import type { PolicyService } from '../policy/policy-service';
import { ABBREVIATED_FIELDS, BASE_URL_TOKEN, gzipBaseOf, templateMark, versionOfTarball, withBaseUrl } from '../packages/packument';
import { HotDocuments } from '../packages/hot-documents';
import type { StoredDocument } from '../packages/read';
import { CacheAdmin } from './cache-admin';
import { CacheEviction } from './eviction';
import { OfflineViewCache, offlineDistTags } from './offline-view';
import { storedRowOf, type StoreRequest, type TransformOutput } from './packument-transform';
import { PackumentStoreError, TransformRunner } from './transform-worker';
import { UpstreamClient, assertMirrorableName, upstreamOwning, type FetchLike } from './upstream-client';

/**
 * How a response was produced, sent to clients as the X-Shelf-Cache header. When the upstream fails and a copy is
 * cached: `offline-fallback` (trimmed to the versions whose tarballs are cached) if any are, else `stale` (the last good
 * document as it was).
 */
export type CacheState = 'hit' | 'miss' | 'revalidated' | 'offline' | 'offline-fallback' | 'stale';

export interface MirrorDeps {
  db: MetadataDb;
  dataDir: string;
  blobs: BlobStore;
  config: MirrorConfig;
  now: () => Date;
  baseUrl: () => string;
  /** Largest upstream tarball accepted into the cache (unless the mirror's own setting, --upstream-max-tarball, says otherwise). */
  maxTarballBytes: number;
  fetch?: FetchLike;
  sleep?: (ms: number) => Promise<void>;
  warn?: (message: string) => void;
  /** The supply-chain policy: decides on ingest which versions are served (services/policy). */
  policy?: PolicyService;
  /** The better-sqlite3 addon build the worker that stores large packuments loads (the desktop app's Electron-ABI one). */
  sqliteBinding?: string;
}

/** How stale a cached tarball's last-used time may get (see tarball()). */
const TARBALL_TOUCH_MS = 10 * 60 * 1000;
const toBuffer = (u8: Uint8Array) => (Buffer.isBuffer(u8) ? u8 : Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength));

export class MirrorService {
  private offlineSwitch: boolean;
  private upstreams: UpstreamConfig[];
  private clients = new Map<string, UpstreamClient>();
  /** Upstream tokens by URL; they come from the credential store, never from plain configuration. */
  private readonly tokens = new Map<string, string>();
  private readonly inflight = new Map<string, Promise<unknown>>();
  private readonly transforms: TransformRunner;
  private readonly offlineViews = new OfflineViewCache();
  /** Small cached rows served lately, kept while the database is unchanged (a write anywhere drops them): issue 16. */
  private readonly hotRows = new HotDocuments<UpstreamPackumentRow>(32 * 1024 * 1024, 1024 * 1024);
  /**
   * Documents the full path served as a cache 'hit' lately, one per name and shape (abbreviated or full), with the time
   * their row was fetched: what the fast path answers from. Only the served shape is kept (a CRA install's 1,171
   * abbreviated documents are 69 MB, their whole rows 230 MB), so a project's working set fits; before, rows over 1 MB
   * or past 32 MB in all went back to the full path, at some 0.7 ms of CPU per revalidation (issue 16).
   */
  private readonly hotServed = new HotDocuments<{ doc: StoredDocument; fetchedAt: number }>(128 * 1024 * 1024, 8 * 1024 * 1024);
  /** Names handles() gave to the mirror since the last write (none is local): the fast path's check, from memory. */
  private readonly mirrored = new HotDocuments<true>(1024 * 1024, 1024);
  readonly eviction: CacheEviction;
  readonly admin: CacheAdmin;

  constructor(private readonly deps: MirrorDeps) {
    this.offlineSwitch = deps.config.offline;
    this.upstreams = deps.config.upstreams;
    this.transforms = new TransformRunner(deps.db, deps.sqliteBinding);
    this.eviction = new CacheEviction(deps.db, deps.blobs, () => deps.config.cacheCapBytes);
    this.admin = new CacheAdmin(deps.db, deps.blobs, deps.dataDir, () => deps.config.cacheCapBytes, deps.now);
  }

  get offline(): boolean {
    return this.offlineSwitch;
  }

  setOffline(offline: boolean): void {
    this.offlineSwitch = offline;
  }

  listUpstreams(): UpstreamConfig[] {
    return [...this.upstreams];
  }

  /** Replaces the upstream list (the shell fills in the npm-configured default once it knows it). */
  setUpstreams(upstreams: UpstreamConfig[]): void {
    this.upstreams = upstreams;
    this.clients = new Map();
  }

  setToken(upstreamUrl: string, token: string | undefined): void {
    if (token) this.tokens.set(upstreamUrl, token);
    else this.tokens.delete(upstreamUrl);
    this.clients = new Map();
  }

  /** The upstream serving a name: its scope's, else the unscoped default; none for local scopes. */
  upstreamFor(name: string): UpstreamClient | undefined {
    const scope = name.startsWith('@') ? name.slice(0, name.indexOf('/')).toLowerCase() : undefined;
    if (scope && this.deps.config.localScopes.includes(scope)) return undefined;
    const upstream = (scope && this.upstreams.find((u) => u.scope === scope)) || this.upstreams.find((u) => !u.scope);
    return upstream && this.clientFor(upstream);
  }

  /** The policy's view of a name's upstream client (attestations it has not kept); none while offline. */
  policyUpstreamFor(name: string): ReturnType<typeof policyUpstream> | undefined {
    const upstream = this.offlineSwitch ? undefined : this.upstreamFor(name);
    return upstream && policyUpstream(upstream);
  }

  private clientFor(upstream: UpstreamConfig): UpstreamClient {
    let client = this.clients.get(upstream.url + (upstream.scope ?? ''));
    if (!client) {
      client = new UpstreamClient(upstream, {
        timeoutMs: this.deps.config.timeoutMs,
        retries: this.deps.config.retries,
        maxDocumentBytes: this.deps.config.maxDocumentBytes ?? DEFAULT_MAX_DOCUMENT_BYTES,
        fetch: this.deps.fetch,
        sleep: this.deps.sleep,
        token: this.tokens.get(upstream.url),
        allowed: () => this.upstreams,
      });
      this.clients.set(upstream.url + (upstream.scope ?? ''), client);
    }
    return client;
  }

  /**
   * Whether a request for this name belongs to the mirror: never for local packages (local always wins), and never for
   * a name that was ever published here — after an unpublish, an upstream package of that name is not let in.
   */
  async handles(name: string): Promise<boolean> {
    // Read before the lookups: a write landing between them only makes the answer look older (dropped), never newer.
    const generation = this.mirrored.checkAt(this.hotRows.check(this.deps.db));
    if (await isLocalName(this.deps.db, name)) return false;
    const handled = this.upstreamFor(name) !== undefined || (await upstreamPackumentSize(this.deps.db, name)) !== undefined;
    if (handled) this.mirrored.set(name, generation, true, name.length);
    return handled;
  }

  /**
   * The HTTP fast path's read (http/fast-path.ts): a fresh cached packument answered from memory alone, with the policy's
   * header, or undefined (then the request takes the full path, which fetches, revalidates or re-renders as needed).
   * Only what the full path would answer as a 'hit': a name it was asked about and handed to the mirror since the last
   * write (so never a local name), online with an upstream, fresh by timestamp, rendered under the current policy.
   */
  peekPackument(
    name: string,
    abbreviated: boolean,
    /** The database's generation when the caller already read it. */
    current: string = this.deps.db.generation(),
  ): { doc: StoredDocument; held: string | undefined } | undefined {
    if (this.offlineSwitch) return undefined;
    // Kept only while handles() had given the name to the mirror in the same generation (packument() below), so one
    // look answers both questions.
    const served = this.hotServed.get(servedKey(name, abbreviated), this.hotServed.checkAt(current));
    if (!served) return undefined;
    if (this.deps.now().getTime() - served.fetchedAt >= this.deps.config.maxAgeMs) return undefined;
    if (!this.upstreamFor(name)) return undefined;
    const policy = this.deps.policy ? this.deps.policy.peek(name) : { header: undefined };
    if (!policy) return undefined;
    return { doc: served.doc, held: policy.header };
  }

  async packument(name: string, abbreviated: boolean): Promise<{ doc: StoredDocument; state: CacheState }> {
    assertMirrorableName(name);
    // Read before the row: a write landing meanwhile only makes the kept copy look older (dropped), never newer.
    const generation = this.hotServed.check(this.deps.db);
    const { row, state } = await this.currentRow(name);
    if (state === 'offline' || state === 'offline-fallback') {
      const view = await this.offlineView(row);
      return { doc: abbreviated ? view.abbrev : view.full, state };
    }
    // Stored documents are templates that serve every address; only one stored before templates is rendered anew (once).
    const current = gzipBaseOf(row.base_url) !== undefined && ((await this.deps.policy?.isCurrent(name)) ?? true);
    const doc = storedDocument(current ? row : await this.rerender(row), abbreviated);
    // What the fast path may answer next time: a fresh hit on a template rendered under the current policy.
    if (current && state === 'hit' && this.mirrored.get(name, this.mirrored.checkAt(generation)))
      this.hotServed.set(
        servedKey(name, abbreviated),
        generation,
        { doc, fetchedAt: Date.parse(row.fetched_at) },
        doc.json.length + doc.gzip.length,
      );
    return { doc, state };
  }

  /** One version's manifest (`GET /<name>/<version-or-tag>`), read out of the served packument off the request path when it is large. */
  async version(name: string, versionOrTag: string, baseUrl: string = this.deps.baseUrl()): Promise<unknown> {
    const { doc } = await this.packument(name, false);
    const manifest = await this.transforms.pickVersion(doc.json, versionOrTag);
    if (!manifest) {
      // A version the policy holds is not in the served document: say why (403 naming the rule) rather than 'no such version'.
      await this.deps.policy?.assertServable(name, versionOrTag);
      throw notFound(`${name} has no version or dist-tag '${versionOrTag}'`);
    }
    return withBaseUrl(manifest, baseUrl);
  }

  async tarball(
    name: string,
    fileName: string,
  ): Promise<{ body: Buffer | Readable; size: number; integrity: string; isPublic: boolean; state: CacheState }> {
    assertMirrorableName(name);
    const version = versionFromFileName(name, fileName);
    if (this.deps.policy) await this.policyCheck(name, version);
    const cached = await findCachedTarball(this.deps.db, name, version);
    const opened = cached && (await this.deps.blobs.open(cached.integrity));
    if (cached && opened) {
      // Eviction needs an approximate age only; a write per download would move the store's generation (dropping every
      // hot document on every node) once per tarball of an install.
      const now = this.deps.now();
      if (Date.parse(cached.last_used_at) <= now.getTime() - TARBALL_TOUCH_MS) {
        await touchCachedTarball(this.deps.db, name, version, now.toISOString());
      }
      return { ...opened, integrity: cached.integrity, isPublic: true, state: 'hit' };
    }
    const upstream = this.upstreamFor(name);
    if (this.offlineSwitch || !upstream) {
      // Switched offline on purpose (or nothing to fetch from), Shelf knows it cannot serve this: a 404 ends the client's
      // attempt at once, where a 503 would make npm retry for a minute or more.
      throw notFound(`Shelf is offline and has no cached tarball of ${name}@${version}; prefetch it while online (shelf mirror)`);
    }
    const integrity = await this.fetchTarball(upstream, name, version);
    const fetched = await this.deps.blobs.open(integrity);
    // Stored a moment ago; gone only if an eviction or `cache purge` took it in between: the client may simply retry.
    if (!fetched)
      throw new ShelfError('unavailable', `the tarball of ${name}@${version} was removed from the cache as it was fetched; try again`);
    return { ...fetched, integrity, isPublic: true, state: 'miss' };
  }

  /** Makes sure a version's tarball is cached; true when it was fetched now, false when it already was. */
  async ensureTarball(name: string, version: string): Promise<boolean> {
    assertMirrorableName(name);
    if (this.deps.policy) await this.policyCheck(name, version);
    const cached = await findCachedTarball(this.deps.db, name, version);
    if (cached && (await this.deps.blobs.has(cached.integrity))) return false;
    const upstream = this.upstreamFor(name);
    if (this.offlineSwitch || !upstream) throw new ShelfError('unavailable', `Shelf is offline, so ${name}@${version} cannot be fetched`);
    await this.fetchTarball(upstream, name, version);
    return true;
  }

  /** Makes sure a packument is cached and fresh; returns the versions and dist-tags it lists. */
  async ensurePackument(name: string): Promise<{ versions: string[]; distTags: Record<string, string> }> {
    assertMirrorableName(name);
    const { row } = await this.currentRow(name);
    return {
      versions: (await listUpstreamVersions(this.deps.db, name)).map((v) => v.version),
      distTags: JSON.parse(row.dist_tags) as Record<string, string>,
    };
  }

  /**
   * npm's bulk advisory request, answered by the default upstream when online. Offline (or without an upstream) the
   * answer is empty and `available` is false, so the caller can say that no advisory data was consulted.
   */
  async auditBulk(path: string, body: unknown): Promise<{ available: boolean; status: number; body: unknown; source?: 'cache' }> {
    const fallback = this.upstreams.find((u) => !u.scope);
    const upstream = fallback && this.clientFor(fallback);
    // Unreachable or offline: the advisories the policy cached answer the bulk request (source 'cache').
    const cached = async () => (await this.deps.policy?.cachedBulk(path, body)) ?? { available: false, status: 200, body: {} };
    if (this.offlineSwitch || !upstream) return cached();
    try {
      const response = await upstream.post(path, Buffer.from(JSON.stringify(body ?? {})), {
        'content-type': 'application/json',
        accept: 'application/json',
      });
      return { available: true, status: response.status, body: response.body };
    } catch (error) {
      this.deps.warn?.(`audit: ${(error as Error).message}`);
      return cached();
    }
  }

  async close(): Promise<void> {
    await this.transforms.close();
  }

  // ── packuments ──────────────────────────────────────────────────────────────

  private async currentRow(name: string): Promise<{ row: UpstreamPackumentRow; state: CacheState }> {
    // Read by the worker when it is large: a 40 MB document's row held the event loop for up to half a second.
    const generation = this.hotRows.check(this.deps.db);
    let row = this.hotRows.get(name, generation);
    if (!row) {
      row = await this.transforms.readRow(name);
      if (row) this.hotRows.set(name, generation, row, rowBytes(row));
    }
    const upstream = this.upstreamFor(name);
    if (this.offlineSwitch || !upstream) {
      if (row) return { row, state: 'offline' };
      if (!upstream && !this.offlineSwitch) throw notFound(`package '${name}' is not in this registry`);
      // As for tarballs: a 404, so that npm does not retry (it asks for optional peers in every install).
      throw notFound(`Shelf is offline and has no cached copy of '${name}'; prefetch it while online (shelf mirror --package ${name})`);
    }
    if (row && this.deps.now().getTime() - Date.parse(row.fetched_at) < this.deps.config.maxAgeMs) return { row, state: 'hit' };
    try {
      return await this.coalesce(`p:${name}`, async () => {
        // Another node may have fetched it while this one waited for the lock: then its copy answers, no upstream request.
        // On SQLite (one process) an unchanged generation proves nothing was stored meanwhile, sparing a large document a
        // second read; PostgreSQL hears other nodes' commits a moment late, so there the store is always read again.
        const unchanged = this.deps.db.dialect === 'sqlite' && this.deps.db.generation() === generation;
        const stored = unchanged ? row : await this.transforms.readRow(name);
        if (stored && stored.fetched_at !== row?.fetched_at) return { row: stored, state: 'hit' as CacheState };
        return this.refresh(upstream, name, stored);
      });
    } catch (error) {
      // The upstream failed (no answer, or a bad one: nothing of it was stored); the cached copy still answers, trimmed to
      // what can actually be installed when tarballs are cached, else as it was last fetched.
      if (row && error instanceof ShelfError && (error.code === 'upstream_failed' || error.code === 'upstream_timeout')) {
        const state = (await cachedVersionsOf(this.deps.db, name)).length > 0 ? 'offline-fallback' : 'stale';
        this.deps.warn?.(`serving the cached copy of ${name} (${state}): ${error.message}`);
        return { row, state };
      }
      throw error;
    }
  }

  private async refresh(
    upstream: UpstreamClient,
    name: string,
    row: UpstreamPackumentRow | undefined,
  ): Promise<{ row: UpstreamPackumentRow; state: CacheState }> {
    const result = await upstream.packument(name, row ? { etag: row.etag, lastModified: row.last_modified } : {});
    const now = this.deps.now().toISOString();
    if (result.status === 304 && row) {
      await markRevalidated(this.deps.db, name, now);
      return { row: { ...row, fetched_at: now }, state: 'revalidated' };
    }
    if (result.status === 404 || result.status === 304)
      throw notFound(`package '${name}' is not in this registry nor on its upstream ${new URL(upstream.upstream.url).host}`);
    // The policy decides before the body is handed over to the worker; its decision is stored with the renderings.
    const previousVersions = row ? (await listUpstreamVersions(this.deps.db, name)).map((v) => v.version) : undefined;
    const decision = await this.deps.policy?.decide(name, result.body, { upstream: policyUpstream(upstream), previousVersions });
    const store: StoreRequest = {
      kind: 'put',
      upstream_url: upstream.upstream.url,
      etag: result.etag,
      last_modified: result.lastModified,
      fetched_at: now,
      base_url: templateMark(this.deps.baseUrl()),
    };
    let out: TransformOutput;
    try {
      // Parsing, rendering, gzipping and storing happen together (in the worker for large documents, so a 40 MB
      // document's half-second SQLite write never holds the event loop); the body is handed over.
      out = await this.transform(result.body, name, { wantRawGzip: true, handOver: true, offline: decision?.view, store });
    } catch (error) {
      // Storing failed (a full disk, say): Shelf's own failure, kept with its code so the answer says what it is.
      if (error instanceof PackumentStoreError) throw error;
      throw new ShelfError(
        'upstream_failed',
        `the upstream ${upstream.host} sent a packument of ${name} that cannot be used: ${(error as Error).message}` +
          `${result.contentType ? ` (content-type ${result.contentType.slice(0, 60)})` : ''}; nothing was cached`,
        { cause: error },
      );
    }
    const stored = storedRowOf(name, store, out) as unknown as UpstreamPackumentRow;
    await decision?.commit();
    this.offlineViews.delete(name);
    return { row: stored, state: row ? 'revalidated' : 'miss' };
  }

  private async rerender(row: UpstreamPackumentRow): Promise<UpstreamPackumentRow> {
    const upstream = this.offlineSwitch ? undefined : this.upstreamFor(row.name);
    const decision = await this.deps.policy?.decide(row.name, row.raw_gzip, {
      rawIsGzip: true,
      upstream: upstream && policyUpstream(upstream),
    });
    const store: StoreRequest = { kind: 'rendering', base_url: templateMark(this.deps.baseUrl()) };
    const out = await this.transform(row.raw_gzip, row.name, { rawIsGzip: true, offline: decision?.view, store });
    const rendering = storedRowOf(row.name, store, out) as unknown as PackumentRendering;
    await decision?.commit();
    return { ...row, ...rendering };
  }

  /**
   * The documents served for an upstream packument at the current base URL, with the integrities Shelf pinned filled in;
   * trimmed when `offline` says what is cached.
   */
  private async transform(
    raw: Buffer,
    name: string,
    options: {
      offline?: { keep: string[]; distTags: Record<string, string> };
      rawIsGzip?: boolean;
      wantRawGzip?: boolean;
      handOver?: boolean;
      /** Also store the result (in one transaction, off the main thread for a large document). */
      store?: StoreRequest;
    } = {},
  ): Promise<Promise<TransformOutput>> {
    return this.transforms.run(
      {
        raw,
        rawIsGzip: options.rawIsGzip,
        wantRawGzip: options.wantRawGzip,
        name,
        baseUrl: this.deps.baseUrl(),
        baseToken: BASE_URL_TOKEN,
        abbreviatedFields: ABBREVIATED_FIELDS,
        keepVersions: options.offline?.keep ?? null,
        distTags: options.offline?.distTags ?? null,
        pinnedIntegrity: await knownIntegrities(this.deps.db, name),
      },
      options.handOver,
      options.store,
    );
  }

  private rendering(name: string, out: TransformOutput) {
    return {
      name,
      base_url: templateMark(this.deps.baseUrl()),
      full_json: toBuffer(out.full),
      full_gzip: toBuffer(out.fullGzip),
      full_etag: out.fullEtag,
      abbrev_json: toBuffer(out.abbrev),
      abbrev_gzip: toBuffer(out.abbrevGzip),
      abbrev_etag: out.abbrevEtag,
    };
  }

  private async offlineView(row: UpstreamPackumentRow): Promise<{ full: StoredDocument; abbrev: StoredDocument }> {
    if (this.deps.policy && !(await this.deps.policy.isCurrent(row.name))) await this.rerender(row);
    // Offline, too, only what the policy allows: a cached tarball of a held version is not offered.
    const cached: string[] = [];
    for (const v of await cachedVersionsOf(this.deps.db, row.name)) if (!(await this.deps.policy?.holdOf(row.name, v))) cached.push(v);
    cached.sort(semver.compare);
    if (cached.length === 0) {
      throw new ShelfError(
        'unavailable',
        `Shelf is offline and holds no tarball of '${row.name}', so no version of it can be installed; prefetch it while online (shelf mirror --package ${row.name})`,
      );
    }
    const key = `${row.fetched_at}|${cached.join(',')}`;
    const memo = this.offlineViews.get(row.name, key);
    if (memo) return memo;
    const distTags = offlineDistTags(JSON.parse(row.dist_tags) as Record<string, string>, cached);
    const rendered = {
      ...row,
      ...this.rendering(row.name, await this.transform(row.raw_gzip, row.name, { rawIsGzip: true, offline: { keep: cached, distTags } })),
    };
    const doc = { full: storedDocument(rendered, false), abbrev: storedDocument(rendered, true) };
    this.offlineViews.set(row.name, key, doc);
    return doc;
  }

  // ── tarballs ────────────────────────────────────────────────────────────────

  /** The tarball fetched once across nodes: one that another node cached while this one waited is taken from the store. */
  private fetchTarball(upstream: UpstreamClient, name: string, version: string): Promise<string> {
    return this.coalesce(`t:${name}@${version}`, async () => {
      const cached = await findCachedTarball(this.deps.db, name, version);
      if (cached && (await this.deps.blobs.has(cached.integrity))) return cached.integrity;
      return this.download(upstream, name, version);
    });
  }

  private async download(upstream: UpstreamClient, name: string, version: string): Promise<string> {
    let source = await findUpstreamVersion(this.deps.db, name, version);
    if (!source) {
      await this.currentRow(name);
      source = await findUpstreamVersion(this.deps.db, name, version);
    }
    if (!source) throw notFound(`${name}@${version} is not published on the upstream ${new URL(upstream.upstream.url).host}`);
    const spec = `${name}@${version}`;
    // The tarball's address comes from the upstream's document, so it may point anywhere: Shelf fetches it only from under
    // a configured upstream's base URL, with that upstream's own token (never another's, never to another origin).
    const owner = upstreamOwning(source.tarball_url, this.upstreams);
    if (!owner) {
      let where = 'an address that is not a URL';
      try {
        where = new URL(source.tarball_url).origin;
      } catch {
        /* keep the generic words */
      }
      throw new ShelfError(
        'upstream_failed',
        `the upstream ${upstream.host} points the tarball of ${spec} at ${where}, outside the configured upstream addresses; ` +
          'Shelf fetches tarballs only from its upstreams (add that registry with --upstream if it is trusted)',
      );
    }
    const bytes = await this.clientFor(owner)
      .tarball(source.tarball_url, `the tarball of ${spec}`, this.deps.config.maxTarballBytes ?? this.deps.maxTarballBytes)
      .catch(async (error: unknown) => {
        // A 404/451 for a listed version is a takedown the policy records (and purges).
        await this.deps.policy?.tarballFailed(name, version, error);
        throw error;
      });
    if (
      source.integrity
        ? !ssri.checkData(bytes, source.integrity)
        : source.shasum && !ssri.checkData(bytes, ssri.fromHex(source.shasum, 'sha1'))
    ) {
      throw new ShelfError(
        'upstream_failed',
        `the tarball of ${spec} from the upstream ${new URL(source.tarball_url).host} does not match its ${source.integrity ? 'published (or first-seen) integrity' : 'published shasum'}; it was not cached or served`,
      );
    }
    const integrity = ssri.fromData(bytes, { algorithms: ['sha512'] }).toString();
    await this.deps.blobs.put(integrity, bytes);
    const now = this.deps.now().toISOString();
    await putCachedTarball(this.deps.db, { name, version, integrity, size: bytes.length, fetched_at: now, last_used_at: now });
    this.offlineViews.delete(name);
    if (!source.integrity) {
      // The upstream published no integrity (or only a sha1): the first download's sha512 is pinned, so a later fetch
      // (after eviction) must match it, and the served packument carries it so clients check what they install.
      await pinUpstreamIntegrity(this.deps.db, name, version, integrity);
      const row = await this.transforms.readRow(name);
      if (row) await this.rerender(row);
    }
    await this.eviction.enforceCap({ keep: { name, version } });
    return integrity;
  }

  /**
   * The policy's decision for a version, made again first when the stored one is stale (the policy changed, a quarantine
   * ended, a review or takedown): a 403 naming the rule for a held version, before any cached byte is sent.
   */
  private async policyCheck(name: string, version: string): Promise<void> {
    const policy = this.deps.policy!;
    if (!(await policy.isCurrent(name))) {
      const row = await this.transforms.readRow(name);
      if (row) await this.rerender(row);
      else await this.currentRow(name).catch(() => undefined);
    }
    await policy.assertServable(name, version);
  }

  /**
   * Concurrent requests for the same missing item share one upstream fetch: in this process through `inflight`, across
   * nodes on one PostgreSQL through the store's exclusive() (an advisory lock per key), so `work` must look in the store
   * first — after waiting, another node's copy may be there.
   */
  private coalesce<T>(key: string, work: () => Promise<T>): Promise<T> {
    const running = this.inflight.get(key) as Promise<T> | undefined;
    if (running) return running;
    const started = this.deps.db.exclusive(`mirror:${key}`, work).finally(() => this.inflight.delete(key));
    this.inflight.set(key, started);
    return started;
  }
}

const servedKey = (name: string, abbreviated: boolean) => (abbreviated ? `a:${name}` : `f:${name}`);

function rowBytes(row: UpstreamPackumentRow): number {
  return [row.raw_gzip, row.full_json, row.full_gzip, row.abbrev_json, row.abbrev_gzip].reduce((n, b) => n + (b?.length ?? 0), 0);
}

function storedDocument(row: UpstreamPackumentRow, abbreviated: boolean): StoredDocument {
  const gzipBase = gzipBaseOf(row.base_url) ?? '';
  return abbreviated
    ? { json: row.abbrev_json, gzip: row.abbrev_gzip, gzipBase, etag: row.abbrev_etag, lastModified: row.modified, isPublic: true }
    : { json: row.full_json, gzip: row.full_gzip, gzipBase, etag: row.full_etag, lastModified: row.modified, isPublic: true };
}

/** What the policy may ask of an upstream: its advisories (POST) and its signing keys (GET), through the mirror's client. */
function policyUpstream(client: UpstreamClient) {
  return {
    url: client.upstream.url,
    post: (path: string, body: Buffer, headers: Record<string, string>) => client.post(path, body, headers),
    get: (path: string) => client.tarball(`${client.upstream.url}${path}`, `the upstream's ${path}`, 4 * 1024 * 1024),
  };
}

export function versionFromFileName(name: string, fileName: string): string {
  const version = versionOfTarball(name, fileName);
  if (version === undefined) throw notFound(`${name} has no tarball '${fileName}'`);
  return version;
}
