// Owns reading bundled dependencies from a package's own tarball: the node_modules it ships, with each bundled package's manifest.
import { Readable } from 'node:stream';
import * as tar from 'tar';
import { ShelfError } from '../../errors';
import type { Manifest } from './types';

export interface BundledPackage {
  /** Folder name under the parent's node_modules (may be scoped). */
  name: string;
  manifest: Manifest;
  children: BundledPackage[];
}

/** Whether a manifest bundles anything (npm accepts both spellings, a list, or `true` for every dependency). */
export function bundleNames(manifest: Manifest): string[] {
  const declared = manifest.bundleDependencies ?? manifest.bundledDependencies;
  if (declared === true) return Object.keys(manifest.dependencies ?? {});
  return Array.isArray(declared) ? declared : [];
}

const MANIFEST_PATH = /^[^/]+\/((?:node_modules\/(?:@[^/]+\/)?[^/]+\/)+)package\.json$/;
const MAX_MANIFEST_BYTES = 1024 * 1024;

/** The bundled tree inside a tarball: every `node_modules/…/package.json` below the package folder. */
export async function readBundledTree(bytes: Buffer, label: string): Promise<BundledPackage[]> {
  const byFolder = new Map<string, Manifest>();
  const parser = new tar.Parser({
    filter: (path) => MANIFEST_PATH.test(path),
    onReadEntry: (entry) => {
      const chunks: Buffer[] = [];
      let size = 0;
      entry.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size <= MAX_MANIFEST_BYTES) chunks.push(chunk);
      });
      entry.on('end', () => {
        const folder = MANIFEST_PATH.exec(entry.path)![1]!.replace(/\/$/, '');
        try {
          byFolder.set(folder, JSON.parse(Buffer.concat(chunks).toString('utf8')) as Manifest);
        } catch {
          /* a bundled folder without a readable package.json is not a package; npm ignores it too */
        }
      });
    },
  });
  try {
    await new Promise<void>((resolve, reject) => {
      parser.on('end', resolve);
      parser.on('error', reject);
      Readable.from([bytes]).pipe(parser);
    });
  } catch (error) {
    throw new ShelfError('internal', `could not read the bundled dependencies in the tarball of ${label}: ${(error as Error).message}`);
  }
  const build = (prefix: string): BundledPackage[] => {
    const out: BundledPackage[] = [];
    for (const [folder, manifest] of byFolder) {
      if (!folder.startsWith(prefix)) continue;
      const rest = folder.slice(prefix.length);
      const name = rest.replace(/^node_modules\//, '');
      if (!rest.startsWith('node_modules/') || name.includes('/node_modules/')) continue;
      if (typeof manifest.version !== 'string') continue;
      out.push({ name, manifest: { ...manifest, name: manifest.name ?? name }, children: build(`${folder}/`) });
    }
    return out.sort((a, b) => a.name.localeCompare(b.name, 'en'));
  };
  return build('');
}
