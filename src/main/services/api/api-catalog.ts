// Reads through the REST API: package and version details, tarballs, users, listings, categories and statistics.
import { createHash } from 'node:crypto';
import semver from 'semver';
import { notFound } from '../../errors';
import {
  countVersionsOf,
  countVisibleDependents,
  findPackageById,
  packageIdsInCategory,
  recentPackages,
  visibleCategoryCounts,
  visibleTotals,
} from '../../storage/db/api-queries';
import { categoriesOf } from '../../storage/db/categories';
import { packageEcosystem, versionEcosystem } from '../../storage/db/ecosystems';
import { findChecksum, putChecksum } from '../../storage/db/checksums';
import {
  findVersion,
  getDistTags,
  listMaintainers,
  listVersions,
  packagesMaintainedBy,
  type PackageRow,
  type VersionRow,
} from '../../storage/db/packages';
import { countUsers, findUserById, findUserByName } from '../../storage/db/users';
import { listYanked } from '../../storage/db/yanks';
import type { Principal } from '../auth/principal';
import { canRead, readablePackage, viewerOf, type PackageContext } from '../packages/context';
import type { DownloadStats } from '../packages/downloads';
import { roleOf } from '../../storage/db/owner-roles';

type Json = Record<string, unknown>;

export interface PackageListing {
  name: string;
  version: string | null;
  description: string | null;
  downloads: number;
  updated_at: string;
}

const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);

/** author and repository come as strings or objects in package.json; the API reports them as strings. */
export function personName(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && typeof (value as Json).name === 'string') return (value as Json).name as string;
  return null;
}

function urlOf(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && typeof (value as Json).url === 'string') return (value as Json).url as string;
  return null;
}

const stringsOf = (value: unknown): string[] => (Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []);

export class ApiCatalog {
  constructor(
    private readonly ctx: PackageContext,
    private readonly stats: DownloadStats,
  ) {}

  private get db() {
    return this.ctx.db;
  }

  tarballUrl(name: string, version: string): string {
    return `${this.ctx.baseUrl()}api/v1/packages/${encodeURIComponent(name)}/${version}/tarball`;
  }

  /** The version 'latest' points at unless it is yanked; otherwise the highest version that is not. */
  async latestVersion(pkg: PackageRow): Promise<VersionRow | undefined> {
    const yanked = new Set((await listYanked(this.db, pkg.id)).map((y) => y.version));
    const tagged = (await getDistTags(this.db, pkg.id)).latest;
    if (tagged && !yanked.has(tagged)) return findVersion(this.db, pkg.id, tagged);
    const candidates = (await listVersions(this.db, pkg.id)).filter((v) => !yanked.has(v.version));
    return candidates.sort((a, b) => semver.rcompare(a.version, b.version))[0];
  }

  /** sha256 of a version's tarball: recorded at API publish, computed once from the blob for versions npm published. */
  async checksum(pkg: PackageRow, row: VersionRow): Promise<string | null> {
    const known = await findChecksum(this.db, pkg.id, row.version);
    if (known) return known;
    try {
      const bytes = await this.ctx.blobs.read(row.integrity);
      if (!bytes) return null;
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      await putChecksum(this.db, pkg.id, row.version, sha256);
      return sha256;
    } catch {
      return null;
    }
  }

  async listing(pkg: PackageRow, downloads?: number): Promise<PackageListing> {
    const latest = await this.latestVersion(pkg);
    const manifest = latest ? (JSON.parse(latest.manifest) as Json) : {};
    return {
      name: pkg.name,
      version: latest?.version ?? null,
      description: text(manifest.description),
      downloads: downloads ?? (await this.stats.summary(pkg.id)).total,
      updated_at: pkg.modified_at,
    };
  }

