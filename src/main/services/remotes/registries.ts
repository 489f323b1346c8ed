// Remote registries the user added: their addresses in <data-dir>/registries.json, their tokens in the credential store
// (keychain, else memory with a warning). Token secrets stay in the main process; the UI sees the last four characters.
// Every request goes through the address guard (address-guard.ts): no loopback or private targets
// unless the policy allows them, one message for every network failure, and never a remote's response body in a message.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import type { RegistryEntry } from '../../../shared/contract';
import { badRequest, notFound, ShelfError } from '../../errors';
import { openCredentialStore, type CredentialStore } from '../credentials/credential-store';
import { guardedFetch, unreachable, type AddressPolicy, type FetchLike } from './address-guard';
import { couchLogin, registryBase, tokenAccount } from './names';

export type { FetchLike };

interface StoredRemote {
  id: string;
  url: string;
}

/** What is reachable when nothing says otherwise: public addresses only. */
const PUBLIC_ONLY: AddressPolicy = { allowPrivate: false };

type Probe = Pick<RegistryEntry, 'online' | 'latencyMs' | 'signedInAs' | 'error'> & { refusal?: ShelfError };

export class RemoteRegistries {
  private store?: Promise<CredentialStore>;

  constructor(
    private readonly dataDir: string,
    /** The network for a policy; tests may hand in their own. */
    private readonly fetchFor: (policy: AddressPolicy) => FetchLike = guardedFetch,
    private readonly openStore: () => Promise<CredentialStore> = () => openCredentialStore(),
  ) {}

  credentials(): Promise<CredentialStore> {
    this.store ??= this.openStore();
    return this.store;
  }

  private file(): string {
    return join(this.dataDir, 'registries.json');
  }

  private read(): StoredRemote[] {
    if (!existsSync(this.file())) return [];
    try {
      return JSON.parse(readFileSync(this.file(), 'utf8')) as StoredRemote[];
    } catch {
      return [];
    }
  }

  /** Pings the registry and asks who the token belongs to; reports statuses, never what the remote wrote. */
  async probe(url: string, token: string | undefined, policy: AddressPolicy = PUBLIC_ONLY): Promise<Probe> {
    const fetchImpl = this.fetchFor(policy);
    const started = performance.now();
    try {
      const ping = await fetchImpl(new URL('-/ping', url).toString(), { signal: AbortSignal.timeout(5000) });
      await ping.arrayBuffer().catch(() => undefined);
      const latencyMs = Math.round(performance.now() - started);
      if (!ping.ok) return { online: false, latencyMs, signedInAs: null, error: `the registry answered ${ping.status} to a ping` };
      if (!token) return { online: true, latencyMs, signedInAs: null, error: null };
      const who = await fetchImpl(new URL('-/whoami', url).toString(), {
        headers: { authorization: `Bearer ${token}` },
        signal: AbortSignal.timeout(5000),
      });
      const body = (await who.json().catch(() => ({}))) as { username?: unknown };
      if (!who.ok)
        return { online: true, latencyMs, signedInAs: null, error: `the token was refused (${who.status}); paste a valid token` };
      return { online: true, latencyMs, signedInAs: typeof body.username === 'string' ? body.username.slice(0, 214) : null, error: null };
    } catch (error) {
      // A refused target keeps its reason; every network failure reads the same, naming the address as it was given.
      const failure = error instanceof ShelfError && error.code === 'permission_denied' ? error : unreachable(url);
      return {
        online: false,
        latencyMs: null,
        signedInAs: null,
        error: failure.message,
        refusal: failure.code === 'permission_denied' ? failure : undefined,
      };
    }
  }

  async list(policy: AddressPolicy = PUBLIC_ONLY): Promise<RegistryEntry[]> {
    const store = await this.credentials();
    return Promise.all(
      this.read().map(async (remote) => {
        const token = await storedToken(store, remote.url);
        const { refusal: _refusal, ...probe } = await this.probe(remote.url, token, policy);
        return {
          id: remote.id,
          url: remote.url,
          kind: 'remote' as const,
          credentialBackend: store.backend,
          tokenLastFour: token ? token.slice(-4) : null,
          ...probe,
        };
      }),
    );
  }

