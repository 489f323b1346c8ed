// What the UI shows of a package this registry mirrors rather than holds: read from the cached upstream document and the
// cached tarballs, never from the network (the page must not trigger fetches), so the answer is exactly what is cached.
import { gunzipSync } from 'node:zlib';
import type { MetadataDb } from '../../storage/sql/port';
import { cachedVersionsOf, getUpstreamPackument, searchUpstreamPackuments } from '../../storage/db/mirror';
import { notFound } from '../../errors';

export interface CachedPackageView {
  name: string;
  /** The upstream registry it was mirrored from. */
  upstream: string;
  description: string | null;
  readme: string;
  license: string | null;
  keywords: string[];
  distTags: Record<string, string>;
  /** When the upstream document was last fetched. */
  fetchedAt: string;
  /** Every version the upstream lists, newest first, marking those whose tarball is cached here. */
  versions: { version: string; date: string | null; cached: boolean }[];
}

const str = (v: unknown): string | null => (typeof v === 'string' && v ? v : null);

/** What the policy serves of a package's dist-tags (moved off held versions); absent, the upstream's as they are. */
export interface ServedTags {
  servedTags(name: string, tags: Record<string, string>): Promise<Record<string, string>>;
}

export async function cachedPackageView(db: MetadataDb, name: string, policy?: ServedTags): Promise<CachedPackageView> {
  const row = await getUpstreamPackument(db, name);
  if (!row) throw notFound(`'${name}' is neither in this registry nor in its mirror cache; install it through Shelf to cache it`);
  let doc: Record<string, unknown> = {};
  try {
    doc = JSON.parse(gunzipSync(row.raw_gzip).toString('utf8')) as Record<string, unknown>;
  } catch {
    // A damaged cached document still shows what the tables know (versions, tags); `shelf fsck` reports it.
  }
  const time = (doc.time ?? {}) as Record<string, unknown>;
  const versions = Object.keys((doc.versions ?? {}) as Record<string, unknown>);
  const cached = new Set(await cachedVersionsOf(db, name));
  for (const v of cached) if (!versions.includes(v)) versions.push(v);
  const upstreamTags = JSON.parse(row.dist_tags) as Record<string, string>;
  const distTags = policy ? await policy.servedTags(name, upstreamTags) : upstreamTags;
  const latest = (doc.versions as Record<string, Record<string, unknown>> | undefined)?.[distTags.latest ?? ''] ?? {};
  return {
    name,
    upstream: row.upstream_url,
    description: str(doc.description) ?? str(latest.description),
    // npm's registry stores this placeholder for packages published without a readme.
    readme: str(doc.readme) === 'ERROR: No README data found!' ? '' : (str(doc.readme) ?? ''),
    license: str(latest.license) ?? str(doc.license),
    keywords: Array.isArray(latest.keywords) ? latest.keywords.filter((k): k is string => typeof k === 'string').slice(0, 50) : [],
    distTags,
    fetchedAt: row.fetched_at,
    versions: versions
      .map((version) => ({ version, date: str(time[version]), cached: cached.has(version) }))
      .sort((a, b) => (b.date ?? '').localeCompare(a.date ?? '')),
  };
}

async function servedLatest(name: string, tags: Record<string, string>, policy: ServedTags | undefined): Promise<string | null> {
  return (policy ? await policy.servedTags(name, tags) : tags).latest ?? null;
}

/** Cached packages whose name contains `text` (case-insensitive), at most `limit`: search's "cached from upstream" group. */
export async function searchCached(
  db: MetadataDb,
  text: string,
  limit: number,
  policy?: ServedTags,
): Promise<{ name: string; upstream: string; latest: string | null; cachedVersions: string[] }[]> {
  const rows = await searchUpstreamPackuments(db, text, limit);
  return Promise.all(
    rows.map(async (r) => ({
      name: r.name,
      upstream: r.upstream_url,
      latest: await servedLatest(r.name, JSON.parse(r.dist_tags) as Record<string, string>, policy),
      cachedVersions: await cachedVersionsOf(db, r.name),
    })),
  );
}
