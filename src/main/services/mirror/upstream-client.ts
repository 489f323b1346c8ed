// Talks to one upstream registry: where a request may go, one time limit for the whole request (every attempt, the waits
// between them and the body), capped bodies, and failures named honestly (502 a bad answer, 504 no answer in time).
import validateName from 'validate-npm-package-name';
import { ShelfError, badRequest } from '../../errors';
import type { UpstreamConfig } from '../../config/config';

export type FetchLike = typeof fetch;

export type UpstreamDocument =
  | { status: 200; body: Buffer; etag: string | null; lastModified: string | null; contentType: string | null }
  | { status: 304 }
  | { status: 404 };

export interface UpstreamClientOptions {
  /** The limit of one whole request: all attempts, the waits between them and reading the body. */
  timeoutMs: number;
  retries: number;
  /** Largest packument (or other JSON answer) read, in bytes as received after decompression. */
  maxDocumentBytes: number;
  fetch?: FetchLike;
  token?: string;
  /** Waits between retries; injected so tests need not sleep. */
  sleep?: (ms: number) => Promise<void>;
  /** Every configured upstream: a redirect may lead to any of them (under its base path), and nowhere else. */
  allowed?: () => readonly UpstreamConfig[];
}

/** The longest name Shelf looks up upstream: npm's limit for new names, and no older name is longer. */
const MAX_NAME_LENGTH = 214;
const MAX_REDIRECTS = 5;

const hostOf = (url: string) => new URL(url).host;

/**
 * Refuses, before anything leaves, a name no registry can hold: npm's rules for names old packages may have (so
 * `JSONStream` still mirrors), at most 214 characters. Everything that steers a URL (`/`, `\`, `..`, `?`, `#`, `%`,
 * control characters) fails these rules.
 */
export function assertMirrorableName(name: string): void {
  const shown = JSON.stringify(name.length > 80 ? `${name.slice(0, 80)}…` : name);
  if (name.length > MAX_NAME_LENGTH)
    throw badRequest(`${shown} is not a valid package name (longer than ${MAX_NAME_LENGTH} characters); it is not looked up upstream`);
  const result = validateName(name);
  if (!result.validForOldPackages)
    throw badRequest(
      `${shown} is not a valid package name (${[...new Set(result.errors ?? [])].join('; ')}); it is not looked up upstream`,
    );
  // npm's rules let a scope be `..` (`@../x`); no registry has such a scope, and a dot segment has no place in a path.
  if (/^@[._]/.test(name))
    throw badRequest(`${shown} is not a valid package name (a scope cannot start with '.' or '_'); it is not looked up upstream`);
}

/** The packument's path below a registry's base URL, encoded as npm sends it: `name`, or `@scope%2fname`. */
export function packumentPath(name: string): string {
  assertMirrorableName(name);
  if (!name.startsWith('@')) return encodeURIComponent(name);
  const slash = name.indexOf('/');
  return `@${encodeURIComponent(name.slice(1, slash))}%2f${encodeURIComponent(name.slice(slash + 1))}`;
}

/**
 * Whether `url` lies under the registry base `base`: same origin, a path starting with the base's path once `.` and `..`
 * segments are resolved (the URL parser does that, `%2e%2e` included), no credentials, no fragment, and nothing in the
 * decoded path that a server might read as another path (`..` segments, backslashes, NUL).
 */
export function liesUnder(url: string, base: string): boolean {
  let target: URL;
  let root: URL;
  try {
    target = new URL(url);
    root = new URL(base);
  } catch {
    return false;
  }
  if (target.origin !== root.origin || target.username || target.password || target.hash) return false;
  if (!target.pathname.startsWith(root.pathname.endsWith('/') ? root.pathname : `${root.pathname}/`)) return false;
  let decoded: string;
  try {
    decoded = decodeURIComponent(target.pathname);
  } catch {
    return false;
  }
  return !/(^|\/)\.\.?(\/|$)|\\|\0/.test(decoded);
}

/** The configured upstream whose base URL `url` lies under, if any. */
export function upstreamOwning(url: string, upstreams: readonly UpstreamConfig[]): UpstreamConfig | undefined {
  return upstreams.find((u) => liesUnder(url, u.url));
}

/** A failure reading the body that another attempt may not repeat (a reset, a cut-off transfer). */
class BodyFailure extends Error {
  constructor(readonly original: unknown) {
    super('body failed');
  }
}

