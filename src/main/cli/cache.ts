// `shelf cache`: status, pin, unpin, purge and verify of the mirror's cache.
import type { Command } from 'commander';
import { createApp, type ShelfApp } from '../app';
import { isShelfError } from '../errors';
import { formatBytes } from '../../shared/format-bytes';
import { progressBar } from './progress';
import { addSettingOptions, fail, type ParsedOptions } from './settings-options';

type Action = (app: ShelfApp, options: ParsedOptions, name?: string) => Promise<void>;

export function registerCache(program: Command): void {
  const cache = program.command('cache').description("inspect and manage the mirror's cache of upstream packages");
  const sub = (usage: string, description: string, action: Action) => {
    const command = cache.command(usage).description(description).option('--json', 'print the result as JSON');
    const readConfig = addSettingOptions(command, ['cacheCap']);
    command.action(async (...args: unknown[]) => {
      const name = typeof args[0] === 'string' ? args[0] : undefined;
      const options = (name === undefined ? args[0] : args[1]) as ParsedOptions;
      const app = await createApp(readConfig(options), { mode: 'browser' });
      try {
        await action(app, options, name);
      } catch (error) {
        if (isShelfError(error)) fail(error.message);
        throw error;
      } finally {
        await app.close();
      }
    });
  };
  const print = (options: ParsedOptions, value: unknown, human: string) =>
    process.stdout.write(`${options.json ? JSON.stringify(value, null, 2) : human}\n`);

  sub('status', 'cached packages, their versions, sizes and last use', async (app, options) => {
    const status = await app.services.mirror.admin.status();
    const lines = status.packages.map(
      (p) => `${p.pinned ? '📌 ' : '   '}${p.name}  ${p.versions.join(', ')}  ${formatBytes(p.bytes)}  last used ${p.lastUsed}`,
    );
    const cap = status.capBytes === null ? 'no cap' : `cap ${formatBytes(status.capBytes)}`;
    print(options, status, [...lines, `${status.packages.length} packages, ${formatBytes(status.totalBytes)} (${cap})`].join('\n'));
  });
  sub('pin <name>', 'keep a package in the cache whatever the size cap', async (app, options, name) => {
    await app.services.mirror.admin.pin(name!);
    print(options, { pinned: name }, `pinned ${name}`);
  });
  sub('unpin <name>', 'let the size cap evict a package again', async (app, options, name) => {
    await app.services.mirror.admin.unpin(name!);
    print(options, { unpinned: name }, `unpinned ${name}`);
  });
  sub('purge [name]', "drop a package's cached tarballs and packument (all packages without a name)", async (app, options, name) => {
    const removed = await app.services.mirror.admin.purge(name);
    print(options, { removed }, `removed ${removed} cached tarball${removed === 1 ? '' : 's'}`);
  });
  sub('verify', 're-hash every cached tarball; mismatches are quarantined and dropped', async (app, options) => {
    const bar = progressBar(!options.json);
    const report = await app.services.mirror.admin.verify((done, total) => bar.update(done, total, 'verify'));
    bar.stop();
    const lines = report.quarantined.map((q) => `  ✗ ${q.name}@${q.version}: ${q.problem} (quarantined)`);
    print(options, report, [`${report.checked} checked, ${report.ok} ok, ${report.quarantined.length} quarantined`, ...lines].join('\n'));
    if (report.quarantined.length > 0) process.exitCode = 1;
  });
}
