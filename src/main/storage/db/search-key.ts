// What both search modules share (storage/db/search.ts on SQLite, storage/postgres/search.ts on PostgreSQL): the rank
// key's layout and the SQL that reads its parts (the same in both dialects), the boost factors, and the shapes of a
// query's scope and answers. One home, so the two stores rank by the same rules.

/*
 * Rank key layout (migration 5 of both dialects writes it; keep them in step). Ascending key order is
 * "most popular first, then most recently changed, then newest package", so `ORDER BY key LIMIT n` over a match
 * reads its n most popular rows without scoring the rest.
 *   bits 60–61  visibility class: 0 public, 1 restricted, 2 unlisted (every version yanked; never searched)
 *   bits 50–59  1023 − popularity bucket: 0 for no downloads, else 1 + floor(16 × popularity), where
 *               popularity = ln(downloads + 1); bucket b > 0 holds popularity in [(b − 1) / 16, b / 16)
 *   bits 32–47  65535 − day of the last change (days since 1970-01-01)
 *   bits  0–31  2^32 − 1 − package id
 * Keys pass between queries inside SQL only: above 2^53 they would lose precision as JavaScript numbers.
 */
export const PUBLIC_END = '1152921504606846976'; // 1 << 60
export const RESTRICTED_END = '2305843009213693952'; // 2 << 60
export const idOf = (key: string) => `(4294967295 - (${key} & 4294967295))`;
export const bucketOf = (key: string) => `(1023 - ((${key} >> 50) & 1023))`;
export const dayOf = (key: string) => `(65535 - ((${key} >> 32) & 65535))`;

/** Popularity buckets per unit of popularity (ln of downloads + 1). */
export const BUCKETS_PER_UNIT = 16;

/** How a combined score is formed from relevance: popularity (log of downloads) and recency scale it. */
export const BOOST = { popularity: 0.3, recency: 0.2, recencyDays: 30 } as const;

/** What a query may see: the FTS5 expression, whose restricted packages, and the filters on package ids. */
export interface MatchScope {
  match: string;
  /** Restricted packages in the results: none (anonymous), all (admin) or those a user maintains. */
  restricted: 'none' | 'all' | { maintainedBy: number };
  /** Only names starting with this (lower case), e.g. `@scope/`. */
  namePrefix?: string;
  category?: string;
}

/** One visibility class's slice of the index: its own key range, so its most popular rows come first in it. */
export interface KeyRange {
  lo: string;
  hi: string;
  maintainersOnly: boolean;
}

export function keyRanges(scope: MatchScope): KeyRange[] {
  const ranges: KeyRange[] = [{ lo: '0', hi: PUBLIC_END, maintainersOnly: false }];
  if (scope.restricted !== 'none') ranges.push({ lo: PUBLIC_END, hi: RESTRICTED_END, maintainersOnly: scope.restricted !== 'all' });
  return ranges;
}

export interface ScoredMatch {
  id: number;
  /** Relevance (negative; lower is better): bm25 on SQLite, −ts_rank on PostgreSQL. */
  relevance: number;
}

export interface RankingRow {
  id: number;
  name: string;
  modified_at: string;
  popularity: number;
  downloads: number;
}
