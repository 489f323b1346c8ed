// Owners (maintainers): listing, adding and removing them, in npm's whole-list form and pnpm's one-at-a-time form.
// Who may change them is the rights table's 'change-owners'; a package never loses its last owner, whatever the door.
import { badRequest, conflict, notFound } from '../../errors';
import { clearRole, roleOf } from '../../storage/db/owner-roles';
import { addMaintainer, listMaintainers, removeMaintainer, type MaintainerRow } from '../../storage/db/packages';
import { findUserByName } from '../../storage/db/users';
import type { Db } from '../../storage/db/connection';
import type { Principal } from '../auth/principal';
import { readablePackage, touchPackage, type PackageContext } from './context';
import { authorize } from './rights';

export function listOwners(ctx: PackageContext, principal: Principal | undefined, name: string): MaintainerRow[] {
  return listMaintainers(ctx.db, readablePackage(ctx, name, principal).id);
}

function userNamed(ctx: PackageContext, username: string): { id: number; name: string } {
  const user = findUserByName(ctx.db, username);
  if (!user) throw notFound(`there is no user '${username}' on this registry`);
  return user;
}

/** The package's people with the owner role (npm's `owner add` makes owners; the REST API may add maintainers). */
export function ownerIds(db: Db, packageId: number): number[] {
  return listMaintainers(db, packageId)
    .filter((m) => roleOf(db, packageId, m.id) === 'owner')
    .map((m) => m.id);
}

/** Call inside the change's transaction, after it: refuses (rolling back) a change that left no owner. */
export function assertKeepsAnOwner(db: Db, packageId: number, name: string, removed: string): void {
  if (ownerIds(db, packageId).length === 0) {
    throw badRequest(`${removed} would leave '${name}' without an owner; add another owner first (\`npm owner add <user> ${name}\`)`);
  }
}

/** npm owner add/rm: the client sends the whole new maintainer list. */
export function setOwners(
  ctx: PackageContext,
  principal: Principal | undefined,
  name: string,
  usernames: readonly string[],
  rev: string | undefined,
): void {
  const { pkg } = authorize(ctx, principal, 'change-owners', name);
  if (rev !== undefined && rev !== pkg.rev)
    throw conflict(`the package changed since you read it (revision ${rev}, now ${pkg.rev}); retry`);
  if (usernames.length === 0) throw badRequest(`'${name}' must keep at least one owner`);
  const wanted = new Map(usernames.map((u) => [userNamed(ctx, u).id, u]));
  ctx.db.transaction(() => {
    const current = listMaintainers(ctx.db, pkg.id);
    const gone = current.filter((m) => !wanted.has(m.id));
    for (const m of gone) {
      removeMaintainer(ctx.db, pkg.id, m.id);
      clearRole(ctx.db, pkg.id, m.id);
    }
    for (const id of wanted.keys()) addMaintainer(ctx.db, pkg.id, id);
    assertKeepsAnOwner(ctx.db, pkg.id, name, `removing ${gone.map((m) => m.name).join(', ')}`);
    touchPackage(ctx, pkg);
  })();
}

export function addOwner(ctx: PackageContext, principal: Principal | undefined, name: string, username: string): void {
  const { pkg } = authorize(ctx, principal, 'change-owners', name);
  const user = userNamed(ctx, username);
  ctx.db.transaction(() => {
    if (listMaintainers(ctx.db, pkg.id).some((m) => m.id === user.id)) throw conflict(`${username} is already an owner of ${name}`);
    addMaintainer(ctx.db, pkg.id, user.id);
    clearRole(ctx.db, pkg.id, user.id);
    touchPackage(ctx, pkg);
  })();
}

export function removeOwner(ctx: PackageContext, principal: Principal | undefined, name: string, username: string): void {
  const { pkg } = authorize(ctx, principal, 'change-owners', name);
  const user = userNamed(ctx, username);
  ctx.db.transaction(() => {
    const current = listMaintainers(ctx.db, pkg.id);
    if (!current.some((m) => m.id === user.id)) throw notFound(`${username} is not an owner of ${name}`);
    const owners = ownerIds(ctx.db, pkg.id);
    if (owners.length === 1 && owners[0] === user.id) throw badRequest(`${username} is the last owner of ${name}; add another owner first`);
    removeMaintainer(ctx.db, pkg.id, user.id);
    clearRole(ctx.db, pkg.id, user.id);
    touchPackage(ctx, pkg);
  })();
}
