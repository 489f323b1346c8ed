// `shelf serve`: the headless registry plus the browser UI, until interrupted.
import type { Command } from 'commander';
import { UI_PATH, checkStores, createApp } from '../app';
import { createLogger, guardStdio } from '../logger';
import { describeFailure, startUpkeep } from '../services/maintenance/upkeep';
import { addSettingOptions, fail, type ParsedOptions } from './settings-options';
import { chooseUpstreams } from './upstreams';

const WARM_UP_DELAY_MS = 1000;

export function registerServe(program: Command, rendererDir: string): void {
  const serve = program.command('serve').description('run the registry and its web UI without the desktop app');
  const readConfig = addSettingOptions(serve);
  serve.option('--json', 'print one JSON line describing the running server (address, UI, setup link, mirror) instead of text');
  serve.action(async (options: ParsedOptions & { json?: boolean }) => {
    const config = readConfig(options, rendererDir);
    const log = createLogger(config.logLevel);
    // A server outlives the terminal or parent that started it: a closed stdout/stderr must not become a crash loop.
    guardStdio();
    // An S3 bucket that is missing or refuses the credentials stops the start here, with what to fix, before the
    // database is opened or anything written.
    await checkStores(config).catch((error: unknown) => fail((error as Error).message));
    // A database that cannot be opened (refused, wrong password, newer schema) stops the start here too, before listening.
    const app = await createApp(config, { mode: 'browser' }).catch((error: unknown) => fail((error as Error).message));
    let url: string;
    try {
      url = await app.listen();
    } catch (error) {
      await app.close();
      const code = (error as NodeJS.ErrnoException).code;
      fail(
        code === 'EADDRINUSE'
          ? `port ${config.port} on ${config.host} is already in use; pick another with --port (0 picks a free one)`
          : `could not listen on ${config.host}:${config.port}: ${(error as Error).message}`,
      );
    }
    // Once the server listens: the process guard (an unexpected failure is logged, and the server keeps serving where
    // that is safe), the collector (at start-up, in the background) and the free-space watch; the desktop app runs the same.
    startUpkeep(app, { log });
    await chooseUpstreams(app, url);
    const out = (line: string) => process.stdout.write(`${line}\n`);
    const upstreams = app.services.mirror.listUpstreams();
    const disk = app.services.maintenance?.disk.status();
    // The setup link is stored (hashed) in the database, which a read-only start cannot write.
    const setup = disk?.readOnly ? undefined : await app.setupLink();
    if (options.json) {
      // One line, written once the server answers, so a script can read it and go.
      out(
        JSON.stringify({
          url: url.replace(/\/$/, ''),
          registry: url,
          dataDir: config.dataDir,
          stores: app.stores,
          ui: config.rendererDir ? `${url}${UI_PATH}` : null,
          setupLink: setup ?? null,
          signup: config.signup,
          mirror: { offline: config.mirror.offline, upstreams: upstreams.map((u) => ({ scope: u.scope ?? null, url: u.url })) },
          readOnly: disk?.readOnly ?? false,
          diskWarning: disk?.warning ?? null,
        }),
      );
    } else {
      out(`listening on ${url.replace(/\/$/, '')}`);
      out(`data folder: ${config.dataDir}`);
      out(`stores: database ${app.stores.database}; blobs ${app.stores.blobs}`);
      out(config.rendererDir ? `web UI: ${url}${UI_PATH}` : 'web UI: not built (run `npm run build`); the registry works without it');
      if (setup) out(`first run: create the admin account at ${setup} (this link works once)`);
      out(`use it: npm config set registry ${url}   (sign-up is ${config.signup})`);
      if (config.mirror.offline) out('mirror: offline (serving cached packages only)');
      else if (upstreams.length === 0) out('mirror: off (no upstream registry)');
      else out(`mirror: ${upstreams.map((u) => (u.scope ? `${u.scope} → ${u.url}` : u.url)).join(', ')}`);
      if (disk?.readOnly) out(`read-only: ${disk.warning}`);
    }
    // What start-up left for first use (REST API, UI) is loaded a moment later: not before the first requests, and not
    // so late that a rebuild or an upgrade could replace the chunk files under a running server first.
    setTimeout(() => {
      app
        .warm()
        .catch((error: unknown) => process.stderr.write(`shelf: could not load the REST API or the UI: ${(error as Error).message}\n`));
    }, WARM_UP_DELAY_MS).unref();

    let closing = false;
    const shutdown = (signal: string) => {
      if (closing) return;
      closing = true;
      // stdout stays the one JSON line under --json.
      (options.json ? process.stderr : process.stdout).write(`shelf: ${signal} received, stopping\n`);
      app.close().then(
        () => process.exit(0),
        (error: unknown) => {
          log.error(`while stopping: ${describeFailure(error)}`);
          process.exit(1);
        },
      );
    };
    process.on('SIGINT', () => shutdown('SIGINT'));
    process.on('SIGTERM', () => shutdown('SIGTERM'));
  });
}
