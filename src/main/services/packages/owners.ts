// Owners (maintainers): listing, adding and removing them, in npm's whole-list form and pnpm's one-at-a-time form.
// Who may change them is the rights table's 'change-owners'; a package never loses its last owner, whatever the door.
import { badRequest, conflict, notFound } from '../../errors';
import { clearRole, roleOf } from '../../storage/db/owner-roles';
import { addMaintainer, listMaintainers, removeMaintainer, type MaintainerRow } from '../../storage/db/packages';
import { findUserByName } from '../../storage/db/users';
import type { MetadataDb } from '../../storage/sql/port';
import type { Principal } from '../auth/principal';
import { readablePackage, touchPackage, type PackageContext } from './context';
import { authorize } from './rights';

export async function listOwners(ctx: PackageContext, principal: Principal | undefined, name: string): Promise<MaintainerRow[]> {
  return listMaintainers(ctx.db, (await readablePackage(ctx, name, principal)).id);
}

async function userNamed(ctx: PackageContext, username: string): Promise<{ id: number; name: string }> {
  const user = await findUserByName(ctx.db, username);
  if (!user) throw notFound(`there is no user '${username}' on this registry`);
  return user;
}

/** The package's people with the owner role (npm's `owner add` makes owners; the REST API may add maintainers). */
export async function ownerIds(db: MetadataDb, packageId: number): Promise<number[]> {
  const owners: number[] = [];
  for (const m of await listMaintainers(db, packageId)) if ((await roleOf(db, packageId, m.id)) === 'owner') owners.push(m.id);
  return owners;
}

/** Call inside the change's transaction, after it: refuses (rolling back) a change that left no owner. */
export async function assertKeepsAnOwner(db: MetadataDb, packageId: number, name: string, removed: string): Promise<void> {
  if ((await ownerIds(db, packageId)).length === 0) {
    throw badRequest(`${removed} would leave '${name}' without an owner; add another owner first (\`npm owner add <user> ${name}\`)`);
  }
}

/** npm owner add/rm: the client sends the whole new maintainer list. */
export async function setOwners(
  ctx: PackageContext,
  principal: Principal | undefined,
  name: string,
  usernames: readonly string[],
  rev: string | undefined,
): Promise<void> {
  const { pkg } = await authorize(ctx, principal, 'change-owners', name);
  if (rev !== undefined && rev !== pkg.rev)
    throw conflict(`the package changed since you read it (revision ${rev}, now ${pkg.rev}); retry`);
  if (usernames.length === 0) throw badRequest(`'${name}' must keep at least one owner`);
  const wanted = new Map<number, string>();
  for (const u of usernames) wanted.set((await userNamed(ctx, u)).id, u);
  await ctx.db.transaction(async () => {
    const current = await listMaintainers(ctx.db, pkg.id);
    const gone = current.filter((m) => !wanted.has(m.id));
    for (const m of gone) {
      await removeMaintainer(ctx.db, pkg.id, m.id);
      await clearRole(ctx.db, pkg.id, m.id);
    }
    for (const id of wanted.keys()) await addMaintainer(ctx.db, pkg.id, id);
    await assertKeepsAnOwner(ctx.db, pkg.id, name, `removing ${gone.map((m) => m.name).join(', ')}`);
    await touchPackage(ctx, pkg);
  });
}

export async function addOwner(ctx: PackageContext, principal: Principal | undefined, name: string, username: string): Promise<void> {
  const { pkg } = await authorize(ctx, principal, 'change-owners', name);
  const user = await userNamed(ctx, username);
  await ctx.db.transaction(async () => {
    if ((await listMaintainers(ctx.db, pkg.id)).some((m) => m.id === user.id)) throw conflict(`${username} is already an owner of ${name}`);
    await addMaintainer(ctx.db, pkg.id, user.id);
    await clearRole(ctx.db, pkg.id, user.id);
    await touchPackage(ctx, pkg);
  });
}

export async function removeOwner(ctx: PackageContext, principal: Principal | undefined, name: string, username: string): Promise<void> {
  const { pkg } = await authorize(ctx, principal, 'change-owners', name);
  const user = await userNamed(ctx, username);
  await ctx.db.transaction(async () => {
    const current = await listMaintainers(ctx.db, pkg.id);
    if (!current.some((m) => m.id === user.id)) throw notFound(`${username} is not an owner of ${name}`);
    const owners = await ownerIds(ctx.db, pkg.id);
    if (owners.length === 1 && owners[0] === user.id) throw badRequest(`${username} is the last owner of ${name}; add another owner first`);
    await removeMaintainer(ctx.db, pkg.id, user.id);
    await clearRole(ctx.db, pkg.id, user.id);
    await touchPackage(ctx, pkg);
  });
}
