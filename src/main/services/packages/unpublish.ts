// Unpublish: removing versions (npm's PUT of the packument minus them) or a whole package (DELETE with its _rev).
import semver from 'semver';
import { badRequest, conflict } from '../../errors';
import {
  deletePackage,
  deleteDistTag,
  deleteVersion,
  findVersion,
  getDistTags,
  listVersions,
  retireVersion,
  setDistTag,
  type PackageRow,
} from '../../storage/db/packages';
import type { Principal } from '../auth/principal';
import { dropUnreferenced, readablePackage, touchPackage, type PackageContext } from './context';
import { reserveName } from './namespaces';
import { ownerIds } from './owners';
import { authorize } from './rights';
import { tarballFileName } from './packument';

function assertRev(pkg: PackageRow, rev: string | undefined): void {
  if (rev !== undefined && rev !== pkg.rev) {
    throw conflict(`the package changed since you read it (revision ${rev}, now ${pkg.rev}); fetch it again and retry`);
  }
}

export async function unpublishVersions(
  ctx: PackageContext,
  principal: Principal | undefined,
  name: string,
  keep: readonly string[],
  rev: string | undefined,
): Promise<string[]> {
  // A PUT that keeps every version removes nothing (clients send deprecations this way too): no unpublish right is used.
  const visible = await readablePackage(ctx, name, principal);
  const keepSet = new Set(keep);
  if ((await listVersions(ctx.db, visible.id)).every((v) => keepSet.has(v.version))) return [];
  const { pkg } = await authorize(ctx, principal, 'unpublish-version', name);
  assertRev(pkg, rev);
  const all = await listVersions(ctx.db, pkg.id);
  const removed = all.filter((v) => !keepSet.has(v.version));
  if (removed.length === 0) return [];
  if (removed.length === all.length) {
    await unpublishPackage(ctx, principal, name, undefined);
    return removed.map((v) => v.version);
  }
  const now = ctx.now().toISOString();
  await ctx.db.transaction(async () => {
    for (const v of removed) {
      await deleteVersion(ctx.db, pkg.id, v.version);
      await retireVersion(ctx.db, name, v.version, now);
    }
    const remaining = all.filter((v) => keepSet.has(v.version)).map((v) => v.version);
    for (const [tag, target] of Object.entries(await getDistTags(ctx.db, pkg.id))) {
      if (!keepSet.has(target)) await deleteDistTag(ctx.db, pkg.id, tag);
    }
    // `latest` always exists while versions do: re-point it at the highest remaining release.
    if (!(await getDistTags(ctx.db, pkg.id)).latest) {
      const releases = remaining.filter((v) => semver.prerelease(v) === null);
      const next = semver.rsort(releases.length > 0 ? releases : remaining)[0]!;
      await setDistTag(ctx.db, pkg.id, 'latest', next);
    }
    await touchPackage(ctx, pkg);
  });
  await dropUnreferenced(
    ctx,
    removed.map((v) => v.integrity),
  );
  return removed.map((v) => v.version);
}

export async function unpublishPackage(
  ctx: PackageContext,
  principal: Principal | undefined,
  name: string,
  rev: string | undefined,
): Promise<void> {
  const { pkg } = await authorize(ctx, principal, 'unpublish-package', name);
  assertRev(pkg, rev);
  const versions = await listVersions(ctx.db, pkg.id);
  const now = ctx.now().toISOString();
  await ctx.db.transaction(async () => {
    for (const v of versions) await retireVersion(ctx.db, name, v.version, now);
    // The name stays its owners' for a while (--unpublish-reserve), so nobody can take it over the moment it frees.
    await reserveName(ctx, name, await ownerIds(ctx.db, pkg.id));
    await deletePackage(ctx.db, pkg.id);
  });
  ctx.events?.changed();
  await dropUnreferenced(
    ctx,
    versions.map((v) => v.integrity),
  );
}

/**
 * The last step of npm's version unpublish: DELETE of the tarball URL. The PUT before it already removed the
 * version and its blob, so this only confirms; a tarball whose version still exists is refused.
 */
export async function confirmTarballRemoved(
  ctx: PackageContext,
  principal: Principal | undefined,
  name: string,
  fileName: string,
): Promise<void> {
  const { pkg } = await authorize(ctx, principal, 'unpublish-version', name);
  const still = (await listVersions(ctx.db, pkg.id)).find((v) => tarballFileName(name, v.version) === fileName);
  if (still && (await findVersion(ctx.db, pkg.id, still.version))) {
    throw badRequest(
      `${name}@${still.version} is still published; unpublish the version (\`npm unpublish ${name}@${still.version}\`), not its tarball`,
    );
  }
}
