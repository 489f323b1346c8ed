// Finds the registry the user's own npm configuration names, to mirror it when no upstream was configured.
import { execFile } from 'node:child_process';

/**
 * Asks npm itself (`npm config get registry`), so every place npm reads configuration from (.npmrc files, environment,
 * builtin defaults) counts exactly as npm counts it. Resolves undefined when npm is missing or does not answer in time.
 */
export function readNpmRegistry(env: NodeJS.ProcessEnv = process.env, timeoutMs = 10_000): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(
      process.platform === 'win32' ? 'npm.cmd' : 'npm',
      ['config', 'get', 'registry'],
      { env, timeout: timeoutMs },
      (error, stdout) => {
        const value = stdout?.toString().trim();
        if (error || !value || !/^https?:\/\//.test(value)) return resolve(undefined);
        resolve(value.endsWith('/') ? value : `${value}/`);
      },
    );
  });
}
