// A folder of this machine, sent to a remote Shelf: the remote cannot read this machine's disk, so the folder goes as
// the contract's upload (each file's path and bytes), as a browser would send the folder it picked. This machine decides
// who may read its folder; the remote decides what the user may do with the files.
import { readFile, readdir } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { badRequest, tooLarge } from '../../errors';
import { packFolder } from '../packer/pack-folder';

export interface FolderUpload {
  name: string;
  files: { path: string; data: string }[];
}

/** As the contract accepts them (an upload holds at most 10,000 files). */
const MAX_FILES = 10_000;
/** A project walk for the graph looks this many folders deep for workspaces' package.json files. */
const MAX_DEPTH = 6;
const LOCKFILES = ['package-lock.json', 'npm-shrinkwrap.json'];

/**
 * What npm would publish from the folder (npm-packlist's choice, with `exclude` left out), as an upload; the remote packs
 * the same files again and applies its own checks.
 */
export async function publishFolderAsUpload(path: string, exclude: readonly string[]): Promise<FolderUpload> {
  const packed = await packFolder(path, undefined, exclude);
  if (packed.files.length > MAX_FILES) throw tooLarge(`${path} packs ${packed.files.length} files; a remote accepts at most ${MAX_FILES}`);
  const dir = resolve(path);
  return {
    name: basename(dir) || 'package',
    files: await Promise.all(
      packed.files.map(async (f) => ({ path: f.path, data: (await readFile(join(dir, ...f.path.split('/')))).toString('base64') })),
    ),
  };
}

/** What resolving a project needs (its package.json files, outside node_modules, and its root npm lockfile), as an upload. */
export async function projectFolderAsUpload(path: string): Promise<FolderUpload> {
  const dir = resolve(path);
  const found: string[] = [];
  // Breadth-first, bounded by depth and by the number of files an upload may hold.
  let level: string[] = [''];
  for (let depth = 0; depth <= MAX_DEPTH && level.length > 0 && found.length < MAX_FILES; depth++) {
    const next: string[] = [];
    for (const folder of level) {
      const entries = await readdir(join(dir, folder), { withFileTypes: true }).catch(() => []);
      for (const entry of entries) {
        const rel = folder ? `${folder}/${entry.name}` : entry.name;
        if (entry.isDirectory() && entry.name !== 'node_modules' && !entry.name.startsWith('.')) next.push(rel);
        else if (entry.isFile() && (entry.name === 'package.json' || (folder === '' && LOCKFILES.includes(entry.name)))) found.push(rel);
      }
    }
    level = next;
  }
  if (!found.includes('package.json')) throw badRequest(`${dir} has no package.json; pick the project's folder`);
  return {
    name: basename(dir) || 'project',
    files: await Promise.all(
      found
        .slice(0, MAX_FILES)
        .map(async (rel) => ({ path: rel, data: (await readFile(join(dir, ...rel.split('/')))).toString('base64') })),
    ),
  };
}
