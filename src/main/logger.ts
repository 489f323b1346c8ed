// A small levelled logger: lines to stderr (or wherever a test sends them), filtered by the configured level.
import type { Config } from './config/config';

export type LogLevel = Exclude<Config['logLevel'], 'silent'>;
export type Logger = Record<LogLevel, (message: string) => void>;

const RANK: Record<Config['logLevel'], number> = { silent: 0, error: 1, warn: 2, info: 3, debug: 4 };

export function createLogger(
  level: Config['logLevel'],
  write: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): Logger {
  const at = (messageLevel: LogLevel) => (message: string) => {
    if (RANK[messageLevel] <= RANK[level]) write(`${new Date().toISOString()} ${messageLevel.padEnd(5)} ${message}`);
  };
  return { error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') };
}
