// `shelf store copy`: moves a whole store between a data folder (SQLite + folder) and team mode (PostgreSQL + S3), in
// either direction, verified and resumable (services/maintenance/store-copy.ts does the work).
import type { Command } from 'commander';
import { parseBlobs } from '../config/settings';
import { isShelfError } from '../errors';
import type { BlobsConfig } from '../config/config';
import { copyStore, type StoreCopyReport } from '../services/maintenance/store-copy';
import { progressBar } from './progress';
import { fail } from './settings-options';

interface CopyFlags {
  from: string;
  to: string;
  blobs?: string;
  fromBlobs?: string;
  s3Endpoint?: string;
  s3Region?: string;
  s3PathStyle?: boolean;
  json?: boolean;
}

/** Test hook: stop for good after this many tables are committed, so a test can kill the copy at a known point. */
const STALL_ENV = 'SHELF_TEST_STORE_COPY_STALL_AFTER_TABLES';

export function registerStore(program: Command): void {
  const store = program.command('store').description('move a whole store between a data folder and PostgreSQL + S3');
  store
    .command('copy')
    .description('copy every table and tarball of a store into another (data folder ⇄ PostgreSQL + S3), verified and resumable')
    .requiredOption('--from <database-url|data-dir>', 'the store to copy: a data folder or postgres://user:pass@host/db')
    .requiredOption('--to <database-url|data-dir>', 'where to copy it: a new data folder or an empty PostgreSQL database')
    .option('--blobs <url>', "the target's blob store: s3://bucket[/prefix] (default: the target data folder)")
    .option('--from-blobs <url>', "the source's blob store: s3://bucket[/prefix] (default: the source data folder)")
    .option('--s3-endpoint <url>', 'URL of the S3-compatible server for s3:// blob stores (credentials from AWS_* or ~/.aws)')
    .option('--s3-region <region>', 'S3 region for s3:// blob stores')
    .option('--s3-path-style', 'address buckets by path (Ceph RGW, MinIO)')
    .option('--json', 'print one summary object as JSON on stdout')
    .addHelpText(
      'after',
      '\nThe copy reads the source as it was when the copy started: stop the nodes serving it for an exact copy, or\n' +
        'accept one as of its start. Interrupted, it can be run again with the same arguments and finishes where it\n' +
        'stopped. A target that holds data and is not a copy of this source in progress is refused.\n' +
        'Exit code: 0 when every table count and every tarball matches, 1 otherwise.',
    )
    .action(async (flags: CopyFlags) => {
      const bar = progressBar(!flags.json, { format: '{label} [{bar}] {value}/{total}' });
      const stallAfter = process.env[STALL_ENV] ? Number(process.env[STALL_ENV]) : undefined;
      if (!flags.json)
        process.stderr.write(
          'copying the store as of now: writes made to the source after this moment are not copied (stop its nodes for an exact copy)\n',
        );
      let report: StoreCopyReport;
      try {
        report = await copyStore({
          from: flags.from,
          to: flags.to,
          fromBlobs: location(flags.fromBlobs, flags),
          toBlobs: location(flags.blobs, flags),
          progress: (done, total, label) => bar.update(done, total, label),
          afterTable: async (table, index) => {
            if (stallAfter === undefined || index + 1 < stallAfter) return;
            process.stderr.write(`stalled after table ${table}\n`);
            // Held open until the test kills the process.
            await new Promise(() => setInterval(() => undefined, 60_000));
          },
        });
      } catch (error) {
        bar.stop();
        if (isShelfError(error)) fail(error.message);
        throw error;
      }
      bar.stop();
      process.stdout.write(`${flags.json ? JSON.stringify(report, null, 2) : describe(report)}\n`);
      process.exitCode = report.ok ? 0 : 1;
    });
}

function location(raw: string | undefined, flags: CopyFlags): BlobsConfig | undefined {
  if (raw === undefined) return undefined;
  let parsed: ReturnType<typeof parseBlobs>;
  try {
    parsed = parseBlobs(raw);
  } catch (error) {
    fail((error as Error).message, 2);
  }
  if (parsed === 'folder') return undefined;
  return { kind: 's3', ...parsed, endpoint: flags.s3Endpoint, region: flags.s3Region, pathStyle: flags.s3PathStyle ?? false };
}

function describe(report: StoreCopyReport): string {
  const width = Math.max(5, ...report.tables.map((t) => t.table.length));
  const lines = [
    `copied ${report.from} (${report.fromBlobs}) into ${report.to} (${report.toBlobs})`,
    `  ${'table'.padEnd(width)}  source  target`,
    ...report.tables.map(
      (t) =>
        `  ${t.table.padEnd(width)}  ${String(t.source).padStart(6)}  ${String(t.target).padStart(6)}${t.resumed ? '  (done by an earlier run)' : ''}`,
    ),
    `  tarballs: ${report.blobs.referenced} referenced, ${report.blobs.copied} copied, ${report.blobs.alreadyThere} already there, ${report.blobs.verified} verified by sha512`,
  ];
  if (report.ok) lines.push('verified: every table count and every tarball matches');
  else lines.push(`NOT verified (${report.problems.length} problem(s)):`, ...report.problems.map((p) => `  ${p}`));
  return lines.join('\n');
}
