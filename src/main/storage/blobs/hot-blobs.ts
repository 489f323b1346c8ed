// Recently sent small tarballs kept in memory, by integrity, for both blob stores (tarball-store.ts, s3-blob-store.ts).
// A blob is immutable (named by its sha512), so a copy is never stale, whatever another process or node does; a store
// forgets its copy when it deletes or quarantines the blob itself.
//
// S3: a GetObject per download cost 5–10× the folder's throughput for small tarballs (bench/17-blobs.mjs). Folder: a
// whole read per download is four trips through libuv's thread pool (open, fstat, read, close) and a fresh buffer of
// up to 2 MB, whose garbage made the collector a seventh of a 1 MB tarball GET's time (bench/16-tarball-ceiling.mjs).
import { BoundedCache } from '../../bounded-cache';
import { WHOLE_READ_MAX_BYTES } from './blob-store';

/** Memory for recently sent small tarballs, per store, unless the store is told otherwise (0 turns it off). */
export const HOT_BLOB_BYTES = 64 * 1024 * 1024;

export class HotBlobs {
  private readonly kept: BoundedCache<string, Buffer>;

  constructor(private readonly capBytes: number = HOT_BLOB_BYTES) {
    this.kept = new BoundedCache(capBytes);
  }

  /** Whether a blob of this size is kept at all: one small enough to be read whole, and a quarter of the cap at most. */
  fits(size: number): boolean {
    return size <= WHOLE_READ_MAX_BYTES && size <= this.capBytes / 4;
  }

  get(integrity: string): Buffer | undefined {
    return this.kept.get(integrity);
  }

  keep(integrity: string, bytes: Buffer): void {
    if (this.fits(bytes.length)) this.kept.set(integrity, bytes, bytes.length);
  }

  forget(integrity: string): void {
    this.kept.delete(integrity);
  }
}
