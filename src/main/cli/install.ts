// `shelf install [folder]`: resolve (or reuse a lockfile that still fits), fetch and unpack into node_modules, write the lockfile.
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { resolveConfig } from '../config/load';
import {
  TarballCache,
  buildLockfile,
  serializeLockfile,
  checkLockfile,
  installFromLockfile,
  loadProject,
  readLockfile,
  type Lockfile,
} from '../services/resolver';
import { addRegistryOptions, exitWith, processIO, progress, registryClient, runCommand, type CommandIO } from './command-io';
import { resolveOrExplain, type LockFlags } from './lock';
import { addCacheOptions } from './metadata-cache';

export interface InstallFlags extends LockFlags {
  scripts?: boolean;
  cache?: string;
  omitDev?: boolean;
}

export function registerInstall(program: Command): void {
  const command = program
    .command('install [folder]')
    .description('install dependencies into node_modules (hoisted, as npm lays them out) and write package-lock.json')
    .option('--scripts', "run dependencies' install scripts (not run by default; the report lists who wanted to)")
    .option('--cache <dir>', 'tarball cache folder (default: <data-dir>/install-cache)')
    .option('--omit-dev', 'leave out dev dependencies')
    .option('--strict-peer-deps', 'fail on any peer dependency conflict')
    .option('--legacy-peer-deps', 'ignore peer dependencies, as npm 6 did');
  addCacheOptions(addRegistryOptions(command)).action((folder: string | undefined, flags: InstallFlags) =>
    exitWith(installCommand(folder, flags, processIO())),
  );
}

export function installCommand(folder: string | undefined, flags: InstallFlags, io: CommandIO): Promise<number> {
  return runCommand(io, async () => {
    const dir = resolve(io.cwd, folder ?? '.');
    const started = performance.now();
    const project = loadProject(dir);
    const existing = readLockfile(dir);
    let lock: Lockfile;
    let resolved = false;
    // A lockfile that still satisfies package.json is installed as it is, without asking the registry for metadata.
    if (existing?.packages && checkLockfile(project, existing).length === 0) {
      lock = {
        name: String(existing.packages['']?.name ?? project.manifest.name),
        version: existing.packages['']?.version as string | undefined,
        lockfileVersion: 3,
        requires: true,
        packages: existing.packages,
      };
    } else {
      const outcome = await resolveOrExplain(dir, flags, io, existing?.entries);
      if (!outcome) return 1;
      lock = buildLockfile(outcome.graph);
      resolved = true;
    }
    const cacheDir = flags.cache
      ? resolve(io.cwd, flags.cache)
      : join(resolveConfig({ env: io.env, dataDir: flags.dataDir }).dataDir, 'install-cache');
    const bar = progress(io);
    const report = await installFromLockfile(dir, lock, {
      client: registryClient(io, flags),
      cache: new TarballCache(cacheDir),
      scripts: flags.scripts,
      omitDev: flags.omitDev,
      onProgress: (done, total) => bar.update(`installing ${done}/${total}`),
      // For measuring: SHELF_LINK_THREADS=0 links from the main thread, as before link threads existed.
      linkThreads: io.env.SHELF_LINK_THREADS ? Number(io.env.SHELF_LINK_THREADS) : undefined,
    });
    bar.done();
    if (resolved) writeFileSync(join(dir, 'package-lock.json'), serializeLockfile(lock));
    const ms = Math.round(performance.now() - started);
    if (flags.json) {
      io.out(`${JSON.stringify({ ...report, ms, lockfileWritten: resolved }, null, 2)}\n`);
      return 0;
    }
    io.out(
      `installed ${report.installed} packages (${report.downloads} downloaded, ${report.cacheHits} from cache), ${report.linked} workspace links in ${ms} ms\n`,
    );
    for (const skip of report.skipped) io.out(`skipped ${skip.location}: ${skip.reason}\n`);
    if (report.wantedScripts.length && !flags.scripts) {
      io.out(`not run: install scripts of ${report.wantedScripts.join(', ')} (pass --scripts to run them)\n`);
    }
    return 0;
  });
}