export function formatDuration(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Number((ms / 1000).toFixed(1))} s`;
}

export function formatSize(bytes: number): string {
  return bytes >= 1024 ** 2 ? `${Number((bytes / 1024 ** 2).toFixed(1))} MB` : `${Number((bytes / 1024).toFixed(1))} kB`;
}

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

  get host(): string {
    return hostOf(this.upstream.url);
  }

  /** The full packument (time and every manifest are needed for both renderings and for offline trimming). */
  async packument(name: string, validators: { etag?: string | null; lastModified?: string | null } = {}): Promise<UpstreamDocument> {
    const url = `${this.upstream.url}${packumentPath(name)}`;
    if (!liesUnder(url, this.upstream.url)) throw badRequest(`'${name}' does not make a path under the upstream's address`);
    const headers: Record<string, string> = { accept: 'application/json', 'accept-encoding': 'gzip' };
    if (validators.etag) headers['if-none-match'] = validators.etag;
    else if (validators.lastModified) headers['if-modified-since'] = validators.lastModified;
    const what = `the packument of ${name}`;
    return this.exchange(url, headers, what, async (response): Promise<UpstreamDocument> => {
      if (response.status === 304 || response.status === 404) {
        await response.body?.cancel().catch(() => undefined);
        return { status: response.status };
      }
      const body = await this.readCapped(
        response,
        this.options.maxDocumentBytes,
        () =>
          new ShelfError(
            'upstream_failed',
            `the upstream ${this.host} sent more than ${formatSize(this.options.maxDocumentBytes)} for ${what} (the limit is --upstream-max-document); nothing was cached`,
          ),
      );
      return {
        status: 200,
        body,
        etag: response.headers.get('etag'),
        lastModified: response.headers.get('last-modified'),
        contentType: response.headers.get('content-type'),
      };
    });
  }

  /**
   * A tarball, read whole and capped at `maxBytes`. The URL comes from the upstream's packument, so it is fetched only
   * when it lies under a configured upstream's base URL (checked by the caller, again here and at every redirect).
   */
  async tarball(url: string, what: string, maxBytes: number): Promise<Buffer> {
    if (!liesUnder(url, this.upstream.url)) throw this.outside(url, what);
    return this.exchange(url, { accept: 'application/octet-stream' }, what, async (response) => {
      if (response.status === 404) {
        await response.body?.cancel().catch(() => undefined);
        throw new ShelfError('not_found', `${what} is not on the upstream ${this.host} (404)`);
      }
      return this.readCapped(
        response,
        maxBytes,
        () =>
          new ShelfError(
            'upstream_failed',
            `${what} from the upstream ${this.host} is larger than this registry caches from upstreams (${formatSize(maxBytes)}, --upstream-max-tarball); nothing was cached`,
          ),
      );
    });
  }

  /** A JSON POST (npm's audit endpoints) to a fixed path below the base URL. */
  async post(path: string, body: Buffer, headers: Record<string, string>): Promise<{ status: number; body: unknown }> {
    const url = `${this.upstream.url}${path}`;
    if (!liesUnder(url, this.upstream.url)) throw this.outside(url, path);
    return this.exchange(
      url,
      headers,
      path,
      async (response) => {
        if (response.status >= 400) {
          await response.body?.cancel().catch(() => undefined);
          return { status: response.status, body: null };
        }
        const bytes = await this.readCapped(
          response,
          this.options.maxDocumentBytes,
          () =>
            new ShelfError(
              'upstream_failed',
              `the upstream ${this.host} answered ${path} with more than ${formatSize(this.options.maxDocumentBytes)}`,
            ),
        );
        try {
          return { status: response.status, body: JSON.parse(bytes.toString('utf8')) as unknown };
        } catch {
          throw new ShelfError('upstream_failed', `the upstream ${this.host} answered ${path} with something that is not JSON`);
        }
      },
      { method: 'POST', body },
    );
  }

  private outside(url: string, what: string): ShelfError {
    let where = 'an address that is not a URL';
    try {
      where = new URL(url).origin;
    } catch {
      /* keep the generic words */
    }
    return new ShelfError(
      'upstream_failed',
      `the upstream ${this.host} points ${what} at ${where}, outside the configured upstream addresses; Shelf fetches only from its upstreams (add that registry with --upstream if it is trusted)`,
    );
  }

  /**
   * One request under one deadline: attempts with backoff while time is left, the body read inside the same deadline.
   * `read` turns a non-5xx response into the result; a ShelfError it throws is final, a network error mid-body is retried.
   */
  private async exchange<T>(
    url: string,
    headers: Record<string, string>,
    what: string,
    read: (response: Response) => Promise<T>,
    init: { method?: string; body?: Buffer } = {},
  ): Promise<T> {
    const started = Date.now();
    const deadline = AbortSignal.timeout(this.options.timeoutMs);
    let lastError: ShelfError | undefined;
    let attempts = 0;
    for (let attempt = 0; attempt <= this.options.retries; attempt++) {
      if (attempt > 0) {
        const wait = Math.min(250 * 2 ** (attempt - 1), 4000);
        // No time left for another attempt within the limit: report what the last one found.
        if (Date.now() - started + wait >= this.options.timeoutMs) break;
        await this.sleep(wait);
      }
      attempts++;
      try {
        const response = await this.send(url, headers, what, init, deadline);
        if (response.status >= 500) {
          await response.body?.cancel().catch(() => undefined);
          lastError = new ShelfError(
            'upstream_failed',
            `the upstream ${this.host} answered ${response.status} for ${what}; try again later`,
          );
          continue;
        }
        if (response.status >= 400 && response.status !== 404) {
          await response.body?.cancel().catch(() => undefined);
          throw new ShelfError(
            'upstream_failed',
            `the upstream ${this.host} refused ${what} with ${response.status}${response.status === 401 || response.status === 403 ? '; check the upstream token' : ''}`,
          );
        }
        return await read(response);
      } catch (error) {
        if (error instanceof ShelfError) throw error;
        const inBody = error instanceof BodyFailure;
        lastError = describeFailure(inBody ? error.original : error, url, what, this.options.timeoutMs, {
          phase: inBody ? 'body' : 'headers',
          attempts,
        });
        if (lastError.code === 'upstream_timeout') break;
      }
    }
    throw lastError!;
  }

  /** Sends one attempt, following redirects only to addresses under a configured upstream; the token goes to its own upstream only. */
  private async send(
    url: string,
    headers: Record<string, string>,
    what: string,
    init: { method?: string; body?: Buffer },
    signal: AbortSignal,
  ): Promise<Response> {
    const allowed = this.options.allowed?.() ?? [this.upstream];
    let target = url;
    let method = init.method;
    let body = init.body;
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      if (!liesUnder(target, this.upstream.url) && !upstreamOwning(target, allowed)) throw this.outside(target, what);
      const sent: Record<string, string> = { ...headers };
      if (this.options.token && liesUnder(target, this.upstream.url)) sent.authorization = `Bearer ${this.options.token}`;
      const response = await this.fetchImpl(target, { headers: sent, method, body, signal, redirect: 'manual' });
      if (![301, 302, 303, 307, 308].includes(response.status)) return response;
      const location = response.headers.get('location');
      await response.body?.cancel().catch(() => undefined);
      if (!location) throw new ShelfError('upstream_failed', `the upstream ${this.host} redirected ${what} without saying where`);
      target = new URL(location, target).href;
      if (response.status === 303) {
        method = 'GET';
        body = undefined;
      }
    }
    throw new ShelfError('upstream_failed', `the upstream ${this.host} redirected ${what} more than ${MAX_REDIRECTS} times`);
  }

  /** Reads a body while counting: over `max` (declared or as it streams in) the transfer is stopped at once. */
  private async readCapped(response: Response, max: number, tooLarge: () => ShelfError): Promise<Buffer> {
    const encoded = response.headers.get('content-encoding');
    const declared = encoded ? NaN : Number(response.headers.get('content-length') ?? NaN);
    if (declared > max) {
      await response.body?.cancel().catch(() => undefined);
      throw tooLarge();
    }
    if (!response.body) return Buffer.alloc(0);
    const chunks: Buffer[] = [];
    let total = 0;
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        total += chunk.byteLength;
        if (total > max) throw tooLarge(); // leaving the loop cancels the stream
        chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      }
    } catch (error) {
      if (error instanceof ShelfError) throw error;
      throw new BodyFailure(error);
    }
    if (!Number.isNaN(declared) && total !== declared)
      throw new BodyFailure(Object.assign(new Error('truncated'), { truncated: { total, declared } }));
    return Buffer.concat(chunks, total);
  }
}

