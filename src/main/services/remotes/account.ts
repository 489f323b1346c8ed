// An account on another registry (or this Shelf, reached over HTTP as npm reaches it): log in and keep the token, log
// out (revoking it), who the token belongs to, and the npm token API. The command line prints what these return.
import { ShelfError } from '../../errors';
import type { CredentialStore } from '../credentials/credential-store';
import { couchLogin } from './names';
import type { RemoteRegistryClient } from './registry-client';

/** A token as npm's token API lists it (the secret itself only once, when created). */
export interface RemoteToken {
  key: string;
  token: string;
  name?: string | null;
  created: string;
  expires?: string | null;
  readonly: boolean;
  cidr_whitelist: string[] | null;
}

/** Logs in (or signs up where the registry allows it) and stores the token for the registry. */
export async function logIn(
  client: RemoteRegistryClient,
  name: string,
  password: string,
  email: string,
): Promise<{ store: CredentialStore }> {
  const login = couchLogin(name, password, email);
  const result = await client.json<{ token?: string }>('PUT', login.path, { body: login.body, token: null, what: `log in as ${name}` });
  if (!result.token)
    throw new ShelfError('internal', `${client.registry} accepted the login but sent no token; is it an npm-compatible registry?`);
  return { store: await client.storeToken(result.token) };
}

/** Revokes the stored (or given) token on the registry, then forgets it. */
export async function logOut(client: RemoteRegistryClient): Promise<void> {
  const token = await client.requireToken('logging out');
  await client.json('DELETE', `-/user/token/${encodeURIComponent(token)}`, { token, what: 'revoke the login token' });
  await client.forgetToken();
}

export async function whoami(client: RemoteRegistryClient): Promise<string> {
  const token = await client.requireToken('whoami');
  const { username } = await client.json<{ username: string }>('GET', '-/whoami', { token, what: 'say who you are' });
  return username;
}

export async function listTokens(client: RemoteRegistryClient): Promise<RemoteToken[]> {
  const token = await client.requireToken('listing tokens');
  const { objects } = await client.json<{ objects: RemoteToken[] }>('GET', '-/npm/v1/tokens', { token, what: 'list your tokens' });
  return objects;
}

/** Creates a token; the registry asks for the account's password again (asked for once a token is known to be there). */
export async function createToken(
  client: RemoteRegistryClient,
  password: () => Promise<string>,
  options: { readOnly: boolean; cidr: string[]; expires?: number | string; name?: string },
): Promise<RemoteToken> {
  const token = await client.requireToken('creating a token');
  const body = {
    password: await password(),
    readonly: options.readOnly,
    cidr_whitelist: options.cidr,
    ...(options.expires !== undefined && { expires: options.expires }),
    ...(options.name && { name: options.name }),
  };
  return client.json<RemoteToken>('POST', '-/npm/v1/tokens', { body, token, what: 'create a token' });
}

export async function revokeToken(client: RemoteRegistryClient, key: string): Promise<void> {
  const token = await client.requireToken('revoking a token');
  await client.json('DELETE', `-/npm/v1/tokens/token/${encodeURIComponent(key)}`, { token, what: `revoke token ${key}` });
}
