// Owners through the REST API: owners manage owners, maintainers only publish; the last owner cannot leave.
// The rights are the shared table's 'change-owners' (packages/rights.ts), as for npm's `owner` commands.
import { badRequest, notFound } from '../../errors';
import { clearRole, setRole, type OwnerRole } from '../../storage/db/owner-roles';
import { addMaintainer, isMaintainer, removeMaintainer } from '../../storage/db/packages';
import { findUserByName } from '../../storage/db/users';
import type { Principal } from '../auth/principal';
import { touchPackage, type PackageContext } from '../packages/context';
import { assertKeepsAnOwner, ownerIds } from '../packages/owners';
import { authorize } from '../packages/rights';

async function userNamed(ctx: PackageContext, username: unknown): Promise<{ id: number; name: string }> {
  if (typeof username !== 'string' || username === '') throw badRequest('username is required');
  const user = await findUserByName(ctx.db, username);
  if (!user) throw notFound(`there is no user '${username}' on this registry`);
  return user;
}

export async function addApiOwner(
  ctx: PackageContext,
  principal: Principal | undefined,
  name: string,
  body: Record<string, unknown>,
): Promise<{ username: string; role: OwnerRole }> {
  const { pkg } = await authorize(ctx, principal, 'change-owners', name);
  const role = body.role ?? 'owner';
  if (role !== 'owner' && role !== 'maintainer') throw badRequest("role must be 'owner' or 'maintainer'");
  const user = await userNamed(ctx, body.username);
  if (await isMaintainer(ctx.db, pkg.id, user.id)) throw badRequest(`${user.name} is already an owner of ${name}`);
  await ctx.db.transaction(async () => {
    await addMaintainer(ctx.db, pkg.id, user.id);
    await setRole(ctx.db, pkg.id, user.id, role);
    await touchPackage(ctx, pkg);
  });
  return { username: user.name, role };
}

export async function removeApiOwner(ctx: PackageContext, principal: Principal | undefined, name: string, username: string): Promise<void> {
  const { pkg } = await authorize(ctx, principal, 'change-owners', name);
  const user = await userNamed(ctx, username);
  if (!(await isMaintainer(ctx.db, pkg.id, user.id))) throw notFound(`${user.name} is not an owner of ${name}`);
  const owners = await ownerIds(ctx.db, pkg.id);
  if (owners.length === 1 && owners[0] === user.id) throw badRequest(`${user.name} is the last owner of ${name}; add another owner first`);
  await ctx.db.transaction(async () => {
    await removeMaintainer(ctx.db, pkg.id, user.id);
    await clearRole(ctx.db, pkg.id, user.id);
    await assertKeepsAnOwner(ctx.db, pkg.id, name, `removing ${user.name}`);
    await touchPackage(ctx, pkg);
  });
}
