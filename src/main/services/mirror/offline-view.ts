// What an offline client may see of an upstream package: only versions with cached tarballs, with dist-tags moved onto them;
// and the bounded memory of those renderings.
import semver from 'semver';
import { BoundedCache } from '../../bounded-cache';
import type { StoredDocument } from '../packages/read';

/**
 * Moves each tag to the highest cached version it may point to: its own target if cached, else the highest cached
 * version not above the target with the same stability (a release tag never lands on a prerelease). `latest` always
 * survives while anything is cached, since clients need it.
 */
export function offlineDistTags(tags: Record<string, string>, cached: readonly string[]): Record<string, string> {
  const valid = cached.filter((v) => semver.valid(v));
  const out: Record<string, string> = {};
  for (const [tag, target] of Object.entries(tags)) {
    if (valid.includes(target)) {
      out[tag] = target;
      continue;
    }
    const stable = semver.prerelease(target) === null;
    const candidates = valid.filter((v) => (!semver.valid(target) || semver.lte(v, target)) && (!stable || semver.prerelease(v) === null));
    const best = semver.rsort([...candidates])[0];
    if (best) out[tag] = best;
  }
  if (!out.latest && valid.length > 0) {
    const releases = valid.filter((v) => semver.prerelease(v) === null);
    out.latest = semver.rsort(releases.length > 0 ? releases : [...valid])[0]!;
  }
  return out;
}

interface OfflineDocuments {
  full: StoredDocument;
  abbrev: StoredDocument;
}

/** Bytes the offline renderings kept in memory may take in all (JSON and gzip, full and abbreviated). */
export const OFFLINE_VIEW_CACHE_BYTES = 32 * 1024 * 1024;

/**
 * The offline renderings of upstream packuments, kept so that repeated reads do not transform the document again.
 * Without a bound, browsing a large mirror offline would keep every package's renderings for as long as the server
 * runs; this keeps the most recently used ones up to `maxBytes` and renders the others again when asked.
 */
export class OfflineViewCache {
  private readonly entries: BoundedCache<string, { key: string; doc: OfflineDocuments }>;

  constructor(maxBytes = OFFLINE_VIEW_CACHE_BYTES) {
    this.entries = new BoundedCache(maxBytes);
  }

  /** The renderings of `name` if they were made for `key` (base URL, fetch time and cached versions). */
  get(name: string, key: string): OfflineDocuments | undefined {
    const entry = this.entries.get(name);
    return entry && entry.key === key ? entry.doc : undefined;
  }

  set(name: string, key: string, doc: OfflineDocuments): void {
    const bytes = doc.full.json.length + doc.full.gzip.length + doc.abbrev.json.length + doc.abbrev.gzip.length;
    this.entries.set(name, { key, doc }, bytes);
  }

  delete(name: string): void {
    this.entries.delete(name);
  }

  /** Bytes held now. */
  get bytes(): number {
    return this.entries.bytes;
  }
}
