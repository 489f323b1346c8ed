// Talks to one upstream registry: time limits, retries with backoff, validators, and failures named honestly.
import { ShelfError } from '../../errors';
import type { UpstreamConfig } from '../../config/config';

export type FetchLike = typeof fetch;

export type UpstreamDocument =
  { status: 200; body: Buffer; etag: string | null; lastModified: string | null } | { status: 304 } | { status: 404 };

export interface UpstreamClientOptions {
  timeoutMs: number;
  retries: number;
  fetch?: FetchLike;
  token?: string;
  /** Waits between retries; injected so tests need not sleep. */
  sleep?: (ms: number) => Promise<void>;
}

const hostOf = (url: string) => new URL(url).host;

export class UpstreamClient {
  private readonly fetchImpl: FetchLike;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    readonly upstream: UpstreamConfig,
    private readonly options: UpstreamClientOptions,
  ) {
    this.fetchImpl = options.fetch ?? fetch;
    this.sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  /** The full packument (time and every manifest are needed for both renderings and for offline trimming). */
  async packument(name: string, validators: { etag?: string | null; lastModified?: string | null } = {}): Promise<UpstreamDocument> {
    const url = `${this.upstream.url}${name.replace('/', '%2f')}`;
    const headers: Record<string, string> = { accept: 'application/json', 'accept-encoding': 'gzip' };
    if (validators.etag) headers['if-none-match'] = validators.etag;
    else if (validators.lastModified) headers['if-modified-since'] = validators.lastModified;
    const response = await this.request(url, headers, `the packument of ${name}`);
    if (response.status === 304) return { status: 304 };
    if (response.status === 404) return { status: 404 };
    return {
      status: 200,
      body: Buffer.from(await response.arrayBuffer()),
      etag: response.headers.get('etag'),
      lastModified: response.headers.get('last-modified'),
    };
  }

  /** A tarball, as a response whose body the caller streams (and verifies). */
  async tarball(url: string, what: string): Promise<Response> {
    const response = await this.request(url, { accept: 'application/octet-stream' }, what);
    if (response.status === 404) throw new ShelfError('not_found', `${what} is not on the upstream ${hostOf(url)} (404)`);
    return response;
  }

  post(path: string, body: Buffer, headers: Record<string, string>): Promise<Response> {
    return this.request(`${this.upstream.url}${path}`, headers, path, { method: 'POST', body });
  }

  private async request(
    url: string,
    headers: Record<string, string>,
    what: string,
    init: { method?: string; body?: Buffer } = {},
  ): Promise<Response> {
    if (this.options.token && sameOrigin(url, this.upstream.url)) headers.authorization = `Bearer ${this.options.token}`;
    let lastError: ShelfError | undefined;
    for (let attempt = 0; attempt <= this.options.retries; attempt++) {
      if (attempt > 0) await this.sleep(Math.min(250 * 2 ** (attempt - 1), 4000));
      try {
        const response = await this.fetchImpl(url, {
          headers,
          method: init.method,
          body: init.body,
          signal: AbortSignal.timeout(this.options.timeoutMs),
          redirect: 'follow',
        });
        if (response.status >= 500) {
          await response.body?.cancel();
          lastError = new ShelfError(
            'upstream_failed',
            `the upstream ${hostOf(url)} answered ${response.status} for ${what}; try again later`,
          );
          continue;
        }
        if (response.status >= 400 && response.status !== 404) {
          await response.body?.cancel();
          throw new ShelfError(
            'upstream_failed',
            `the upstream ${hostOf(url)} refused ${what} with ${response.status}${response.status === 401 || response.status === 403 ? '; check the upstream token' : ''}`,
          );
        }
        return response;
      } catch (error) {
        if (error instanceof ShelfError) throw error;
        lastError = describeFailure(error, url, what, this.options.timeoutMs);
      }
    }
    throw lastError!;
  }
}

function sameOrigin(a: string, b: string): boolean {
  return new URL(a).origin === new URL(b).origin;
}

/** Time-outs are 504, unreachable upstreams 502: never a 404 for something that may exist. */
export function describeFailure(error: unknown, url: string, what: string, timeoutMs: number): ShelfError {
  const err = error as { name?: string; cause?: { code?: string; message?: string }; message?: string };
  if (err.name === 'TimeoutError' || err.name === 'AbortError') {
    return new ShelfError(
      'upstream_timeout',
      `the upstream ${hostOf(url)} did not answer within ${Math.round(timeoutMs / 1000)} s for ${what}`,
    );
  }
  const code = err.cause?.code ?? '';
  const reason =
    code === 'ECONNREFUSED'
      ? 'refused the connection'
      : code === 'ENOTFOUND' || code === 'EAI_AGAIN'
        ? 'could not be found (DNS)'
        : code === 'ECONNRESET' || code === 'UND_ERR_SOCKET'
          ? 'dropped the connection'
          : `could not be reached (${code || err.cause?.message || err.message || 'network error'})`;
  return new ShelfError('upstream_failed', `the upstream ${hostOf(url)} ${reason} while fetching ${what}`);
}
