// `shelf why`, `shelf tree`, `shelf dupes` and `shelf explain`: questions answered from a fresh resolution of the project,
// or — for a pnpm, yarn or bun project, or with --lockfile — from its lockfile read as it is.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { duplicatesReport, loadProject, readLockfile, treeReport, whyReport } from '../services/resolver';
import { addRegistryOptions, exitWith, processIO, registryClient, runCommand, type CommandIO } from './command-io';
import { resolveOrExplain, resolveOptionsFrom, type LockFlags } from './lock';
import { addCacheOptions, withMetadataCache } from './metadata-cache';
import { badRequest, notFound } from '../errors';
import { FORMAT_NAMES, NPM_LOCKFILES, PROJECT_LOCKFILES, readProjectLockfileGraph, type LogicalGraph } from '../services/lockfiles';
import { lockDupes, lockTree, lockWhy } from '../services/graph/lockfile-reports';

interface ReportFlags extends LockFlags {
  folder?: string;
  depth?: string;
  /** Read this lockfile (or, when true, the project's) as it is instead of resolving. */
  lockfile?: string | boolean;
}

/**
 * The lockfile graph to answer from, when there is one to read as it is: the file --lockfile names, or a pnpm, yarn or
 * bun lockfile in a project without npm's (resolving would ignore it and answer for a tree that client never installed).
 */
function lockfileToRead(dir: string, flags: ReportFlags, io: CommandIO): LogicalGraph | undefined {
  const found = PROJECT_LOCKFILES.find((f) => existsSync(join(dir, f)));
  if (flags.lockfile === undefined && (!found || NPM_LOCKFILES.has(found))) return undefined;
  const graph = readProjectLockfileGraph(dir, typeof flags.lockfile === 'string' ? flags.lockfile : undefined);
  io.err(`read from ${graph.file} (${FORMAT_NAMES[graph.format]}, lockfile v${graph.lockfileVersion}) as it is; nothing resolved\n`);
  for (const warning of graph.warnings) io.err(`note: ${warning}\n`);
  return graph;
}

export function registerGraphReports(program: Command): void {
  const withResolveOptions = (command: Command): Command =>
    addCacheOptions(
      addRegistryOptions(
        command
          .option('--folder <dir>', 'project folder (default: the current one)')
          .option('--strict-peer-deps', 'fail on any peer dependency conflict')
          .option('--legacy-peer-deps', 'ignore peer dependencies'),
      ),
    );
  // why, tree and dupes can answer from a lockfile as it is; explain is about resolving, so it always resolves.
  const withLockfileOption = (command: Command): Command =>
    withResolveOptions(command).option(
      '--lockfile [file]',
      "answer from the project's lockfile as it is (package-lock.json, pnpm-lock.yaml, yarn.lock, bun.lock), nothing resolved; the default when there is no npm lockfile",
    );
  withLockfileOption(
    program
      .command('why <package>')
      .description('every path from your project to each copy of a package, and the rule that chose its version'),
  ).action((spec: string, flags: ReportFlags) => exitWith(whyCommand(spec, flags, processIO())));
  withLockfileOption(program.command('tree').description('the resolved dependency tree').option('--depth <n>', 'levels to show')).action(
    (flags: ReportFlags) => exitWith(treeCommand(flags, processIO())),
  );
  withLockfileOption(
    program.command('dupes').description('packages installed in more than one version, why, and a verified way to dedupe each'),
  ).action((flags: ReportFlags) => exitWith(dupesCommand(flags, processIO())));
  withResolveOptions(
    program
      .command('explain [folder]')
      .description('resolve without writing anything; on failure, say why in sentences and list verified fixes'),
  ).action((folder: string | undefined, flags: ReportFlags) => exitWith(explainCommand(folder, flags, processIO())));
}

async function resolved(dir: string, flags: ReportFlags, io: CommandIO) {
  return resolveOrExplain(dir, flags, io, readLockfile(dir)?.entries);
}

export function whyCommand(spec: string, flags: ReportFlags, io: CommandIO): Promise<number> {
  return runCommand(io, async () => {
    const dir = resolve(io.cwd, flags.folder ?? '.');
    const at = spec.lastIndexOf('@');
    const [name, version] = at > 0 ? [spec.slice(0, at), spec.slice(at + 1)] : [spec, undefined];
    const lock = lockfileToRead(dir, flags, io);
    if (lock) return whyFromLockfile(lock, spec, name, version, flags, io);
    const outcome = await resolved(dir, flags, io);
    if (!outcome) return 1;
    const copies = whyReport(outcome.graph, name, version);
    if (copies.length === 0) throw notFound(`${spec} is not in this project's dependency tree`);
    if (flags.json) {
      io.out(`${JSON.stringify(copies, null, 2)}\n`);
      return 0;
    }
    for (const copy of copies) {
      io.out(`${copy.name}@${copy.version} at ${copy.location}\n`);
      io.out(`  chosen by: ${describeChoice(copy.choice)}\n`);
      for (const skip of copy.choice.skipped) io.out(`  passed over ${skip.version}: ${skip.reason}\n`);
      if (copy.choice.newestRejected)
        io.out(
          `  newest version ${copy.choice.newestRejected.version} is outside "${copy.choice.newestRejected.range}"${copy.choice.newestRejected.by ? `, the range ${copy.choice.newestRejected.by} asks for` : ''}\n`,
        );
      for (const edge of copy.incoming) io.out(`  wanted as ${edge.type} "${edge.spec}" by ${edge.from}\n`);
      for (const path of copy.paths) io.out(`  ${path.join(' → ')}\n`);
    }
    return 0;
  });
}

