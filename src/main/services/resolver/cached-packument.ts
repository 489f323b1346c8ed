// Owns turning a trimmed packument into metadata-cache rows and back. What comes back is a packument whose versions load
// one by one on first access: a warm resolution of the cra tree reads about 1,500 manifests of the 75,000 its documents
// hold, so parsing them all (and collecting them again) was most of its time.
import { ShelfError } from '../../errors';
import type { CachedDocument, DocumentToStore } from '../../storage/metadata-cache-db';
import type { Manifest, Packument } from './types';
import { IndexedVersion, setVersionIndex, versionIndex, type VersionFacts } from './version-index';

/** The top-level fields kept besides the versions (npm-pick-manifest honours the last two when a registry sends them). */
const HEAD_FIELDS = ['name', 'dist-tags', 'policyRestrictions', 'stagedVersions', '_shelfHeld'] as const;

/** Facts as stored: version, deprecated or 0, engines.node or 0, yanked 1/0, the manifest's ordinal; per valid version, newest first. */
type FactsRow = [string, string | 0, unknown, 0 | 1, number];
interface StoredFacts {
  newest: FactsRow[];
  /** Versions that are not valid semver, kept so the document lists every version it had. */
  others: [string, number][];
}

export type CacheRows = Pick<DocumentToStore, 'head' | 'facts' | 'manifests'>;

/** The head, the facts and the manifests of a packument, as the metadata cache stores them. */
export function toCacheRows(doc: Packument): CacheRows {
  const source = doc as unknown as Record<string, unknown>;
  const head: Record<string, unknown> = {};
  for (const field of HEAD_FIELDS) if (source[field] !== undefined) head[field] = source[field];
  const ordinals = new Map<string, number>();
  const manifests: string[] = [];
  for (const [version, manifest] of Object.entries(doc.versions)) {
    ordinals.set(version, manifests.length);
    manifests.push(JSON.stringify(manifest));
  }
  const index = versionIndex(doc);
  const facts: StoredFacts = {
    newest: index.map(({ facts: f }) => [f.version, f.deprecated ?? 0, f.engineNode ?? 0, f.yanked ? 1 : 0, ordinals.get(f.version)!]),
    others: [],
  };
  for (const entry of index) ordinals.delete(entry.version);
  for (const [version, ordinal] of ordinals) facts.others.push([version, ordinal]);
  return { head: JSON.stringify(head), facts: JSON.stringify(facts), manifests };
}

/**
 * A packument from a cache entry. `versions` answers key listing and membership from the facts alone and reads (from
 * the cache file) and parses a manifest only when it is read; the version index comes ready-made from the facts
 * (choosing a version reads no manifest but the one it picks).
 */
export function fromCacheRows(entry: Pick<CachedDocument, 'head' | 'facts' | 'manifest'> | CacheRows): Packument {
  const head = JSON.parse(entry.head) as Packument;
  const stored = JSON.parse(entry.facts) as StoredFacts;
  const manifestAt = 'manifest' in entry ? entry.manifest : (ordinal: number) => entry.manifests[ordinal];
  const ordinals = new Map<string, number>();
  const index = stored.newest.map(([version, deprecated, engineNode, yanked, ordinal]) => {
    const facts: VersionFacts = { version, yanked: yanked === 1 };
    if (deprecated) facts.deprecated = deprecated;
    if (engineNode) facts.engineNode = engineNode;
    ordinals.set(version, ordinal);
    return new IndexedVersion(facts);
  });
  for (const [version, ordinal] of stored.others) ordinals.set(version, ordinal);
  const keys = [...ordinals.keys()];
  const loaded = new Map<string, Manifest>();
  const read = (version: string): Manifest | undefined => {
    let manifest = loaded.get(version);
    const ordinal = manifest === undefined ? ordinals.get(version) : undefined;
    if (ordinal !== undefined) {
      const json = manifestAt(ordinal);
      if (json === undefined)
        throw new ShelfError(
          'internal',
          `another Shelf process replaced ${head.name} in the metadata cache while this run was reading it; run the command again`,
        );
      loaded.set(version, (manifest = JSON.parse(json) as Manifest));
    }
    return manifest;
  };
  const versions = new Proxy(Object.create(null) as Record<string, Manifest>, {
    get: (_target, key) => (typeof key === 'string' ? read(key) : undefined),
    has: (_target, key) => typeof key === 'string' && ordinals.has(key),
    ownKeys: () => keys,
    // An accessor, so that listing the keys (Object.keys asks whether each is enumerable) parses nothing.
    getOwnPropertyDescriptor: (_target, key) =>
      typeof key === 'string' && ordinals.has(key) ? { configurable: true, enumerable: true, get: () => read(key) } : undefined,
  });
  const packument: Packument = { ...head, 'dist-tags': head['dist-tags'] ?? {}, versions };
  setVersionIndex(packument, index);
  return packument;
}
