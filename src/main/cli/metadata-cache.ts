// Owns the resolving commands' metadata cache: where it lives (<data-dir>/metadata-cache.db), the flags that say when
// to trust it (npm's --prefer-offline, --prefer-online, --offline), and opening and closing it around a command.
import type { Command } from 'commander';
import { resolveConfig } from '../config/load';
import { ShelfError } from '../errors';
import type { CachePolicy } from '../services/resolver';
import { metadataCachePath, openMetadataCache, type MetadataCacheDb } from '../services/resolver/metadata-cache';
import { colour, type CommandIO } from './command-io';

export interface CacheFlags {
  dataDir?: string;
  offline?: boolean;
  preferOffline?: boolean;
  preferOnline?: boolean;
}

export function addCacheOptions(command: Command): Command {
  return command
    .option('--prefer-offline', 'use cached package metadata (<data-dir>/metadata-cache.db) without asking the registry whether it changed')
    .option('--prefer-online', 'ask the registry about every cached document, even fresh ones')
    .option('--offline', 'use cached package metadata only; fail on a package that was never fetched');
}

export function cachePolicy(flags: CacheFlags): CachePolicy {
  if (flags.offline) return 'offline';
  if (flags.preferOffline) return 'prefer-offline';
  if (flags.preferOnline) return 'prefer-online';
  return 'default';
}

/**
 * Runs `use` with the metadata cache open, and closes it after. A cache that cannot be opened (an unwritable data
 * folder, a damaged file) costs speed, not the command: one warning, and resolution asks the registry for everything —
 * except under --offline, where there is nothing else to resolve from.
 */
export async function withMetadataCache<T>(
  io: CommandIO,
  flags: CacheFlags,
  use: (cache: { db: MetadataCacheDb; policy: CachePolicy } | undefined) => Promise<T>,
): Promise<T> {
  const path = metadataCachePath(resolveConfig({ env: io.env, dataDir: flags.dataDir }).dataDir);
  let db: MetadataCacheDb | undefined;
  try {
    db = openMetadataCache(path, undefined, { writer: 'thread' });
  } catch (error) {
    if (flags.offline) {
      throw new ShelfError(
        'internal',
        `--offline needs the metadata cache ${path}, which could not be opened: ${(error as Error).message}`,
      );
    }
    io.err(
      `${colour(io, 33, 'shelf warn')} the metadata cache ${path} could not be opened (${(error as Error).message}); fetching every document\n`,
    );
  }
  try {
    return await use(db && { db, policy: cachePolicy(flags) });
  } finally {
    // A document that could not be written is fetched again next time: the command's own outcome stands.
    await db?.closeAsync().catch((error: unknown) => {
      io.err(`${colour(io, 33, 'shelf warn')} the metadata cache ${path} could not be written (${(error as Error).message})\n`);
    });
  }
}
