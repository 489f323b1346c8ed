// The search tables (migration 5): search_index holds each package's text; search_fts, a contentless FTS5 index of it, is
// keyed by a rank key that triggers keep in step with the package's visibility, popularity and last change.
import type { SqlExecutor as Db } from '../sql/port';
import {
  BOOST,
  BUCKETS_PER_UNIT,
  PUBLIC_END,
  bucketOf,
  dayOf,
  idOf,
  type KeyRange,
  type MatchScope,
  type RankingRow,
  type ScoredMatch,
} from './search-key';

export { BOOST, keyRanges, type KeyRange, type MatchScope, type RankingRow, type ScoredMatch } from './search-key';

const ID = idOf('rowid');

/** Package ids matching an FTS5 expression bound as @match, as a subquery. */
export const MATCHING_PACKAGE_IDS = `SELECT ${ID} FROM search_fts WHERE search_fts MATCH @match`;

// bm25 weights per column: name, description, keywords, author, maintainers, readme. Lower (more negative) is better.
const BM25 = 'bm25(search_fts, 10.0, 3.0, 5.0, 1.0, 1.0, 0.5)';

/** The popularity a key's bucket vouches for (its lower bound) and the age in days its day gives (an upper bound). */
const keyPopularity = (key: string) => `(max(0, ${bucketOf(key)} - 1) / ${BUCKETS_PER_UNIT}.0)`;
const keyAge = (key: string) => `max(0.0, @nowDays - ${dayOf(key)})`;
const recency = (age: string) => `(1.0 + ${BOOST.recency} / (1.0 + ${age} / ${BOOST.recencyDays}.0))`;

/** bm25 × the boost the rank key implies: never more negative than the exact score (bm25 × exact boost). */
const keyScore = (relevance: string, key: string) =>
  `${relevance} * (1.0 + ${BOOST.popularity} * ${keyPopularity(key)}) * ${recency(keyAge(key))}`;

/**
 * How far the exact score of a row can lie below its key score, as a factor: one bucket's worth of popularity (none in
 * bucket 0, which is exactly no downloads) times one day's worth of recency (the day is rounded down).
 */
const keyScoreSlack = (key: string) =>
  `(CASE WHEN ${bucketOf(key)} = 0 THEN 1.0 ELSE (1.0 + ${BOOST.popularity} * ${bucketOf(key)} / ${BUCKETS_PER_UNIT}.0) / (1.0 + ${BOOST.popularity} * ${keyPopularity(key)}) END)` +
  ` * ${recency(`max(0.0, ${keyAge(key)} - 1.0)`)} / ${recency(keyAge(key))} * (1.0 + 1e-9)`;

function params(scope: MatchScope, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const p: Record<string, unknown> = { match: scope.match, ...extra };
  if (typeof scope.restricted === 'object') p.uid = scope.restricted.maintainedBy;
  if (scope.namePrefix !== undefined) {
    p.nameLo = scope.namePrefix;
    p.nameHi = `${scope.namePrefix}\u{10ffff}`;
  }
  if (scope.category !== undefined) p.category = scope.category;
  return p;
}

/**
 * The WHERE clause of a range: the match, the key range and the per-package filters. FTS5 seeks with one lower and one
 * upper rowid bound only (others are checked row by row), so a narrower bound is folded into the range's own:
 * `after` and `before` are exclusive key bounds (SQL expressions).
 */
function where(scope: MatchScope, range: KeyRange, bounds: { after?: string; before?: string } = {}): string {
  const parts = ['search_fts MATCH @match'];
  if (bounds.after !== undefined)
    parts.push(range.lo === '0' ? `rowid > ${bounds.after}` : `rowid > max(${range.lo} - 1, ${bounds.after})`);
  else if (range.lo !== '0') parts.push(`rowid >= ${range.lo}`);
  parts.push(bounds.before !== undefined ? `rowid < min(${range.hi}, ${bounds.before})` : `rowid < ${range.hi}`);
  if (range.maintainersOnly) parts.push(`${ID} IN (SELECT package_id FROM maintainers WHERE user_id = @uid)`);
  // lower(name) has its own index (migration 5), so a scope's packages are one index range.
  if (scope.namePrefix !== undefined)
    parts.push(`${ID} IN (SELECT id FROM packages WHERE lower(name) >= @nameLo AND lower(name) < @nameHi)`);
  if (scope.category !== undefined) parts.push(`${ID} IN (SELECT package_id FROM package_categories WHERE category = @category)`);
  return parts.join(' AND ');
}

/** The key of the range's row at 0-based position @n<i> in key order: the last row of its window. */
const nthKey = (scope: MatchScope, range: KeyRange, i: number) =>
  `(SELECT rowid FROM search_fts WHERE ${where(scope, range)} ORDER BY rowid LIMIT 1 OFFSET @n${i})`;

