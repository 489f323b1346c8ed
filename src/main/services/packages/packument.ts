// Renders a package's packuments (full and abbreviated) from its rows, once per change, and stores their bytes.
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import semver from 'semver';
import type { MetadataDb } from '../../storage/sql/port';
import {
  getDistTags,
  listMaintainers,
  listVersions,
  putPackument,
  putSearchDocument,
  type MaintainerRow,
  type PackageRow,
  type PackumentRow,
  type VersionRow,
} from '../../storage/db/packages';
import { listYanked, setListed } from '../../storage/db/yanks';

type Json = Record<string, unknown>;

/** The fields npm's abbreviated ("corgi") document keeps for each version. */
export const ABBREVIATED_FIELDS = [
  'name',
  'version',
  'deprecated',
  'dependencies',
  'optionalDependencies',
  'devDependencies',
  'peerDependencies',
  'peerDependenciesMeta',
  'bundleDependencies',
  'bundledDependencies',
  'acceptDependencies',
  'bin',
  'directories',
  'engines',
  'os',
  'cpu',
  'libc',
  'funding',
  '_hasShrinkwrap',
  'hasInstallScript',
] as const;

/** Fields copied from the latest version to the top of the full document. */
const TOP_LEVEL_FIELDS = ['description', 'license', 'homepage', 'keywords', 'repository', 'author', 'bugs'] as const;

/** What npm shows for a yanked version it sees in the full document. */
export const YANKED_NOTICE =
  'this version was yanked by its owners: it stays installable from lockfiles but is not chosen for new installs';

/**
 * Stands where the base URL goes in stored documents: the address a client used is spliced in when the document is sent
 * (http/npm/stored-document.ts), so a stored document serves every address Shelf answers to and a restart on another
 * port re-renders nothing. The NUL characters make it impossible in a name or version, and JSON escapes them, so in the
 * stored bytes it reads as BASE_URL_MARK.
 */
export const BASE_URL_TOKEN = '\u0000shelf:base-url\u0000';
/** BASE_URL_TOKEN as it appears in stored JSON bytes. */
export const BASE_URL_MARK = JSON.stringify(BASE_URL_TOKEN).slice(1, -1);
const MARK_BYTES = Buffer.from(BASE_URL_MARK);

/**
 * The `base_url` column of a stored rendering: the token (the bytes are a template), then the base URL its gzip copy was
 * made for. A value without the token is a rendering from before templates, with its base URL inside the bytes.
 */
export function templateMark(gzipBase: string): string {
  return BASE_URL_TOKEN + gzipBase;
}

/** The base URL a template row's gzip copy was made for; undefined for a row rendered before templates (render it anew). */
export function gzipBaseOf(baseUrlColumn: string): string | undefined {
  return baseUrlColumn.startsWith(BASE_URL_TOKEN) ? baseUrlColumn.slice(BASE_URL_TOKEN.length) : undefined;
}

/** A stored template with the base URL put in: one scan and one concatenation, no JSON parsing. */
export function spliceBaseUrl(template: Buffer, baseUrl: string): Buffer {
  let at = template.indexOf(MARK_BYTES);
  if (at === -1) return template;
  const base = Buffer.from(baseUrl);
  const parts: Buffer[] = [];
  let from = 0;
  while (at !== -1) {
    parts.push(template.subarray(from, at), base);
    from = at + MARK_BYTES.length;
    at = template.indexOf(MARK_BYTES, from);
  }
  parts.push(template.subarray(from));
  return Buffer.concat(parts);
}

/** A manifest object read from a template, its tarball link pointed at `baseUrl`. */
export function withBaseUrl<T>(manifest: T, baseUrl: string): T {
  const dist = (manifest as { dist?: { tarball?: unknown } } | undefined)?.dist;
  if (dist && typeof dist.tarball === 'string') dist.tarball = dist.tarball.split(BASE_URL_TOKEN).join(baseUrl);
  return manifest;
}

