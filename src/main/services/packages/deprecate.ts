// Deprecate and undeprecate: npm PUTs the whole packument back with only `deprecated` changed on some versions.
import { badRequest } from '../../errors';
import { findVersion, listVersions, setDeprecated } from '../../storage/db/packages';
import type { Principal } from '../auth/principal';
import { touchPackage, type PackageContext } from './context';
import { authorize } from './rights';
import { YANKED_NOTICE } from './packument';

type Json = Record<string, unknown>;

/** Applies the `deprecated` fields of body.versions; returns how many versions changed. Other fields are ignored. */
export async function applyDeprecations(ctx: PackageContext, principal: Principal | undefined, name: string, body: Json): Promise<number> {
  const { pkg } = await authorize(ctx, principal, 'deprecate', name);
  const versions = body.versions as Record<string, Json>;
  let changed = 0;
  await ctx.db.transaction(async () => {
    const known = new Map((await listVersions(ctx.db, pkg.id)).map((v) => [v.version, v]));
    for (const [version, manifest] of Object.entries(versions)) {
      const row = known.get(version) ?? (await findVersion(ctx.db, pkg.id, version));
      if (!row) {
        throw badRequest(`${name}@${version} does not exist; new versions are added with \`npm publish\`, which sends the tarball`);
      }
      // npm sends back the document it read; the yank notice Shelf put there is not the owner's deprecation.
      const sent = manifest?.deprecated;
      const wanted = typeof sent === 'string' && sent !== '' && sent !== YANKED_NOTICE ? sent : null;
      if (wanted !== row.deprecated) {
        await setDeprecated(ctx.db, pkg.id, version, wanted);
        changed++;
      }
    }
    if (changed > 0) await touchPackage(ctx, pkg);
  });
  return changed;
}
