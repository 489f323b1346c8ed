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
function yankTarget(ctx: PackageContext, principal: Principal | undefined, name: string, version: string) {
  const { pkg, principal: p } = authorize(ctx, principal, 'yank', name);
  if (!findVersion(ctx.db, pkg.id, version)) throw notFound(`${name} has no version ${version}`);
  return { pkg, principal: p };
}

export function yankVersion(ctx: PackageContext, principal: Principal | undefined, name: string, version: string): YankState {
  const { pkg, principal: p } = yankTarget(ctx, principal, name, version);
  const existing = findYank(ctx.db, pkg.id, version);
  if (existing) return { name, version, yanked: true, yanked_at: existing.yanked_at };
  const at = ctx.now().toISOString();
  ctx.db.transaction(() => {
    insertYank(ctx.db, pkg.id, version, at, p.user.id);
    touchPackage(ctx, pkg);
  })();
  return { name, version, yanked: true, yanked_at: at };
}

export function unyankVersion(ctx: PackageContext, principal: Principal | undefined, name: string, version: string): YankState {
  const { pkg } = yankTarget(ctx, principal, name, version);
  if (findYank(ctx.db, pkg.id, version)) {
    ctx.db.transaction(() => {
      deleteYank(ctx.db, pkg.id, version);
      touchPackage(ctx, pkg);
    })();
  }
  return { name, version, yanked: false, yanked_at: null };
}