export function tarballFileName(name: string, version: string): string {
  const unscoped = name.startsWith('@') ? name.slice(name.indexOf('/') + 1) : name;
  return `${unscoped}-${version}.tgz`;
}

/** The version a tarball file name (`name-1.2.3.tgz`) names, or undefined when it names none. */
export function versionOfTarball(name: string, fileName: string): string | undefined {
  const unscoped = name.startsWith('@') ? name.slice(name.indexOf('/') + 1) : name;
  if (!fileName.startsWith(`${unscoped}-`) || !fileName.endsWith('.tgz')) return undefined;
  return semver.valid(fileName.slice(unscoped.length + 1, -4)) ?? undefined;
}

/** Path of a tarball below the registry's base URL: `@scope/name/-/name-1.0.0.tgz` (literal slash, as clients expect). */
export function tarballPath(name: string, version: string): string {
  return `${name}/-/${tarballFileName(name, version)}`;
}

export function versionManifest(pkg: PackageRow, row: VersionRow, baseUrl: string): Json {
  const manifest = JSON.parse(row.manifest) as Json;
  const dist = { ...(manifest.dist as Json), tarball: baseUrl + tarballPath(pkg.name, row.version) };
  const out: Json = { ...manifest, dist };
  if (row.deprecated) out.deprecated = row.deprecated;
  else delete out.deprecated;
  return out;
}

export interface PackumentParts {
  pkg: PackageRow;
  versions: VersionRow[];
  distTags: Record<string, string>;
  maintainers: MaintainerRow[];
  /** Yanked versions: left out of the abbreviated document, which is what installers resolve from. */
  yanked?: ReadonlySet<string>;
}

export function buildPackuments(parts: PackumentParts, baseUrl: string): { full: Json; abbreviated: Json } {
  const { pkg, distTags, maintainers } = parts;
  const versions = [...parts.versions].sort((a, b) => semver.compare(a.version, b.version));
  const manifests = new Map(versions.map((v) => [v.version, versionManifest(pkg, v, baseUrl)]));
  // npm resolves from the full document too; a deprecation steers it off yanked versions without removing them,
  // which matters because npm's unpublish writes back the document it read, and a missing version would be deleted.
  for (const version of parts.yanked ?? []) {
    const manifest = manifests.get(version);
    if (!manifest) continue;
    // An explicit mark for resolvers that know it (Shelf's own); the notice for npm, which knows only deprecations.
    manifest.yanked = true;
    if (manifest.deprecated === undefined) manifest.deprecated = YANKED_NOTICE;
  }
  const latest = manifests.get(distTags.latest ?? '') ?? manifests.get(versions.at(-1)?.version ?? '') ?? {};

  const time: Record<string, string> = { created: pkg.created_at, modified: pkg.modified_at };
  for (const v of versions) time[v.version] = v.published_at;

  const full: Json = { _id: pkg.name, _rev: pkg.rev, name: pkg.name };
  for (const field of TOP_LEVEL_FIELDS) if (latest[field] !== undefined) full[field] = latest[field];
  Object.assign(full, {
    'dist-tags': distTags,
    versions: Object.fromEntries(manifests),
    time,
    maintainers: maintainers.map((m) => ({ name: m.name, email: m.email ?? '' })),
    readme: pkg.readme,
    users: {},
  });

  const abbreviatedVersions: Record<string, Json> = {};
  const yanked = parts.yanked ?? new Set<string>();
  for (const [version, manifest] of manifests) {
    if (yanked.has(version)) continue;
    const entry: Json = {};
    for (const field of ABBREVIATED_FIELDS) if (manifest[field] !== undefined) entry[field] = manifest[field];
    const dist = manifest.dist as Json;
    entry.dist = {
      integrity: dist.integrity,
      shasum: dist.shasum,
      tarball: dist.tarball,
      ...(dist.fileCount !== undefined && { fileCount: dist.fileCount }),
      ...(dist.unpackedSize !== undefined && { unpackedSize: dist.unpackedSize }),
    };
    abbreviatedVersions[version] = entry;
  }
  const abbreviated: Json = {
    name: pkg.name,
    modified: pkg.modified_at,
    'dist-tags': installableTags(distTags, abbreviatedVersions),
    versions: abbreviatedVersions,
  };
  return { full, abbreviated };
}

