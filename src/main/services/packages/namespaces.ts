// Namespaces: a scope belongs to whoever first published into it (plus whom an admin granted it), and a wholly
// unpublished name stays reserved for its former owners for a while, so nobody can take it over the moment it frees.
import { badRequest, forbidden, notFound } from '../../errors';
import {
  addScopeOwner,
  clearUnpublishedName,
  removeScopeOwner,
  reservationsOf,
  reserveUnpublishedName,
  scopeOwners,
} from '../../storage/db/packages';
import { findUserByName } from '../../storage/db/users';
import { requireScope, type Principal } from '../auth/principal';
import type { PackageContext } from './context';
import { allows, RIGHTS } from './rights';

/** npm keeps an unpublished name for 24 hours; --unpublish-reserve changes it. */
export const DEFAULT_UNPUBLISH_RESERVE_MS = 24 * 60 * 60 * 1000;

const SCOPE = /^@[a-z0-9][a-z0-9._~-]*$/;

/** '@scope' of a scoped name, lower case; undefined for unscoped names. */
export function scopeOf(name: string): string | undefined {
  return name.startsWith('@') && name.includes('/') ? name.slice(0, name.indexOf('/')).toLowerCase() : undefined;
}

function reserveMs(ctx: PackageContext): number {
  return ctx.limits.unpublishReserveMs ?? DEFAULT_UNPUBLISH_RESERVE_MS;
}

/**
 * May the caller create this package? Runs before the tarball is stored and again inside the publish's transaction.
 * Admins may always; everyone else must own the scope (when it has owners) and not be taking a just-unpublished name.
 */
export async function checkNewPackageName(ctx: PackageContext, caller: Principal, name: string): Promise<void> {
  if (caller.user.isAdmin) return;
  const now = ctx.now().getTime();
  const reserved = await reservationsOf(ctx.db, name, new Date(now - reserveMs(ctx)).toISOString());
  if (reserved.length > 0 && !reserved.some((r) => r.user_id === caller.user.id)) {
    const until = new Date(Date.parse(reserved[0]!.unpublished_at) + reserveMs(ctx)).toISOString();
    throw forbidden(
      `'${name}' was unpublished recently and stays reserved for its former owners until ${until}; choose another name or ask them`,
    );
  }
  const scope = scopeOf(name);
  if (!scope) return;
  const owners = await scopeOwners(ctx.db, scope);
  if (owners.length > 0 && !owners.some((o) => o.user_id === caller.user.id)) {
    throw forbidden(
      `the scope ${scope} belongs to ${owners.map((o) => o.name).join(', ')}, so you cannot publish new packages into it; ` +
        `publish under your own scope, or ask an admin to grant you ${scope}`,
    );
  }
}

/** Inside the transaction that creates a package: the first publisher into an unowned scope becomes its owner. */
export async function claimScope(ctx: PackageContext, caller: Principal, name: string): Promise<void> {
  const scope = scopeOf(name);
  if (scope && (await scopeOwners(ctx.db, scope)).length === 0)
    await addScopeOwner(ctx.db, scope, caller.user.id, ctx.now().toISOString(), null);
  await clearUnpublishedName(ctx.db, name);
}

/** Inside an unpublish's transaction: the name stays reserved for these former owners. */
export async function reserveName(ctx: PackageContext, name: string, ownerIds: readonly number[]): Promise<void> {
  await reserveUnpublishedName(ctx.db, name, ownerIds, ctx.now().toISOString());
}

function normalScope(scope: string): string {
  const s = (scope.startsWith('@') ? scope : `@${scope}`).toLowerCase();
  if (!SCOPE.test(s)) throw badRequest(`'${scope}' is not a scope; write it as @name`);
  return s;
}

function requireGrantRight(principal: Principal | undefined): Principal {
  const right = RIGHTS['grant-scope'];
  const p = requireScope(principal, 'admin', right.verb);
  if (!allows(p.user.isAdmin ? 'admin' : 'user', 'grant-scope')) {
    throw forbidden(`only an admin may ${right.verb}; ask the registry's admin`);
  }
  return p;
}

export interface ScopeOwners {
  scope: string;
  owners: { username: string; granted_at: string }[];
}

export async function listScopeOwners(ctx: PackageContext, scope: string): Promise<ScopeOwners> {
  const s = normalScope(scope);
  return { scope: s, owners: (await scopeOwners(ctx.db, s)).map((o) => ({ username: o.name, granted_at: o.granted_at })) };
}

/** An admin lets another user publish new packages into a scope. */
export async function grantScope(
  ctx: PackageContext,
  principal: Principal | undefined,
  scope: string,
  username: unknown,
): Promise<ScopeOwners> {
  const p = requireGrantRight(principal);
  const s = normalScope(scope);
  if (typeof username !== 'string' || username === '') throw badRequest('username is required');
  const user = await findUserByName(ctx.db, username);
  if (!user) throw notFound(`there is no user '${username}' on this registry`);
  await addScopeOwner(ctx.db, s, user.id, ctx.now().toISOString(), p.user.id);
  return listScopeOwners(ctx, s);
}

export async function revokeScope(
  ctx: PackageContext,
  principal: Principal | undefined,
  scope: string,
  username: string,
): Promise<ScopeOwners> {
  requireGrantRight(principal);
  const s = normalScope(scope);
  const user = await findUserByName(ctx.db, username);
  if (!user || !(await removeScopeOwner(ctx.db, s, user.id))) throw notFound(`${username} does not own the scope ${s}`);
  return listScopeOwners(ctx, s);
}
