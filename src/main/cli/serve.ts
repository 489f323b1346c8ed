// `shelf serve`: the headless registry plus the browser UI, until interrupted.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Option, type Command } from 'commander';
import { UI_PATH, createApp, type ShelfApp } from '../app';
import { readNpmRegistry } from '../config/npm-registry';
import { ConfigError, defaultDataDir, resolveConfig } from '../config/load';
import { SETTINGS, type SettingKey } from '../config/settings';

/**
 * With no upstream configured, mirror the registry the user's npm names — unless that registry is this Shelf itself
 * (after `npm config set registry <shelf>`), which would send every unknown name round in a loop.
 */
async function chooseUpstreams(app: ShelfApp, ownUrl: string): Promise<void> {
  if (!app.config.mirror.useNpmRegistry) return;
  const registry = await readNpmRegistry();
  if (!registry) return;
  const own = new URL(ownUrl);
  const candidate = new URL(registry);
  const loopback = (h: string) => ['127.0.0.1', 'localhost', '[::1]', '::1'].includes(h);
  if (candidate.port === own.port && (candidate.hostname === own.hostname || (loopback(candidate.hostname) && loopback(own.hostname)))) {
    process.stderr.write(`shelf: your npm registry is this Shelf (${registry}), so there is no upstream to mirror; pass --upstream URL\n`);
    return;
  }
  app.services.mirror.setUpstreams([{ url: registry }]);
}

export function registerServe(program: Command, rendererDir: string): void {
  const serve = program
    .command('serve')
    .description('run the registry and its web UI without the desktop app')
    .option('--data-dir <dir>', `folder for the database, tarballs and config.json (env SHELF_DATA_DIR; default ${defaultDataDir()})`);
  // commander names each option after its flag (--max-tarball-size → maxTarballSize); remember which setting it feeds.
  const attributeOf = new Map<SettingKey, string>();
  for (const spec of SETTINGS) {
    const option = new Option(spec.flag, `${spec.description} (env ${spec.env}; default ${spec.defaultText})`);
    if (spec.repeatable) option.argParser((value: string, previous: string | undefined) => (previous ? `${previous},${value}` : value));
    serve.addOption(option);
    attributeOf.set(spec.key, option.attributeName());
  }
  serve.addHelpText(
    'after',
    '\nPrecedence: flags, then environment variables, then <data-dir>/config.json (same keys, camelCase), then defaults.',
  );
  serve.action(async (options: Record<string, string | boolean | undefined>) => {
    const flags: Partial<Record<SettingKey, string>> = {};
    for (const spec of SETTINGS) {
      const value: unknown = options[attributeOf.get(spec.key)!];
      if (value !== undefined) flags[spec.key] = String(value);
    }
    let config;
    try {
      config = resolveConfig({ flags, dataDir: options.dataDir as string | undefined, rendererDir: existsSync(join(rendererDir, 'index.html')) ? rendererDir : undefined });
    } catch (error) {
      if (error instanceof ConfigError) {
        process.stderr.write(`shelf: ${error.message}\n`);
        process.exit(2);
      }
      throw error;
    }
    const app = createApp(config, { mode: 'browser' });
    let url: string;
    try {
      url = await app.listen();
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      process.stderr.write(
        code === 'EADDRINUSE'
          ? `shelf: port ${config.port} on ${config.host} is already in use; pick another with --port (0 picks a free one)\n`
          : `shelf: could not listen on ${config.host}:${config.port}: ${(error as Error).message}\n`,
      );
      await app.close();
      process.exit(1);
    }
    await chooseUpstreams(app, url);
    const base = url.replace(/\/$/, '');
    process.stdout.write(`listening on ${base}\n`);
    process.stdout.write(`data folder: ${config.dataDir}\n`);
    if (config.rendererDir) process.stdout.write(`web UI: ${url}${UI_PATH}\n`);
    else process.stdout.write('web UI: not built (run `npm run build`); the registry works without it\n');
    const setup = app.setupLink();
    if (setup) process.stdout.write(`first run: create the admin account at ${setup} (this link works once)\n`);
    process.stdout.write(`use it: npm config set registry ${url}   (sign-up is ${config.signup})\n`);
    const upstreams = app.services.mirror.listUpstreams();
    if (config.mirror.offline) process.stdout.write('mirror: offline (serving cached packages only)\n');
    else if (upstreams.length === 0) process.stdout.write('mirror: off (no upstream registry)\n');
    else process.stdout.write(`mirror: ${upstreams.map((u) => (u.scope ? `${u.scope} → ${u.url}` : u.url)).join(', ')}\n`);

    let closing = false;
    const shutdown = (signal: string) => {
      if (closing) return;
      closing = true;
      process.stdout.write(`shelf: ${signal} received, stopping\n`);
      void app.close().then(() => process.exit(0));
    };
    process.on('SIGINT', () => shutdown('SIGINT'));
    process.on('SIGTERM', () => shutdown('SIGTERM'));
  });
}
