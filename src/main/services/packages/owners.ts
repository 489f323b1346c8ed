// Owners (maintainers): listing, adding and removing them, in npm's whole-list form and pnpm's one-at-a-time form.
import { badRequest, conflict, notFound } from '../../errors';
import { addMaintainer, listMaintainers, removeMaintainer, type MaintainerRow } from '../../storage/db/packages';
import { findUserByName } from '../../storage/db/users';
import type { Principal } from '../auth/principal';
import { readablePackage, touchPackage, writablePackage, type PackageContext } from './context';

export function listOwners(ctx: PackageContext, principal: Principal | undefined, name: string): MaintainerRow[] {
  return listMaintainers(ctx.db, readablePackage(ctx, name, principal).id);
}

function userNamed(ctx: PackageContext, username: string): { id: number; name: string } {
  const user = findUserByName(ctx.db, username);
  if (!user) throw notFound(`there is no user '${username}' on this registry`);
  return user;
}

/** npm owner add/rm: the client sends the whole new maintainer list. */
export function setOwners(
  ctx: PackageContext,
  principal: Principal | undefined,
  name: string,
  usernames: readonly string[],
  rev: string | undefined,
): void {
  const { pkg } = writablePackage(ctx, name, principal, 'change its owners');
  if (rev !== undefined && rev !== pkg.rev)
    throw conflict(`the package changed since you read it (revision ${rev}, now ${pkg.rev}); retry`);
  if (usernames.length === 0) throw badRequest(`'${name}' must keep at least one owner`);
  const wanted = new Map(usernames.map((u) => [userNamed(ctx, u).id, u]));
  ctx.db.transaction(() => {
    const current = listMaintainers(ctx.db, pkg.id);
    for (const m of current) if (!wanted.has(m.id)) removeMaintainer(ctx.db, pkg.id, m.id);
    for (const id of wanted.keys()) addMaintainer(ctx.db, pkg.id, id);
    touchPackage(ctx, pkg);
  })();
}

export function addOwner(ctx: PackageContext, principal: Principal | undefined, name: string, username: string): void {
  const { pkg } = writablePackage(ctx, name, principal, 'change its owners');
  const user = userNamed(ctx, username);
  ctx.db.transaction(() => {
    if (listMaintainers(ctx.db, pkg.id).some((m) => m.id === user.id)) throw conflict(`${username} is already an owner of ${name}`);
    addMaintainer(ctx.db, pkg.id, user.id);
    touchPackage(ctx, pkg);
  })();
}

export function removeOwner(ctx: PackageContext, principal: Principal | undefined, name: string, username: string): void {
  const { pkg } = writablePackage(ctx, name, principal, 'change its owners');
  const user = userNamed(ctx, username);
  ctx.db.transaction(() => {
    const current = listMaintainers(ctx.db, pkg.id);
    if (!current.some((m) => m.id === user.id)) throw notFound(`${username} is not an owner of ${name}`);
    if (current.length === 1) throw badRequest(`${username} is the last owner of ${name}; add another owner first`);
    removeMaintainer(ctx.db, pkg.id, user.id);
    touchPackage(ctx, pkg);
  })();
}