/**
 * Matches in each range (an exact count: FTS5 walks the doclists, nothing is scored or joined). `rowsHolding`, when
 * known, is how many rows of the whole index hold the match (a single word, from fts5vocab): the public range's count
 * is then that less the rows past it, which is a seek rather than a pass.
 */
export async function countMatches(db: Db, scope: MatchScope, ranges: KeyRange[], rowsHolding?: number): Promise<number[]> {
  const filtered = scope.namePrefix !== undefined || scope.category !== undefined;
  const counts: number[] = [];
  for (const range of ranges) {
    if (rowsHolding !== undefined && !filtered && range.lo === '0') counts.push(rowsHolding - (await countNotPublic(db, scope.match)));
    else
      counts.push(((await db.get(`SELECT count(*) AS n FROM search_fts WHERE ${where(scope, range)}`, params(scope))) as { n: number }).n);
  }
  return counts;
}

/**
 * Every match that can be among the `need` best by exact score, within the first `windows[i]` rows of each range in
 * key order (undefined: all of it); bm25 is computed once per row of the windows, and nothing is joined.
 *
 * Why this set is enough: a row's exact score lies between its key score × its slack and its key score (scores are
 * negative). The need-th best key score A is no better than the need-th best exact score, since the need rows with
 * the best key scores all score A or better exactly; a row can only reach the first `need` if its key score × slack
 * is A or better. `cap` bounds the set (the best by key score are kept).
 */
export async function contenders(
  db: Db,
  scope: MatchScope,
  ranges: KeyRange[],
  windows: (number | undefined)[],
  nowDays: number,
  need: number,
  cap: number,
): Promise<ScoredMatch[]> {
  const extra: Record<string, unknown> = { nowDays, need: need - 1, cap };
  const parts = ranges.map((range, i) => {
    const window = windows[i];
    if (window !== undefined) extra[`n${i}`] = window - 1;
    const bounds = window === undefined ? {} : { before: `${nthKey(scope, range, i)} + 1` };
    return `SELECT rowid AS key, ${BM25} AS relevance FROM search_fts WHERE ${where(scope, range, bounds)}`;
  });
  // bm25 once per row (materialized); the key score and its slack are arithmetic on the key.
  return (await db.all(
    `WITH matched AS MATERIALIZED (${parts.join(' UNION ALL ')}),
       scored AS MATERIALIZED (SELECT key, relevance, ${keyScore('relevance', 'key')} AS keyScore FROM matched)
       SELECT ${idOf('key')} AS id, relevance FROM scored
       WHERE keyScore * ${keyScoreSlack('key')} <= coalesce((SELECT keyScore FROM scored ORDER BY keyScore LIMIT 1 OFFSET @need), 0.0)
       ORDER BY keyScore LIMIT @cap`,
    params(scope, extra),
  )) as ScoredMatch[];
}

/** Rows of one range in key order after its first `skip` rows (its window), for pages beyond the ranked window. */
export async function inKeyOrder(
  db: Db,
  scope: MatchScope,
  range: KeyRange,
  skip: number,
  exceptId: number,
  offset: number,
  limit: number,
): Promise<{ id: number; relevance: number }[]> {
  const bounds = skip > 0 ? { after: nthKey(scope, range, 0) } : {};
  return (await db.all(
    `SELECT ${ID} AS id, ${BM25} AS relevance FROM search_fts WHERE ${where(scope, range, bounds)} AND ${ID} != @except ORDER BY rowid LIMIT @limit OFFSET @offset`,
    params(scope, { n0: skip - 1, except: exceptId, limit, offset }),
  )) as { id: number; relevance: number }[];
}

/**
 * Candidates for "most downloaded first": in each range, every row of the popularity buckets down to the bucket of its
 * `need`-th row (so nothing left out can have more downloads than the `need` best), but no further than `cap` rows.
 * Returns the candidates and, per range, how many rows precede the unsorted rest.
 */
export async function downloadCandidates(
  db: Db,
  scope: MatchScope,
  ranges: KeyRange[],
  counts: number[],
  need: number,
  cap: number,
): Promise<{ candidates: { id: number; relevance: number }[]; taken: number[] }> {
  const candidates: { id: number; relevance: number }[] = [];
  const taken: number[] = [];
  for (const [i, range] of ranges.entries()) {
    const count = counts[i] ?? 0;
    if (count === 0) {
      taken.push(0);
      continue;
    }
    // The first key past the bucket of the need-th row: keys of one bucket share their bits above bit 50.
    const bounds =
      count > need
        ? {
            before: `((((SELECT rowid FROM search_fts WHERE ${where(scope, range)} ORDER BY rowid LIMIT 1 OFFSET @need) >> 50) + 1) << 50)`,
          }
        : {};
    const rows = (await db.all(
      `SELECT ${ID} AS id, ${BM25} AS relevance FROM search_fts WHERE ${where(scope, range, bounds)} ORDER BY rowid LIMIT @cap`,
      params(scope, { need: need - 1, cap }),
    )) as { id: number; relevance: number }[];
    candidates.push(...rows);
    taken.push(rows.length);
  }
  return { candidates, taken };
}

