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
import {
  chmodSync,
  constants,
  linkSync,
  statSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import ssri from 'ssri';
import { extractPackage } from './extract';

interface StoredFile {
  /** Path inside the package, forward slashes. */
  p: string;
  /** 'f' file, 'l' symbolic link (target in `t`). */
  k: 'f' | 'l';
  t?: string;
}

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
   * Copies a stored package into `dest`; false when it is not stored yet. Folders are made in order, then the files are
   * copied concurrently (libuv's thread pool does the copying while JavaScript moves on to the next package).
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
    // Folders synchronously, in order (a thread-pool mkdir per folder measured slower); then every file concurrently.
    const made = new Set<string>();
    const ensure = (path: string) => {
      if (made.has(path)) return;
      mkdirSync(path, { recursive: true });
      made.add(path);
    };
    ensure(dest);
    const copies: Promise<void>[] = [];
    for (const file of files) {
      const slash = file.p.lastIndexOf('/');
      if (slash > 0) ensure(join(dest, file.p.slice(0, slash)));
      const target = join(dest, file.p);
      const source = join(folder, 'package', file.p);
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

  /** Unpacks verified bytes (inspected by extractPackage) into the store, then copies them to `dest`. */
  async add(bytes: Buffer, integrity: string | undefined, dest: string, label: string, options: { link?: boolean } = {}): Promise<void> {
    const folder = this.folderOf(integrity);
    if (!folder) {
      await extractPackage(bytes, dest, label);
      return;
    }
    if (!existsSync(join(folder, LIST))) {
      const temp = `${folder}.${randomBytes(6).toString('hex')}.tmp`;
      await extractPackage(bytes, join(temp, 'package'), label);
      const listed = listFiles(join(temp, 'package'));
      // Read-only, so an in-place edit of a linked file in node_modules cannot change the store.
      for (const file of listed) if (file.k === 'f') makeReadOnly(join(temp, 'package', file.p));
      writeFileSync(join(temp, LIST), JSON.stringify(listed));
      mkdirSync(join(folder, '..'), { recursive: true });
      try {
        renameSync(temp, folder);
      } catch {
        // Another install stored it first; theirs is as good as ours.
        rmSync(temp, { recursive: true, force: true });
      }
    }
    if (!(await this.copyTo(integrity, dest, options))) await extractPackage(bytes, dest, label);
    else this.hits -= 1;
  }
}

function makeReadOnly(path: string): void {
  chmodSync(path, statSync(path).mode & 0o555);
}

function listFiles(root: string): StoredFile[] {
  const out: StoredFile[] = [];
  const walk = (rel: string) => {
    for (const entry of readdirSync(join(root, rel), { withFileTypes: true })) {
      const path = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(path);
      else if (entry.isSymbolicLink()) out.push({ p: path, k: 'l', t: readlinkSync(join(root, path)) });
      else if (entry.isFile()) out.push({ p: path, k: 'f' });
    }
  };
  walk('');
  return out;
}
