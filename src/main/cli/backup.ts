// `shelf backup <file>`: a consistent backup of a data folder (database, tarballs, settings) into one archive, taken
// while `shelf serve` or the desktop app may be running on that folder.
import type { Command } from 'commander';
import { isShelfError } from '../errors';
import { createBackup, type BackupSummary } from '../services/backup';
import { SHELF_VERSION } from '../version';
import { formatBytes } from '../../shared/format-bytes';
import { progressBar } from './progress';
import { addSettingOptions, fail, type ParsedOptions } from './settings-options';

interface BackupFlags extends ParsedOptions {
  force?: boolean;
  json?: boolean;
}

const PHASES = { database: 'database', tarballs: 'tarballs', archive: 'archive' } as const;
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export function registerBackup(program: Command): void {
  const command = program
    .command('backup <file>')
    .description('back up the database, tarballs and settings into one archive (works while Shelf is running)');
  // --data-dir, and where the tarballs are when they are not in it (an S3 bucket's objects are downloaded into the archive).
  const readConfig = addSettingOptions(command, ['blobs', 's3Endpoint', 's3Region', 's3PathStyle']);
  command
    .option('--force', 'replace <file> if it already exists')
    .option('--json', 'print the summary as JSON on stdout')
    .addHelpText(
      'after',
      '\nThe archive (a gzipped tar) holds a snapshot of shelf.db, every tarball it references, config.json and\n' +
        'registries.json when present, and manifest.json with the size, sha256 and sha512 of each file. The metadata\n' +
        'cache and install cache are left out: they fill again by themselves. Restore with `shelf restore`.',
    )
    .action(async (file: string, flags: BackupFlags) => {
      const config = readConfig(flags);
      const dataDir = config.dataDir;
      const bar = progressBar(!flags.json, { format: '{label} [{bar}] {value}/{total}' });
      let summary: BackupSummary;
      try {
        summary = await createBackup({
          dataDir,
          file,
          force: flags.force,
          shelfVersion: SHELF_VERSION,
          blobs: config.blobs,
          onProgress: (p) => bar.update(p.done, p.total, PHASES[p.phase]),
        });
      } catch (error) {
        bar.stop();
        if (isShelfError(error)) fail(error.message);
        throw error;
      }
      bar.stop();
      if (flags.json) {
        process.stdout.write(`${JSON.stringify({ dataDir, ...summary }, null, 2)}\n`);
        return;
      }
      const c = summary.contents;
      const lines = [
        `backed up ${dataDir} into ${summary.file} (${formatBytes(summary.bytes)})`,
        `  ${plural(c.packages, 'package')}, ${plural(c.versions, 'version')}, ${plural(c.users, 'user')}, ${plural(c.tokens, 'token')}`,
        `  ${plural(c.blobs, 'tarball')} (${formatBytes(c.blobBytes)}), of which the mirror cached ${c.cachedTarballs} from upstreams`,
        `  settings: ${summary.settingsFiles.length ? summary.settingsFiles.join(', ') : 'none (no config.json)'}`,
        ...(summary.droppedCacheEntries
          ? [`  ${plural(summary.droppedCacheEntries, 'cached upstream tarball')} evicted while backing up were left out`]
          : []),
        `restore with: shelf restore ${summary.file} --data-dir <a new folder>`,
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
