// Yanking: withdrawing a version from resolution and search while keeping its tarball downloadable for lockfiles.
import { notFound } from '../../errors';
import { findVersion } from '../../storage/db/packages';
import { deleteYank, findYank, insertYank } from '../../storage/db/yanks';
import type { Principal } from '../auth/principal';
import { touchPackage, type PackageContext } from './context';
import { authorize } from './rights';

export interface YankState {
  name: string;
  version: string;
  yanked: boolean;
  yanked_at: string | null;
}

/** The rights table's 'yank' (publish or admin credentials, or a token with the narrower yank scope), then the version. */
async function yankTarget(ctx: PackageContext, principal: Principal | undefined, name: string, version: string) {
  const { pkg, principal: p } = await authorize(ctx, principal, 'yank', name);
  if (!(await findVersion(ctx.db, pkg.id, version))) throw notFound(`${name} has no version ${version}`);
  return { pkg, principal: p };
}

export async function yankVersion(
  ctx: PackageContext,
  principal: Principal | undefined,
  name: string,
  version: string,
): Promise<YankState> {
  const { pkg, principal: p } = await yankTarget(ctx, principal, name, version);
  const existing = await findYank(ctx.db, pkg.id, version);
  if (existing) return { name, version, yanked: true, yanked_at: existing.yanked_at };
  const at = ctx.now().toISOString();
  await ctx.db.transaction(async () => {
    await insertYank(ctx.db, pkg.id, version, at, p.user.id);
    await touchPackage(ctx, pkg);
  });
  return { name, version, yanked: true, yanked_at: at };
}

export async function unyankVersion(
  ctx: PackageContext,
  principal: Principal | undefined,
  name: string,
  version: string,
): Promise<YankState> {
  const { pkg } = await yankTarget(ctx, principal, name, version);
  if (await findYank(ctx.db, pkg.id, version)) {
    await ctx.db.transaction(async () => {
      await deleteYank(ctx.db, pkg.id, version);
      await touchPackage(ctx, pkg);
    });
  }
  return { name, version, yanked: false, yanked_at: null };
}
