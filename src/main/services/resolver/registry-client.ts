// Owns talking to an npm-protocol registry for resolution and install: packuments (cached per run) and tarballs.
import { ShelfError, notFound } from '../../errors';
import type { CachedDocument, MetadataCacheDb } from '../../storage/metadata-cache-db';
import { fromCacheRows, toCacheRows, type CacheRows } from './cached-packument';
import type { DocumentPool } from './document-pool';
import { httpFetch, httpGet, type RawResponse } from './http-fetch';
import { createLimiter, type Limiter } from './limit';
import { PACKAGE_FIELDS } from './lockfile-write';
import type { HeldVersion, Manifest, Packument } from './types';

export type FetchLike = (url: string, init?: { headers?: Record<string, string> }) => Promise<Response>;

export interface RegistryClientOptions {
  /** Base URL, e.g. http://127.0.0.1:4873/ */
  registry: string;
  token?: string;
  fetch?: FetchLike;
  /** Requests in flight at once (default 16). */
  concurrency?: number;
  /**
   * Every field the lockfile records, `license` included: abbreviated documents where the registry puts the license in
   * them (Shelf's mirror does), full ones otherwise.
   */
  fullMetadata?: boolean;
  /** Documents kept between runs, and when to trust them without asking the registry (npm's cache flags). */
  cache?: { db: MetadataCacheDb; policy: CachePolicy };
  /**
   * Threads that parse the documents fetched whole (not revalidations, which mostly come back 304 with nothing to
   * parse); without it, or with `fetch`, this thread parses.
   */
  documents?: DocumentPool;
}

/**
 * default: a cached document is used while fresh by the registry's Cache-Control max-age, then revalidated with its ETag
 * (Shelf sends no-cache, so every run asks it and gets a 304 for what has not changed); prefer-offline: any cached
 * document is used as it is; prefer-online: every cached document is revalidated; offline: only cached documents.
 */
export type CachePolicy = 'default' | 'prefer-offline' | 'prefer-online' | 'offline';

/** What a run knows of a cached document: its validators, and its entry until a packument is made from it. */
interface OnDisk extends Pick<CachedDocument, 'etag' | 'accept' | 'fetchedAt' | 'maxAge'> {
  entry?: CachedDocument;
  packument?: Packument;
}

/** A fetched document: parsed on this thread (doc), or by a document worker (rows, and whether any version has a license). */
interface FetchedDocument {
  doc?: Packument;
  rows?: CacheRows;
  licensed?: boolean;
  abbreviated: boolean;
  accept: string;
  etag: string | null;
  /** Seconds of freshness the registry granted (Cache-Control max-age), or undefined for no-store. */
  maxAge: number | undefined;
}

/** Abbreviated documents without any license, in a row, after which a registry is taken to never include it. */
const LICENSE_MISSES_BEFORE_FULL = 3;

/** npm's own Accept header: abbreviated where the registry has it, full JSON otherwise. */
const ABBREVIATED_ACCEPT = 'application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*';

export class RegistryClient {
  readonly registry: string;
  private readonly origin: string;
  private readonly loopback: boolean;
  private readonly fetchImpl: FetchLike;
  private readonly limit: Limiter;
  private readonly packuments = new Map<string, Promise<Packument>>();
  /**
   * Per name, the metadata-cache entry this run reads (looked up once) and the packument made from it: the same object
   * serves a peek, a trusted read and a 304, so what speculation picked from it is reused by the placement.
   */
  private readonly onDisk = new Map<string, OnDisk | null>();
  /** Count of documents fetched over the network, for progress and benchmarks. */
  fetched = 0;
  /** Documents taken from the metadata cache: as they were, or after the registry confirmed them (a 304). */
  fromCache = 0;
  /** Of the documents fetched, those a document worker parsed (see `documents`). */
  parsedInWorkers = 0;
  /** Abbreviated documents in a row that carried no license (see withLicense). */
  private licenseMisses = 0;
  private abbreviatedLacksLicense = false;

  constructor(private readonly options: RegistryClientOptions) {
    this.registry = options.registry.endsWith('/') ? options.registry : `${options.registry}/`;
    this.origin = new URL(this.registry).origin;
    this.loopback = /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/.test(new URL(this.registry).hostname);
    this.fetchImpl = options.fetch ?? httpFetch;
    // A loopback registry answers in well under a millisecond: more requests in flight keep its core busy while this
    // process parses, instead of one round trip per 16 documents (the cra tree's 1,200 documents on an empty cache).
    this.limit = createLimiter(options.concurrency ?? (this.loopback ? 48 : 16));
  }

