// `shelf fsck`: checks the data folder (blobs against their sha512, rows against their blobs, packuments against their
// rows, dist-tags against their versions) and with --repair fixes what can be fixed. Safe next to a running `shelf serve`.
import { join } from 'node:path';
import type { Command } from 'commander';
import { listenUrl } from '../config/config';
import { freeBytesAt } from '../errors';
import { formatBytes } from '../../shared/format-bytes';
import { FULL_DISK_BYTES } from '../services/maintenance/disk-space';
import { openBlobStore } from '../storage/blobs/open-blob-store';
import { openDatabase } from '../storage/db/connection';
import { DEFAULT_GC_GRACE_MS } from '../services/maintenance/maintenance';
import { runFsck, type FsckReport } from '../services/maintenance/fsck';
import { addSettingOptions, type ParsedOptions } from './settings-options';

export function registerFsck(program: Command): void {
  const command = program
    .command('fsck')
    .description('check the data folder for orphaned, missing or corrupt tarballs and out-of-step packuments; --repair fixes them')
    .option(
      '--repair',
      'fix what can be fixed: delete orphans and dead temp files, quarantine corrupt blobs, re-render packuments, drop dangling dist-tags',
    )
    .option('--json', 'print the full report as JSON');
  const readConfig = addSettingOptions(command, ['gcGrace', 'blobs', 's3Endpoint', 's3Region', 's3PathStyle']);
  command.addHelpText(
    'after',
    `
Orphans are blobs no row points at that are older than --gc-grace (default ${DEFAULT_GC_GRACE_MS / 3_600_000}h): younger
ones may belong to a publish in progress, so fsck is safe while \`shelf serve\` runs. A published version whose tarball
is missing or corrupt cannot be repaired here (restore a backup); a cached upstream tarball is forgotten and fetched
again when asked for. Exit code: 0 when the store is clean (after --repair, when everything was repaired), 1 otherwise.`,
  );
  command.action(async (options: ParsedOptions & { repair?: boolean; json?: boolean }) => {
    const config = readConfig(options);
    // The store alone, not the whole app: fsck must see the store as it is (the app would clear dead writers' temp files
    // as it opens), and needs no server. On a full disk it opens read-only, as `shelf serve` does, and only reports.
    const free = freeBytesAt(config.dataDir);
    const readOnly = free !== undefined && free < FULL_DISK_BYTES;
    const db = openDatabase(join(config.dataDir, 'shelf.db'), { readOnly });
    const blobs = openBlobStore(config.dataDir, config.blobs, { readOnly, keepTempFiles: true });
    const ctx = {
      db,
      blobs,
      limits: config.limits,
      now: () => new Date(),
      // Only for a package that has no stored packument at all; a server re-renders for its own address on first read.
      baseUrl: () => config.publicUrl ?? listenUrl(config.host, config.port),
    };
    let report: FsckReport;
    try {
      report = await runFsck(ctx, config.dataDir, {
        repair: (options.repair ?? false) && !readOnly,
        graceMs: config.gcGraceMs ?? DEFAULT_GC_GRACE_MS,
        progress: options.json || !process.stderr.isTTY ? undefined : (phase) => process.stderr.write(`checking ${phase}…\n`),
      });
    } finally {
      db.close();
      await blobs.close();
    }
    process.stdout.write(`${options.json ? JSON.stringify(report, null, 2) : describe(report)}\n`);
    process.exitCode = report.clean ? 0 : 1;
  });
}

function describe(report: FsckReport): string {
  const lines = [
    `fsck of ${report.dataDir}${report.blobs.startsWith('s3://') ? ` and ${report.blobs}` : ''}: ${report.checked.blobs} blobs, ${report.checked.references} rows with a tarball, ${report.checked.packages} packages checked`,
  ];
  const done = (repaired: boolean) => (repaired ? 'repaired' : report.repair ? 'NOT repaired' : 'run with --repair');
  const section = <T extends { repaired: boolean }>(items: T[], title: string, line: (item: T) => string) => {
    if (items.length === 0) return;
    lines.push(`${title} (${items.length}):`);
    for (const item of items.slice(0, 50)) lines.push(`  ${line(item)} — ${done(item.repaired)}`);
    if (items.length > 50) lines.push(`  … and ${items.length - 50} more (--json lists all)`);
  };
  section(report.orphans, 'orphaned blobs (no row points at them)', (o) => `${o.path} (${formatBytes(o.size)})`);
  section(report.tempFiles, 'temp files of interrupted writes', (t) => `${t.path} (${formatBytes(t.size)})`);
  section(
    report.missing,
    'rows whose tarball is missing',
    (m) => `${m.name}@${m.version}${m.kind === 'cached' ? ' (cached)' : ''}${m.action ? `: ${m.action}` : ''}`,
  );
  section(report.corrupt, 'blobs whose bytes do not match their sha512', (c) => `${c.path} (${c.references.join(', ')})`);
  section(report.stalePackuments, 'packuments out of step with their rows', (p) => p.name);
  section(report.danglingTags, 'dist-tags naming a missing version', (t) => `${t.name} ${t.tag} → ${t.version}`);
  if (report.strayFiles.length > 0) {
    lines.push(`files in the blob folders that are not blobs (${report.strayFiles.length}; left alone):`);
    for (const s of report.strayFiles.slice(0, 50)) lines.push(`  ${s.path}`);
  }
  if (report.problems === 0) lines.push('clean: no problems found');
  else if (report.clean) lines.push(`clean: ${report.problems} problem(s) found, all repaired`);
  else
    lines.push(
      `${report.remaining} of ${report.problems} problem(s) remain${report.repair ? '' : '; run `shelf fsck --repair` to fix what can be fixed'}`,
    );
  return lines.join('\n');
}
