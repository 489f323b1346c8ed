// The resolver's metadata cache as the shells reach it: where it lives in the data folder (<data-dir>/metadata-cache.db,
// shared by the CLI's resolutions and the graph screen's) and opening it.
import { join } from 'node:path';
import { METADATA_CACHE_FILE, MetadataCacheDb } from '../../storage/metadata-cache-db';

export type { MetadataCacheDb };

export const metadataCachePath = (dataDir: string): string => join(dataDir, METADATA_CACHE_FILE);

/** Opens (creating) the cache file; throws when it cannot be opened, which the caller turns into a warning or a refusal. */
export function openMetadataCache(path: string, nativeBinding?: string, options?: { writer?: 'thread' }): MetadataCacheDb {
  return MetadataCacheDb.open(path, nativeBinding, options);
}