  /** The packument for a name, fetched once per client; concurrent callers share one request. */
  packument(name: string): Promise<Packument> {
    let pending = this.packuments.get(name);
    if (!pending) {
      pending = this.limit(() => this.fetchPackument(name));
      // A failed lookup is remembered too, so one run reports it once; callers decide whether it matters.
      pending.catch(() => undefined);
      this.packuments.set(name, pending);
    }
    return pending;
  }

  /**
   * The cached packument for a name as it is on disk, without asking the registry whether it is still current (any
   * policy), or undefined when none is cached. Only for looking ahead: resolution itself uses packument(), which
   * revalidates per the cache policy; when the registry answers 304 packument() gives back this same object.
   */
  peek(name: string): Packument | undefined {
    const held = this.cachedEntry(name);
    if (!held) return undefined;
    if (!held.packument) {
      held.packument = fromCacheRows(held.entry!);
      // The packument holds what it reads from (parsed); the entry's text goes (a run holds a thousand of them).
      held.entry = undefined;
    }
    return held.packument;
  }

  /**
   * Whether packument(name) is answered from the metadata cache without asking the registry: a copy is cached and the
   * policy trusts it as it is. The resolver looks ahead only where a request would otherwise keep it waiting.
   */
  answersFromCache(name: string): boolean {
    const cache = this.options.cache;
    const usable = cache && this.cachedEntry(name);
    return usable ? this.trusts(cache.policy, usable) : false;
  }

  private trusts(policy: CachePolicy, usable: OnDisk): boolean {
    return (
      policy === 'offline' || policy === 'prefer-offline' || (policy === 'default' && Date.now() - usable.fetchedAt < usable.maxAge * 1000)
    );
  }

  /** Starts fetching without waiting, so metadata for a whole level arrives in parallel. */
  prefetch(name: string): void {
    void this.packument(name).catch(() => undefined);
  }

  async tarball(url: string): Promise<Buffer> {
    return this.limit(async () => {
      const response = await this.request(url, '*/*');
      if (!response.ok) throw this.failure(response.status, `tarball ${url}`);
      return Buffer.from(await response.arrayBuffer());
    });
  }

  /** GET a JSON document under the registry (whoami, search, tokens). */
  async getJson(path: string): Promise<unknown> {
    const response = await this.request(new URL(path, this.registry).toString(), 'application/json');
    if (!response.ok) throw this.failure(response.status, path, await errorText(response));
    return response.json();
  }

  private async fetchPackument(name: string): Promise<Packument> {
    const url = `${this.registry}${name.startsWith('@') ? `@${encodeURIComponent(name.slice(1))}` : encodeURIComponent(name)}`;
    const cache = this.options.cache;
    const usable = this.cachedEntry(name);
    if (cache && usable) {
      if (this.trusts(cache.policy, usable)) return this.cached(name);
      if (usable.etag) {
        const answer = await this.fetchDocument(name, url, usable.accept, usable.etag);
        if (answer === 'not-modified') {
          // The confirmation only moves when a fresh entry may be trusted; with no max-age (Shelf's no-cache) it never
          // may, and writing the cra tree's 1,200 confirmations cost a revalidating run a commit and a checkpoint.
          if (usable.maxAge > 0) cache.db.confirm(this.registry, name, Date.now(), usable.maxAge);
          return this.cached(name);
        }
        return this.keep(name, await this.withLicense(name, url, answer));
      }
    } else if (cache?.policy === 'offline') {
      throw notFound(
        `package ${name} is not in Shelf's metadata cache and --offline forbids asking ${this.registry}; run once without --offline`,
      );
    }
    const accept = this.options.fullMetadata && this.abbreviatedLacksLicense ? 'application/json' : ABBREVIATED_ACCEPT;
    return this.keep(name, await this.withLicense(name, url, (await this.fetchDocument(name, url, accept)) as FetchedDocument));
  }

  /**
   * The lockfile records `license`, which npm's abbreviated documents leave out but Shelf's mirror keeps: the abbreviated
   * one is asked for first (for the cra tree 59 MB to parse instead of 145 MB) and the full one fetched when it carries
   * no license at all; a registry whose abbreviated documents never carry it (npm's) is asked for full ones from then on.
   */
  private async withLicense(name: string, url: string, first: FetchedDocument): Promise<FetchedDocument & { complete: boolean }> {
    const complete = !first.abbreviated || (first.licensed ?? carriesLicense(first.doc!));
    if (!this.options.fullMetadata || complete) {
      if (this.options.fullMetadata) this.licenseMisses = 0;
      return { ...first, complete };
    }
    if (++this.licenseMisses >= LICENSE_MISSES_BEFORE_FULL) this.abbreviatedLacksLicense = true;
    return { ...((await this.fetchDocument(name, url, 'application/json')) as FetchedDocument), complete: true };
  }