/** Time-outs are 504, unreachable upstreams and broken answers 502: never a 404 for something that may exist. */
export function describeFailure(
  error: unknown,
  url: string,
  what: string,
  timeoutMs: number,
  context: { phase?: 'headers' | 'body'; attempts?: number } = {},
): ShelfError {
  const err = error as {
    name?: string;
    cause?: { code?: string; message?: string };
    message?: string;
    truncated?: { total: number; declared: number };
  };
  const host = hostOf(url);
  if (err.name === 'TimeoutError' || err.name === 'AbortError') {
    const attempts = context.attempts ?? 1;
    return new ShelfError(
      'upstream_timeout',
      `the upstream ${host} ${context.phase === 'body' ? `did not finish sending ${what} within ${formatDuration(timeoutMs)}` : `did not answer within ${formatDuration(timeoutMs)} for ${what}`} ` +
        `(--upstream-timeout, the limit for the whole request: ${attempts} attempt${attempts === 1 ? '' : 's'} and the body)`,
    );
  }
  if (err.truncated) {
    return new ShelfError(
      'upstream_failed',
      `the upstream ${host} sent ${what} truncated (${err.truncated.total} of ${err.truncated.declared} bytes); nothing was cached`,
    );
  }
  const code = err.cause?.code ?? '';
  if (context.phase === 'body')
    return new ShelfError('upstream_failed', `the upstream ${host} dropped the connection while sending ${what}; nothing was cached`);
  const reason =
    code === 'ECONNREFUSED'
      ? 'refused the connection'
      : code === 'ENOTFOUND' || code === 'EAI_AGAIN'
        ? 'could not be found (DNS)'
        : code === 'ECONNRESET' || code === 'UND_ERR_SOCKET'
          ? 'dropped the connection'
          : `could not be reached (${code || err.cause?.message || err.message || 'network error'})`;
  return new ShelfError('upstream_failed', `the upstream ${host} ${reason} while fetching ${what}`);
}
