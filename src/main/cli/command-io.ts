// Owns what every registry-talking command shares: --registry/--token/--json options, the default registry (the local Shelf), output, progress and exit codes.
import type { Command } from 'commander';
import { listenUrl } from '../config/config';
import { resolveConfig } from '../config/load';
import { ShelfError, isShelfError } from '../errors';
import { RegistryClient, type RegistryClientOptions } from '../services/resolver/registry-client';
import type { ProgressStream } from './progress';

export interface CommandIO {
  out(text: string): void;
  err(text: string): void;
  /** True when stderr is a terminal: progress and colour are shown only then. */
  tty: boolean;
  /** Where progress bars draw (process.stderr); without one, none is drawn. */
  progressStream?: ProgressStream;
  env: NodeJS.ProcessEnv;
  cwd: string;
  fetch?: typeof fetch;
}

export interface RegistryFlags {
  registry?: string;
  token?: string;
  json?: boolean;
  dataDir?: string;
}

export const processIO = (): CommandIO => ({
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  tty: Boolean(process.stderr.isTTY),
  progressStream: process.stderr,
  env: process.env,
  cwd: process.cwd(),
});

export function addRegistryOptions(command: Command): Command {
  return command
    .option('--registry <url>', 'registry to use (default: the local Shelf from <data-dir>/config.json and SHELF_* variables)')
    .option('--token <token>', 'auth token for the registry (env SHELF_TOKEN)')
    .option('--data-dir <dir>', 'Shelf data folder used to find the local registry (env SHELF_DATA_DIR)')
    .option('--json', 'print machine-readable JSON on stdout');
}

/** The local Shelf's address, as `shelf serve` would listen with the same settings. */
export function defaultRegistry(io: CommandIO, dataDir?: string): string {
  const config = resolveConfig({ env: io.env, dataDir });
  if (config.publicUrl) return config.publicUrl.endsWith('/') ? config.publicUrl : `${config.publicUrl}/`;
  return listenUrl(config.host, config.port);
}

/** The registry a command talks to (--registry, SHELF_REGISTRY, else the local Shelf), as a URL ending in a slash. */
export function registryUrl(io: CommandIO, flags: RegistryFlags): string {
  const raw = flags.registry ?? io.env.SHELF_REGISTRY ?? defaultRegistry(io, flags.dataDir);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ShelfError('invalid_request', `--registry ${raw} is not a URL; give one such as http://127.0.0.1:4873/`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new ShelfError('invalid_request', `--registry ${raw} is not an http(s) URL; give one such as http://127.0.0.1:4873/`);
  return url.toString().endsWith('/') ? url.toString() : `${url.toString()}/`;
}

export function registryClient(
  io: CommandIO,
  flags: RegistryFlags,
  extra: Pick<RegistryClientOptions, 'fullMetadata' | 'cache' | 'documents'> = {},
): RegistryClient {
  return new RegistryClient({ registry: registryUrl(io, flags), token: flags.token ?? io.env.SHELF_TOKEN, fetch: io.fetch, ...extra });
}

/** A one-line progress indicator on stderr, redrawn in place; silent when stderr is not a terminal. */
export function progress(io: CommandIO): { update(text: string): void; done(): void } {
  let shown = false;
  return {
    update(text) {
      if (!io.tty) return;
      shown = true;
      io.err(`\r\x1b[2K${text}`);
    },
    done() {
      if (shown) io.err('\r\x1b[2K');
    },
  };
}

export function colour(io: CommandIO, code: number, text: string): string {
  return io.tty && !io.env.NO_COLOR ? `\x1b[${code}m${text}\x1b[0m` : text;
}

/** Runs a command body: ShelfErrors and other failures become one clear stderr line and exit code 1. */
export async function runCommand(io: CommandIO, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (error) {
    const message = isShelfError(error) || error instanceof Error ? error.message : String(error);
    io.err(`shelf: ${message}\n`);
    return 1;
  }
}

export function exitWith(code: Promise<number>): Promise<void> {
  return code.then((c) => {
    process.exitCode = c;
  });
}
