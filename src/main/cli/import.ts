// `shelf import verdaccio`: moves a Verdaccio registry (storage folder, htpasswd users, config.yaml rules) into Shelf.
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { createApp } from '../app';
import { isShelfError } from '../errors';
import { importVerdaccio, readVerdaccioSource, type ImportSummary, type VerdaccioSource } from '../services/import/verdaccio-import';
import { progressBar } from './progress';
import { addSettingOptions, fail, type ParsedOptions } from './settings-options';

export function registerImport(program: Command): void {
  const group = program.command('import').description('bring packages and users over from another registry (Verdaccio)');
  const command = group
    .command('verdaccio <storage-dir>')
    .description(
      "import a Verdaccio storage folder: every package, version, dist-tag, readme and tarball (checked), its htpasswd users with their passwords, and config.yaml's rules where Shelf has an equivalent; safe to run again",
    )
    .option('--htpasswd <file>', "Verdaccio's htpasswd file (auth.htpasswd.file): its users keep their passwords")
    .option('--config <file>', "Verdaccio's config.yaml: packages rules and uplinks are mapped to Shelf's settings, the rest reported")
    .option('--owner <user>', "one existing account to own every imported package, instead of the users config.yaml's rules let publish")
    .option('--json', 'print the summary as JSON');
  const readConfig = addSettingOptions(command, ['maxTarballBytes', 'maxUnpackedBytes']);
  command.action(async (storageDir: string, options: ParsedOptions) => {
    const config = readConfig(options);
    let source: VerdaccioSource;
    try {
      // Read and checked before the data folder is opened: a wrong path leaves nothing behind.
      source = readVerdaccioSource({
        storageDir: resolve(storageDir),
        htpasswdFile: typeof options.htpasswd === 'string' ? resolve(options.htpasswd) : undefined,
        configFile: typeof options.config === 'string' ? resolve(options.config) : undefined,
      });
    } catch (error) {
      if (isShelfError(error)) fail(error.message);
      throw error;
    }
    const app = await createApp(config, { mode: 'browser' });
    const bar = progressBar(!options.json, { format: '{label} [{bar}] {value}/{total} versions' });
    let summary: ImportSummary;
    try {
      summary = await importVerdaccio(app.services.packages.ctx, source, {
        owner: typeof options.owner === 'string' ? options.owner : undefined,
        dataDir: config.dataDir,
        onProgress: (done, total, label) => bar.update(done, total, label),
      });
    } catch (error) {
      bar.stop();
      await app.close();
      if (isShelfError(error)) fail(error.message);
      throw error;
    }
    bar.stop();
    await app.close();
    process.stdout.write(options.json ? `${JSON.stringify(summary, null, 2)}\n` : describe(summary, config.dataDir));
    const failed = summary.versions.failed + summary.packages.failed + summary.users.skipped;
    if (failed > 0) process.exitCode = 1;
  });
}

function describe(s: ImportSummary, dataDir: string): string {
  const lines: string[] = [];
  const row = (what: string, text: string) => lines.push(`  ${what.padEnd(9)} ${text}`);
  const nothingNew =
    s.packages.imported +
      s.packages.updated +
      s.versions.imported +
      s.distTags.set +
      s.readmes.set +
      s.users.imported +
      s.settings.applied.length ===
    0;
  lines.push(nothingNew ? 'Nothing new: everything in this Verdaccio folder is already present in Shelf.' : 'Imported from Verdaccio:');
  row(
    'packages',
    `${s.packages.imported} imported, ${s.packages.updated} updated, ${s.packages.alreadyPresent} already present, ${s.packages.failed} failed`,
  );
  row('versions', `${s.versions.imported} imported, ${s.versions.alreadyPresent} already present, ${s.versions.failed} failed`);
  row('dist-tags', `${s.distTags.set} set, ${s.distTags.alreadyPresent} already present, ${s.distTags.skipped} skipped`);
  row('readmes', `${s.readmes.set} set, ${s.readmes.alreadyPresent} already present`);
  row('users', `${s.users.imported} imported, ${s.users.alreadyPresent} already present, ${s.users.skipped} skipped`);
  if (s.settings.applied.length + s.settings.alreadyPresent.length + s.settings.conflicting.length > 0) {
    lines.push(`Settings (${dataDir}/config.json):`);
    for (const l of s.settings.applied) lines.push(`  + ${l}`);
    for (const l of s.settings.alreadyPresent) lines.push(`  = ${l} (already present)`);
    for (const l of s.settings.conflicting) lines.push(`  ! ${l}`);
  }
  if (s.mapped.length > 0) lines.push('Mapped from config.yaml:', ...s.mapped.map((l) => `  ✓ ${l}`));
  if (s.notMapped.length > 0) lines.push('Not mapped (no Shelf equivalent; left behind):', ...s.notMapped.map((l) => `  ✗ ${l}`));
  if (s.problems.length > 0) lines.push('Problems:', ...s.problems.map((p) => `  ✗ ${p.item}: ${p.message}`));
  if (s.usersOnImportedHash > 0) {
    lines.push(
      `${s.usersOnImportedHash} imported user${s.usersOnImportedHash === 1 ? '' : 's'} still sign${s.usersOnImportedHash === 1 ? 's' : ''} in with the Verdaccio password hash; each is replaced by Shelf's own at that user's next login.`,
    );
  }
  return `${lines.join('\n')}\n`;
}
