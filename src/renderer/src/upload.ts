// A folder the user picked in the browser (<input type="file" webkitdirectory>), turned into the contract's upload:
// the server never reads a path for a browser caller, so the page sends the folder's own files.
import type { CallArgs } from '../../shared/contract';

export type Upload = NonNullable<CallArgs<'publish.run'>['upload']>;

/** A picked file: what <input webkitdirectory> gives (File with webkitRelativePath), or a test's stand-in. */
export interface PickedFile {
  webkitRelativePath: string;
  arrayBuffer(): Promise<ArrayBuffer>;
}

/** Folders no package publishes and no resolution needs; skipping them keeps an upload small. */
const SKIPPED = new Set(['node_modules', '.git']);

/**
 * The picked folder's name and its files with paths inside it (the picker's paths start with the folder's own name).
 * `keep` narrows what is sent, e.g. to the package.json files and lockfile a resolution needs.
 */
export function pickedFolder(
  files: ArrayLike<PickedFile>,
  keep: (path: string) => boolean = () => true,
): { name: string; files: PickedFile[]; paths: string[] } {
  const list = Array.from(files);
  const name = list[0]?.webkitRelativePath.split('/')[0] ?? '';
  const picked: PickedFile[] = [];
  const paths: string[] = [];
  for (const file of list) {
    const path = file.webkitRelativePath.split('/').slice(1).join('/');
    if (!path || path.split('/').some((segment) => SKIPPED.has(segment)) || !keep(path)) continue;
    picked.push(file);
    paths.push(path);
  }
  return { name, files: picked, paths };
}

function base64(bytes: Uint8Array): string {
  let binary = '';
  // In slices: String.fromCharCode with a whole file's bytes as arguments overflows the call stack.
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/** Reads the picked files and encodes them as the contract's upload. */
export async function toUpload(folder: { name: string; files: PickedFile[]; paths: string[] }): Promise<Upload> {
  const files = await Promise.all(
    folder.files.map(async (file, i) => ({ path: folder.paths[i]!, data: base64(new Uint8Array(await file.arrayBuffer())) })),
  );
  return { name: folder.name || 'folder', files };
}

/** What resolving a project needs from its folder: its package.json files and the root's npm lockfile. */
export function isProjectFile(path: string): boolean {
  return path === 'package-lock.json' || path === 'npm-shrinkwrap.json' || path === 'package.json' || path.endsWith('/package.json');
}
