// Owns the install cache: tarballs stored by their sha512 integrity, verified on the way in, written atomically.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFile } from 'node:fs';
import { dirname, join } from 'node:path';
import ssri from 'ssri';
import { ShelfError } from '../../errors';

export class TarballCache {
  hits = 0;
  misses = 0;

  constructor(readonly dir: string) {}

  /** Cached bytes for an integrity string, or the result of `download` once it has been checked against it. */
  async get(name: string, integrity: string | undefined, download: () => Promise<Buffer>): Promise<{ bytes: Buffer; integrity: string }> {
    const key = integrity ? this.keyOf(integrity) : undefined;
    if (key && existsSync(key.path)) {
      const bytes = readFileSync(key.path);
      // A cached file is trusted only if it still matches: disks and people do corrupt files.
      if (ssri.checkData(bytes, integrity!)) {
        this.hits += 1;
        return { bytes, integrity: integrity! };
      }
    }
    this.misses += 1;
    const bytes = await download();
    if (integrity && !ssri.checkData(bytes, integrity)) {
      const actual = ssri.fromData(bytes, { algorithms: [ssri.parse(integrity).pickAlgorithm()] as string[] }).toString();
      throw new ShelfError(
        'conflict',
        `the tarball of ${name} does not match its integrity (expected ${integrity}, got ${actual}); the registry copy or the lockfile is wrong — do not use it until that is explained`,
      );
    }
    // The sha512 just checked names the file; it is computed again only when the lockfile pinned a weaker hash.
    const sha512 = key ? integrity! : `sha512-${createHash('sha512').update(bytes).digest('base64')}`;
    const stored = key ?? this.keyOf(sha512)!;
    if (!existsSync(stored.path)) {
      mkdirSync(dirname(stored.path), { recursive: true });
      const temp = `${stored.path}.${randomBytes(6).toString('hex')}.tmp`;
      // On the thread pool: the install is unpacking other packages meanwhile. The callback API: the promise API's
      // FileHandle costs more on this thread than the write itself.
      await new Promise<void>((resolve, reject) => writeFile(temp, bytes, (error) => (error ? reject(error) : resolve())));
      renameSync(temp, stored.path);
    }
    return { bytes, integrity: integrity ?? sha512 };
  }

  /** Files are named by sha512 (the strongest hash in the string); sha1-only entries are downloaded and checked each time. */
  private keyOf(integrity: string): { path: string } | undefined {
    const parsed = ssri.parse(integrity);
    const hash = parsed.sha512?.[0];
    if (!hash) return undefined;
    const hex = Buffer.from(hash.digest, 'base64').toString('hex');
    return { path: join(this.dir, 'sha512', hex.slice(0, 2), hex) };
  }
}
