// `shelf lock [folder]`: resolve the project and write package-lock.json, or with --check say whether the lock still fits.
import { writeFileSync } from 'node:fs';
import v8 from 'node:v8';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import {
  ResolutionFailure,
  checkLockfile,
  explainConflict,
  findVerifiedFixes,
  loadProject,
  readLockfile,
  renderLockfile,
  resolveProject,
  type RegistryClientOptions,
  type ResolveOptions,
  type ResolvedGraph,
} from '../services/resolver';
import {
  addRegistryOptions,
  colour,
  exitWith,
  processIO,
  progress,
  registryClient,
  runCommand,
  type CommandIO,
  type RegistryFlags,
} from './command-io';
import { documentPool } from '../services/resolver/document-pool';
import { addCacheOptions, withMetadataCache, type CacheFlags } from './metadata-cache';

export interface LockFlags extends RegistryFlags, CacheFlags {
  check?: boolean;
  strictPeerDeps?: boolean;
  legacyPeerDeps?: boolean;
}

export function registerLock(program: Command): void {
  const command = program
    .command('lock [folder]')
    .description('resolve dependencies and write package-lock.json (v3) without installing')
    .option('--check', 'only say whether the existing lockfile still satisfies package.json (exit 1 if not)')
    .option('--strict-peer-deps', 'fail on any peer dependency conflict')
    .option('--legacy-peer-deps', 'ignore peer dependencies, as npm 6 did');
  addCacheOptions(addRegistryOptions(command)).action((folder: string | undefined, flags: LockFlags) => {
    ownProcess = true;
    return exitWith(lockCommand(folder, flags, processIO()));
  });
}

/** Whether this process runs `shelf lock` alone (the CLI), so that process-wide V8 settings are this command's to make. */
let ownProcess = false;

/**
 * A warm resolution allocates many short-lived objects while it holds a thousand documents: V8 grows its young
 * generation to 2 × 16 MB for that, a third of `shelf lock`'s peak memory on the cra tree (135 MB). Not growing it
 * keeps the peak under 100 MB for the same CPU time (more, cheaper scavenges). Only when the documents come from the
 * metadata cache: parsing fetched ones in a small young generation promotes them all (GC went from 9 to 21 % of an
 * empty-cache run). Only in the CLI's own process: the flag is the process's, and a long-lived one (serve, the
 * desktop app, a test runner) is better off with V8's default.
 */
function keepYoungGenerationSmall(cache: RegistryClientOptions['cache'], registry: string): void {
  if (ownProcess && cache && cache.policy !== 'prefer-online' && cache.db.holds(registry))
    v8.setFlagsFromString('--semi-space-growth-factor=1');
}

export function resolveOptionsFrom(flags: LockFlags): ResolveOptions {
  return { strictPeerDeps: flags.strictPeerDeps, legacyPeerDeps: flags.legacyPeerDeps };
}

export function lockCommand(folder: string | undefined, flags: LockFlags, io: CommandIO): Promise<number> {
  return runCommand(io, async () => {
    const dir = resolve(io.cwd, folder ?? '.');
    const project = loadProject(dir);
    const existing = readLockfile(dir);
    if (flags.check) {
      const problems = checkLockfile(project, existing);
      if (flags.json) io.out(`${JSON.stringify({ ok: problems.length === 0, problems }, null, 2)}\n`);
      else if (problems.length === 0) io.out('package-lock.json satisfies package.json\n');
      else io.out(`${problems.map((p) => `- ${p}`).join('\n')}\n`);
      if (problems.length)
        io.err(
          `shelf: package-lock.json does not satisfy package.json (${problems.length} problem${problems.length === 1 ? '' : 's'}); run \`shelf lock\`\n`,
        );
      return problems.length === 0 ? 0 : 1;
    }
    const outcome = await resolveOrExplain(dir, flags, io, existing?.entries);
    if (!outcome) return 1;
    const { graph, ms, fetched, fromCache, parsedInWorkers } = outcome;
    writeFileSync(join(dir, 'package-lock.json'), renderLockfile(graph));
    const count = graph.nodes.size - 1;
    if (flags.json)
      io.out(
        `${JSON.stringify({ lockfile: join(dir, 'package-lock.json'), packages: count, ms, fetched, fromCache, parsedInWorkers, warnings: graph.warnings.map((w) => w.lines) }, null, 2)}\n`,
      );
    else
      io.out(
        `locked ${count} packages in ${ms} ms (${fetched} documents fetched, ${fromCache} from the metadata cache) → ${join(dir, 'package-lock.json')}\n`,
      );
    return 0;
  });
}

