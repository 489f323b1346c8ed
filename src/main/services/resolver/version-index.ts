// Owns a packument's versions newest first, each with the few facts that choosing a version reads (deprecation, the
// node engine range, yanked), so that choosing never needs a manifest it does not pick. Built from the manifests of a
// fetched document, or handed over ready-made by the metadata cache (cached-packument.ts), whose manifests load one by one.
import semver, { SemVer } from 'semver';
import type { Manifest, Packument } from './types';
import { isYanked } from './yanked';

export interface VersionFacts {
  version: string;
  deprecated?: string;
  /** engines.node as the manifest has it (checkEngine reads only that without an npm version). */
  engineNode?: unknown;
  yanked: boolean;
}

export function factsOf(version: string, manifest: Manifest): VersionFacts {
  const facts: VersionFacts = { version, yanked: isYanked(manifest) };
  if (manifest.deprecated) facts.deprecated = manifest.deprecated;
  const engines = manifest.engines as unknown;
  if (engines && typeof engines === 'object' && (engines as { node?: unknown }).node !== undefined)
    facts.engineNode = (engines as { node?: unknown }).node;
  return facts;
}

/**
 * The facts of a document's valid versions as the metadata cache stores them: the versions newest first, and by
 * position the few that are deprecated, carry engines.node or are yanked. Columns, not a row per version: a warm run
 * holds all 75,000 versions of the cra tree's documents, and an array per version was a third of its heap.
 */
export interface FactsColumns {
  v: string[];
  d?: Record<number, string>;
  e?: Record<number, unknown>;
  y?: Record<number, 1>;
}

/**
 * One valid version with its facts; its SemVer is parsed on first use, since a pick usually stops at the first few. From
 * the metadata cache it points into the stored columns and makes the facts object only when asked.
 */
export class IndexedVersion {
  private semver: SemVer | undefined;
  private source: VersionFacts | FactsColumns;
  private readonly at: number;
  constructor(facts: VersionFacts, parsed?: SemVer) {
    this.source = facts;
    this.semver = parsed;
    this.at = 0;
  }

  /** The version at position `at` of stored columns. */
  static stored(columns: FactsColumns, at: number): IndexedVersion {
    const entry = Object.create(IndexedVersion.prototype) as IndexedVersion;
    entry.source = columns;
    entry.semver = undefined;
    (entry as unknown as { at: number }).at = at;
    return entry;
  }

  get version(): string {
    return 'v' in this.source ? this.source.v[this.at]! : this.source.version;
  }

  get yanked(): boolean {
    return 'v' in this.source ? this.source.y?.[this.at] === 1 : this.source.yanked;
  }

  get facts(): VersionFacts {
    const columns = this.source;
    if (!('v' in columns)) return columns;
    const facts: VersionFacts = { version: columns.v[this.at]!, yanked: columns.y?.[this.at] === 1 };
    const deprecated = columns.d?.[this.at];
    if (deprecated) facts.deprecated = deprecated;
    const engineNode = columns.e?.[this.at];
    if (engineNode !== undefined) facts.engineNode = engineNode;
    return facts;
  }

  get parsed(): SemVer {
    return (this.semver ??= new SemVer(this.version, true));
  }
}

const indexes = new WeakMap<Packument, IndexedVersion[]>();

/** Hands over an index the caller already has (the metadata cache stores it), so the manifests need not be read. */
export function setVersionIndex(packument: Packument, index: IndexedVersion[]): void {
  indexes.set(packument, index);
}

/** The packument's valid versions newest first (ties keep the document's order, as a stable sort does). */
export function versionIndex(packument: Packument): IndexedVersion[] {
  let index = indexes.get(packument);
  if (index) return index;
  index = [];
  for (const [version, manifest] of Object.entries(packument.versions)) {
    const parsed = semver.parse(version, true);
    if (parsed) index.push(new IndexedVersion(factsOf(version, manifest), parsed));
  }
  index.sort((a, b) => b.parsed.compare(a.parsed));
  indexes.set(packument, index);
  return index;
}

const withoutYanked = new WeakMap<Packument, Packument>();

/**
 * The packument without yanked versions, and without dist-tags that point at one (cached per document). Yanked versions
 * are read from the index, so a cached document's manifests stay unread unless one is actually yanked.
 */
export function choosablePackument(packument: Packument): Packument {
  const cached = withoutYanked.get(packument);
  if (cached) return cached;
  const index = versionIndex(packument);
  const yanked = new Set(index.filter((entry) => entry.yanked).map((entry) => entry.version));
  let result = packument;
  if (yanked.size) {
    // Getters, not copies: reading a manifest stays as lazy as it is in the packument itself.
    const versions: Record<string, Manifest> = {};
    for (const version of Object.keys(packument.versions)) {
      if (!yanked.has(version))
        Object.defineProperty(versions, version, { enumerable: true, configurable: true, get: () => packument.versions[version] });
    }
    const tags = Object.fromEntries(Object.entries(packument['dist-tags']).filter(([, v]) => !yanked.has(v) && v in versions));
    result = { ...packument, versions, 'dist-tags': tags };
    setVersionIndex(
      result,
      index.filter((entry) => !entry.yanked),
    );
  }
  withoutYanked.set(packument, result);
  return result;
}
