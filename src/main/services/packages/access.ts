// Package access: public (anyone reads) or restricted (only maintainers and admins read); scoped packages only.
import { badRequest } from '../../errors';
import { packagesInScope, packagesMaintainedBy, type PackageRow } from '../../storage/db/packages';
import type { Principal } from '../auth/principal';
import { canRead, readablePackage, touchPackage, type PackageContext } from './context';
import { allows, authorize, roleFor } from './rights';

export async function getAccess(ctx: PackageContext, principal: Principal | undefined, name: string): Promise<'public' | 'restricted'> {
  return (await readablePackage(ctx, name, principal)).access;
}

export async function setAccess(ctx: PackageContext, principal: Principal | undefined, name: string, access: unknown): Promise<void> {
  if (access !== 'public' && access !== 'restricted') throw badRequest(`access must be 'public' or 'restricted', not '${String(access)}'`);
  const { pkg } = await authorize(ctx, principal, 'change-access', name);
  if (access === 'restricted' && !name.startsWith('@'))
    throw badRequest(`only scoped packages can be restricted, and '${name}' has no scope`);
  if (pkg.access === access) return;
  await ctx.db.transaction(async () => touchPackage(ctx, pkg, { access }));
}

/** Packages in a scope the caller can see, with the caller's permission on each. */
export async function scopePackages(
  ctx: PackageContext,
  principal: Principal | undefined,
  scope: string,
): Promise<Record<string, 'read-write' | 'read-only'>> {
  return permissions(ctx, principal, await packagesInScope(ctx.db, scope));
}

export async function userPackages(
  ctx: PackageContext,
  principal: Principal | undefined,
  userId: number,
): Promise<Record<string, 'read-write' | 'read-only'>> {
  return permissions(ctx, principal, await packagesMaintainedBy(ctx.db, userId));
}

async function permissions(
  ctx: PackageContext,
  principal: Principal | undefined,
  rows: PackageRow[],
): Promise<Record<string, 'read-write' | 'read-only'>> {
  const out: Record<string, 'read-write' | 'read-only'> = {};
  for (const pkg of rows) {
    if (!(await canRead(ctx, pkg, principal))) continue;
    // npm's "read-write" means the caller may publish it, with the credential used.
    const writable = Boolean(principal && principal.scope !== 'read' && allows(await roleFor(ctx, principal, pkg), 'publish-version'));
    out[pkg.name] = writable ? 'read-write' : 'read-only';
  }
  return out;
}
