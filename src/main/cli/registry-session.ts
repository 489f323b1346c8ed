// Owns what the account, token, publish, search and info commands share: which registry, which token (flag, SHELF_TOKEN, or the one `shelf login` stored), and JSON requests with clear errors.
import { ShelfError } from '../errors';
import { openCredentialStore, type CredentialStore } from '../services/credentials/credential-store';
import { registryUrl, type CommandIO, type RegistryFlags } from './command-io';
import type { InputIO } from './terminal-input';

export interface SessionIO extends CommandIO, InputIO {
  /** Injected in tests; defaults to the system keychain (memory when none is reachable, with a warning). */
  credentials?: CredentialStore;
}

export const accountFor = (registry: string): string => `registry-token:${registry}`;

export class RegistrySession {
  readonly registry: string;
  private store?: CredentialStore;

  constructor(
    private readonly io: SessionIO,
    private readonly flags: RegistryFlags,
  ) {
    this.registry = registryUrl(io, flags);
  }

  async credentials(): Promise<CredentialStore> {
    this.store ??= this.io.credentials ?? (await openCredentialStore());
    return this.store;
  }

  /** --token, else SHELF_TOKEN, else the token `shelf login` stored for this registry. */
  async token(): Promise<string | undefined> {
    return this.flags.token ?? this.io.env.SHELF_TOKEN ?? (await (await this.credentials()).get(accountFor(this.registry)));
  }

  async requireToken(action: string): Promise<string> {
    const token = await this.token();
    if (!token)
      throw new ShelfError(
        'authentication_required',
        `${action} needs you to be logged in to ${this.registry}; run \`shelf login\` or pass --token`,
      );
    return token;
  }

  url(path: string): string {
    return new URL(path.replace(/^\//, ''), this.registry).toString();
  }

  /** A JSON request; failures become one actionable ShelfError naming the registry, status and its message. */
  async json<T>(method: string, path: string, options: { body?: unknown; token?: string | null; what: string }): Promise<T> {
    const token = options.token === null ? undefined : (options.token ?? (await this.token()));
    const headers: Record<string, string> = { accept: 'application/json', 'user-agent': 'shelf-cli' };
    if (token) headers.authorization = `Bearer ${token}`;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    if (method === 'PUT' && path !== '' && !path.startsWith('-/')) headers['npm-command'] = 'publish';
    let response: Response;
    try {
      response = await (this.io.fetch ?? fetch)(this.url(path), {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
      });
    } catch (error) {
      throw new ShelfError(
        'internal',
        `could not reach ${this.registry} to ${options.what} (${networkReason(error)}); is it running? (--registry)`,
      );
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : {};
    } catch {
      // An HTML error page or a proxy's text: keep the error to one line, and never take it for a registry's answer.
      if (response.ok)
        throw new ShelfError(
          'internal',
          `${this.registry} answered the request to ${options.what} with something that is not JSON; is it an npm registry? (--registry)`,
        );
      parsed = { error: oneLine(text.replace(/<[^>]*>/g, ' ')) };
    }
    if (!response.ok) {
      const body = (parsed ?? {}) as { error?: unknown; message?: unknown };
      const message = oneLine(String(body.error ?? body.message ?? ''));
      const hint =
        response.status === 401
          ? '; run `shelf login` or pass --token'
          : response.status === 403
            ? '; your token may lack the scope for this'
            : '';
      const code =
        response.status === 401
          ? 'authentication_required'
          : response.status === 403
            ? 'permission_denied'
            : response.status === 404
              ? 'not_found'
              : 'invalid_request';
      throw new ShelfError(code, `${this.registry} refused to ${options.what} (${response.status}${message ? `: ${message}` : ''})${hint}`);
    }
    return parsed as T;
  }

  async bytes(url: string, what: string): Promise<Buffer> {
    const token = await this.token();
    const sameOrigin = new URL(url).origin === new URL(this.registry).origin;
    let response: Response;
    try {
      response = await (this.io.fetch ?? fetch)(url, { headers: token && sameOrigin ? { authorization: `Bearer ${token}` } : {} });
    } catch (error) {
      throw new ShelfError('internal', `could not download ${what} from ${url} (${networkReason(error)})`);
    }
    if (!response.ok) throw new ShelfError('internal', `${this.registry} answered ${response.status} for ${what}`);
    return Buffer.from(await response.arrayBuffer());
  }
}

/** fetch says only "fetch failed"; the reason (ECONNREFUSED, ENOTFOUND…) is in its cause. */
function networkReason(error: unknown): string {
  const { message, cause } = error as Error & { cause?: unknown };
  return cause instanceof Error && cause.message ? cause.message : message;
}

/** A message fit for one stderr line: runs of whitespace (newlines too) collapsed, at most 120 characters. */
function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 120 ? `${flat.slice(0, 117)}...` : flat;
}

/** Encodes a package name for a registry path (`@scope%2fname`). */
export const packagePath = (name: string): string =>
  name.startsWith('@') ? `@${encodeURIComponent(name.slice(1))}` : encodeURIComponent(name);