  /**
   * Stores a fetched document in the metadata cache (unless the registry said no-store) and returns it, as the cache
   * gives it back: the parsed manifests are let go (a run holds a thousand documents, and picks one manifest of fifty).
   */
  private keep(name: string, fetched: FetchedDocument & { complete: boolean }): Packument {
    const cache = this.options.cache;
    if (cache && fetched.maxAge !== undefined) {
      const { etag, accept, maxAge, complete } = fetched;
      const kept = cache.db.store(this.registry, name, {
        etag,
        accept,
        fetchedAt: Date.now(),
        maxAge,
        complete,
        ...(fetched.rows ?? toCacheRows(fetched.doc!)),
      });
      const stored = kept && cache.db.document(this.registry, name);
      if (stored) return fromCacheRows(stored);
    }
    return fetched.doc ?? fromCacheRows(fetched.rows!);
  }

  /** The entry this run uses for a name, read once; a document cached without licenses cannot serve a run that writes them. */
  private cachedEntry(name: string): OnDisk | undefined {
    let held = this.onDisk.get(name);
    if (held === undefined) {
      const entry = this.options.cache?.db.document(this.registry, name);
      held =
        entry && (entry.complete || !this.options.fullMetadata)
          ? { etag: entry.etag, accept: entry.accept, fetchedAt: entry.fetchedAt, maxAge: entry.maxAge, entry }
          : null;
      this.onDisk.set(name, held);
    }
    return held ?? undefined;
  }

  private cached(name: string): Packument {
    this.fromCache += 1;
    return this.peek(name)!;
  }

  /** One packument, trimmed, or 'not-modified' when revalidating with an ETag that still matches. */
  private async fetchDocument(name: string, url: string, accept: string, etag?: string): Promise<FetchedDocument | 'not-modified'> {
    if (this.options.documents && !this.options.fetch && !etag) return this.fetchInWorker(name, url, accept, this.options.documents);
    const { status, headers, body } = this.options.fetch
      ? await this.fetchWithResponse(url, accept, etag)
      : await this.fetchRaw(url, accept, etag);
    if (status === 304 && etag) return 'not-modified';
    if (status === 404) {
      throw notFound(`package ${name} is not in the registry ${this.registry}; check the name, or publish it there first`);
    }
    if (status < 200 || status >= 300) {
      const detail = body as { error?: string; message?: string } | undefined;
      throw this.failure(status, `package ${name}`, detail?.message ?? detail?.error ?? '');
    }
    this.fetched += 1;
    const packument = body as Packument | undefined;
    if (!packument || typeof packument !== 'object' || !packument.versions) {
      throw new ShelfError('internal', `the registry ${this.registry} sent a document for ${name} without versions`);
    }
    const doc = trimPackument(packument);
    const held = heldVersions(headers.policy);
    if (held) doc._shelfHeld = held;
    return {
      doc,
      abbreviated: (headers.contentType ?? '').includes('vnd.npm.install-v1'),
      accept,
      etag: headers.etag ?? null,
      maxAge: freshness(headers.cacheControl),
    };
  }

  /**
   * fetchDocument for a document fetched whole: the GET here, the body parsed by a document worker, which hands back
   * the rows; the same refusals, in the same words.
   */
  private async fetchInWorker(name: string, url: string, accept: string, documents: DocumentPool): Promise<FetchedDocument> {
    const raw = await this.get(url, accept);
    const headers = rawHeaders(raw);
    if (raw.status === 404) {
      throw notFound(`package ${name} is not in the registry ${this.registry}; check the name, or publish it there first`);
    }
    if (raw.status < 200 || raw.status >= 300) throw this.failure(raw.status, `package ${name}`, errorDetail(raw.body));
    this.fetched += 1;
    const answer = await documents.parse({ body: raw.body, policy: headers.policy }).catch((error: unknown) => {
      // The worker stopped (out of memory, say): this document is lost to the run, which is said plainly.
      throw new ShelfError('internal', `parsing the document of ${name} failed: ${(error as Error).message}; run the command again`, {
        cause: error,
      });
    });
    if ('failed' in answer) throw new ShelfError('internal', `parsing the document of ${name} from ${url} failed: ${answer.failed}`);
    if ('invalid' in answer) throw new ShelfError('internal', `the registry ${this.registry} sent a document for ${name} without versions`);
    this.parsedInWorkers += 1;
    return {
      rows: answer.rows,
      licensed: answer.licensed,
      abbreviated: (headers.contentType ?? '').includes('vnd.npm.install-v1'),
      accept,
      etag: headers.etag ?? null,
      maxAge: freshness(headers.cacheControl),
    };
  }

