// Publishing to a remote registry the user added: the same PUT `npm publish` sends, with the token kept in the credential
// store, then the published version is read back (packument and tarball) and checked against what was packed.
import ssri from 'ssri';
import { ShelfError } from '../../errors';
import type { PackedFolder } from '../packer/pack-folder';
import { publishBody } from '../packer/pack-folder';
import { unreachable, type FetchLike } from './address-guard';
import { packumentUrl } from './names';

export interface RemoteTarget {
  url: string;
  token: string | undefined;
  fetch: FetchLike;
}

export { packumentUrl };

/** A refusal by the remote, by its status alone: the remote's body is never quoted (it could be anyone's page). */
function refusal(url: string, status: number, what: string): ShelfError {
  const detail = `${url} refused ${what} (${status})`;
  if (status === 401 || status === 403)
    return new ShelfError(
      'permission_denied',
      `${detail}; the stored token may be expired or lack publish rights — add the registry again`,
    );
  if (status === 409) return new ShelfError('conflict', `${detail}; raise "version" in package.json (npm version patch)`);
  if (status >= 500) return new ShelfError('upstream_failed', `${detail}; try again later`);
  return new ShelfError('invalid_request', detail);
}

/** The token goes only to the registry's own origin (as npm scopes it), never to a tarball host elsewhere. */
function sameOrigin(a: string, b: string): boolean {
  try {
    return new URL(a).origin === new URL(b).origin;
  } catch {
    return false;
  }
}

async function send(target: RemoteTarget, url: string, init: RequestInit, timeoutMs: number): Promise<Response> {
  const auth: Record<string, string> = target.token && sameOrigin(url, target.url) ? { authorization: `Bearer ${target.token}` } : {};
  try {
    return await target.fetch(url, {
      ...init,
      headers: { ...(init.headers as Record<string, string>), ...auth },
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    if (error instanceof ShelfError && error.code !== 'upstream_failed') throw error;
    throw unreachable(target.url);
  }
}

/** The remote's packument, or undefined when it has no such package (404). */
export async function remotePackument(target: RemoteTarget, name: string): Promise<Record<string, unknown> | undefined> {
  const response = await send(target, packumentUrl(target.url, name), { headers: { accept: 'application/json' } }, 30_000);
  if (response.status === 404) return undefined;
  if (!response.ok) {
    await response.arrayBuffer().catch(() => undefined);
    throw refusal(target.url, response.status, `reading ${name}`);
  }
  try {
    return (await response.json()) as Record<string, unknown>;
  } catch {
    throw new ShelfError('upstream_failed', `${target.url} answered with something other than a package document for ${name}`);
  }
}

/** Publishes, then verifies: the remote's packument names the packed integrity and its tarball hashes to it. */
export async function publishToRemote(
  target: RemoteTarget,
  packed: PackedFolder,
  tag: string,
): Promise<{ name: string; version: string; integrity: string; verified: boolean }> {
  if (!target.token)
    throw new ShelfError(
      'permission_denied',
      `no token is stored for ${target.url}; add the registry again with a token or a username and password`,
    );
  const name = String(packed.manifest.name);
  const version = String(packed.manifest.version);
  const response = await send(
    target,
    packumentUrl(target.url, name),
    {
      method: 'PUT',
      headers: { 'content-type': 'application/json', accept: 'application/json', 'npm-command': 'publish' },
      body: JSON.stringify(publishBody(packed, tag, target.url)),
    },
    120_000,
  );
  if (!response.ok) {
    await response.arrayBuffer().catch(() => undefined);
    throw refusal(target.url, response.status, `the publish of ${name}@${version}`);
  }
  await response.arrayBuffer().catch(() => undefined);

  const packument = await remotePackument(target, name);
  const manifest = (packument?.versions as Record<string, { dist?: { integrity?: string; tarball?: string } }> | undefined)?.[version];
  const integrity = manifest?.dist?.integrity;
  let verified = false;
  if (integrity === packed.integrity && manifest?.dist?.tarball) {
    // The publish went through; a read-back that fails (or points where Shelf may not go) only leaves it unverified.
    const tarball = await send(target, manifest.dist.tarball, {}, 120_000).catch(() => undefined);
    const bytes = tarball?.ok ? await tarball.arrayBuffer().catch(() => undefined) : undefined;
    verified = bytes !== undefined && Boolean(ssri.checkData(Buffer.from(bytes), packed.integrity));
  }
  // What was packed; `verified` says whether the remote holds exactly that (its own claim is not repeated back).
  return { name, version, integrity: packed.integrity, verified };
}
