// Owns the rules that keep each package to one ecosystem, and the npm door's answer for a package npm cannot install.
import { ShelfError } from '../../../errors';
import type { MetadataDb } from '../../../storage/sql/port';
import { packageEcosystem, type Ecosystem } from '../../../storage/db/ecosystems';
import { findPackage } from '../../../storage/db/packages';
import { ECOSYSTEM_TITLES, type SeedEcosystem } from './seed-manifests';

const article = (ecosystem: Ecosystem): string => `${ecosystem === 'npm' ? 'an' : 'a'} ${ECOSYSTEM_TITLES[ecosystem]}`;

/** npm cannot install a seed package (its files sit at the archive root, not under package/): the npm door says so. */
export function notAnNpmPackage(name: string, ecosystem: SeedEcosystem, baseUrl: string, version?: string): ShelfError {
  const title = ECOSYSTEM_TITLES[ecosystem];
  const api = `${baseUrl}api/v1/packages/${encodeURIComponent(name)}`;
  return new ShelfError(
    'not_acceptable',
    `${name} is a ${title} package, not an npm package, so npm cannot install it; fetch it with the ${title} client, or download it from ${api}/${version ?? '<version>'}/tarball` +
      (version ? '' : ` (its versions: ${api}/versions)`),
  );
}

/** A package keeps to one ecosystem: a version in another format would be a different thing under the same name. */
export async function assertSameEcosystem(db: MetadataDb, name: string, ecosystem: Ecosystem): Promise<void> {
  const pkg = await findPackage(db, name);
  if (!pkg) return;
  const existing = await packageEcosystem(db, pkg.id);
  if (existing === ecosystem) return;
  throw new ShelfError(
    'conflict',
    `${name} is ${article(existing)} package; ${article(ecosystem)} archive cannot be published as a version of it. Publish it under another name`,
  );
}

/** The npm door serves npm packages only: a seed package's tarball would be unpacked wrongly (npm strips a folder it does not have). */
export async function assertNpmPackage(
  db: MetadataDb,
  pkg: { id: number; name: string },
  baseUrl: string,
  version?: string,
): Promise<void> {
  const ecosystem = await packageEcosystem(db, pkg.id);
  if (ecosystem !== 'npm') throw notAnNpmPackage(pkg.name, ecosystem, baseUrl, version);
}
