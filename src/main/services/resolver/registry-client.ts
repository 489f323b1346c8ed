// Owns talking to an npm-protocol registry for resolution and install: packuments (cached per run) and tarballs.
import { ShelfError, notFound } from '../../errors';
import { httpFetch, httpGet } from './http-fetch';
import { createLimiter, type Limiter } from './limit';
import type { Packument } from './types';

export type FetchLike = (url: string, init?: { headers?: Record<string, string> }) => Promise<Response>;

export interface RegistryClientOptions {
  /** Base URL, e.g. http://127.0.0.1:4873/ */
  registry: string;
  token?: string;
  fetch?: FetchLike;
  /** Requests in flight at once (default 16). */
  concurrency?: number;
  /** Ask for full documents instead of abbreviated ones (needed for `license`). */
  fullMetadata?: boolean;
}

/** npm's own Accept header: abbreviated where the registry has it, full JSON otherwise. */
const ABBREVIATED_ACCEPT = 'application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*';

export class RegistryClient {
  readonly registry: string;
  private readonly origin: string;
  private readonly loopback: boolean;
  private readonly fetchImpl: FetchLike;
  private readonly limit: Limiter;
  private readonly packuments = new Map<string, Promise<Packument>>();
  /** Count of documents fetched over the network, for progress and benchmarks. */
  fetched = 0;

  constructor(private readonly options: RegistryClientOptions) {
    this.registry = options.registry.endsWith('/') ? options.registry : `${options.registry}/`;
    this.origin = new URL(this.registry).origin;
    this.loopback = /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/.test(new URL(this.registry).hostname);
    this.fetchImpl = options.fetch ?? httpFetch;
    this.limit = createLimiter(options.concurrency ?? 16);
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
    const accept = this.options.fullMetadata ? 'application/json' : ABBREVIATED_ACCEPT;
    if (!this.options.fetch) return this.fetchPackumentRaw(name, url, accept);
    const response = await this.request(url, accept);
    if (response.status === 404) {
      throw notFound(`package ${name} is not in the registry ${this.registry}; check the name, or publish it there first`);
    }
    if (!response.ok) throw this.failure(response.status, `package ${name}`, await errorText(response));
    this.fetched += 1;
    const doc = (await response.json()) as Packument;
    if (!doc || typeof doc !== 'object' || !doc.versions) {
      throw new ShelfError('internal', `the registry ${this.registry} sent a document for ${name} without versions`);
    }
    doc['dist-tags'] ??= {};
    return doc;
  }

  /** The default path: node:http straight to a Buffer and JSON.parse, no WHATWG Response in between. */
  private async fetchPackumentRaw(name: string, url: string, accept: string): Promise<Packument> {
    let raw;
    try {
      raw = await httpGet(url, this.headersFor(url, accept));
    } catch (error) {
      throw new ShelfError('internal', `could not reach ${url} (${(error as Error).message}); is the registry running? (--registry)`, {
        cause: error,
      });
    }
    if (raw.status === 404) {
      throw notFound(`package ${name} is not in the registry ${this.registry}; check the name, or publish it there first`);
    }
    let doc: unknown;
    try {
      doc = JSON.parse(raw.body.toString('utf8'));
    } catch {
      doc = undefined;
    }
    if (raw.status < 200 || raw.status >= 300) {
      const body = doc as { error?: string; message?: string } | undefined;
      throw this.failure(raw.status, `package ${name}`, body?.message ?? body?.error ?? '');
    }
    this.fetched += 1;
    const packument = doc as Packument | undefined;
    if (!packument || typeof packument !== 'object' || !packument.versions) {
      throw new ShelfError('internal', `the registry ${this.registry} sent a document for ${name} without versions`);
    }
    packument['dist-tags'] ??= {};
    return packument;
  }

  private headersFor(url: string, accept: string): Record<string, string> {
    const headers: Record<string, string> = { accept, 'user-agent': 'shelf-resolver' };
    const sameOrigin = new URL(url).origin === this.origin;
    // On loopback, inflating gzip costs more than the bytes it saves.
    if (this.loopback && sameOrigin) headers['accept-encoding'] = 'identity';
    // The token goes only to the registry it belongs to, never to a tarball host elsewhere.
    if (this.options.token && sameOrigin) headers.authorization = `Bearer ${this.options.token}`;
    return headers;
  }

  private async request(url: string, accept: string): Promise<Response> {
    try {
      return await this.fetchImpl(url, { headers: this.headersFor(url, accept) });
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

async function errorText(response: Response): Promise<string> {
  try {
    const body = (await response.json()) as { error?: string; message?: string };
    return body.message ?? body.error ?? '';
  } catch {
    return '';
  }
}
