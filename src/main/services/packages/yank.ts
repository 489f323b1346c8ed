// Yanking: withdrawing a version from resolution and search while keeping its tarball downloadable for lockfiles.
import { forbidden, notFound } from '../../errors';
import { findVersion, isMaintainer } from '../../storage/db/packages';
import { tokenScopesByKey } from '../../storage/db/token-scopes';
import { deleteYank, findYank, insertYank } from '../../storage/db/yanks';
import { requireUser, type Principal } from '../auth/principal';
import { readablePackage, touchPackage, type PackageContext } from './context';

export interface YankState {
  name: string;
  version: string;
  yanked: boolean;
  yanked_at: string | null;
}

/** Publish and admin credentials may yank; so may a token created with the narrower 'yank' scope. */
function requireYankRight(ctx: PackageContext, principal: Principal | undefined, action: string): Principal {
  const p = requireUser(principal, action);
  if (p.scope === 'publish' || p.scope === 'admin') return p;
  if (p.tokenKey && tokenScopesByKey(ctx.db, p.tokenKey)?.includes('yank')) return p;
  throw forbidden(`this token is read-only and cannot ${action}; use a token with the publish or yank scope`);
}

function yankTarget(ctx: PackageContext, principal: Principal | undefined, name: string, version: string, action: string) {
  const p = requireYankRight(ctx, principal, action);
  const pkg = readablePackage(ctx, name, p);
  if (!p.user.isAdmin && !isMaintainer(ctx.db, pkg.id, p.user.id)) {
    throw forbidden(`you are not an owner of '${name}', so you cannot ${action}; ask one of its owners to add you`);
  }
  if (!findVersion(ctx.db, pkg.id, version)) throw notFound(`${name} has no version ${version}`);
  return { pkg, principal: p };
}

export function yankVersion(ctx: PackageContext, principal: Principal | undefined, name: string, version: string): YankState {
  const { pkg, principal: p } = yankTarget(ctx, principal, name, version, `yank ${name}@${version}`);
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
  const { pkg } = yankTarget(ctx, principal, name, version, `unyank ${name}@${version}`);
  if (findYank(ctx.db, pkg.id, version)) {
    ctx.db.transaction(() => {
      deleteYank(ctx.db, pkg.id, version);
      touchPackage(ctx, pkg);
    })();
  }
  return { name, version, yanked: false, yanked_at: null };
}