  async add(
    input: { url: string; token?: string; username?: string; password?: string },
    policy: AddressPolicy = PUBLIC_ONLY,
  ): Promise<RegistryEntry> {
    const url = registryBase(input.url);
    // Without a token or a login, the one `shelf login` kept for this address (same keychain account) is used.
    let token = input.token ?? (input.username || input.password ? undefined : await storedToken(await this.credentials(), url));
    if (!token && input.username && input.password) token = await this.login(url, input.username, input.password, policy);
    if (!token && (input.username || input.password)) throw badRequest('give both a username and a password, or paste a token');
    const { refusal, ...probe } = await this.probe(url, token, policy);
    if (refusal) throw refusal;
    if (!probe.online) throw new ShelfError('upstream_failed', probe.error ?? unreachable(url).message);
    if (probe.error) throw badRequest(probe.error);
    const store = await this.credentials();
    const id = createHash('sha256').update(url).digest('hex').slice(0, 12);
    if (token) await store.set(tokenAccount(url), token);
    const remotes = this.read().filter((r) => r.id !== id);
    remotes.push({ id, url });
    writeFileSync(this.file(), JSON.stringify(remotes, null, 2), { mode: 0o600 });
    return { id, url, kind: 'remote', credentialBackend: store.backend, tokenLastFour: token ? token.slice(-4) : null, ...probe };
  }

  /** A remote by id, with its stored token (main process only: the token never goes to the renderer). */
  async target(id: string): Promise<{ id: string; url: string; token: string | undefined }> {
    const remote = this.read().find((r) => r.id === id);
    if (!remote) throw notFound(`there is no remote registry '${id}'; add it on the Registries screen first`);
    return { id: remote.id, url: remote.url, token: await storedToken(await this.credentials(), remote.url) };
  }

  /** A remote by id, ready to be called: its address, stored token, and the network its probes use under the policy. */
  async connect(
    id: string,
    policy: AddressPolicy = PUBLIC_ONLY,
  ): Promise<{ id: string; url: string; token: string | undefined; fetch: FetchLike }> {
    return { ...(await this.target(id)), fetch: this.fetchFor(policy) };
  }

  /** The Registries screen: this Shelf first, then the remotes when the caller may act with them (`showRemotes`). */
  async overview(
    local: { url: string; signedInAs: string },
    showRemotes: boolean,
    policy: AddressPolicy = PUBLIC_ONLY,
  ): Promise<{ registries: RegistryEntry[]; activeId: string }> {
    const here: RegistryEntry = {
      id: 'local',
      url: local.url,
      kind: 'local',
      online: true,
      latencyMs: 0,
      signedInAs: local.signedInAs,
      credentialBackend: null,
      tokenLastFour: null,
      error: null,
    };
    return { registries: [here, ...(showRemotes ? await this.list(policy) : [])], activeId: 'local' };
  }

  /** The network this object uses under a policy, so calls to a remote (publishing) go the same way as its probes. */
  fetch(policy: AddressPolicy = PUBLIC_ONLY): FetchLike {
    return this.fetchFor(policy);
  }

  async remove(id: string): Promise<void> {
    const remotes = this.read();
    const remote = remotes.find((r) => r.id === id);
    if (!remote) throw notFound(`there is no remote registry '${id}'`);
    const store = await this.credentials();
    await store.delete(tokenAccount(remote.url));
    await store.delete(remote.url);
    writeFileSync(
      this.file(),
      JSON.stringify(
        remotes.filter((r) => r.id !== id),
        null,
        2,
      ),
      { mode: 0o600 },
    );
  }

  /** npm's couch login: PUT /-/user/org.couchdb.user:NAME answers with a token. */
  private async login(url: string, username: string, password: string, policy: AddressPolicy): Promise<string> {
    const login = couchLogin(username, password);
    let response: Response;
    try {
      response = await this.fetchFor(policy)(new URL(login.path, url).toString(), {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(login.body),
        signal: AbortSignal.timeout(10_000),
      });
    } catch (error) {
      if (error instanceof ShelfError && error.code === 'permission_denied') throw error;
      throw unreachable(url);
    }
    const body = (await response.json().catch(() => ({}))) as { token?: unknown };
    if (!response.ok || typeof body.token !== 'string' || !body.token)
      throw badRequest(`signing in to ${url} failed (${response.status}); check the username and password`);
    return body.token;
  }
}

/** The token kept for a registry: under the account the command line uses too, else where earlier versions kept it (the URL). */
async function storedToken(store: CredentialStore, url: string): Promise<string | undefined> {
  return (await store.get(tokenAccount(url))) ?? (await store.get(url));
}