  async packageDetail(principal: Principal | undefined, name: string) {
    const pkg = await readablePackage(this.ctx, name, principal);
    const latest = await this.latestVersion(pkg);
    const manifest = latest ? (JSON.parse(latest.manifest) as Json) : {};
    const yanked = new Set((await listYanked(this.db, pkg.id)).map((y) => y.version));
    const perVersion = await this.stats.byVersion(pkg.id);
    const summary = await this.stats.summary(pkg.id);
    const versions = (await listVersions(this.db, pkg.id)).sort((a, b) => semver.rcompare(a.version, b.version));
    const checksums = await Promise.all(versions.map((v) => this.checksum(pkg, v)));
    return {
      name: pkg.name,
      // npm, or the seed registry whose client the package is for (synapse, vais): only npm packages are served to npm.
      ecosystem: await packageEcosystem(this.db, pkg.id),
      description: text(manifest.description),
      author: personName(manifest.author),
      license: text(manifest.license),
      homepage: text(manifest.homepage),
      repository: urlOf(manifest.repository),
      keywords: stringsOf(manifest.keywords),
      categories: await categoriesOf(this.db, pkg.id),
      latest_version: latest?.version ?? null,
      owners: (await listMaintainers(this.db, pkg.id)).map((m) => m.name),
      created_at: pkg.created_at,
      updated_at: pkg.modified_at,
      versions: versions.map((v, i) => ({
        version: v.version,
        published_at: v.published_at,
        downloads: perVersion.get(v.version) ?? 0,
        yanked: yanked.has(v.version),
        checksum: checksums[i]!,
        size: v.tarball_size,
        tarball_url: this.tarballUrl(pkg.name, v.version),
      })),
      downloads: { total: summary.total, week: summary.last_week, month: summary.last_month },
    };
  }

  async versionList(principal: Principal | undefined, name: string) {
    const pkg = await readablePackage(this.ctx, name, principal);
    return { name: pkg.name, versions: semver.sort((await listVersions(this.db, pkg.id)).map((v) => v.version)) };
  }

  async versionDetail(principal: Principal | undefined, name: string, version: string) {
    const pkg = await readablePackage(this.ctx, name, principal);
    const row = await findVersion(this.db, pkg.id, version);
    if (!row) throw notFound(`${name} has no version ${version}`);
    const manifest = JSON.parse(row.manifest) as Json;
    const yank = (await listYanked(this.db, pkg.id)).find((y) => y.version === version);
    const publisher = row.published_by ? await findUserById(this.db, row.published_by) : undefined;
    return {
      name: pkg.name,
      version: row.version,
      ecosystem: (await versionEcosystem(this.db, pkg.id, row.version)) ?? 'npm',
      description: text(manifest.description),
      author: personName(manifest.author),
      license: text(manifest.license),
      homepage: text(manifest.homepage),
      repository: urlOf(manifest.repository),
      keywords: stringsOf(manifest.keywords),
      dependencies: (manifest.dependencies as Record<string, string> | undefined) ?? {},
      checksum: await this.checksum(pkg, row),
      integrity: row.integrity,
      tarball_size: row.tarball_size,
      tarball_url: this.tarballUrl(pkg.name, row.version),
      published_at: row.published_at,
      published_by: publisher?.name ?? null,
      deprecated: row.deprecated,
      yanked: yank !== undefined,
      yanked_at: yank?.yanked_at ?? null,
      downloads: (await this.stats.byVersion(pkg.id)).get(row.version) ?? 0,
    };
  }

  /** Opens a version's tarball (yanked ones too: lockfiles must keep working) and counts the download. */
  async openTarball(principal: Principal | undefined, name: string, version: string) {
    const pkg = await readablePackage(this.ctx, name, principal);
    const row = await findVersion(this.db, pkg.id, version);
    if (!row) throw notFound(`${name} has no version ${version}`);
    const opened = await this.ctx.blobs.open(row.integrity);
    if (!opened) throw notFound(`the tarball of ${name}@${version} is missing from the store`);
    const { body, size } = opened;
    this.stats.countDownload(pkg.id, row.version);
    return {
      body,
      size,
      fileName: `${pkg.name.replace(/^@/, '').replace('/', '-')}-${row.version}.tar.gz`,
      isPublic: pkg.access === 'public',
    };
  }