  /** node:http straight to a Buffer, no WHATWG Response in between. */
  private async get(url: string, accept: string, etag?: string): Promise<RawResponse> {
    try {
      return await httpGet(url, this.headersFor(url, accept, etag));
    } catch (error) {
      throw new ShelfError('internal', `could not reach ${url} (${(error as Error).message}); is the registry running? (--registry)`, {
        cause: error,
      });
    }
  }

  /** The default path: the GET and JSON.parse on this thread. */
  private async fetchRaw(url: string, accept: string, etag?: string): Promise<DocumentResponse> {
    const raw = await this.get(url, accept, etag);
    let body: unknown;
    try {
      body = raw.status === 404 || raw.status === 304 ? undefined : JSON.parse(raw.body.toString('utf8'));
    } catch {
      body = undefined;
    }
    return { status: raw.status, headers: rawHeaders(raw), body };
  }

  /** The path for an injected fetch (tests inject one). */
  private async fetchWithResponse(url: string, accept: string, etag?: string): Promise<DocumentResponse> {
    const response = await this.request(url, accept, etag);
    let body: unknown;
    try {
      body = response.status === 404 || response.status === 304 ? undefined : await response.json();
    } catch {
      body = undefined;
    }
    return {
      status: response.status,
      headers: documentHeaders((key) => response.headers.get(key) ?? undefined),
      body,
    };
  }

  private headersFor(url: string, accept: string, etag?: string): Record<string, string> {
    const headers: Record<string, string> = { accept, 'user-agent': 'shelf-resolver' };
    if (etag) headers['if-none-match'] = etag;
    const sameOrigin = new URL(url).origin === this.origin;
    // On loopback, inflating gzip costs more than the bytes it saves.
    if (this.loopback && sameOrigin) headers['accept-encoding'] = 'identity';
    // The token goes only to the registry it belongs to, never to a tarball host elsewhere.
    if (this.options.token && sameOrigin) headers.authorization = `Bearer ${this.options.token}`;
    return headers;
  }

  private async request(url: string, accept: string, etag?: string): Promise<Response> {
    try {
      return await this.fetchImpl(url, { headers: this.headersFor(url, accept, etag) });
    } catch (error) {
      throw new ShelfError('internal', `could not reach ${url} (${(error as Error).message}); is the registry running? (--registry)`, {
        cause: error,
      });
    }
  }

  private failure(status: number, what: string, detail = ''): ShelfError {
    const suffix = detail ? `: ${detail}` : '';
    if (status === 401)
      return new ShelfError(
        'authentication_required',
        `the registry refused ${what} without valid credentials (401)${suffix}; run \`shelf login\``,
      );
    if (status === 403)
      return new ShelfError('permission_denied', `the registry refused ${what} (403)${suffix}; your token may lack access`);
    if (status === 404) return notFound(`${what} was not found on ${this.registry}${suffix}`);
    return new ShelfError('internal', `the registry answered ${status} for ${what}${suffix}`);
  }
}

/**
 * Fields of a version that resolution, the lockfile, install and the reports read; in the manifest's own key order
 * (the lockfile writer keeps it). `scripts` is cut down to the install hooks, which decide `hasInstallScript`.
 */
const MANIFEST_FIELDS = new Set([
  // Every field the lockfile records, so that a field added there can never be trimmed away here.
  ...PACKAGE_FIELDS,
  '_id',
  'name',
  'version',
  'yanked',
  'bundledDependencies',
  'directories',
  'dist',
  '_hasShrinkwrap',
  'hasInstallScript',
  // Where an /api/v1 version came from: its dependency ranges may be Cargo-style (cargo-ranges.ts).
  '_shelfSource',
]);
const INSTALL_SCRIPTS = ['preinstall', 'install', 'postinstall'];

/**
 * Keeps only what resolution reads. A full packument is mostly readmes, maintainers and per-version package.json noise
 * (the cra tree's 145 MB of full documents keep 43 MB); holding all of it for a whole run set both the peak memory and
 * much of the garbage collector's time.
 */
