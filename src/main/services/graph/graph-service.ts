// The graph screen's calls as one service: what to resolve (a package, a folder on this machine, an uploaded project or
// a lockfile read as it is) with the resolver's metadata cache in the data folder, and two lockfiles compared.
import { resolve } from 'node:path';
import type { GraphComparison, GraphResult } from '../../../shared/contract';
import { metadataCachePath } from '../resolver/metadata-cache';
import { withUploadedFolder, type UploadLimits } from '../packer/pack-folder';
import { decodeUpload, type EncodedUpload } from '../packages/folder-publish';
import { compareLocks } from './compare-locks';
import { lockfileGraph } from './lockfile-graph';
import { graphUploadFiles, resolveGraph } from './resolve-graph';

type Lockfile = { name: string; text: string };

export class GraphService {
  constructor(
    private readonly dataDir: string,
    /** This registry's address, which resolutions go through (its mirror reaches the upstreams). */
    private readonly registryUrl: () => string,
    private readonly uploadLimits: UploadLimits,
    /** The Electron-ABI better-sqlite3 build for the cache, in the desktop app. */
    private readonly sqliteBinding?: string,
  ) {}

  private get cache() {
    return { path: metadataCachePath(this.dataDir), nativeBinding: this.sqliteBinding };
  }

  resolvePackage(name: string, range: string): Promise<GraphResult> {
    return resolveGraph({ kind: 'package', name, range }, this.registryUrl(), this.cache);
  }

  /** A folder on this machine; the caller has checked that it may have Shelf read it. */
  resolveFolder(path: string): Promise<GraphResult> {
    return resolveGraph({ kind: 'folder', path: resolve(path) }, this.registryUrl(), this.cache);
  }

  /** A project a browser uploaded: its package.json files and lockfile only, resolved in a temporary folder. */
  resolveUpload(upload: EncodedUpload): Promise<GraphResult> {
    const files = graphUploadFiles(decodeUpload(upload));
    return withUploadedFolder(files, this.uploadLimits, (dir) =>
      resolveGraph({ kind: 'folder', path: dir, label: upload.name }, this.registryUrl(), this.cache),
    );
  }

  /** A lockfile read as it is: nothing resolved or fetched. */
  readLockfile(lockfile: Lockfile): GraphResult {
    return lockfileGraph(lockfile.text, lockfile.name);
  }

  compare(before: Lockfile, after: Lockfile): GraphComparison {
    return compareLocks(before, after);
  }
}
