// Dist-tags: listing, pointing a tag at a version, and removing a tag.
import { badRequest, notFound } from '../../errors';
import { deleteDistTag, findVersion, getDistTags, setDistTag } from '../../storage/db/packages';
import type { Principal } from '../auth/principal';
import { readablePackage, touchPackage, type PackageContext } from './context';
import { authorize } from './rights';
import { assertValidTag, assertValidVersion } from './names';

export function listDistTags(ctx: PackageContext, principal: Principal | undefined, name: string): Record<string, string> {
  return getDistTags(ctx.db, readablePackage(ctx, name, principal).id);
}

export function addDistTag(ctx: PackageContext, principal: Principal | undefined, name: string, tag: string, version: unknown): void {
  const { pkg } = authorize(ctx, principal, 'dist-tag', name);
  assertValidTag(tag);
  assertValidVersion(version);
  ctx.db.transaction(() => {
    if (!findVersion(ctx.db, pkg.id, version))
      throw notFound(`${name}@${version} does not exist; \`npm view ${name} versions\` lists the published ones`);
    setDistTag(ctx.db, pkg.id, tag, version);
    touchPackage(ctx, pkg);
  })();
}

export function removeDistTag(ctx: PackageContext, principal: Principal | undefined, name: string, tag: string): void {
  const { pkg } = authorize(ctx, principal, 'dist-tag', name);
  if (tag === 'latest') throw badRequest("the 'latest' tag cannot be removed; point it at another version with `npm dist-tag add`");
  ctx.db.transaction(() => {
    if (!(tag in getDistTags(ctx.db, pkg.id))) throw notFound(`${name} has no dist-tag '${tag}'`);
    deleteDistTag(ctx.db, pkg.id, tag);
    touchPackage(ctx, pkg);
  })();
}
