// Owners through the REST API: owners manage owners, maintainers only publish; the last owner cannot leave.
import { badRequest, forbidden, notFound } from '../../errors';
import { clearRole, roleOf, setRole, type OwnerRole } from '../../storage/db/owner-roles';
import { addMaintainer, isMaintainer, listMaintainers, removeMaintainer } from '../../storage/db/packages';
import { findUserByName } from '../../storage/db/users';
import { requireScope, type Principal } from '../auth/principal';
import { readablePackage, touchPackage, type PackageContext } from '../packages/context';

function ownerTarget(ctx: PackageContext, principal: Principal | undefined, name: string) {
  const p = requireScope(principal, 'publish', `change the owners of '${name}'`);
  const pkg = readablePackage(ctx, name, p);
  const isOwner = isMaintainer(ctx.db, pkg.id, p.user.id) && roleOf(ctx.db, pkg.id, p.user.id) === 'owner';
  if (!p.user.isAdmin && !isOwner) throw forbidden(`only an owner of '${name}' can change its owners; ask one of them`);
  return pkg;
}

function userNamed(ctx: PackageContext, username: unknown): { id: number; name: string } {
  if (typeof username !== 'string' || username === '') throw badRequest('username is required');
  const user = findUserByName(ctx.db, username);
  if (!user) throw notFound(`there is no user '${username}' on this registry`);
  return user;
}

export function addApiOwner(
  ctx: PackageContext,
  principal: Principal | undefined,
  name: string,
  body: Record<string, unknown>,
): { username: string; role: OwnerRole } {
  const pkg = ownerTarget(ctx, principal, name);
  const role = body.role ?? 'owner';
  if (role !== 'owner' && role !== 'maintainer') throw badRequest("role must be 'owner' or 'maintainer'");
  const user = userNamed(ctx, body.username);
  if (isMaintainer(ctx.db, pkg.id, user.id)) throw badRequest(`${user.name} is already an owner of ${name}`);
  ctx.db.transaction(() => {
    addMaintainer(ctx.db, pkg.id, user.id);
    setRole(ctx.db, pkg.id, user.id, role);
    touchPackage(ctx, pkg);
  })();
  return { username: user.name, role };
}

export function removeApiOwner(ctx: PackageContext, principal: Principal | undefined, name: string, username: string): void {
  const pkg = ownerTarget(ctx, principal, name);
  const user = userNamed(ctx, username);
  if (!isMaintainer(ctx.db, pkg.id, user.id)) throw notFound(`${user.name} is not an owner of ${name}`);
  const owners = listMaintainers(ctx.db, pkg.id).filter((m) => roleOf(ctx.db, pkg.id, m.id) === 'owner');
  if (owners.length === 1 && owners[0]!.id === user.id)
    throw badRequest(`${user.name} is the last owner of ${name}; add another owner first`);
  ctx.db.transaction(() => {
    removeMaintainer(ctx.db, pkg.id, user.id);
    clearRole(ctx.db, pkg.id, user.id);
    touchPackage(ctx, pkg);
  })();
}
