// S3BlobStore: the blob store's S3-compatible adapter (`--blobs s3://bucket/prefix`), on the AWS SDK v3.
//
// Key layout: `<prefix>/blobs/sha512/<2 hex>/<2 hex>/<128 hex>` (the data folder's layout below the prefix), corrupt
// blobs moved by fsck --repair to `<prefix>/blobs/quarantine/<128 hex>`. Nothing else is written to the bucket.
//
// Writes are content-addressed and conditional: PutObject with `If-None-Match: *`, so of several writers (nodes, or
// publishes in one process) one stores the object and the others get 412, which means the same bytes are there: success.
// A write that finds its blob there refreshes its time (a copy onto itself) so that a collector on any node counts its
// grace period from this write, as the folder store's utimes does. Reads stream the object's body to the socket.
// Credentials come only from the SDK's default provider chain (AWS_* variables, ~/.aws files, instance roles).
import { PassThrough, type Readable } from 'node:stream';
import type { S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { ShelfError, readOnlyStorage } from '../../errors';
import {
  blobRelativePath,
  hexOf,
  integrityOfRelativePath,
  type BlobBody,
  type BlobEntry,
  type BlobStore,
  type IsReferenced,
  type StrayFile,
} from './blob-store';
import { Claims } from './claims';
import { HOT_BLOB_BYTES, HotBlobs } from './hot-blobs';

type Sdk = typeof import('@aws-sdk/client-s3');

export interface S3BlobStoreOptions {
  bucket: string;
  /** Key prefix without leading or trailing slash; '' for the bucket's root. */
  prefix: string;
  /** An S3-compatible server's URL (Ceph RGW, MinIO…); AWS's own endpoint when unset. */
  endpoint?: string;
  /** --s3-region, else AWS_REGION / AWS_DEFAULT_REGION, else us-east-1. */
  region?: string;
  /** Path-style URLs (http://host/bucket/key), which most self-hosted servers need. */
  pathStyle?: boolean;
  /** Shelf started read-only (its data folder's disk was full): writes are refused, naming that folder. */
  readOnly?: boolean;
  dataDir?: string;
  /** Blobs larger than this go up as multipart uploads (SINGLE_PUT_MAX_BYTES by default; tests lower it). */
  multipartAboveBytes?: number;
  /** Memory for recently sent small tarballs (HOT_BLOB_BYTES by default; 0 turns it off). */
  hotCacheBytes?: number;
}

/** Objects up to this size are one conditional PutObject; larger ones a multipart upload (lib-storage). */
const SINGLE_PUT_MAX_BYTES = 64 * 1024 * 1024;
const PART_BYTES = 16 * 1024 * 1024;
const LIST_PAGE = 1000;

export class S3BlobStore implements BlobStore {
  readonly kind = 's3';
  readonly location: string;
  readonly readOnly: boolean;
  private readonly claims = new Claims();
  /** Deletes in flight, by integrity: a put of the same blob waits for one, so it never lands before the delete does. */
  private readonly deleting = new Map<string, Promise<unknown>>();
  private readonly base: string;
  private connection: Promise<{ sdk: Sdk; client: S3Client }> | undefined;
  /** Recently sent small tarballs (hot-blobs.ts). */
  private readonly hot: HotBlobs;

  constructor(private readonly options: S3BlobStoreOptions) {
    this.base = options.prefix ? `${options.prefix}/` : '';
    this.location = `s3://${options.bucket}${options.prefix ? `/${options.prefix}` : ''}`;
    this.readOnly = options.readOnly ?? false;
    this.hot = new HotBlobs(options.hotCacheBytes ?? HOT_BLOB_BYTES);
  }

  /** The SDK is loaded on first use: a Shelf on a data folder never loads it. */
  private connect(): Promise<{ sdk: Sdk; client: S3Client }> {
    this.connection ??= (async () => {
      // Node 20 is what Shelf runs on; the SDK's notice about its future Node 22 requirement is for SDK users, not Shelf's.
      process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
      const sdk = await import('@aws-sdk/client-s3');
      const client = new sdk.S3Client({
        endpoint: this.options.endpoint,
        region: this.options.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
        forcePathStyle: this.options.pathStyle ?? false,
        // Checksums only when the operation requires one: S3-compatible servers (Ceph 16 among them) refuse the newer
        // CRC headers the SDK would otherwise add to every PutObject. The bytes are verified by their sha512 anyway.
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
      });
      return { sdk, client };
    })();
    return this.connection;
  }

  async check(): Promise<void> {
    const { sdk, client } = await this.connect();
    try {
      await client.send(new sdk.HeadBucketCommand({ Bucket: this.options.bucket }));
    } catch (error) {
      // HeadBucket's 404 has no body, so the SDK names it NotFound: it is the bucket that is missing.
      if (statusOf(error) === 404)
        throw this.failure(Object.assign(new Error('no such bucket'), { name: 'NoSuchBucket' }), 'open the blob store');
      throw this.failure(error, 'open the blob store');
    }
  }

  private key(integrity: string): string {
    return `${this.base}${blobRelativePath(integrity)}`;
  }

  where(integrity: string): string {
    return `s3://${this.options.bucket}/${this.key(integrity)}`;
  }

  private async head(integrity: string): Promise<{ size: number; mtimeMs: number } | undefined> {
    const { sdk, client } = await this.connect();
    try {
      const head = await client.send(new sdk.HeadObjectCommand({ Bucket: this.options.bucket, Key: this.key(integrity) }));
      return { size: head.ContentLength ?? 0, mtimeMs: head.LastModified?.getTime() ?? 0 };
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw this.failure(error, `look up ${this.where(integrity)}`);
    }
  }

  async has(integrity: string): Promise<boolean> {
    return (await this.head(integrity)) !== undefined;
  }

  async size(integrity: string): Promise<number | undefined> {
    return (await this.head(integrity))?.size;
  }

  async put(integrity: string, bytes: Buffer): Promise<void> {
    const key = this.key(integrity);
    await this.claims.around(integrity, async () => {
      if (this.readOnly) throw readOnlyStorage(this.options.dataDir ?? this.location);
      await this.deleting.get(integrity);
      const { sdk, client } = await this.connect();
      try {
        if (bytes.length <= (this.options.multipartAboveBytes ?? SINGLE_PUT_MAX_BYTES)) {
          await client.send(
            new sdk.PutObjectCommand({
              Bucket: this.options.bucket,
              Key: key,
              Body: bytes,
              ContentType: 'application/octet-stream',
              IfNoneMatch: '*',
            }),
          );
        } else {
          await this.putLarge(key, bytes);
        }
      } catch (error) {
        if (!isPreconditionFailed(error)) throw this.failure(error, `store ${this.where(integrity)}`);
        // Another writer stored these same bytes first: the blob is there. Refresh its time for the collector.
        await this.refresh(key).catch((refreshError: unknown) => {
          throw this.failure(refreshError, `refresh ${this.where(integrity)}`);
        });
      }
    });
  }

  /** A multipart upload for a large blob; lib-storage sends the same If-None-Match on its completion. */
  private async putLarge(key: string, bytes: Buffer): Promise<void> {
    const { client } = await this.connect();
    // A blob that is there already is not uploaded again (tens of MB for nothing).
    if (await this.headKey(key)) throw Object.assign(new Error('present'), { $metadata: { httpStatusCode: 412 } });
    const { Upload } = await import('@aws-sdk/lib-storage');
    const upload = new Upload({
      client,
      params: { Bucket: this.options.bucket, Key: key, Body: bytes, ContentType: 'application/octet-stream', IfNoneMatch: '*' },
      partSize: PART_BYTES,
      queueSize: 4,
    });
    await upload.done();
  }

  private async headKey(key: string): Promise<boolean> {
    const { sdk, client } = await this.connect();
    try {
      await client.send(new sdk.HeadObjectCommand({ Bucket: this.options.bucket, Key: key }));
      return true;
    } catch (error) {
      if (isMissing(error)) return false;
      throw error;
    }
  }

  /** Sets an object's Last-Modified to now: a copy onto itself (S3 allows it when the metadata is replaced). */
  private async refresh(key: string): Promise<void> {
    const { sdk, client } = await this.connect();
    await client.send(
      new sdk.CopyObjectCommand({
        Bucket: this.options.bucket,
        Key: key,
        CopySource: `${this.options.bucket}/${encodeURI(key)}`,
        MetadataDirective: 'REPLACE',
        ContentType: 'application/octet-stream',
        Metadata: { refreshed: String(Date.now()) },
      }),
    );
  }

  private async get(integrity: string): Promise<{ body: Readable; size: number } | undefined> {
    const { sdk, client } = await this.connect();
    try {
      const object = await client.send(new sdk.GetObjectCommand({ Bucket: this.options.bucket, Key: this.key(integrity) }));
      return { body: object.Body as Readable, size: object.ContentLength ?? 0 };
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw this.failure(error, `read ${this.where(integrity)}`);
    }
  }

  async read(integrity: string): Promise<Buffer | undefined> {
    const object = await this.get(integrity);
    if (!object) return undefined;
    const chunks: Buffer[] = [];
    for await (const chunk of object.body) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  async stream(integrity: string): Promise<Readable> {
    const object = await this.get(integrity);
    if (!object) throw new ShelfError('not_found', `the blob ${this.where(integrity)} is missing from the bucket`);
    return object.body;
  }

  /**
   * One GetObject whose body is passed on as it arrives: a 20 MB tarball never sits in memory. The body is piped through
   * a PassThrough so that the HTTP layer gets a plain stream (an aborted download destroys it, and with it the request).
   */
  async open(integrity: string): Promise<BlobBody | undefined> {
    const kept = this.hot.get(integrity);
    if (kept) return { body: kept, size: kept.length };
    const object = await this.get(integrity);
    if (!object) return undefined;
    if (this.hot.fits(object.size)) {
      const chunks: Buffer[] = [];
      for await (const chunk of object.body) chunks.push(chunk as Buffer);
      const bytes = Buffer.concat(chunks);
      this.hot.keep(integrity, bytes);
      return { body: bytes, size: bytes.length };
    }
    const body = new PassThrough();
    object.body.on('error', (error) => body.destroy(error));
    body.on('close', () => {
      if (!object.body.readableEnded) object.body.destroy();
    });
    object.body.pipe(body);
    return { body, size: object.size };
  }

  async remove(integrity: string): Promise<void> {
    if (this.claims.has(integrity)) return;
    await this.delete(integrity);
  }

  isClaimed(integrity: string): boolean {
    return this.claims.has(integrity);
  }

  /**
   * The object's time is read first (a write of the same bytes on any node refreshes it), then claims and references
   * are checked, and the delete is registered before its request goes out, so a put in this process waits for it and
   * writes afresh. Across nodes the grace period is the guard, as with several processes on one folder.
   */
  async collect(integrity: string, olderThanMs: number, isReferenced: IsReferenced): Promise<number | undefined> {
    if (this.claims.has(integrity)) return undefined;
    const head = await this.head(integrity);
    if (!head || head.mtimeMs > olderThanMs) return undefined;
    if (await isReferenced(integrity)) return undefined;
    if (this.claims.has(integrity)) return undefined;
    await this.delete(integrity);
    return head.size;
  }

  /** Registers the delete before its first await, so a put that starts after the caller's checks waits for it. */
  private async delete(integrity: string): Promise<void> {
    this.hot.forget(integrity);
    const request = this.connect().then(({ sdk, client }) =>
      client.send(new sdk.DeleteObjectCommand({ Bucket: this.options.bucket, Key: this.key(integrity) })),
    );
    const settled = request.catch(() => undefined);
    this.deleting.set(integrity, settled);
    try {
      await request;
    } catch (error) {
      if (!isMissing(error)) throw this.failure(error, `delete ${this.where(integrity)}`);
    } finally {
      if (this.deleting.get(integrity) === settled) this.deleting.delete(integrity);
    }
  }

  /** Unfinished multipart uploads under the prefix (a node killed mid-upload): aborted once older than the cutoff. */
  async tempFiles(): Promise<StrayFile[]> {
    const { sdk, client } = await this.connect();
    const files: StrayFile[] = [];
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    for (let page = 0; page < 10_000; page++) {
      let listing;
      try {
        listing = await client.send(
          new sdk.ListMultipartUploadsCommand({
            Bucket: this.options.bucket,
            Prefix: `${this.base}blobs/`,
            KeyMarker: keyMarker,
            UploadIdMarker: uploadIdMarker,
            MaxUploads: LIST_PAGE,
          }),
        );
      } catch (error) {
        throw this.failure(error, `list unfinished uploads in ${this.location}`);
      }
      for (const upload of listing.Uploads ?? []) {
        files.push({
          path: `s3://${this.options.bucket}/${upload.Key}?uploadId=${upload.UploadId}`,
          size: 0,
          mtimeMs: upload.Initiated?.getTime() ?? 0,
        });
      }
      if (!listing.IsTruncated) break;
      keyMarker = listing.NextKeyMarker;
      uploadIdMarker = listing.NextUploadIdMarker;
    }
    return files;
  }

  async collectTemp(path: string, olderThanMs: number): Promise<number | undefined> {
    const match = /^s3:\/\/[^/]+\/(.+)\?uploadId=(.+)$/.exec(path);
    if (!match) return undefined;
    const upload = (await this.tempFiles()).find((file) => file.path === path);
    if (!upload || upload.mtimeMs > olderThanMs) return undefined;
    const { sdk, client } = await this.connect();
    try {
      await client.send(new sdk.AbortMultipartUploadCommand({ Bucket: this.options.bucket, Key: match[1], UploadId: match[2] }));
    } catch (error) {
      if (!isMissing(error)) throw this.failure(error, `abort the upload ${path}`);
    }
    return 0;
  }

  async quarantine(integrity: string): Promise<string> {
    const { sdk, client } = await this.connect();
    const from = this.key(integrity);
    const to = `${this.base}blobs/quarantine/${hexOf(integrity)}`;
    this.hot.forget(integrity);
    try {
      await client.send(
        new sdk.CopyObjectCommand({ Bucket: this.options.bucket, Key: to, CopySource: `${this.options.bucket}/${encodeURI(from)}` }),
      );
      await client.send(new sdk.DeleteObjectCommand({ Bucket: this.options.bucket, Key: from }));
    } catch (error) {
      throw this.failure(error, `move ${this.where(integrity)} to quarantine`);
    }
    return `s3://${this.options.bucket}/${to}`;
  }

  async *entries(onStray?: (file: StrayFile) => void): AsyncGenerator<BlobEntry> {
    const { sdk, client } = await this.connect();
    let token: string | undefined;
    // Bounded: a million pages of a thousand keys is far beyond any registry.
    for (let page = 0; page < 1_000_000; page++) {
      let listing;
      try {
        listing = await client.send(
          new sdk.ListObjectsV2Command({
            Bucket: this.options.bucket,
            Prefix: `${this.base}blobs/sha512/`,
            ContinuationToken: token,
            MaxKeys: LIST_PAGE,
          }),
        );
      } catch (error) {
        throw this.failure(error, `list ${this.location}`);
      }
      for (const object of listing.Contents ?? []) {
        const key = object.Key ?? '';
        const path = `s3://${this.options.bucket}/${key}`;
        const size = object.Size ?? 0;
        const mtimeMs = object.LastModified?.getTime() ?? 0;
        const integrity = integrityOfRelativePath(key.slice(this.base.length));
        if (!integrity) {
          onStray?.({ path, size, mtimeMs });
          continue;
        }
        yield { integrity, path, size, mtimeMs };
      }
      if (!listing.IsTruncated || !listing.NextContinuationToken) break;
      token = listing.NextContinuationToken;
    }
  }

  async close(): Promise<void> {
    const connection = this.connection;
    this.connection = undefined;
    if (connection) (await connection.catch(() => undefined))?.client.destroy();
  }

  /** An S3 failure as a ShelfError that says what Shelf was doing and what the operator can do about it. */
  private failure(error: unknown, doing: string): ShelfError {
    if (error instanceof ShelfError) return error;
    const e = error as Partial<S3ServiceException> & { code?: string; message?: string };
    const status = e.$metadata?.httpStatusCode;
    const where = `${this.location}${this.options.endpoint ? ` at ${this.options.endpoint}` : ''}`;
    if (e.name === 'CredentialsProviderError')
      return new ShelfError(
        'unavailable',
        `could not ${doing}: no S3 credentials. Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE with ~/.aws/credentials) ` +
          `in the environment of shelf; Shelf never reads credentials from its config.json`,
        { cause: error },
      );
    if (e.name === 'NoSuchBucket')
      return new ShelfError('unavailable', `could not ${doing}: the bucket ${this.options.bucket} does not exist (${where}); create it`, {
        cause: error,
      });
    if (status === 403 || e.name === 'AccessDenied' || e.name === 'InvalidAccessKeyId' || e.name === 'SignatureDoesNotMatch')
      return new ShelfError(
        'unavailable',
        `could not ${doing}: S3 refused the credentials (${e.name && e.name !== 'Unknown' ? e.name : `HTTP ${status}`}) for ${where}; check AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY and the bucket's policy`,
        { cause: error },
      );
    if (e.code === 'ECONNREFUSED' || e.code === 'ENOTFOUND' || e.code === 'ETIMEDOUT' || e.name === 'TimeoutError')
      return new ShelfError(
        'unavailable',
        `could not ${doing}: the S3 endpoint ${this.options.endpoint ?? '(AWS)'} cannot be reached (${e.code ?? e.name}); check --s3-endpoint and that the server runs`,
        { cause: error },
      );
    return new ShelfError(
      'unavailable',
      `could not ${doing} (${where}): ${e.name ?? 'error'}${status ? ` ${status}` : ''}: ${e.message ?? ''}`,
      {
        cause: error,
      },
    );
  }
}

function statusOf(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
}

function isMissing(error: unknown): boolean {
  const name = (error as { name?: string }).name;
  return statusOf(error) === 404 && name !== 'NoSuchBucket';
}

function isPreconditionFailed(error: unknown): boolean {
  // 409 ConditionalRequestConflict: AWS's answer when a conditional write races another on the same key.
  return statusOf(error) === 412 || (error as { name?: string }).name === 'ConditionalRequestConflict';
}
