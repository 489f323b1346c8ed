// `shelf restore <file> --data-dir <dir>`: verifies a backup archive and restores it into a new data folder.
import type { Command } from 'commander';
import { ConfigError, resolveConfig } from '../config/load';
import { SETTINGS, type SettingKey } from '../config/settings';
import { isShelfError } from '../errors';
import { restoreBackup, type RestoreSummary } from '../services/backup';
import { formatBytes } from '../../shared/format-bytes';
import { progressBar } from './progress';
import { fail } from './settings-options';

interface RestoreFlags {
  dataDir: string;
  force?: boolean;
  json?: boolean;
  blobs?: string;
  s3Endpoint?: string;
  s3Region?: string;
  s3PathStyle?: boolean;
}

/** The settings that send the tarballs into an S3 bucket instead of the data folder. */
const BLOB_SETTINGS: readonly SettingKey[] = ['blobs', 's3Endpoint', 's3Region', 's3PathStyle'];

export function registerRestore(program: Command): void {
  const command = program.command('restore <file>');
  for (const spec of SETTINGS.filter((s) => BLOB_SETTINGS.includes(s.key)))
    command.option(spec.flag, `${spec.description} (env ${spec.env}; default ${spec.defaultText})`);
  command
    .description('verify a backup made by `shelf backup` and restore it into a new data folder')
    .requiredOption('--data-dir <dir>', 'the data folder to create (must not exist or be empty)')
    .option('--force', 'restore into a folder that holds files: they are moved aside to <dir>.before-restore-<time> first')
    .option('--json', 'print the summary as JSON on stdout')
    .addHelpText(
      'after',
      '\nEvery file is checked against the manifest (size, sha256, sha512) before anything is written; the files are\n' +
        'unpacked into a temporary folder next to --data-dir, checked again, and renamed into place. Stop any Shelf\n' +
        'running on that folder first. Then start Shelf on it: shelf serve --data-dir <dir>.',
    )
    .action(async (file: string, flags: RestoreFlags) => {
      let blobs;
      try {
        const raw = { blobs: flags.blobs, s3Endpoint: flags.s3Endpoint, s3Region: flags.s3Region, s3PathStyle: flags.s3PathStyle };
        const given = Object.entries(raw)
          .filter(([, v]) => v !== undefined)
          .map(([k, v]) => [k, String(v)]);
        blobs = resolveConfig({ dataDir: flags.dataDir, flags: Object.fromEntries(given) }).blobs;
      } catch (error) {
        if (error instanceof ConfigError) fail(error.message, 2);
        throw error;
      }
      const bar = progressBar(!flags.json, { format: '{label} [{bar}] {value}/{total}' });
      let summary: RestoreSummary;
      try {
        summary = await restoreBackup({
          file,
          dataDir: flags.dataDir,
          force: flags.force,
          blobs,
          onProgress: (p) => bar.update(p.done, p.total, p.phase),
        });
      } catch (error) {
        bar.stop();
        if (isShelfError(error)) fail(error.message);
        throw error;
      }
      bar.stop();
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
        return;
      }
      const c = summary.contents;
      const lines = [
        `restored ${file} (made ${summary.createdAt} by Shelf ${summary.shelfVersion}) into ${summary.dataDir}`,
        `  ${summary.files} files verified (${formatBytes(summary.bytes)}): ${c.packages} packages, ${c.versions} versions, ` +
          `${c.users} users, ${c.tokens} tokens, ${c.blobs} tarballs`,
        ...(summary.movedAside ? [`  what the folder held before is in ${summary.movedAside}`] : []),
        ...(blobs ? [`  tarballs put into s3://${blobs.bucket}${blobs.prefix ? `/${blobs.prefix}` : ''}`] : []),
        `start it with: shelf serve --data-dir ${summary.dataDir}${blobs ? ` --blobs s3://${blobs.bucket}${blobs.prefix ? `/${blobs.prefix}` : ''}` : ''}`,
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
