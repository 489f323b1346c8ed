// The collector: deletes tarball blobs no row points at (publish losers, kills between blob and commit, crashes between an
// unpublish's commit and its file deletes, commits that failed on a full disk) and temp files of writers that are gone.
//
// Why it is safe while publishes run: a publish writes its blob first and commits its row right after. The collector
// deletes a blob only when (1) its file is older than the grace period (a write, or a write that found the blob already
// there, refreshes the blob's time), (2) no write in this process claims it (BlobStore claims, held until the
// writer's commit has run), and (3) no row references it, all three checked just before the delete (in one synchronous
// step for the folder; an S3 store makes a put of the same blob wait for the delete), so no write or commit of this
// process can slip in between. (1) alone protects writers in other processes,
// which is why the grace period must exceed any publish's time from blob to commit (an hour by default; seconds suffice).
import type { BlobStore } from '../../storage/blobs/blob-store';
import type { MetadataDb } from '../../storage/sql/port';
import { isIntegrityReferenced } from '../../storage/db/packages';

export interface CollectionReport {
  startedAt: string;
  finishedAt: string;
  /** Blobs looked at. */
  scanned: number;
  removedBlobs: number;
  removedTempFiles: number;
  removedBytes: number;
}

export interface CollectOptions {
  db: MetadataDb;
  blobs: BlobStore;
  /** Blobs and temp files younger than this are left alone. */
  graceMs: number;
  now: () => Date;
}

export async function collectGarbage(options: CollectOptions): Promise<CollectionReport> {
  const { db, blobs, graceMs, now } = options;
  const startedAt = now();
  const cutoff = startedAt.getTime() - graceMs;
  const report: CollectionReport = {
    startedAt: startedAt.toISOString(),
    finishedAt: '',
    scanned: 0,
    removedBlobs: 0,
    removedTempFiles: 0,
    removedBytes: 0,
  };
  const isReferenced = (integrity: string) => isIntegrityReferenced(db, integrity);
  for await (const blob of blobs.entries()) {
    report.scanned++;
    if (blob.mtimeMs > cutoff) continue;
    const freed = await blobs.collect(blob.integrity, cutoff, isReferenced);
    if (freed === undefined) continue;
    report.removedBlobs++;
    report.removedBytes += freed;
  }
  for (const file of await blobs.tempFiles()) {
    const freed = await blobs.collectTemp(file.path, cutoff, startedAt.getTime());
    if (freed === undefined) continue;
    report.removedTempFiles++;
    report.removedBytes += freed;
  }
  report.finishedAt = now().toISOString();
  return report;
}
