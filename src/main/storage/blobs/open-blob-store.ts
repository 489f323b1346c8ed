// Opens the blob store a configuration names: the data folder's (default) or an S3 bucket's.
import type { BlobStore } from './blob-store';
import { S3BlobStore } from './s3-blob-store';
import { TarballStore } from './tarball-store';

/** `--blobs s3://bucket/prefix` with its --s3-* settings (config/config.ts's BlobsConfig has this shape). */
export interface S3Location {
  kind: 's3';
  bucket: string;
  prefix: string;
  endpoint?: string;
  region?: string;
  pathStyle: boolean;
}

export interface OpenBlobStoreOptions {
  /** Started on a full disk: writes are refused with a 507. */
  readOnly?: boolean;
  /** fsck: leave the folder's dead writers' temp files for the report instead of deleting them at once. */
  keepTempFiles?: boolean;
}

export function openBlobStore(dataDir: string, location: S3Location | undefined, options: OpenBlobStoreOptions = {}): BlobStore {
  if (location?.kind === 's3') {
    return new S3BlobStore({
      bucket: location.bucket,
      prefix: location.prefix,
      endpoint: location.endpoint,
      region: location.region,
      pathStyle: location.pathStyle,
      readOnly: options.readOnly,
      dataDir,
    });
  }
  return new TarballStore(dataDir, options);
}