/** A resolution and what it took: documents fetched (parsedInWorkers of them off this thread) and taken from the cache. */
interface Resolved {
  graph: ResolvedGraph;
  ms: number;
  fetched: number;
  fromCache: number;
  parsedInWorkers: number;
}

/** Resolves; on failure prints the explanation and the verified fixes and returns undefined. Shared by lock and install. */
export async function resolveOrExplain(
  dir: string,
  flags: LockFlags,
  io: CommandIO,
  lockfile?: ResolveOptions['lockfile'],
): Promise<Resolved | undefined> {
  return withMetadataCache(io, flags, (cache) => resolveWithClient(dir, flags, io, lockfile, cache));
}

async function resolveWithClient(
  dir: string,
  flags: LockFlags,
  io: CommandIO,
  lockfile: ResolveOptions['lockfile'],
  cache: RegistryClientOptions['cache'],
): Promise<Resolved | undefined> {
  const project = loadProject(dir);
  // Full documents, as npm 11 fetches for its lockfile: abbreviated ones lack `license`, which the lockfile records.
  // An injected fetch (tests) is this thread's: then this thread parses too.
  const documents = io.fetch ? undefined : await documentPool();
  const client = registryClient(io, flags, { fullMetadata: true, cache, documents });
  keepYoungGenerationSmall(cache, client.registry);
  const options: ResolveOptions = { ...resolveOptionsFrom(flags), lockfile };
  const bar = progress(io);
  const timer = setInterval(() => bar.update(`resolving… ${client.fetched} documents fetched, ${client.fromCache} cached`), 100);
  const started = performance.now();
  try {
    const graph = await resolveProject(project, client, options);
    for (const warning of graph.warnings) io.err(`${warning.lines.map((l) => `${colour(io, 33, 'shelf warn')} ${l}`).join('\n')}\n`);
    const { fetched, fromCache, parsedInWorkers } = client;
    return { graph, ms: Math.round(performance.now() - started), fetched, fromCache, parsedInWorkers };
  } catch (error) {
    if (!(error instanceof ResolutionFailure)) throw error;
    clearInterval(timer);
    bar.update('resolution failed; trying fixes…');
    const sentences = explainConflict(error.conflict);
    const fixes = await findVerifiedFixes(project, error.conflict, client, options);
    bar.done();
    if (flags.json) {
      io.out(`${JSON.stringify({ ok: false, error: error.message, conflict: error.conflict, explanation: sentences, fixes }, null, 2)}\n`);
    } else {
      io.out(`${sentences.join('\n')}\n`);
      if (fixes.length === 0) io.out('\nNo single change to package.json resolved it; see the sentences above for what conflicts.\n');
      else {
        io.out('\nFixes that were tried and resolve:\n');
        for (const [i, fix] of fixes.entries()) {
          io.out(`\n${i + 1}. ${fix.summary} (${fix.packages} packages)\n`);
          for (const line of fix.diff) io.out(`   ${colour(io, line.startsWith('+') ? 32 : 31, line)}\n`);
          for (const line of fix.outcome) io.out(`   resolves ${line}\n`);
        }
      }
    }
    io.err(`shelf: ${error.message}\n`);
    return undefined;
  } finally {
    clearInterval(timer);
    bar.done();
    await documents?.close();
  }
}
