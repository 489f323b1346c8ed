// A small levelled logger: lines to stderr (or wherever a test sends them), filtered by the configured level.
import type { Config } from './config/config';

export type LogLevel = Exclude<Config['logLevel'], 'silent'>;
export type Logger = Record<LogLevel, (message: string) => void>;

const RANK: Record<Config['logLevel'], number> = { silent: 0, error: 1, warn: 2, info: 3, debug: 4 };

/** Set once stderr failed (its reader went away): later lines have nowhere to go. */
let stderrClosed = false;

/**
 * stdout and stderr whose reader went away (the parent that started `shelf serve` died, a pipe was closed) fail every
 * write with EPIPE, emitted as an 'error' event. Unheard, each becomes an uncaught exception, which the process guard
 * logs — to stderr, which fails again: a loop that kept the process spinning and deaf to SIGTERM. Heard here, a failed
 * stdio stream is marked and logging stops writing to it; the server keeps serving.
 */
export function guardStdio(): void {
  for (const stream of [process.stdout, process.stderr]) {
    if ((stream as { shelfGuarded?: boolean }).shelfGuarded) continue;
    (stream as { shelfGuarded?: boolean }).shelfGuarded = true;
    stream.on('error', () => {
      if (stream === process.stderr) stderrClosed = true;
    });
  }
}

export function createLogger(
  level: Config['logLevel'],
  write: (line: string) => void = (line) => {
    guardStdio();
    if (!stderrClosed) process.stderr.write(`${line}\n`);
  },
): Logger {
  const at = (messageLevel: LogLevel) => (message: string) => {
    if (RANK[messageLevel] <= RANK[level]) write(`${new Date().toISOString()} ${messageLevel.padEnd(5)} ${message}`);
  };
  return { error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') };
}