  async userProfile(principal: Principal | undefined, username: string) {
    const user = await findUserByName(this.db, username);
    if (!user) throw notFound(`there is no user '${username}' on this registry`);
    const packages: { name: string; version: string | null; downloads: number }[] = [];
    for (const pkg of await packagesMaintainedBy(this.db, user.id)) {
      if (!(await canRead(this.ctx, pkg, principal))) continue;
      const listing = await this.listing(pkg);
      packages.push({ name: listing.name, version: listing.version, downloads: listing.downloads });
    }
    return {
      username: user.name,
      joined_at: user.created_at,
      packages,
      total_downloads: packages.reduce((sum, p) => sum + p.downloads, 0),
    };
  }

  private async visible(
    principal: Principal | undefined,
    rows: { package_id: number; downloads: number }[],
    limit: number,
  ): Promise<PackageListing[]> {
    const out: PackageListing[] = [];
    for (const row of rows) {
      const pkg = await findPackageById(this.db, row.package_id);
      if (!pkg || !(await canRead(this.ctx, pkg, principal)) || !(await this.latestVersion(pkg))) continue;
      out.push(await this.listing(pkg, row.downloads));
      if (out.length >= limit) break;
    }
    return out;
  }

  async trending(principal: Principal | undefined, period: 'week' | 'month' | 'all', limit: number): Promise<PackageListing[]> {
    const since = period === 'week' ? this.stats.dayAgo(6) : period === 'month' ? this.stats.dayAgo(29) : undefined;
    return this.visible(principal, await this.stats.top(limit * 2 + 10, since), limit);
  }

  async recent(principal: Principal | undefined, limit: number): Promise<PackageListing[]> {
    const listings: PackageListing[] = [];
    for (const pkg of await recentPackages(this.db, limit * 2 + 10)) {
      if (listings.length >= limit) break;
      if (await canRead(this.ctx, pkg, principal)) listings.push(await this.listing(pkg));
    }
    return listings;
  }

  /** Counts what the caller may see; without a caller, public packages only. */
  async categories(principal?: Principal): Promise<{ name: string; count: number }[]> {
    return (await visibleCategoryCounts(this.db, viewerOf(principal))).map((c) => ({ name: c.category, count: c.count }));
  }

  async category(principal: Principal | undefined, category: string): Promise<PackageListing[]> {
    return (
      await this.visible(
        principal,
        await Promise.all(
          (await packageIdsInCategory(this.db, category)).map(async (id) => ({
            package_id: id,
            downloads: (await this.stats.summary(id)).total,
          })),
        ),
        1000,
      )
    ).sort((a, b) => b.downloads - a.downloads || a.name.localeCompare(b.name));
  }

  async registryStats(principal: Principal | undefined) {
    await this.stats.flush();
    const totals = await visibleTotals(this.db, viewerOf(principal));
    return {
      timestamp: this.ctx.now().toISOString(),
      // Totals over what the caller may see: restricted packages are not counted for others.
      packages: { total: totals.packages, versions: totals.versions, downloads: totals.downloads },
      users: await countUsers(this.db),
      top_packages: (await this.visible(principal, await this.stats.top(20), 10)).map((p) => ({ name: p.name, downloads: p.downloads })),
    };
  }

  async packageStats(principal: Principal | undefined, name: string) {
    const pkg = await readablePackage(this.ctx, name, principal);
    return {
      name: pkg.name,
      downloads: await this.stats.summary(pkg.id),
      versions_count: await countVersionsOf(this.db, pkg.id),
      dependents_count: await countVisibleDependents(this.db, pkg.name, viewerOf(principal)),
    };
  }

  async owners(principal: Principal | undefined, name: string) {
    const pkg = await readablePackage(this.ctx, name, principal);
    return {
      owners: await Promise.all(
        (await listMaintainers(this.db, pkg.id)).map(async (m) => ({
          username: m.name,
          user_id: m.id,
          role: await roleOf(this.db, pkg.id, m.id),
        })),
      ),
    };
  }
}
