// Adds Shelf's settings as options of a command and turns what commander parsed back into a Config.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Option, type Command } from 'commander';
import type { Config } from '../config/config';
import { ConfigError, defaultDataDir, resolveConfig } from '../config/load';
import { SETTINGS, type SettingKey } from '../config/settings';

export type ParsedOptions = Record<string, string | boolean | undefined>;

/** Registers --data-dir and every setting of the table; returns how to read them back after parsing. */
export function addSettingOptions(
  command: Command,
  only?: readonly SettingKey[],
): (options: ParsedOptions, rendererDir?: string) => Config {
  command.option('--data-dir <dir>', `folder for the database, tarballs and config.json (env SHELF_DATA_DIR; default ${defaultDataDir()})`);
  // commander names each option after its flag (--max-tarball-size → maxTarballSize); remember which setting it feeds.
  const attributeOf = new Map<SettingKey, string>();
  for (const spec of SETTINGS) {
    if (only && !only.includes(spec.key)) continue;
    const option = new Option(spec.flag, `${spec.description} (env ${spec.env}; default ${spec.defaultText})`);
    if (spec.repeatable) option.argParser((value: string, previous: string | undefined) => (previous ? `${previous},${value}` : value));
    command.addOption(option);
    attributeOf.set(spec.key, option.attributeName());
  }
  command.addHelpText(
    'after',
    '\nPrecedence: flags, then environment variables, then <data-dir>/config.json (same keys, camelCase), then defaults.',
  );
  return (options, rendererDir) => {
    const flags: Partial<Record<SettingKey, string>> = {};
    for (const [key, attribute] of attributeOf) {
      const value = options[attribute];
      if (value !== undefined) flags[key] = String(value);
    }
    try {
      return resolveConfig({
        flags,
        dataDir: options.dataDir as string | undefined,
        rendererDir: rendererDir && existsSync(join(rendererDir, 'index.html')) ? rendererDir : undefined,
      });
    } catch (error) {
      if (error instanceof ConfigError) fail(error.message, 2);
      throw error;
    }
  };
}

/** Ends the command with one clear line on stderr. */
export function fail(message: string, code = 1): never {
  process.stderr.write(`shelf: ${message}\n`);
  process.exit(code);
}
