// Owns unpacking one package tarball into its node_modules folder, refusing anything publishing would refuse.
import { mkdirSync } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar';
import { DEFAULT_LIMITS, type Limits } from '../../config/config';
import { ShelfError } from '../../errors';
import { inspectTarball } from '../packer/inspect-tarball';

export async function extractPackage(bytes: Buffer, dest: string, label: string, limits: Limits = DEFAULT_LIMITS): Promise<void> {
  // Same rules as publish: no absolute paths, no "..", no links leaving the package, no devices, bounded size.
  try {
    await inspectTarball(bytes, limits);
  } catch (error) {
    throw new ShelfError('invalid_request', `refusing to unpack ${label}: ${(error as Error).message}`, { cause: error });
  }
  mkdirSync(dest, { recursive: true });
  await pipeline(
    Readable.from([bytes]),
    tar.x({
      cwd: dest,
      strip: 1,
      preserveOwner: false,
      noMtime: true,
      strict: true,
      filter: (_path, entry) => {
        const type = (entry as { type?: string }).type;
        return (
          type === 'File' ||
          type === 'OldFile' ||
          type === 'ContiguousFile' ||
          type === 'Directory' ||
          type === 'SymbolicLink' ||
          type === 'Link'
        );
      },
    }),
  );
}
