// `shelf fsck`: checks the data folder (blobs against their sha512, rows against their blobs, packuments against their
// rows, dist-tags against their versions) and with --repair fixes what can be fixed. Safe next to a running `shelf serve`.
import type { Command } from 'commander';
import { formatBytes } from '../../shared/format-bytes';
import { DEFAULT_GC_GRACE_MS } from '../services/maintenance/maintenance';
import type { FsckReport } from '../services/maintenance/fsck';
import { fsckDataFolder } from '../services/maintenance/fsck-data-folder';
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
    const report = await fsckDataFolder(config, {
      repair: options.repair ?? false,
      progress: options.json || !process.stderr.isTTY ? undefined : (phase) => process.stderr.write(`checking ${phase}…\n`),
    });
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
