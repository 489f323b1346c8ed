// Owns turning a trimmed packument into metadata-cache rows and back. What comes back is a packument whose versions load
// one by one on first access: a warm resolution of the cra tree reads about 1,500 manifests of the 75,000 its documents
// hold, so parsing them all (and collecting them again) was most of its time.
import type { CachedDocument } from '../../storage/metadata-cache-db';
import type { Manifest, Packument } from './types';
import { IndexedVersion, setVersionIndex, versionIndex, type VersionFacts } from './version-index';

/** The top-level fields kept besides the versions (npm-pick-manifest honours the last two when a registry sends them). */
const HEAD_FIELDS = ['name', 'dist-tags', 'policyRestrictions', 'stagedVersions', '_shelfHeld'] as const;

/** Where a version's manifest lies in the manifests text: start and end offsets. */
type Span = [number, number];
/** Facts as stored: version, deprecated or 0, engines.node or 0, yanked 1/0, span; per valid version, newest first. */
type FactsRow = [string, string | 0, unknown, 0 | 1, ...Span];
interface StoredFacts {
  newest: FactsRow[];
  /** Versions that are not valid semver, kept so the document lists every version it had. */
  others: [string, ...Span][];
}

/** The head, the facts and the manifests of a packument, as the metadata cache stores them. */
export function toCacheRows(doc: Packument): Pick<CachedDocument, 'head' | 'facts' | 'manifests'> {
  const source = doc as unknown as Record<string, unknown>;
  const head: Record<string, unknown> = {};
  for (const field of HEAD_FIELDS) if (source[field] !== undefined) head[field] = source[field];
  const spans = new Map<string, Span>();
  const parts: string[] = [];
  let offset = 0;
  for (const [version, manifest] of Object.entries(doc.versions)) {
    const json = JSON.stringify(manifest);
    parts.push(json);
    spans.set(version, [offset, (offset += json.length)]);
  }
  const index = versionIndex(doc);
  const facts: StoredFacts = {
    newest: index.map(({ facts: f }) => [f.version, f.deprecated ?? 0, f.engineNode ?? 0, f.yanked ? 1 : 0, ...spans.get(f.version)!]),
    others: [],
  };
  for (const entry of index) spans.delete(entry.version);
  for (const [version, span] of spans) facts.others.push([version, ...span]);
  return { head: JSON.stringify(head), facts: JSON.stringify(facts), manifests: parts.join('') };
}

/**
 * A packument from a cache entry. `versions` answers key listing and membership from the facts alone and parses a
 * manifest only when it is read; the version index comes ready-made from the facts (choosing a version reads no
 * manifest but the one it picks).
 */
export function fromCacheRows(entry: Pick<CachedDocument, 'head' | 'facts' | 'manifests'>): Packument {
  const head = JSON.parse(entry.head) as Packument;
  const stored = JSON.parse(entry.facts) as StoredFacts;
  const spans = new Map<string, Span>();
  const index = stored.newest.map(([version, deprecated, engineNode, yanked, start, end]) => {
    const facts: VersionFacts = { version, yanked: yanked === 1 };
    if (deprecated) facts.deprecated = deprecated;
    if (engineNode) facts.engineNode = engineNode;
    spans.set(version, [start, end]);
    return new IndexedVersion(facts);
  });
  for (const [version, start, end] of stored.others) spans.set(version, [start, end]);
  const keys = [...spans.keys()];
  const loaded = new Map<string, Manifest>();
  const read = (version: string): Manifest | undefined => {
    let manifest = loaded.get(version);
    const span = manifest === undefined ? spans.get(version) : undefined;
    if (span) loaded.set(version, (manifest = JSON.parse(entry.manifests.slice(span[0], span[1])) as Manifest));
    return manifest;
  };
  const versions = new Proxy(Object.create(null) as Record<string, Manifest>, {
    get: (_target, key) => (typeof key === 'string' ? read(key) : undefined),
    has: (_target, key) => typeof key === 'string' && spans.has(key),
    ownKeys: () => keys,
    // An accessor, so that listing the keys (Object.keys asks whether each is enumerable) parses nothing.
    getOwnPropertyDescriptor: (_target, key) =>
      typeof key === 'string' && spans.has(key) ? { configurable: true, enumerable: true, get: () => read(key) } : undefined,
  });
  const packument: Packument = { ...head, 'dist-tags': head['dist-tags'] ?? {}, versions };
  setVersionIndex(packument, index);
  return packument;
}
