// One client for another npm registry as a person uses it from the command line: which token (given, else the one
// `shelf login` stored), JSON requests whose failures become one actionable ShelfError naming the registry, and
// downloads that send the token only to the registry's own origin.
import { ShelfError } from '../../errors';
import { openCredentialStore, type CredentialStore } from '../credentials/credential-store';
import { registryBase, tokenAccount } from './names';

export interface RegistryClientOptions {
  /** The registry's address. */
  registry: string;
  /** A token given for this run (--token, SHELF_TOKEN); else the stored one is used. */
  token?: string;
  fetch?: typeof fetch;
  /** Injected in tests; defaults to the system keychain (memory when none is reachable, with a warning). */
  credentials?: CredentialStore;
}

export class RemoteRegistryClient {
  readonly registry: string;
  private store?: CredentialStore;

  constructor(private readonly options: RegistryClientOptions) {
    this.registry = registryBase(options.registry);
  }

  async credentials(): Promise<CredentialStore> {
    this.store ??= this.options.credentials ?? (await openCredentialStore());
    return this.store;
  }

  /** The token given for this run, else the one stored for this registry. */
  async token(): Promise<string | undefined> {
    return this.options.token ?? (await (await this.credentials()).get(tokenAccount(this.registry)));
  }

  async storeToken(token: string): Promise<CredentialStore> {
    const store = await this.credentials();
    await store.set(tokenAccount(this.registry), token);
    return store;
  }

  async forgetToken(): Promise<void> {
    await (await this.credentials()).delete(tokenAccount(this.registry));
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
      response = await (this.options.fetch ?? fetch)(this.url(path), {
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

  /** Bytes from a URL the registry named (a tarball); the token goes along only to the registry's own origin. */
  async bytes(url: string, what: string): Promise<Buffer> {
    const token = await this.token();
    const sameOrigin = new URL(url).origin === new URL(this.registry).origin;
    let response: Response;
    try {
      response = await (this.options.fetch ?? fetch)(url, { headers: token && sameOrigin ? { authorization: `Bearer ${token}` } : {} });
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