export function trimPackument(doc: Packument): Packument {
  const versions: Record<string, Manifest> = {};
  for (const [version, manifest] of Object.entries(doc.versions)) {
    if (!manifest || typeof manifest !== 'object') continue;
    const kept: Record<string, unknown> = {};
    for (const key of Object.keys(manifest)) {
      if (MANIFEST_FIELDS.has(key)) kept[key] = manifest[key];
      else if (key === 'scripts' && manifest.scripts && typeof manifest.scripts === 'object') {
        const hooks = INSTALL_SCRIPTS.filter((hook) => typeof manifest.scripts![hook] === 'string');
        if (hooks.length) kept.scripts = Object.fromEntries(hooks.map((hook) => [hook, manifest.scripts![hook]]));
      }
    }
    versions[version] = kept as Manifest;
  }
  const trimmed: Packument = { name: doc.name, 'dist-tags': doc['dist-tags'] ?? {}, versions };
  // npm-pick-manifest honours these two when a registry sends them.
  const extra = doc as unknown as Record<string, unknown>;
  for (const key of ['policyRestrictions', 'stagedVersions'])
    if (extra[key] !== undefined) (trimmed as unknown as Record<string, unknown>)[key] = extra[key];
  return trimmed;
}

/** The response headers the metadata cache and content negotiation read. */
interface DocumentHeaders {
  contentType?: string;
  etag?: string;
  cacheControl?: string;
  policy?: string;
}

interface DocumentResponse {
  status: number;
  headers: DocumentHeaders;
  body: unknown;
}

const rawHeaders = (raw: RawResponse): DocumentHeaders =>
  documentHeaders((key) => {
    const value = raw.headers[key];
    return Array.isArray(value) ? value.join(', ') : value;
  });

/** A refusal's own words, from its JSON body ({ message } or { error }), or nothing. */
function errorDetail(body: Buffer): string {
  try {
    const detail = JSON.parse(body.toString('utf8')) as { error?: string; message?: string } | undefined;
    return detail?.message ?? detail?.error ?? '';
  } catch {
    return '';
  }
}

/** The response headers the metadata cache and content negotiation read. */
function documentHeaders(header: (key: string) => string | undefined): DocumentHeaders {
  return {
    contentType: header('content-type'),
    etag: header('etag'),
    cacheControl: header('cache-control'),
    policy: header('x-shelf-policy'),
  };
}

/**
 * Shelf's X-Shelf-Policy header (`1.2.0=age;until=2026-12-05T14:00:00.000Z, 2.0.0=deny, 1.1.0=flagged-install-scripts`):
 * the held versions and their rules; flagged versions are served, so they are not listed.
 */
export function heldVersions(header: string | undefined): Record<string, HeldVersion> | undefined {
  if (!header) return undefined;
  const held: Record<string, HeldVersion> = {};
  for (const part of header.split(',')) {
    const [pair, ...params] = part.trim().split(';');
    const eq = pair?.indexOf('=') ?? -1;
    if (!pair || eq <= 0) continue;
    const rule = pair.slice(eq + 1);
    if (rule.startsWith('flagged-')) continue;
    const until = params.find((p) => p.startsWith('until='))?.slice('until='.length);
    held[pair.slice(0, eq)] = { rule, ...(until && { until }) };
  }
  return Object.keys(held).length > 0 ? held : undefined;
}

/** Seconds a response may be used without asking again: max-age, 0 for no-cache (or none given), undefined for no-store. */
function freshness(cacheControl: string | undefined): number | undefined {
  const directives = (cacheControl ?? '').toLowerCase();
  if (/(^|[\s,])no-store($|[\s,])/.test(directives)) return undefined;
  if (/(^|[\s,])no-cache($|[\s,])/.test(directives)) return 0;
  const maxAge = /(?:^|[\s,])max-age=(\d+)/.exec(directives);
  return maxAge ? Number(maxAge[1]) : 0;
}

export function carriesLicense(doc: Packument): boolean {
  // for-in, not Object.values: the first version usually answers, and a list of a thousand manifests is not made for it.
  for (const version in doc.versions) if (doc.versions[version]!.license !== undefined) return true;
  return false;
}

async function errorText(response: Response): Promise<string> {
  try {
    const body = (await response.json()) as { error?: string; message?: string };
    return body.message ?? body.error ?? '';
  } catch {
    return '';
  }
}
