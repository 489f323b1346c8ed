// Owns the unpacked side of the install cache: each verified, inspected tarball unpacked once under its sha512, then hard-linked (or copied) into node_modules file by file.
//
// A warm install then costs a mkdir per folder and a hard link per file instead of a gunzip, a tar parse, a safety
// inspection and an extraction per package (pnpm's approach; a link is about ten times cheaper than a copy here). Stored
// files are read-only, so an in-place edit in node_modules fails loudly instead of changing the store under other
// projects; editors and tools that write a new file and rename it simply break the link. Where linking is impossible
// (another file system) or unwanted (packages whose install scripts may rewrite their own files), files are copied.
// A store entry is complete only once its file list is written (temp folder + rename), so a crash leaves no half entry.
import { randomBytes } from 'node:crypto';
import { copyFile } from 'node:fs/promises';
import { constants, linkSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ssri from 'ssri';
import { extractPackage, unpackInspected, type UnpackedFile } from './extract';

/** Path inside the package (forward slashes), 'f' file or 'l' symbolic link (target in `t`). */
type StoredFile = UnpackedFile;

const LIST = '.shelf-files.json';

export class UnpackedStore {
  hits = 0;
  /** Files hard-linked from the store, and files copied (where linking failed or was not wanted). */
  filesLinked = 0;
  filesCopied = 0;
  /** Why files were copied rather than linked, when they were: reported, so a slow install says what made it slow. */
  copyReason: string | undefined;
  /** Hard links work between this store and the project until one fails; then files are copied. */
  private linking = true;

  constructor(private readonly dir: string) {}

  /** The store folder for an integrity string (sha512 only), or undefined when there is none to key by. */
  private folderOf(integrity: string | undefined): string | undefined {
    if (!integrity) return undefined;
    const hash = ssri.parse(integrity).sha512?.[0];
    if (!hash) return undefined;
    const hex = Buffer.from(hash.digest, 'base64').toString('hex');
    return join(this.dir, 'unpacked', hex.slice(0, 2), hex);
  }

  /**
   * Links (or copies) a stored package into `dest`; false when it is not stored yet. Each folder is made once, parents
   * first, without a recursive walk; then each file is one link(2) from this thread (libuv's thread pool measured slower
   * for a syscall this cheap: the hand-off costs more than the call). Copies, where linking fails or is not wanted, go to
   * the thread pool and are awaited together.
   */
  async copyTo(integrity: string | undefined, dest: string, options: { link?: boolean } = {}): Promise<boolean> {
    const folder = this.folderOf(integrity);
    if (!folder) return false;
    let files: StoredFile[];
    try {
      files = JSON.parse(readFileSync(join(folder, LIST), 'utf8')) as StoredFile[];
    } catch {
      return false;
    }
    makeFolders(dest, files);
    const copies: Promise<void>[] = [];
    // Paths in the list are clean (written by this store), so plain concatenation replaces path.join's normalizing.
    const from = `${join(folder, 'package')}/`;
    const to = `${dest}/`;
    for (const file of files) {
      const target = to + file.p;
      const source = from + file.p;
      if (file.k === 'l') symlinkSync(file.t!, target);
      else if (options.link !== false && this.linking) {
        try {
          linkSync(source, target);
          this.filesLinked += 1;
        } catch (error) {
          // EXDEV (another file system), EPERM/EMLINK: copy from now on.
          const code = (error as NodeJS.ErrnoException).code;
          if (code === 'EEXIST') throw error;
          this.linking = false;
          this.copyReason = `hard links from the cache at ${this.dir} failed (${code ?? (error as Error).message}); files are copied (a reflink where the file system offers one)`;
          copies.push(copyFile(source, target, constants.COPYFILE_FICLONE));
          this.filesCopied += 1;
        }
      } else {
        if (options.link === false) this.copyReason ??= 'packages whose install scripts run get their own copies';
        copies.push(copyFile(source, target, constants.COPYFILE_FICLONE));
        this.filesCopied += 1;
      }
    }
    await Promise.all(copies);
    this.hits += 1;
    return true;
  }

  /**
   * Unpacks verified bytes into the store in one pass (inspected first, files written read-only as they are parsed, the
   * list taken from the parse), then links them into `dest`. The entry appears only when complete: it is built in a
   * temporary folder beside its final place and renamed; on any failure the temporary folder is removed.
   */
  async add(bytes: Buffer, integrity: string | undefined, dest: string, label: string, options: { link?: boolean } = {}): Promise<void> {
    const folder = this.folderOf(integrity);
    if (!folder) {
      await extractPackage(bytes, dest, label);
      return;
    }
    if (!existsSync(join(folder, LIST))) {
      const temp = `${folder}.${randomBytes(6).toString('hex')}.tmp`;
      try {
        const listed = await unpackInspected(bytes, join(temp, 'package'), label);
        writeFileSync(join(temp, LIST), JSON.stringify(listed));
        mkdirSync(join(folder, '..'), { recursive: true });
        try {
          renameSync(temp, folder);
        } catch {
          // Another install stored it first; theirs is as good as ours.
          rmSync(temp, { recursive: true, force: true });
        }
      } catch (error) {
        rmSync(temp, { recursive: true, force: true });
        throw error;
      }
    }
    if (!(await this.copyTo(integrity, dest, options))) await extractPackage(bytes, dest, label);
    else this.hits -= 1;
  }
}

/** Makes `dest` and every folder under it that the list needs; a parent sorts before its children (it is their prefix). */
function makeFolders(dest: string, files: StoredFile[]): void {
  const folders = new Set<string>();
  for (const file of files) {
    let slash = file.p.lastIndexOf('/');
    while (slash > 0) {
      const folder = file.p.slice(0, slash);
      if (folders.has(folder)) break;
      folders.add(folder);
      slash = folder.lastIndexOf('/');
    }
  }
  mkdirSync(dest, { recursive: true });
  for (const folder of [...folders].sort()) {
    try {
      mkdirSync(`${dest}/${folder}`);
    } catch (error) {
      // A folder a nested package or a bundled node_modules already made.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
}
