// The Package screen's "dependencies and dependents": one version's declared dependencies (marking those published in this
// registry, so the UI can link to them) and the packages here whose latest version depends on the package — the same set
// the REST API counts as `dependents_count`, without the ones the caller may not see.
import type { PackageRelations } from '../../../shared/contract';
import { notFound } from '../../errors';
import type { Principal } from '../auth/principal';
import { canRead, readablePackage, type PackageContext } from './context';
import { listDependents } from '../../storage/db/api-queries';
import { findPackage, findVersion } from '../../storage/db/packages';

/** Dependents listed at most; `dependentsTotal` still counts them all. */
export const DEPENDENTS_SHOWN = 200;
/** Rows read before the visibility filter; a registry with more dependents of one package than this is not a local one. */
const DEPENDENTS_SCANNED = 10_000;

const FIELDS = [
  ['dependencies', 'prod'],
  ['optionalDependencies', 'optional'],
  ['peerDependencies', 'peer'],
  ['devDependencies', 'dev'],
] as const;

export async function packageRelations(
  ctx: PackageContext,
  principal: Principal | undefined,
  name: string,
  version: string,
): Promise<PackageRelations> {
  const pkg = await readablePackage(ctx, name, principal);
  const row = await findVersion(ctx.db, pkg.id, version);
  if (!row) throw notFound(`${name} has no version ${version}`);
  const manifest = JSON.parse(row.manifest) as Record<string, unknown>;
  const isLocal = async (dep: string) => {
    const found = await findPackage(ctx.db, dep);
    return Boolean(found && (await canRead(ctx, found, principal)));
  };
  const seen = new Set<string>();
  const dependencies: PackageRelations['dependencies'] = [];
  for (const [field, type] of FIELDS) {
    const declared = manifest[field];
    if (!declared || typeof declared !== 'object') continue;
    for (const [dep, range] of Object.entries(declared as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b))) {
      // npm lists an optional dependency in both `dependencies` and `optionalDependencies`; show it once, as optional.
      if (type === 'prod' && (manifest.optionalDependencies as Record<string, unknown> | undefined)?.[dep] !== undefined) continue;
      if (seen.has(`${type}:${dep}`)) continue;
      seen.add(`${type}:${dep}`);
      dependencies.push({ name: dep, range: typeof range === 'string' ? range : String(range), type, local: await isLocal(dep) });
    }
  }
  const visible: Awaited<ReturnType<typeof listDependents>> = [];
  for (const d of await listDependents(ctx.db, pkg.name, DEPENDENTS_SCANNED)) {
    const dependent = await findPackage(ctx.db, d.name);
    if (dependent && (await canRead(ctx, dependent, principal))) visible.push(d);
  }
  return {
    name: pkg.name,
    version: row.version,
    dependencies,
    dependents: visible.slice(0, DEPENDENTS_SHOWN).map(({ name: n, version: v, range }) => ({ name: n, version: v, range })),
    dependentsTotal: visible.length,
  };
}
