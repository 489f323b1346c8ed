// Dist-tags: listing, pointing a tag at a version, and removing a tag.
import { badRequest, notFound } from '../../errors';
import { deleteDistTag, findVersion, getDistTags, setDistTag } from '../../storage/db/packages';
import type { Principal } from '../auth/principal';
import { readablePackage, touchPackage, type PackageContext } from './context';
import { authorize } from './rights';
import { assertValidTag, assertValidVersion } from './names';

export async function listDistTags(ctx: PackageContext, principal: Principal | undefined, name: string): Promise<Record<string, string>> {
  return getDistTags(ctx.db, (await readablePackage(ctx, name, principal)).id);
}

export async function addDistTag(
  ctx: PackageContext,
  principal: Principal | undefined,
  name: string,
  tag: string,
  version: unknown,
): Promise<void> {
  const { pkg } = await authorize(ctx, principal, 'dist-tag', name);
  assertValidTag(tag);
  assertValidVersion(version);
  await ctx.db.transaction(async () => {
    if (!(await findVersion(ctx.db, pkg.id, version)))
      throw notFound(`${name}@${version} does not exist; \`npm view ${name} versions\` lists the published ones`);
    await setDistTag(ctx.db, pkg.id, tag, version);
    await touchPackage(ctx, pkg);
  });
}

export async function removeDistTag(ctx: PackageContext, principal: Principal | undefined, name: string, tag: string): Promise<void> {
  const { pkg } = await authorize(ctx, principal, 'dist-tag', name);
  if (tag === 'latest') throw badRequest("the 'latest' tag cannot be removed; point it at another version with `npm dist-tag add`");
  await ctx.db.transaction(async () => {
    if (!(tag in (await getDistTags(ctx.db, pkg.id)))) throw notFound(`${name} has no dist-tag '${tag}'`);
    await deleteDistTag(ctx.db, pkg.id, tag);
    await touchPackage(ctx, pkg);
  });
}
