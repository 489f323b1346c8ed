// Owns the package views the desktop UI shows (details with versions, tags, yanks and owners; a tarball's file list) and
// the one-version unpublish it offers; built on the same reads and writes the npm protocol uses.
import semver from 'semver';
import { notFound } from '../../errors';
import { countVisibleDependents } from '../../storage/db/api-queries';
import { findVersion, getDistTags, isMaintainer, listMaintainers, listVersions } from '../../storage/db/packages';
import { listYanked } from '../../storage/db/yanks';
import type { Principal } from '../auth/principal';
import { packageEcosystem } from '../../storage/db/ecosystems';
import { ALL_ECOSYSTEMS, inspectTarball } from '../packer/inspect-tarball';
import { readablePackage, viewerOf, type PackageContext } from './context';
import type { DownloadStats } from './downloads';
import { currentPackument } from './context';
import { unpublishVersions } from './unpublish';

type Json = Record<string, unknown>;
const str = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null);

export async function packageDetails(ctx: PackageContext, stats: DownloadStats, principal: Principal | undefined, name: string) {
  const pkg = await readablePackage(ctx, name, principal);
  const distTags = await getDistTags(ctx.db, pkg.id);
  const yanked = new Set((await listYanked(ctx.db, pkg.id)).map((y) => y.version));
  const tagsOf = new Map<string, string[]>();
  for (const [tag, version] of Object.entries(distTags)) tagsOf.set(version, [...(tagsOf.get(version) ?? []), tag]);
  const rows = (await listVersions(ctx.db, pkg.id)).sort((a, b) => semver.rcompare(a.version, b.version));
  const versions = rows.map((row) => {
    const manifest = JSON.parse(row.manifest) as Json;
    const dist = (manifest.dist ?? {}) as Json;
    return {
      version: row.version,
      date: row.published_at,
      deprecated: row.deprecated,
      yanked: yanked.has(row.version),
      integrity: row.integrity,
      tags: tagsOf.get(row.version) ?? [],
      dependencies: (manifest.dependencies ?? {}) as Record<string, string>,
      unpackedSize: typeof dist.unpackedSize === 'number' ? dist.unpackedSize : null,
      fileCount: typeof dist.fileCount === 'number' ? dist.fileCount : null,
    };
  });
  const latest = rows.find((r) => r.version === distTags.latest) ?? rows[0];
  const latestManifest = latest ? (JSON.parse(latest.manifest) as Json) : {};
  const owners = (await listMaintainers(ctx.db, pkg.id)).map((m) => m.name);
  const downloads = await stats.summary(pkg.id);
  return {
    name: pkg.name,
    ecosystem: await packageEcosystem(ctx.db, pkg.id),
    description: str(latestManifest.description),
    readme: pkg.readme,
    license: str(latestManifest.license),
    homepage: webLink(latestManifest.homepage),
    repository: webLink(latestManifest.repository),
    bugs: webLink(latestManifest.bugs),
    keywords: Array.isArray(latestManifest.keywords)
      ? latestManifest.keywords.filter((k): k is string => typeof k === 'string').slice(0, 50)
      : [],
    distTags,
    versions,
    owners,
    access: pkg.access,
    dependentsCount: await countVisibleDependents(ctx.db, pkg.name, viewerOf(principal)),
    downloads: { total: downloads.total, daily: downloads.daily },
    canManage: Boolean(principal && (principal.user.isAdmin || (await isMaintainer(ctx.db, pkg.id, principal.user.id)))),
  };
}

export async function tarballListing(ctx: PackageContext, principal: Principal | undefined, name: string, version: string) {
  const pkg = await readablePackage(ctx, name, principal);
  const row = await findVersion(ctx.db, pkg.id, version);
  if (!row) throw notFound(`${name} has no version ${version}`);
  const bytes = await ctx.blobs.read(row.integrity);
  if (!bytes) throw notFound(`the tarball of ${name}@${version} is missing from the store`);
  // Whatever format the version was accepted in when it was published (seed archives keep their files at the root).
  const inspection = await inspectTarball(bytes, ctx.limits, { ecosystems: ALL_ECOSYSTEMS });
  return {
    name,
    version,
    integrity: row.integrity,
    size: bytes.length,
    unpackedSize: inspection.unpackedSize,
    files: inspection.files.map((f) => ({ path: f.path, size: f.size })).sort((a, b) => a.path.localeCompare(b.path)),
  };
}

/** Unpublishes one version, keeping the others; the same rules as `npm unpublish name@version`. */
export async function unpublishOneVersion(
  ctx: PackageContext,
  principal: Principal | undefined,
  name: string,
  version: string,
): Promise<void> {
  const pkg = await readablePackage(ctx, name, principal);
  const all = (await listVersions(ctx.db, pkg.id)).map((v) => v.version);
  if (!all.includes(version)) throw notFound(`${name} has no version ${version}`);
  await currentPackument(ctx, pkg);
  await unpublishVersions(
    ctx,
    principal,
    name,
    all.filter((v) => v !== version),
    pkg.rev,
  );
}

/**
 * A manifest's homepage, repository or bugs field as a web address the page may link to: a string or `{url}`, git+https and
 * git:// forms turned into https, `github:user/repo` shorthands expanded; anything not http(s) (javascript:, file:) is dropped.
 */
export function webLink(field: unknown): string | null {
  const raw =
    typeof field === 'string' ? field : typeof (field as { url?: unknown } | null)?.url === 'string' ? (field as { url: string }).url : '';
  let url = raw.trim();
  if (!url) return null;
  const shorthand = /^(?:github:)?([\w.-]+)\/([\w.-]+)$/.exec(url);
  if (shorthand) url = `https://github.com/${shorthand[1]}/${shorthand[2]}`;
  url = url
    .replace(/^git\+/, '')
    .replace(/^git:\/\//, 'https://')
    .replace(/^ssh:\/\/git@/, 'https://')
    .replace(/\.git$/, '');
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.toString() : null;
  } catch {
    return null;
  }
}
