// Owns turning a trimmed packument into metadata-cache rows and back. What comes back is a packument whose versions load
// one by one on first access: a warm resolution of the cra tree reads about 1,500 manifests of the 75,000 its documents
// hold, so parsing them all (and collecting them again) was most of its time.
import { ShelfError } from '../../errors';
import { manifestAt, type CachedDocument, type DocumentToStore, type PackedManifests } from '../../storage/metadata-cache-db';
import type { Manifest, Packument } from './types';
import { IndexedVersion, setVersionIndex, versionIndex, type FactsColumns } from './version-index';

/** The top-level fields kept besides the versions (npm-pick-manifest honours the last two when a registry sends them). */
const HEAD_FIELDS = ['name', 'dist-tags', 'policyRestrictions', 'stagedVersions', '_shelfHeld'] as const;

interface StoredFacts extends FactsColumns {
  /** Versions that are not valid semver, kept so the document lists every version it had. */
  others?: string[];
}

export type CacheRows = Pick<DocumentToStore, 'head' | 'facts' | 'manifests'>;

/**
 * The head, the facts and the manifests of a packument, as the metadata cache stores them. The manifests go in the
 * facts' order (the valid versions newest first, then the others), so a version's position is its manifest's ordinal.
 */
export function toCacheRows(doc: Packument): CacheRows {
  const source = doc as unknown as Record<string, unknown>;
  const head: Record<string, unknown> = {};
  for (const field of HEAD_FIELDS) if (source[field] !== undefined) head[field] = source[field];
  const facts: StoredFacts = { v: [] };
  const manifests: string[] = [];
  const valid = new Set<string>();
  for (const [at, { version, facts: f }] of versionIndex(doc).entries()) {
    valid.add(version);
    facts.v.push(version);
    manifests.push(JSON.stringify(doc.versions[version]));
    if (f.deprecated) (facts.d ??= {})[at] = f.deprecated;
    if (f.engineNode !== undefined) (facts.e ??= {})[at] = f.engineNode;
    if (f.yanked) (facts.y ??= {})[at] = 1;
  }
  for (const [version, manifest] of Object.entries(doc.versions)) {
    if (valid.has(version)) continue;
    (facts.others ??= []).push(version);
    manifests.push(JSON.stringify(manifest));
  }
  return { head: JSON.stringify(head), facts: JSON.stringify(facts), manifests };
}

/** The rows with the manifests packed into shared memory (what a document worker hands back: see PackedManifests). */
export function packRows(rows: CacheRows): CacheRows & { manifests: PackedManifests } {
  const manifests = rows.manifests as string[];
  let total = 0;
  for (const manifest of manifests) total += Buffer.byteLength(manifest);
  const bytes = Buffer.from(new SharedArrayBuffer(total));
  const ends = new Uint32Array(manifests.length);
  let end = 0;
  for (let i = 0; i < manifests.length; i++) ends[i] = end += bytes.write(manifests[i]!, end);
  return { ...rows, manifests: { bytes: new Uint8Array(bytes.buffer, 0, total), ends } };
}

/**
 * A packument from a cache entry. `versions` answers key listing and membership from the facts alone and reads (from
 * the cache file) and parses a manifest only when it is read; the version index comes ready-made from the facts
 * (choosing a version reads no manifest but the one it picks).
 */
export function fromCacheRows(entry: Pick<CachedDocument, 'head' | 'facts' | 'manifest'> | CacheRows): Packument {
  const head = JSON.parse(entry.head) as Packument;
  const stored = JSON.parse(entry.facts) as StoredFacts;
  return lazyPackument(head, stored, 'manifest' in entry ? entry.manifest : rowsReader(entry.manifests));
}

const rowsReader =
  (manifests: CacheRows['manifests']) =>
  (ordinal: number): string | undefined =>
    manifestAt(manifests, ordinal);

/** Apart from fromCacheRows so that its closures hold the parsed facts, never the entry's text. */
function lazyPackument(head: Packument, stored: StoredFacts, manifestAt: (ordinal: number) => string | undefined): Packument {
  const valid = stored.v;
  const others = stored.others ?? [];
  const index = valid.map((_version, at) => IndexedVersion.stored(stored, at));
  // A version's ordinal is found by a walk of the facts (newest first, where picks land) instead of a map of every
  // version: a run reads a manifest or two per document, and a map per document of all of them cost memory.
  const ordinalOf = (version: string): number | undefined => {
    const at = valid.indexOf(version);
    if (at >= 0) return at;
    const other = others.indexOf(version);
    return other >= 0 ? valid.length + other : undefined;
  };
  let keys: string[] | undefined;
  // Listing the keys (pickManifest's walk of every version) asks about each: a set then, not a walk per key.
  let keySet: Set<string> | undefined;
  const loaded = new Map<string, Manifest>();
  const read = (version: string): Manifest | undefined => {
    let manifest = loaded.get(version);
    const ordinal = manifest === undefined ? ordinalOf(version) : undefined;
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
  const has = (version: string): boolean => (keySet ? keySet.has(version) : loaded.has(version) || ordinalOf(version) !== undefined);
  const versions = new Proxy(Object.create(null) as Record<string, Manifest>, {
    get: (_target, key) => (typeof key === 'string' ? read(key) : undefined),
    has: (_target, key) => typeof key === 'string' && has(key),
    ownKeys: () => {
      keys ??= [...valid, ...others];
      keySet ??= new Set(keys);
      return keys;
    },
    // An accessor, so that listing the keys (Object.keys asks whether each is enumerable) parses nothing.
    getOwnPropertyDescriptor: (_target, key) =>
      typeof key === 'string' && has(key) ? { configurable: true, enumerable: true, get: () => read(key) } : undefined,
  });
  const packument: Packument = { ...head, 'dist-tags': head['dist-tags'] ?? {}, versions };
  setVersionIndex(packument, index);
  return packument;
}
