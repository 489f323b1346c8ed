// fsck: checks the store against itself — every blob against its name (sha512), every row against its blob, every
// packument against its rows, every dist-tag against its versions — and with `repair`, fixes what can be fixed.
import { createHash } from 'node:crypto';
import semver from 'semver';
import type { BlobStore, StrayFile } from '../../storage/blobs/blob-store';
import { allBlobReferences, allPackageIds, danglingDistTags, type BlobReference } from '../../storage/db/integrity-queries';
import { deleteCachedTarball } from '../../storage/db/mirror';
import { deleteDistTag, findPackage, getPackument, isIntegrityReferenced, listVersions, setDistTag } from '../../storage/db/packages';
import { touchPackage, type PackageContext } from '../packages/context';
import { renderPackument } from '../packages/packument';

export interface FsckOptions {
  repair: boolean;
  /** Unreferenced blobs and temp files younger than this are writes in progress, not orphans. */
  graceMs: number;
  /** Said as each phase starts (the CLI shows it). */
  progress?: (phase: string) => void;
}

export interface FsckReport {
  dataDir: string;
  /** The blob store checked: the data folder's blobs/ or s3://bucket/prefix. */
  blobs: string;
  repair: boolean;
  graceMs: number;
  checked: { blobs: number; references: number; packages: number };
  /** Blobs no row points at, older than the grace period (deleted by repair). */
  orphans: { integrity: string; path: string; size: number; repaired: boolean }[];
  /** Temp files of writes that died (deleted by repair). */
  tempFiles: { path: string; size: number; repaired: boolean }[];
  /** Rows whose blob is gone. Cached upstream tarballs are forgotten by repair (fetched again on demand); a published
   *  version's tarball cannot be made up, so it stays listed here with what to do. */
  missing: (BlobReference & { repaired: boolean; action?: string })[];
  /** Blobs whose bytes do not match their sha512 (moved to blobs/quarantine/ by repair, which makes their rows missing). */
  corrupt: { integrity: string; path: string; references: string[]; repaired: boolean; quarantinedTo?: string }[];
  /** Files in the blob folders that are not blobs at all (left alone; listed so a person can look). */
  strayFiles: { path: string; size: number }[];
  /** Packuments whose stored documents differ from what their rows render to (re-rendered by repair). */
  stalePackuments: { name: string; repaired: boolean }[];
  /** Dist-tags naming a version that does not exist (dropped by repair; `latest` moves to the highest release). */
  danglingTags: { name: string; tag: string; version: string; repaired: boolean }[];
  /** Problems found, and how many are left after repair. */
  problems: number;
  remaining: number;
  clean: boolean;
}

