// The sigstore trusted root provenance attestations are verified against: sigstore's public-good root, kept up to date
// through its TUF repository (as npm does) and cached in the data folder so verification works offline; or a
// trusted_root.json the policy names (a private sigstore deployment, or the tests' own CA and log key).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { DEFAULT_MIRROR_URL, getTrustedRoot } from '@sigstore/tuf';
import { ShelfError } from '../../errors';

/** How often the public-good root is asked of sigstore's TUF repository again (its metadata expires in days). */
const TUF_REFRESH_MS = 24 * 3_600_000;
/** The TUF cache, under the data folder: `<data-dir>/sigstore-tuf`. */
export const TUF_CACHE_DIR = 'sigstore-tuf';

export class TrustedRoots {
  private memo?: { key: string; at: number; root: TrustedRoot };

  constructor(
    private readonly dataDir: string,
    private readonly now: () => Date,
    private readonly warn?: (message: string) => void,
  ) {}

  /** `file` (absolute, or relative to the data folder) when the policy names one; else the public-good root via TUF. */
  async get(file: string | undefined): Promise<{ root: TrustedRoot; source: string }> {
    if (file) {
      const path = isAbsolute(file) ? file : join(this.dataDir, file);
      let key: string;
      try {
        const stat = statSync(path);
        key = `${path}|${stat.mtimeMs}|${stat.size}`;
      } catch (error) {
        throw new ShelfError(
          'invalid_request',
          `the trusted root ${path} named by the policy cannot be read (${(error as Error).message})`,
        );
      }
      if (this.memo?.key !== key) this.memo = { key, at: this.now().getTime(), root: readRootFile(path) };
      return { root: this.memo.root, source: path };
    }
    const now = this.now().getTime();
    if (this.memo?.key === 'tuf' && now - this.memo.at < TUF_REFRESH_MS)
      return { root: this.memo.root, source: 'sigstore public-good (TUF)' };
    const cachePath = join(this.dataDir, TUF_CACHE_DIR);
    let root: TrustedRoot;
    try {
      root = await getTrustedRoot({ cachePath, timeout: 5000, retry: { retries: 1 } });
    } catch (error) {
      // Offline (or the TUF repository is unreachable): the metadata cached by the last update, while TUF accepts it.
      this.warn?.(`policy: sigstore's TUF repository could not be reached (${(error as Error).message}); using the cached trusted root`);
      try {
        root = await getTrustedRoot({ cachePath, forceCache: true });
      } catch (cached) {
        // TUF refuses expired metadata, and a data folder that never reached the repository has none: the last
        // trusted_root.json TUF verified (or the one @sigstore/tuf ships as its seed) is used rather than none, so
        // verification keeps working offline; it may lack keys added since, which then fail verification (and hold).
        const target = join(cachePath, encodeURIComponent(new URL(DEFAULT_MIRROR_URL).host), 'targets', 'trusted_root.json');
        if (!existsSync(target))
          throw new ShelfError(
            'unavailable',
            `sigstore's trusted root is neither reachable nor cached in ${cachePath} (${(cached as Error).message})`,
          );
        this.warn?.(`policy: sigstore's TUF metadata cannot be updated (${(cached as Error).message}); using ${target}, as last verified`);
        root = readRootFile(target);
      }
    }
    this.memo = { key: 'tuf', at: now, root };
    return { root, source: 'sigstore public-good (TUF)' };
  }
}

function readRootFile(path: string): TrustedRoot {
  try {
    const root = TrustedRoot.fromJSON(JSON.parse(readFileSync(path, 'utf8')));
    if (root.certificateAuthorities.length === 0 && root.tlogs.length === 0)
      throw new Error('it lists no certificate authority and no log');
    return root;
  } catch (error) {
    throw new ShelfError('invalid_request', `the trusted root ${path} is not a sigstore trusted_root.json (${(error as Error).message})`);
  }
}