/** Dist-tags that point at a yanked version are dropped; 'latest' falls back to the highest remaining release. */
function installableTags(distTags: Record<string, string>, versions: Record<string, Json>): Record<string, string> {
  const tags = Object.fromEntries(Object.entries(distTags).filter(([, v]) => versions[v] !== undefined));
  if (distTags.latest !== undefined && tags.latest === undefined) {
    const remaining = Object.keys(versions);
    const fallback = semver.maxSatisfying(remaining, '*') ?? semver.maxSatisfying(remaining, '*', { includePrerelease: true });
    if (fallback) tags.latest = fallback;
  }
  return tags;
}

function etagOf(bytes: Buffer): string {
  return `"${createHash('sha256').update(bytes).digest('base64url').slice(0, 27)}"`;
}

function searchText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.filter((v) => typeof v === 'string').join(' ');
  if (value && typeof value === 'object' && typeof (value as Json).name === 'string') return (value as Json).name as string;
  return '';
}

/** Renders both packuments from the rows without storing them (a store that started read-only serves them so). */
export async function packumentRow(db: MetadataDb, pkg: PackageRow, baseUrl: string): Promise<PackumentRow> {
  return renderParts(await packumentParts(db, pkg), baseUrl).row;
}

async function packumentParts(db: MetadataDb, pkg: PackageRow): Promise<PackumentParts> {
  return {
    pkg,
    versions: await listVersions(db, pkg.id),
    distTags: await getDistTags(db, pkg.id),
    maintainers: await listMaintainers(db, pkg.id),
    yanked: new Set((await listYanked(db, pkg.id)).map((y) => y.version)),
  };
}

/**
 * Renders the documents as templates (BASE_URL_TOKEN for the base URL) with their gzip copies made for `baseUrl`, the
 * address most clients use, so those are sent as stored. A `baseUrl` given as a stored column value is read as such.
 */
function renderParts(parts: PackumentParts, baseUrl: string): { row: PackumentRow; full: Json } {
  const gzipBase = gzipBaseOf(baseUrl) ?? baseUrl;
  const { full, abbreviated } = buildPackuments(parts, BASE_URL_TOKEN);
  const fullJson = Buffer.from(JSON.stringify(full));
  const abbrevJson = Buffer.from(JSON.stringify(abbreviated));
  const row: PackumentRow = {
    package_id: parts.pkg.id,
    base_url: templateMark(gzipBase),
    full_json: fullJson,
    full_gzip: gzipSync(spliceBaseUrl(fullJson, gzipBase)),
    full_etag: etagOf(fullJson),
    abbrev_json: abbrevJson,
    abbrev_gzip: gzipSync(spliceBaseUrl(abbrevJson, gzipBase)),
    abbrev_etag: etagOf(abbrevJson),
  };
  return { row, full };
}

/** Re-renders and stores both packuments and the search document; called inside every write's transaction. */
export async function renderPackument(db: MetadataDb, pkg: PackageRow, baseUrl: string): Promise<PackumentRow> {
  const parts = await packumentParts(db, pkg);
  const { row, full } = renderParts(parts, baseUrl);
  await putPackument(db, row);
  await setListed(
    db,
    pkg.id,
    parts.versions.some((v) => !parts.yanked?.has(v.version)),
  );
  await putSearchDocument(db, pkg.id, {
    name: pkg.name,
    description: searchText(full.description),
    keywords: searchText(full.keywords),
    author: searchText(full.author),
    maintainers: parts.maintainers.map((m) => m.name).join(' '),
    readme: pkg.readme.slice(0, 64 * 1024),
  });
  return row;
}
