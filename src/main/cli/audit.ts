// `shelf audit [folder]`: advisories for a project's lockfile from the advisory data Shelf's policy cached; works offline.
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { createApp } from '../app';
import { isShelfError } from '../errors';
import { policyOf } from '../services/policy/policy-service';
import { addSettingOptions, fail, type ParsedOptions } from './settings-options';

export function registerAudit(program: Command): void {
  const command = program
    .command('audit [folder]')
    .description("advisories for a project's lockfile from the advisory data Shelf cached (offline)")
    .option('--json', 'print the report as JSON');
  const readConfig = addSettingOptions(command, []);
  command.action(async (folder: string | undefined, options: ParsedOptions) => {
    const app = await createApp(readConfig(options), { mode: 'browser' });
    try {
      const report = await policyOf(app.services).auditFolder(resolve(folder ?? '.'));
      if (options.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      else {
        const lines = report.findings.flatMap((f) =>
          f.advisories.map(
            (a) =>
              `${a.severity ?? 'unknown'}  ${f.name}@${f.version}  ${a.title ?? `advisory ${a.id}`} (vulnerable: ${a.vulnerable_versions})${a.url ? `  ${a.url}` : ''}`,
          ),
        );
        lines.push(
          `${report.findings.length} of ${report.packages} locked packages have advisories (${report.lockfile})`,
          report.unknown.length > 0
            ? `no cached advisory data for ${report.unknown.length} package${report.unknown.length === 1 ? '' : 's'} (mirror them through Shelf with a policy set): ${report.unknown.slice(0, 10).join(', ')}${report.unknown.length > 10 ? ', …' : ''}`
            : `advisory data from ${report.oldestData ?? 'nowhere'} on`,
        );
        process.stdout.write(`${lines.join('\n')}\n`);
      }
      if (report.findings.length > 0) process.exitCode = 1;
    } catch (error) {
      if (isShelfError(error)) fail(error.message);
      throw error;
    } finally {
      await app.close();
    }
  });
}
