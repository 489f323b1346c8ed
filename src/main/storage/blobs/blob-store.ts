// The blob store port: where tarballs live, content-addressed by their sha512. Services, the collector, fsck and backup
// talk to this interface only; two adapters implement it: the data folder (TarballStore, the default) and S3-compatible
// object storage (S3BlobStore, `--blobs s3://bucket/prefix`). Every call is asynchronous, since an object store answers
// over the network.
import type { Readable } from 'node:stream';
import ssri from 'ssri';

/**
 * Blobs up to this size are read whole and sent as one buffer from the folder store; larger ones are streamed so that
 * memory stays bounded (at most this much per concurrent download). Most npm tarballs are far smaller.
 */
export const WHOLE_READ_MAX_BYTES = 2 * 1024 * 1024;

/** One stored blob as the collector and fsck see it. */
export interface BlobEntry {
  integrity: string;
  /** Where it is, for people: a file path, or s3://bucket/key. */
  path: string;
  size: number;
  /** Last write (or refresh by a write of the same bytes): the collector's grace period counts from here. */
  mtimeMs: number;
}

/** Something in the blob area that is not a blob: a temp file or an unfinished multipart upload, or a stray name. */
export interface StrayFile {
  path: string;
  size: number;
  mtimeMs: number;
}

/** A blob opened for sending: a buffer (small, from the folder) or a stream, with its length for Content-Length. */
export interface BlobBody {
  body: Buffer | Readable;
  size: number;
}

/** Whether a row points at a blob; asked by the collector at the moment of deleting. */
export type IsReferenced = (integrity: string) => boolean | Promise<boolean>;

export interface BlobStore {
  /** 'folder' or 's3', and where: the blob folder's path or s3://bucket/prefix (`shelf serve` prints it). */
  readonly kind: 'folder' | 's3';
  readonly location: string;
  /** Shelf started on a full disk: every write is refused with a 507. */
  readonly readOnly: boolean;

  has(integrity: string): Promise<boolean>;
  /** Size in bytes, or undefined when the blob is missing. */
  size(integrity: string): Promise<number | undefined>;
  /**
   * Stores the bytes under their integrity (the caller computed it from these bytes). Writing what is already there
   * succeeds and refreshes the blob's time, so the collector's grace period counts from this write. The blob is claimed
   * from the call until the turn after it resolves: the caller's commit runs in its continuation, and until then neither
   * the collector nor a removal in this process takes it.
   */
  put(integrity: string, bytes: Buffer): Promise<void>;
  /** The whole blob, or undefined when it is missing. */
  read(integrity: string): Promise<Buffer | undefined>;
  /** A stream of the blob's bytes (rejects with ENOENT-like NotFound errors when it is missing). */
  stream(integrity: string): Promise<Readable>;
  /** The blob opened for sending (one request to an object store), or undefined when it is missing. */
  open(integrity: string): Promise<BlobBody | undefined>;
  /** Deletes a blob its caller found unreferenced; one a write in this process claims is left for the collector. */
  remove(integrity: string): Promise<void>;
  /** Whether a write in this process is working with this blob now. */
  isClaimed(integrity: string): boolean;
  /**
   * The collector's delete: removes the blob only if no write claims it, it was last written before `olderThanMs`
   * (epoch ms) and `isReferenced` says no row points at it, all checked just before the delete. Returns the bytes
   * freed, or undefined when the blob stays.
   */
  collect(integrity: string, olderThanMs: number, isReferenced: IsReferenced): Promise<number | undefined>;
  /** Deletes a leftover of an interrupted write (from tempFiles()) older than `olderThanMs`; bytes freed or undefined. */
  collectTemp(path: string, olderThanMs: number, nowMs: number): Promise<number | undefined>;
  /** Moves a blob whose bytes do not match its name aside (kept for inspection); says where it went. */
  quarantine(integrity: string): Promise<string>;
  /** Every stored blob, a page at a time; `onStray` hears of names in the blob area that are no blob. */
  entries(onStray?: (file: StrayFile) => void): AsyncGenerator<BlobEntry>;
  /** Leftovers of writes: temp files (folder), unfinished multipart uploads (S3). */
  tempFiles(): Promise<StrayFile[]>;
  /** Whether the store answers: an S3 bucket is reachable and takes the credentials. Rejects with what to fix. */
  check(): Promise<void>;
  /** Where a blob is (or would be), for messages: a path or an s3:// URL. */
  where(integrity: string): string;
  close(): Promise<void>;
}

/** sha512 integrity string ("sha512-<base64>") → the hex digest; anything else is refused. */
export function hexOf(integrity: string): string {
  const parsed = ssri.parse(integrity, { single: true });
  if (!parsed || parsed.algorithm !== 'sha512') throw new Error(`not a sha512 integrity: ${integrity}`);
  return Buffer.from(parsed.digest, 'base64').toString('hex');
}

/** The hex sha512 → its integrity string. */
export function integrityOfHex(hex: string): string {
  return `sha512-${Buffer.from(hex, 'hex').toString('base64')}`;
}

/**
 * A blob's place below the store's root, the same in the data folder, in a bucket (below the prefix) and in a backup
 * archive: `blobs/sha512/<2 hex>/<2 hex>/<128 hex>`. The fan-out keeps folders small; S3 does not need it, but one layout
 * everywhere lets an operator copy a folder into a bucket (`aws s3 sync <data-dir>/blobs s3://bucket/prefix/blobs`).
 */
export function blobRelativePath(integrity: string): string {
  const hex = hexOf(integrity);
  return `blobs/sha512/${hex.slice(0, 2)}/${hex.slice(2, 4)}/${hex}`;
}

/** The inverse of blobRelativePath for a path below `blobs/sha512/`: the integrity, or undefined for a stray name. */
export function integrityOfRelativePath(path: string): string | undefined {
  const match = /^blobs\/sha512\/([0-9a-f]{2})\/([0-9a-f]{2})\/([0-9a-f]{128})$/.exec(path);
  if (!match || !match[3]!.startsWith(match[1]! + match[2]!)) return undefined;
  return integrityOfHex(match[3]!);
}