export async function runFsck(ctx: PackageContext, dataDir: string, options: FsckOptions): Promise<FsckReport> {
  const { db, blobs } = ctx;
  const { repair, graceMs } = options;
  const cutoff = ctx.now().getTime() - graceMs;
  const report: FsckReport = {
    dataDir,
    blobs: blobs.location,
    repair,
    graceMs,
    checked: { blobs: 0, references: 0, packages: 0 },
    orphans: [],
    tempFiles: [],
    missing: [],
    corrupt: [],
    strayFiles: [],
    stalePackuments: [],
    danglingTags: [],
    problems: 0,
    remaining: 0,
    clean: true,
  };

  // Dist-tags first: dropping one changes the packument, which is checked after.
  options.progress?.('dist-tags');
  for (const tag of await danglingDistTags(db)) {
    let repaired = false;
    if (repair) repaired = await dropDanglingTag(ctx, tag.name, tag.tag);
    report.danglingTags.push({ name: tag.name, tag: tag.tag, version: tag.version, repaired });
  }

  options.progress?.('blobs');
  const references = await allBlobReferences(db);
  report.checked.references = references.length;
  const referencedBy = new Map<string, BlobReference[]>();
  for (const ref of references) {
    const list = referencedBy.get(ref.integrity);
    if (list) list.push(ref);
    else referencedBy.set(ref.integrity, [ref]);
  }
  const present = new Set<string>();
  const strays: StrayFile[] = [];
  for await (const blob of blobs.entries((file) => strays.push(file))) {
    report.checked.blobs++;
    present.add(blob.integrity);
    const refs = referencedBy.get(blob.integrity);
    if (!refs) {
      if (blob.mtimeMs > cutoff) continue; // a write in progress, or just finished: not an orphan yet
      // Checked again at the moment of deleting: a publish may have committed a row for it since the list was read.
      const freed = repair ? await blobs.collect(blob.integrity, cutoff, (i) => isIntegrityReferenced(db, i)) : undefined;
      report.orphans.push({ integrity: blob.integrity, path: blob.path, size: blob.size, repaired: freed !== undefined });
      continue;
    }
    if (!(await matchesName(blobs, blob.integrity))) {
      let quarantinedTo: string | undefined;
      if (repair) {
        quarantinedTo = await blobs.quarantine(blob.integrity);
        present.delete(blob.integrity);
      }
      report.corrupt.push({
        integrity: blob.integrity,
        path: blob.path,
        references: refs.map((r) => `${r.name}@${r.version}${r.kind === 'cached' ? ' (cached from upstream)' : ''}`),
        repaired: quarantinedTo !== undefined,
        quarantinedTo,
      });
    }
  }
  report.strayFiles = strays.map((s) => ({ path: s.path, size: s.size }));

  for (const file of await blobs.tempFiles()) {
    if (file.mtimeMs > cutoff) continue;
    const freed = repair ? await blobs.collectTemp(file.path, cutoff, ctx.now().getTime()) : undefined;
    if (!repair || freed !== undefined) report.tempFiles.push({ path: file.path, size: file.size, repaired: freed !== undefined });
  }

  // Rows whose blob is gone (or was just quarantined). A row committed after the blob listing began is checked on disk.
  for (const ref of references) {
    if (present.has(ref.integrity) || (await blobs.has(ref.integrity))) continue;
    if (ref.kind === 'cached') {
      if (repair) await deleteCachedTarball(db, ref.name, ref.version);
      report.missing.push({ ...ref, repaired: repair });
    } else {
      report.missing.push({
        ...ref,
        repaired: false,
        action: `the tarball of ${ref.name}@${ref.version} is gone: restore the data folder from a backup, or unpublish that version and publish it under a new one`,
      });
    }
  }

  options.progress?.('packuments');
  for (const { name } of await allPackageIds(db)) {
    report.checked.packages++;
    const state = await packumentState(ctx, name, repair);
    if (state !== 'current') report.stalePackuments.push({ name, repaired: state === 'repaired' });
  }

  const all = [
    ...report.orphans,
    ...report.tempFiles,
    ...report.missing,
    ...report.corrupt,
    ...report.stalePackuments,
    ...report.danglingTags,
  ];
  report.problems = all.length + report.strayFiles.length;
  report.remaining = all.filter((p) => !p.repaired).length + report.strayFiles.length;
  report.clean = report.remaining === 0;
  return report;
}

/** Whether a blob's bytes hash to its name (the sha512 it is stored under), read as a stream through the store. */
async function matchesName(blobs: BlobStore, integrity: string): Promise<boolean> {
  const hash = createHash('sha512');
  try {
    for await (const chunk of await blobs.stream(integrity)) hash.update(chunk as Buffer);
  } catch {
    return false;
  }
  return `sha512-${hash.digest('base64')}` === integrity;
}

/**
 * Compares the stored packument with what the rows render to now. The rendering is the real one (renderPackument) run in
 * a transaction that is rolled back unless it is a repair, so the check can never disagree with what a write stores.
 */
async function packumentState(ctx: PackageContext, name: string, repair: boolean): Promise<'current' | 'stale' | 'repaired'> {
  const { db } = ctx;
  const rollback = new Error('fsck: compare only');
  let state: 'current' | 'stale' | 'repaired' = 'current';
  try {
    await db.transaction(async () => {
      const pkg = await findPackage(db, name);
      if (!pkg) return;
      const stored = await getPackument(db, pkg.id);
      const rendered = await renderPackument(db, pkg, stored?.base_url ?? ctx.baseUrl());
      const same = stored !== undefined && stored.full_json.equals(rendered.full_json) && stored.abbrev_json.equals(rendered.abbrev_json);
      if (same) state = 'current';
      else state = repair ? 'repaired' : 'stale';
      if (state !== 'repaired') throw rollback;
    });
  } catch (error) {
    if (error !== rollback) throw error;
  }
  return state;
}

/** Drops a tag naming a missing version; `latest` moves to the highest remaining release, as an unpublish leaves it. */
async function dropDanglingTag(ctx: PackageContext, name: string, tag: string): Promise<boolean> {
  const { db } = ctx;
  let done = false;
  await db.transaction(async () => {
    const pkg = await findPackage(db, name);
    if (!pkg) return;
    await deleteDistTag(db, pkg.id, tag);
    if (tag === 'latest') {
      const remaining = (await listVersions(db, pkg.id)).map((v) => v.version);
      const releases = remaining.filter((v) => semver.prerelease(v) === null);
      const next = semver.rsort(releases.length > 0 ? releases : remaining)[0];
      if (next) await setDistTag(db, pkg.id, 'latest', next);
    }
    await touchPackage(ctx, pkg);
    done = true;
  });
  return done;
}