/** bm25 of one package for a match, and the range it is in, if it matches and is visible. */
export async function relevanceOf(
  db: Db,
  scope: MatchScope,
  ranges: KeyRange[],
  packageId: number,
): Promise<{ relevance: number; range: number } | undefined> {
  for (const [i, range] of ranges.entries()) {
    const row = (await db.get(
      `SELECT ${BM25} AS relevance FROM search_fts WHERE ${where(scope, range)} AND rowid = (SELECT rank_key FROM search_index WHERE package_id = @id)`,
      params(scope, { id: packageId }),
    )) as { relevance: number } | undefined;
    if (row) return { relevance: row.relevance, range: i };
  }
  return undefined;
}

/** bm25 of the given packages (a pass over the match, scoring only these). */
export async function relevanceOfMany(db: Db, scope: MatchScope, ranges: KeyRange[], ids: number[]): Promise<Map<number, number>> {
  const found = new Map<number, number>();
  if (ids.length === 0) return found;
  for (const range of ranges) {
    const rows = (await db.all(
      `SELECT ${ID} AS id, ${BM25} AS relevance FROM search_fts WHERE ${where(scope, range)} AND ${ID} IN (SELECT value FROM json_each(@ids))`,
      params(scope, { ids: JSON.stringify(ids) }),
    )) as { id: number; relevance: number }[];
    for (const r of rows) found.set(r.id, r.relevance);
  }
  return found;
}

/** Matching package ids in name or newest-first order (every match is joined; the caller scores only the page). */
export async function idsInPackageOrder(
  db: Db,
  scope: MatchScope,
  ranges: KeyRange[],
  order: 'name' | 'newest',
  offset: number,
  limit: number,
): Promise<number[]> {
  const parts = ranges.map((range) => `SELECT ${ID} AS id FROM search_fts WHERE ${where(scope, range)}`);
  const orderBy = order === 'name' ? 'p.name ASC' : 'p.modified_at DESC, p.id DESC';
  return (
    (await db.all(
      `SELECT p.id AS id FROM (${parts.join(' UNION ALL ')}) m JOIN packages p ON p.id = m.id ORDER BY ${orderBy} LIMIT @limit OFFSET @offset`,
      params(scope, { limit, offset }),
    )) as { id: number }[]
  ).map((r) => r.id);
}

/**
 * Words in the index that start with a prefix, with how many rows hold each, if there are at most `max` of them.
 * fts5vocab counts each word's rows as it lists it (a pass over its postings); `beyondPrefix` leaves out the prefix
 * itself as a word, the one most likely to be common, for callers that include it anyway.
 */
export async function termsWithPrefix(
  db: Db,
  prefix: string,
  max: number,
  beyondPrefix = false,
): Promise<{ term: string; rows: number }[] | undefined> {
  const found = (await db.all(
    `SELECT term, doc AS rows FROM search_vocab WHERE term ${beyondPrefix ? '>' : '>='} @lo AND term < @hi LIMIT @limit`,
    { lo: prefix, hi: `${prefix}\u{10ffff}`, limit: max + 1 },
  )) as { term: string; rows: number }[];
  return found.length > max ? undefined : found;
}

/** Matches outside the public key range (restricted and unlisted packages): a seek past the public keys. */
export async function countNotPublic(db: Db, match: string): Promise<number> {
  return (
    (await db.get(`SELECT count(*) AS n FROM search_fts WHERE search_fts MATCH @match AND rowid >= ${PUBLIC_END}`, { match })) as {
      n: number;
    }
  ).n;
}

/** What the exact score and the sort orders need of each package. */
export async function rankingRows(db: Db, ids: number[]): Promise<RankingRow[]> {
  if (ids.length === 0) return [];
  return (await db.all(
    `SELECT p.id, p.name, p.modified_at, coalesce(d.popularity, 0) AS popularity, coalesce(d.total, 0) AS downloads
       FROM json_each(@ids) j CROSS JOIN packages p ON p.id = j.value LEFT JOIN package_downloads d ON d.package_id = p.id`,
    { ids: JSON.stringify(ids) },
  )) as RankingRow[];
}

/** A package by its name in any case (the lower(name) index), as the exact-name match needs. */
export async function packageIdByLowerName(db: Db, lowerName: string): Promise<number | undefined> {
  return ((await db.get('SELECT id FROM packages WHERE lower(name) = ?', [lowerName])) as { id: number } | undefined)?.id;
}
