// Reads: stored packuments, one version's manifest, tarball streams, and the package summaries the UI lists.
import type { Readable } from 'node:stream';
import semver from 'semver';
import { isShelfError, notFound } from '../../errors';
import {
  countVisiblePackages,
  findVersion,
  getDistTags,
  getPackumentRendering,
  listVersions,
  listVisiblePackages,
} from '../../storage/db/packages';
import type { MetadataDb } from '../../storage/sql/port';
import type { Principal } from '../auth/principal';
import { assertNpmPackage } from '../packer/ecosystems/ecosystem-rules';
import { currentPackument, readablePackage, viewerOf, type PackageContext } from './context';
import { HotDocuments, hotDocumentsOf } from './hot-documents';
import { gzipBaseOf, versionManifest, versionOfTarball } from './packument';

export interface StoredDocument {
  /** A template: BASE_URL_MARK where the base URL goes (spliced in when sent). */
  json: Buffer;
  /** The document for `gzipBase`, gzipped. */
  gzip: Buffer;
  gzipBase: string;
  etag: string;
  lastModified: string;
  /** Public documents may sit in shared caches; restricted ones may not. */
  isPublic: boolean;
}

/** Public documents served lately, per database: a hit costs two counter reads instead of three lookups. */
const hotPackuments = new WeakMap<MetadataDb, HotDocuments<StoredDocument>>();
const HOT_PACKUMENT_BYTES = 32 * 1024 * 1024;

const hotOf = (ctx: PackageContext) => hotDocumentsOf(hotPackuments, ctx.db, () => new HotDocuments<StoredDocument>(HOT_PACKUMENT_BYTES));
const hotKey = (name: string, abbreviated: boolean) => `${abbreviated ? 'a' : 'f'}:${name}`;

/**
 * A published package's document when it is in memory and nothing was written since it was read; else undefined (then
 * ask readPackument). Only public documents are kept, so a hit needs no reader check, and a hit means the name is
 * published here (local names always win over the mirror, so the caller may skip asking the mirror).
 */
export function hotPackument(
  ctx: PackageContext,
  name: string,
  abbreviated: boolean,
  /** The database's generation when the caller already read it (the fast path reads it once for both its caches). */
  generation: string = ctx.db.generation(),
): StoredDocument | undefined {
  const hot = hotOf(ctx);
  return hot.get(hotKey(name, abbreviated), hot.checkAt(generation));
}

export async function readPackument(
  ctx: PackageContext,
  principal: Principal | undefined,
  name: string,
  abbreviated: boolean,
): Promise<StoredDocument> {
  const hot = hotOf(ctx);
  const generation = hot.check(ctx.db);
  const key = hotKey(name, abbreviated);
  const hit = hot.get(key, generation);
  if (hit) return hit;
  const stored = await readStoredPackument(ctx, principal, name, abbreviated);
  if (stored.isPublic) hot.set(key, generation, stored, stored.json.length + stored.gzip.length);
  return stored;
}

async function readStoredPackument(
  ctx: PackageContext,
  principal: Principal | undefined,
  name: string,
  abbreviated: boolean,
): Promise<StoredDocument> {
  const pkg = await readablePackage(ctx, name, principal);
  await assertNpmPackage(ctx.db, pkg, ctx.baseUrl());
  // The hot path reads only the representation asked for; a rendering stored before templates is rendered anew.
  let doc = await getPackumentRendering(ctx.db, pkg.id, abbreviated);
  if (!doc || gzipBaseOf(doc.base_url) === undefined) {
    const row = await currentPackument(ctx, pkg);
    doc = abbreviated
      ? { base_url: row.base_url, json: row.abbrev_json, gzip: row.abbrev_gzip, etag: row.abbrev_etag }
      : { base_url: row.base_url, json: row.full_json, gzip: row.full_gzip, etag: row.full_etag };
  }
  return {
    json: doc.json,
    gzip: doc.gzip,
    gzipBase: gzipBaseOf(doc.base_url) ?? '',
    etag: doc.etag,
    lastModified: pkg.modified_at,
    isPublic: pkg.access === 'public',
  };
}

