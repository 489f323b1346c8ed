// What every package operation needs: the database, the tarball store, limits, the clock and the public base URL.
import { randomBytes as nodeRandomBytes } from 'node:crypto';
import type { Limits } from '../../config/config';
import { notFound } from '../../errors';
import type { BlobStore } from '../../storage/blobs/blob-store';
import type { MetadataDb } from '../../storage/sql/port';
import {
  findPackage,
  getPackument,
  isIntegrityReferenced,
  isMaintainer,
  updatePackage,
  type PackageRow,
  type PackumentRow,
  type Viewer,
} from '../../storage/db/packages';
import type { Principal } from '../auth/principal';
import type { PackageEvents } from '../events';
import { gzipBaseOf, packumentRow, renderPackument } from './packument';

export interface PackageContext {
  db: MetadataDb;
  blobs: BlobStore;
  limits: Limits;
  now: () => Date;
  /** Public base URL ending in '/', known once the server listens. */
  baseUrl: () => string;
  randomBytes?: (size: number) => Buffer;
  /** Told after every change to a package, so the UI can refresh (absent in some test harnesses). */
  events?: PackageEvents;
}

export async function canRead(ctx: PackageContext, pkg: PackageRow, principal: Principal | undefined): Promise<boolean> {
  if (pkg.access === 'public') return true;
  if (!principal) return false;
  return principal.user.isAdmin || (await isMaintainer(ctx.db, pkg.id, principal.user.id));
}

/** The caller as storage queries filter by it: the same rule as canRead, for counts and listings done in SQL. */
export function viewerOf(principal: Principal | undefined): Viewer {
  if (!principal) return 'public';
  return principal.user.isAdmin ? 'all' : { userId: principal.user.id };
}

/** The package, if it exists and the caller may see it; restricted packages look absent to outsiders, as on npm. */
export async function readablePackage(ctx: PackageContext, name: string, principal: Principal | undefined): Promise<PackageRow> {
  const pkg = await findPackage(ctx.db, name);
  if (!pkg || !(await canRead(ctx, pkg, principal))) throw notFound(`package '${name}' is not in this registry`);
  return pkg;
}

/** A new `_rev`: the change counter plus a random suffix, as CouchDB writes it. */
export function nextRev(ctx: PackageContext, rev?: string): string {
  const count = rev ? Number.parseInt(rev, 10) || 0 : 0;
  return `${count + 1}-${(ctx.randomBytes ?? nodeRandomBytes)(8).toString('hex')}`;
}

/** Records a change to a package: new `_rev` and modified time, packuments re-rendered. Call inside the write's transaction. */
export async function touchPackage(
  ctx: PackageContext,
  pkg: PackageRow,
  fields: Partial<Pick<PackageRow, 'access' | 'readme'>> = {},
): Promise<PackageRow> {
  const updated: PackageRow = { ...pkg, ...fields, rev: nextRev(ctx, pkg.rev), modified_at: ctx.now().toISOString() };
  await updatePackage(ctx.db, pkg.id, { ...fields, rev: updated.rev, modified_at: updated.modified_at });
  await renderPackument(ctx.db, updated, ctx.baseUrl());
  ctx.events?.changed();
  return updated;
}

/** The stored packument, rendered first if it is missing or was stored before templates (with a base URL inside). */
export async function currentPackument(ctx: PackageContext, pkg: PackageRow): Promise<PackumentRow> {
  const stored = await getPackument(ctx.db, pkg.id);
  // A template serves every address; only a rendering from before templates is rendered anew (once).
  if (stored && gzipBaseOf(stored.base_url) !== undefined) return stored;
  // Started read-only on a full disk: rendered for this address and served, not stored.
  if (ctx.blobs.readOnly) return packumentRow(ctx.db, pkg, ctx.baseUrl());
  return renderPackument(ctx.db, pkg, ctx.baseUrl());
}

/**
 * Deletes blobs no version points at (after an unpublish commits, or when a publish's transaction failed after its
 * tarball was stored). A blob a write in this process is still storing is left for the collector (BlobStore.remove).
 */
export async function dropUnreferenced(ctx: PackageContext, integrities: Iterable<string>): Promise<void> {
  for (const integrity of new Set(integrities)) {
    if (!(await isIntegrityReferenced(ctx.db, integrity))) await ctx.blobs.remove(integrity);
  }
}