function whyFromLockfile(graph: LogicalGraph, spec: string, name: string, range: string | undefined, flags: ReportFlags, io: CommandIO) {
  const copies = lockWhy(graph, name, range);
  if (copies.length === 0) throw notFound(`${spec} is not in ${graph.file}`);
  if (flags.json) {
    io.out(`${JSON.stringify(copies, null, 2)}\n`);
    return 0;
  }
  for (const copy of copies) {
    const flagged = (['dev', 'optional', 'peer'] as const).filter((f) => copy[f]);
    io.out(`${copy.id}${copy.variants.length ? ` ${copy.variants.join(' ')}` : ''}${flagged.length ? ` (${flagged.join(', ')})` : ''}\n`);
    io.out(`  ${copy.reason}\n`);
    for (const edge of copy.incoming)
      io.out(`  wanted as ${edge.type} "${edge.spec}" by ${edge.from}${edge.conflicted ? ' (not met)' : ''}\n`);
    for (const path of copy.paths) io.out(`  ${path.join(' → ')}\n`);
  }
  return 0;
}

function describeChoice(choice: { rule: string }): string {
  const words: Record<string, string> = {
    'latest-tag': 'the latest dist-tag, which satisfies every range',
    'highest-match': 'the highest version in range (the latest tag did not satisfy it)',
    'dist-tag': 'the dist-tag the range names',
    lockfile: 'the existing lockfile, which still satisfies the range',
    override: 'an override in your package.json',
    workspace: 'a workspace of this project (linked)',
  };
  return words[choice.rule] ?? choice.rule;
}

export function treeCommand(flags: ReportFlags, io: CommandIO): Promise<number> {
  return runCommand(io, async () => {
    const depth = flags.depth === undefined ? Infinity : Number(flags.depth);
    if (depth !== Infinity && (!Number.isInteger(depth) || depth < 0))
      throw badRequest(`--depth must be a whole number of levels (0 or more), not "${flags.depth}"`);
    const dir = resolve(io.cwd, flags.folder ?? '.');
    const lock = lockfileToRead(dir, flags, io);
    const outcome = lock ? undefined : await resolved(dir, flags, io);
    if (!lock && !outcome) return 1;
    const lines = lock ? lockTree(lock, depth) : treeReport(outcome!.graph, depth);
    if (flags.json) io.out(`${JSON.stringify(lines, null, 2)}\n`);
    else io.out(`${lines.map((l) => `${'  '.repeat(l.depth)}${l.text}`).join('\n')}\n`);
    return 0;
  });
}

export function dupesCommand(flags: ReportFlags, io: CommandIO): Promise<number> {
  return runCommand(io, async () => {
    const dir = resolve(io.cwd, flags.folder ?? '.');
    const lock = lockfileToRead(dir, flags, io);
    if (lock) return dupesFromLockfile(lock, flags, io);
    const outcome = await resolved(dir, flags, io);
    if (!outcome) return 1;
    const reports = await withMetadataCache(io, flags, (cache) =>
      duplicatesReport(
        outcome.graph,
        loadProject(dir),
        registryClient(io, flags, { fullMetadata: true, cache }),
        resolveOptionsFrom(flags),
      ),
    );
    if (flags.json) {
      io.out(`${JSON.stringify(reports, null, 2)}\n`);
      return 0;
    }
    if (reports.length === 0) io.out('every package is installed in one version\n');
    for (const report of reports) {
      io.out(`${report.name}: ${report.copies.length} copies\n`);
      for (const copy of report.copies)
        io.out(`  ${copy.version} at ${copy.location}, wanted by ${copy.wantedBy.map((w) => `${w.from} ("${w.spec}")`).join(', ')}\n`);
      if (report.blocker) io.out(`  ${report.blocker}\n`);
      if (report.fix) io.out(`  fix (verified): ${report.fix.summary}\n`);
    }
    return 0;
  });
}

function dupesFromLockfile(graph: LogicalGraph, flags: ReportFlags, io: CommandIO): number {
  const reports = lockDupes(graph);
  if (flags.json) {
    io.out(`${JSON.stringify(reports, null, 2)}\n`);
    return 0;
  }
  if (reports.length === 0) io.out(`every package in ${graph.file} is there in one version\n`);
  for (const report of reports) {
    io.out(`${report.name}: ${report.copies.length} versions\n`);
    for (const copy of report.copies)
      io.out(`  ${copy.version}, wanted by ${copy.wantedBy.map((w) => `${w.from} ("${w.spec}")`).join(', ')}\n`);
    io.out(`  ${report.advice}\n`);
  }
  return 0;
}

export function explainCommand(folder: string | undefined, flags: ReportFlags, io: CommandIO): Promise<number> {
  return runCommand(io, async () => {
    const dir = resolve(io.cwd, folder ?? flags.folder ?? '.');
    const outcome = await resolved(dir, flags, io);
    if (!outcome) return 1;
    const { graph } = outcome;
    if (flags.json)
      io.out(`${JSON.stringify({ ok: true, packages: graph.nodes.size - 1, warnings: graph.warnings.map((w) => w.lines) }, null, 2)}\n`);
    else
      io.out(
        `resolves: ${graph.nodes.size - 1} packages, ${graph.warnings.length} peer warning${graph.warnings.length === 1 ? '' : 's'}\n`,
      );
    return 0;
  });
}
