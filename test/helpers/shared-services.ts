// The throwaway servers of ../shared/services (PostgreSQL, Ceph's RADOS Gateway) as the vitest global setups start them:
// which runs need them, and running their start/stop scripts. One home for both setups.
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';

/** A full run (no file filters) or a filter naming test/team/ needs the team-mode servers; `forced` (an env switch) too. */
export function runNeedsTeamServers(forced: boolean): boolean {
  if (forced) return true;
  const filters = process.argv.slice(2).filter((arg) => !arg.startsWith('-') && arg !== 'run' && /[/.]/.test(arg));
  return filters.length === 0 || filters.some((filter) => filter.includes('team'));
}

/** Runs ../shared/services/<service>/<name>; fails with the script's last words. */
export function serviceScript(
  service: 'postgres' | 's3',
  name: string,
  args: string[],
  timeoutMs: number,
): Promise<{ stdout: string; stderr: string }> {
  const path = resolve(__dirname, '..', '..', '..', 'shared', 'services', service, name);
  return new Promise((done, fail) => {
    execFile(path, args, { timeout: timeoutMs, maxBuffer: 8 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) fail(new Error(`${name} ${args.join(' ')} failed (${error.message}):\n${stderr.slice(-4000)}`));
      else done({ stdout, stderr });
    });
  });
}
