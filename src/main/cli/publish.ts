// `shelf publish [folder]`: pack as `npm pack` does (npm-packlist), show files, size and integrity, publish, then fetch the version back and check it.
import { resolve } from 'node:path';
import type { Command } from 'commander';
import ssri from 'ssri';
import { ShelfError } from '../errors';
import { packFolder, publishBody } from '../services/packer/pack-folder';
import { addRegistryOptions, exitWith, processIO, runCommand, type CommandIO, type RegistryFlags } from './command-io';
import { progressBar, type ProgressBar } from './progress';
import { packagePath, remoteRegistry, type SessionIO } from './registry-session';

export interface PublishFlags extends RegistryFlags {
  dryRun?: boolean;
  tag?: string;
}

const kb = (n: number) => (n < 1024 ? `${n} B` : `${(n / 1024).toFixed(1)} kB`);

/** A bar over publish's steps; only on a terminal, never with --json (stdout is for the JSON, stderr for errors). */
const stepsBar = (io: CommandIO, flags: PublishFlags): ProgressBar =>
  progressBar(io.tty && !flags.json && io.progressStream !== undefined, {
    stream: io.progressStream,
    format: '{label} [{bar}] {value}/{total}',
  });

/** Runs one step under the bar, and clears the bar if the step fails so the error line stands alone. */
async function step<T>(bar: ProgressBar, done: number, total: number, label: string, work: () => Promise<T>): Promise<T> {
  bar.update(done, total, label);
  try {
    return await work();
  } catch (error) {
    bar.stop();
    throw error;
  }
}

export function publishCommand(folder: string | undefined, flags: PublishFlags, io: SessionIO): Promise<number> {
  return runCommand(io, async () => {
    const steps = flags.dryRun ? 1 : 4;
    const packing = stepsBar(io, flags);
    const packed = await step(packing, 0, steps, 'packing', () => packFolder(resolve(io.cwd, folder ?? '.')));
    // The file list goes to stdout next; the bar is cleared first so the two do not share a line.
    packing.stop();
    const name = String(packed.manifest.name ?? '');
    const version = String(packed.manifest.version ?? '');
    const tag = flags.tag ?? 'latest';
    const summary = {
      name,
      version,
      tag,
      files: packed.files.map((f) => ({ path: f.path, size: f.size })),
      size: packed.tarball.length,
      unpackedSize: packed.unpackedSize,
      integrity: packed.integrity,
      warnings: packed.warnings,
    };
    if (!flags.json) {
      io.out(`📦 ${name}@${version}\n`);
      for (const f of packed.files) io.out(`  ${kb(f.size).padStart(9)}  ${f.path}\n`);
      io.out(
        `files: ${packed.files.length}  package size: ${kb(packed.tarball.length)}  unpacked size: ${kb(packed.unpackedSize)}\nintegrity: ${packed.integrity}\n`,
      );
    }
    for (const warning of packed.warnings) io.err(`shelf: warning: ${warning}\n`);
    if (packed.problems.length) throw new ShelfError('invalid_request', `cannot publish ${packed.dir}: ${packed.problems.join('; ')}`);
    const session = remoteRegistry(io, flags);
    if (flags.dryRun) {
      if (flags.json) io.out(`${JSON.stringify({ ...summary, dryRun: true, registry: session.registry }, null, 2)}\n`);
      else io.out(`dry run: would publish ${name}@${version} to ${session.registry} with tag ${tag}; nothing was sent\n`);
      return 0;
    }
    const token = await session.requireToken(`publishing ${name}@${version}`);
    const bar = stepsBar(io, flags);
    await step(bar, 1, steps, 'uploading', () =>
      session.json('PUT', packagePath(name), {
        body: publishBody(packed, tag, session.registry),
        token,
        what: `publish ${name}@${version}`,
      }),
    );
    // Read it back as an installer would, and check the registry serves exactly what was packed.
    const doc = await step(bar, 2, steps, 'verifying', () =>
      session.json<{ versions?: Record<string, { dist?: { integrity?: string; tarball?: string } }> }>('GET', packagePath(name), {
        token,
        what: `read ${name} back after publishing`,
      }),
    );
    const dist = doc.versions?.[version]?.dist;
    if (!dist?.tarball || dist.integrity !== packed.integrity) {
      bar.stop();
      throw new ShelfError(
        'internal',
        `${session.registry} accepted ${name}@${version} but lists integrity ${dist?.integrity ?? '(none)'}, not ${packed.integrity}; do not rely on this version until it is checked`,
      );
    }
    const served = await step(bar, 3, steps, 'verifying', () => session.bytes(dist.tarball!, `the tarball of ${name}@${version}`));
    bar.update(steps, steps, 'verified');
    bar.stop();
    if (!ssri.checkData(served, packed.integrity)) {
      throw new ShelfError(
        'internal',
        `the tarball ${dist.tarball} does not match ${packed.integrity}; the registry stored something else`,
      );
    }
    if (flags.json) io.out(`${JSON.stringify({ ...summary, published: true, verified: true, registry: session.registry }, null, 2)}\n`);
    else io.out(`+ ${name}@${version} published to ${session.registry} (${tag}); fetched back and its integrity checks out\n`);
    return 0;
  });
}

export function registerPublish(program: Command): void {
  addRegistryOptions(
    program
      .command('publish [folder]')
      .description('pack a folder with the same file rules as npm pack and publish it; --dry-run only shows what would go')
      .option('--dry-run', 'show the files, size and integrity without sending anything')
      .option('--tag <tag>', 'dist-tag to publish under', 'latest'),
  ).action((folder: string | undefined, flags: PublishFlags) => exitWith(publishCommand(folder, flags, processIO())));
}