/** GET /<name>/<version-or-tag>: one version's manifest. */
export async function readVersion(
  ctx: PackageContext,
  principal: Principal | undefined,
  name: string,
  versionOrTag: string,
  /** The address the client used (its tarball link points there). */
  baseUrl: string = ctx.baseUrl(),
): Promise<Record<string, unknown>> {
  const pkg = await readablePackage(ctx, name, principal);
  const version = (await getDistTags(ctx.db, pkg.id))[versionOrTag] ?? versionOrTag;
  const row = await findVersion(ctx.db, pkg.id, version);
  if (!row) throw notFound(`${name} has no version or dist-tag '${versionOrTag}'`);
  await assertNpmPackage(ctx.db, pkg, ctx.baseUrl(), row.version);
  return versionManifest(pkg, row, baseUrl);
}

export async function openTarball(
  ctx: PackageContext,
  principal: Principal | undefined,
  name: string,
  fileName: string,
): Promise<{ body: Buffer | Readable; size: number; integrity: string; isPublic: boolean; packageId: number; version: string }> {
  const pkg = await readablePackage(ctx, name, principal);
  const version = versionOfTarball(name, fileName);
  const row = version === undefined ? undefined : await findVersion(ctx.db, pkg.id, version);
  if (!row) throw notFound(`${name} has no tarball '${fileName}'`);
  await assertNpmPackage(ctx.db, pkg, ctx.baseUrl(), row.version);
  const opened = await ctx.blobs.open(row.integrity);
  if (!opened) throw notFound(`the tarball of ${name}@${row.version} is missing from the store; publish it again under a new version`);
  return {
    body: opened.body,
    size: opened.size,
    integrity: row.integrity,
    isPublic: pkg.access === 'public',
    packageId: pkg.id,
    version: row.version,
  };
}

export interface PackageSummary {
  name: string;
  latest: string | null;
  description: string | null;
  distTags: Record<string, string>;
  versionCount: number;
  access: 'public' | 'restricted';
  modified: string;
}

export async function listPackageSummaries(
  ctx: PackageContext,
  principal: Principal | undefined,
  offset: number,
  limit: number,
): Promise<{ total: number; packages: PackageSummary[] }> {
  const packages: PackageSummary[] = [];
  // Filtered in SQL, so both the page and the total count only what the caller may see.
  const viewer = viewerOf(principal);
  for (const pkg of await listVisiblePackages(ctx.db, viewer, offset, limit)) {
    const distTags = await getDistTags(ctx.db, pkg.id);
    const versions = await listVersions(ctx.db, pkg.id);
    const latestRow =
      (await findVersion(ctx.db, pkg.id, distTags.latest ?? '')) ?? versions.sort((a, b) => semver.compare(b.version, a.version))[0];
    const manifest = latestRow ? (JSON.parse(latestRow.manifest) as { description?: unknown }) : {};
    packages.push({
      name: pkg.name,
      latest: latestRow?.version ?? null,
      description: typeof manifest.description === 'string' ? manifest.description : null,
      distTags,
      versionCount: versions.length,
      access: pkg.access,
      modified: pkg.modified_at,
    });
  }
  return { total: await countVisiblePackages(ctx.db, viewer), packages };
}

/**
 * A restricted package must answer an outsider exactly as a name that does not exist: with a mirror in front of the
 * name, that is the mirror's "not here nor upstream" 404 (asked of no upstream: the private name never leaves).
 */
export function answerAsMissing(error: unknown, name: string, upstreamUrl: string | undefined): unknown {
  if (!upstreamUrl || !isShelfError(error) || error.code !== 'not_found' || error.message !== `package '${name}' is not in this registry`)
    return error;
  return notFound(`package '${name}' is not in this registry nor on its upstream ${new URL(upstreamUrl).host}`);
}
