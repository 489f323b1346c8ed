// The backup archive's layout and manifest: which files a Shelf backup holds and the checksums restore verifies first.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { z } from 'zod';

export const BACKUP_FORMAT = 'shelf-backup';
/** Raised only when the layout changes in a way an older Shelf could not restore. */
export const BACKUP_FORMAT_VERSION = 1;

export const MANIFEST_NAME = 'manifest.json';
export const DATABASE_NAME = 'shelf.db';
/**
 * Small files of the data folder that are settings, not caches: config.json (the settings file) and registries.json
 * (remote registries added in the app; their tokens stay in the system keychain and are not in the backup).
 * metadata-cache.db and install-cache/ are caches that fill again by themselves, so they are left out.
 */
export const SETTINGS_FILES = ['config.json', 'registries.json'] as const;

/** A blob's place in the archive (and in the data folder): content-addressed by the hex sha512, as TarballStore lays it out. */
export const BLOB_PATH = /^blobs\/sha512\/([0-9a-f]{2})\/([0-9a-f]{2})\/([0-9a-f]{128})$/;

export function blobArchivePath(integrity: string): string {
  if (!integrity.startsWith('sha512-')) throw new Error(`not a sha512 integrity: ${integrity}`);
  const hex = Buffer.from(integrity.slice('sha512-'.length), 'base64').toString('hex');
  return `blobs/sha512/${hex.slice(0, 2)}/${hex.slice(2, 4)}/${hex}`;
}

/** The paths a backup may contain; anything else in an archive (links, other names, `..`) is refused. */
export function isAllowedPath(path: string): boolean {
  if (path === DATABASE_NAME || (SETTINGS_FILES as readonly string[]).includes(path)) return true;
  const blob = BLOB_PATH.exec(path);
  return blob !== null && blob[3]!.startsWith(blob[1]! + blob[2]!);
}

export const ManifestFile = z
  .object({
    path: z.string().refine(isAllowedPath, 'not a file a Shelf backup holds'),
    size: z.number().int().min(0),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    sha512: z.string().regex(/^[0-9a-f]{128}$/),
  })
  .strict();
export type ManifestFile = z.infer<typeof ManifestFile>;

const count = z.number().int().min(0);
export const BackupContents = z.object({
  packages: count,
  versions: count,
  users: count,
  tokens: count,
  /** Tarballs: those of local versions and those the mirror cached from upstreams. */
  blobs: count,
  blobBytes: count,
  cachedTarballs: count,
});
export type BackupContents = z.infer<typeof BackupContents>;

export const BackupManifest = z.object({
  format: z.literal(BACKUP_FORMAT),
  formatVersion: z.number().int().min(1),
  shelfVersion: z.string(),
  createdAt: z.string(),
  /** The database's schema version (PRAGMA user_version); a newer Shelf migrates it on its first start. */
  schemaVersion: z.number().int().min(0),
  contents: BackupContents,
  files: z.array(ManifestFile),
});
export type BackupManifest = z.infer<typeof BackupManifest>;

/** Size, sha256 and sha512 of a file, read once. */
export async function checksumFile(path: string): Promise<Omit<ManifestFile, 'path'>> {
  const sha256 = createHash('sha256');
  const sha512 = createHash('sha512');
  let size = 0;
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    sha256.update(chunk);
    sha512.update(chunk);
    size += chunk.length;
  }
  return { size, sha256: sha256.digest('hex'), sha512: sha512.digest('hex') };
}
