// `shelf mirror`: prefetch a project's lockfile (or one package) into the cache, so installs work offline afterwards.
import type { Command } from 'commander';
import { createApp } from '../app';
import { listenUrl } from '../config/config';
import { isShelfError } from '../errors';
import { projectPackages } from '../services/mirror/project-packages';
import { prefetchVersions, versionsOfPackage, type PrefetchSummary } from '../services/mirror/prefetch';
import { formatBytes } from '../../shared/format-bytes';
import { progressBar } from './progress';
import { addSettingOptions, fail, type ParsedOptions } from './settings-options';
import { chooseUpstreams } from './upstreams';

export function registerMirror(program: Command): void {
  const mirror = program
    .command('mirror [path]')
    .description('download every packument and tarball a project needs (a folder or lockfile), or one package, into the cache')
    .option('--package <name>', 'mirror one package instead of a project')
    .option('--versions <which>', 'with --package: all, latest or a semver range', 'latest')
    .option('--concurrency <n>', 'parallel downloads', '8')
    .option('--json', 'print the summary as JSON');
  const readConfig = addSettingOptions(mirror, [
    'upstreams',
    'upstreamTimeout',
    'upstreamMaxDocument',
    'upstreamMaxTarball',
    'cacheCap',
    'localScopes',
  ]);
  mirror.action(async (path: string | undefined, options: ParsedOptions) => {
    if (!path && !options.package) fail('name a folder or lockfile to mirror, or use --package NAME');
    const concurrency = Number(options.concurrency);
    if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) fail('--concurrency must be a whole number from 1 to 64');
    const config = readConfig(options);
    // A private listener on a free loopback port: resolving a package.json goes through Shelf's own mirror routes.
    const app = await createApp(
      { ...config, host: '127.0.0.1', port: 0, mirror: { ...config.mirror, offline: false } },
      { mode: 'browser' },
    );
    const controller = new AbortController();
    // Ctrl+C stops starting new downloads; what finished stays cached, so running the command again resumes.
    process.once('SIGINT', () => controller.abort());
    const bar = progressBar(!options.json);
    try {
      const url = await app.listen();
      // The loop check compares with the address a `shelf serve` on this data folder would have, not the private one.
      await chooseUpstreams(app, listenUrl(config.host, config.port));
      if (app.services.mirror.listUpstreams().length === 0) fail('there is no upstream registry to mirror from; pass --upstream URL');
      const wanted = options.package
        ? await versionsOfPackage(app.services.mirror, String(options.package), String(options.versions))
        : (await projectPackages(path!, url)).packages;
      const summary = await prefetchVersions(app.services.mirror, wanted, {
        concurrency,
        signal: controller.signal,
        onProgress: (p) => bar.update(p.done, p.total, p.phase),
      });
      bar.stop();
      report(summary, (await app.services.mirror.admin.status()).totalBytes, Boolean(options.json));
      process.exitCode = summary.failed.length > 0 || summary.interrupted ? 1 : 0;
    } catch (error) {
      bar.stop();
      if (isShelfError(error)) fail(error.message);
      throw error;
    } finally {
      await app.close();
    }
  });
}

function report(summary: PrefetchSummary, cacheBytes: number, json: boolean): void {
  if (json) {
    process.stdout.write(`${JSON.stringify({ ...summary, cacheBytes }, null, 2)}\n`);
    return;
  }
  const out = (line: string) => process.stdout.write(`${line}\n`);
  out(`${summary.total} versions: ${summary.fetched} fetched, ${summary.alreadyCached} already cached, ${summary.failed.length} failed`);
  for (const f of summary.failed) out(`  ✗ ${f.spec}: ${f.reason}`);
  if (summary.interrupted) out('interrupted: run the same command again to resume');
  out(`cache: ${formatBytes(cacheBytes)}`);
}
