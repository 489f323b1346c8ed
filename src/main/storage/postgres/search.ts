// The search queries of storage/db/search.ts on PostgreSQL: the same exported functions, arguments and results, so the
// search service ranks the same way on either store (exact name first, then bm25-like relevance × popularity × recency
// over a window of the most popular matches, the same tie-breaks).
//
// What differs, and why:
//   - SQLite's FTS5 rowid is the rank key; here search_index.rank_key (same layout, kept by the triggers of migration 5)
//     with a unique btree index, and the text is matched through search_index.document (a weighted tsvector, GIN).
//   - MatchScope.match stays an FTS5 expression (the service writes those): `ftsMatch` below turns the subset the
//     service writes (phrases, "prefix"*, column : term, AND / OR / NOT, parentheses) into tsquery conditions.
//   - bm25 becomes −ts_rank with weights standing in for bm25's column weights (name A 1.0, keywords B 0.5,
//     description C 0.3, author / maintainers / readme D 0.1). Both are negative-is-better here, so the key-score
//     bound the service relies on (exact score within the key score × slack) holds unchanged.
//   - fts5vocab becomes ts_stat over the rows that hold the prefix.
//   - Names compare and sort in code-point order (COLLATE "C"), as SQLite's BINARY does, whatever the database's locale.
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
} from '../db/search-key';
import type { SqlExecutor as Db } from '../sql/port';

export { BOOST, keyRanges, type KeyRange, type MatchScope, type RankingRow, type ScoredMatch } from '../db/search-key';

/** ts_rank's weights are listed {D, C, B, A}. */
const RANK = (query: string) => `(-ts_rank('{0.1, 0.3, 0.5, 1.0}', s.document, ${query}))::float8`;

const keyPopularity = (key: string) => `(greatest(0, ${bucketOf(key)} - 1) / ${BUCKETS_PER_UNIT}.0)`;
const keyAge = (key: string) => `greatest(0.0, @nowDays::float8 - ${dayOf(key)})`;
const recency = (age: string) => `(1.0 + ${BOOST.recency} / (1.0 + ${age} / ${BOOST.recencyDays}.0))`;
const keyScore = (relevance: string, key: string) =>
  `${relevance} * (1.0 + ${BOOST.popularity} * ${keyPopularity(key)}) * ${recency(keyAge(key))}`;
const keyScoreSlack = (key: string) =>
  `(CASE WHEN ${bucketOf(key)} = 0 THEN 1.0 ELSE (1.0 + ${BOOST.popularity} * ${bucketOf(key)} / ${BUCKETS_PER_UNIT}.0) / (1.0 + ${BOOST.popularity} * ${keyPopularity(key)}) END)` +
  ` * ${recency(`greatest(0.0, ${keyAge(key)} - 1.0)`)} / ${recency(keyAge(key))} * (1.0 + 1e-9)`;

// ---------------------------------------------------------------------------------------------------------------------
// FTS5 expressions → PostgreSQL conditions

interface Translated {
  /** A boolean SQL condition on search_index s. */
  condition: string;
  /** One tsquery of every positive term, for ranking. */
  rankQuery: string;
  params: Record<string, unknown>;
}

type Node =
  | { kind: 'term'; text: string; prefix: boolean; column?: string }
  | { kind: 'and' | 'or'; items: Node[] }
  | { kind: 'not'; keep: Node; drop: Node };

/** Tokens of the FTS5 query syntax: "strings", barewords, ( ) : * and the operators. */
function tokenize(expression: string): string[] {
  const tokens: string[] = [];
  const pattern = /\s*("(?:[^"]|"")*"|[():*]|[^\s():*"]+)/gy;
  let match: RegExpExecArray | null;
  let end = 0;
  while ((match = pattern.exec(expression)) !== null) {
    tokens.push(match[1]!);
    end = pattern.lastIndex;
  }
  if (expression.slice(end).trim() !== '') throw new Error(`unreadable search expression: ${expression}`);
  return tokens;
}

/** The FTS5 grammar's precedence: NOT binds tighter than AND (explicit or implied), AND tighter than OR. */
function parse(expression: string): Node {
  const tokens = tokenize(expression);
  let at = 0;
  const peek = () => tokens[at];
  const take = () => tokens[at++];
  const orExpr = (column?: string): Node => {
    const items = [andExpr(column)];
    while (peek() === 'OR') {
      take();
      items.push(andExpr(column));
    }
    return items.length === 1 ? items[0]! : { kind: 'or', items };
  };
  const andExpr = (column?: string): Node => {
    const items = [notExpr(column)];
    for (;;) {
      if (peek() === 'AND') take();
      else if (peek() === undefined || peek() === ')' || peek() === 'OR') break;
      items.push(notExpr(column));
    }
    return items.length === 1 ? items[0]! : { kind: 'and', items };
  };
  const notExpr = (column?: string): Node => {
    let node = primary(column);
    while (peek() === 'NOT') {
      take();
      node = { kind: 'not', keep: node, drop: primary(column) };
    }
    return node;
  };
  const primary = (column?: string): Node => {
    const token = take();
    if (token === undefined) throw new Error(`search expression ends early: ${expression}`);
    if (token === '(') {
      const node = orExpr(column);
      if (take() !== ')') throw new Error(`unbalanced parentheses in search expression: ${expression}`);
      return node;
    }
    if (peek() === ':' && !token.startsWith('"')) {
      take();
      return primary(token.toLowerCase());
    }
    const text = token.startsWith('"') ? token.slice(1, -1).replace(/""/g, '"') : token;
    const prefix = peek() === '*';
    if (prefix) take();
    return { kind: 'term', text, prefix, column };
  };
  const node = orExpr();
  if (at !== tokens.length) throw new Error(`unexpected '${tokens[at]}' in search expression: ${expression}`);
  return node;
}

/** The generated tsvector a column qualifier reads (migration 5); other columns are vectorised on the fly. */
const COLUMN_DOCUMENTS: Record<string, string> = {
  author: 's.author_document',
  maintainers: 's.maintainers_document',
  keywords: 's.keywords_document',
};
const COLUMNS = new Set(['name', 'description', 'readme']);

const translations = new Map<string, Translated>();

/** The SQL for an FTS5 expression (cached: the service asks for the same few expressions many times per search). */
export function ftsMatch(expression: string): Translated {
  const cached = translations.get(expression);
  if (cached) return cached;
  const params: Record<string, unknown> = {};
  const positives: string[] = [];
  const term = (node: Extract<Node, { kind: 'term' }>, positive: boolean): string => {
    const name = `fts${Object.keys(params).length}`;
    // A prefix: the parser splits the text as it split the documents, and every resulting word becomes a prefix.
    const query = node.prefix ? `to_tsquery('simple', @${name})` : `phraseto_tsquery('simple', @${name})`;
    params[name] = node.prefix ? `'${node.text.replace(/\\/g, '\\\\').replace(/'/g, "''")}':*` : node.text;
    if (positive) positives.push(query);
    let vector = 's.document';
    if (node.column !== undefined) {
      if (COLUMN_DOCUMENTS[node.column]) vector = COLUMN_DOCUMENTS[node.column]!;
      else if (COLUMNS.has(node.column)) vector = `to_tsvector('simple', s.${node.column})`;
      else throw new Error(`no column '${node.column}' in the search index`);
    }
    return `(${vector} @@ ${query})`;
  };
  const walk = (node: Node, positive: boolean): string => {
    if (node.kind === 'term') return term(node, positive);
    if (node.kind === 'not') return `(${walk(node.keep, positive)} AND NOT ${walk(node.drop, false)})`;
    return `(${node.items.map((item) => walk(item, positive)).join(node.kind === 'and' ? ' AND ' : ' OR ')})`;
  };
  const condition = walk(parse(expression), true);
  const translated: Translated = {
    condition,
    rankQuery: positives.length > 0 ? `(${positives.join(' || ')})` : `''::tsquery`,
    params,
  };
  if (translations.size > 1000) translations.clear();
  translations.set(expression, translated);
  return translated;
}

/**
 * Package ids matching an FTS5 expression, as a subquery and its parameters. SQLite exports this as one constant with
 * an @match parameter; on PostgreSQL the expression becomes SQL, so it is a function of the expression.
 */
export function matchingPackageIds(match: string): { sql: string; params: Record<string, unknown> } {
  const translated = ftsMatch(match);
  return { sql: `SELECT s.package_id FROM search_index s WHERE ${translated.condition}`, params: translated.params };
}

/**
 * The search service's own SQL where SQLite's spelling does not run on PostgreSQL (services/search picks these by
 * `db.dialect`): the listing's boost (julianday → shelf_julianday of migration 5, max → greatest), the relevance
 * listing's join (SQLite's `CROSS JOIN … ON`, which fixes SQLite's join order, is a plain join here), and a page of
 * packages by id in the order given (json_each → jsonb_array_elements_text WITH ORDINALITY).
 */
export const LISTING_BOOST_SQL = `(1.0 + ${BOOST.popularity} * coalesce(d.popularity, 0)) * (1.0 + ${BOOST.recency} / (1.0 + greatest(0.0, shelf_julianday(@now::text) - shelf_julianday(p.modified_at)) / ${BOOST.recencyDays}.0))`;
export const LISTING_BY_POPULARITY_FROM = 'package_downloads d JOIN packages p ON p.id = d.package_id';
export const PACKAGES_BY_IDS_FROM =
  'jsonb_array_elements_text(?::jsonb) WITH ORDINALITY j(value, n) JOIN packages p ON p.id = j.value::bigint';

// ---------------------------------------------------------------------------------------------------------------------

function params(scope: MatchScope, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const p: Record<string, unknown> = { ...ftsMatch(scope.match).params, ...extra };
  if (typeof scope.restricted === 'object') p.uid = scope.restricted.maintainedBy;
  if (scope.namePrefix !== undefined) {
    p.nameLo = scope.namePrefix;
    p.nameHi = `${scope.namePrefix}\u{10ffff}`;
  }
  if (scope.category !== undefined) p.category = scope.category;
  return p;
}

/** The WHERE clause of a range (on search_index s): the match, the key range and the per-package filters. */
function where(scope: MatchScope, range: KeyRange, bounds: { after?: string; before?: string } = {}): string {
  const parts = [ftsMatch(scope.match).condition, 's.rank_key IS NOT NULL'];
  if (bounds.after !== undefined)
    parts.push(range.lo === '0' ? `s.rank_key > ${bounds.after}` : `s.rank_key > greatest(${range.lo} - 1, ${bounds.after})`);
  else if (range.lo !== '0') parts.push(`s.rank_key >= ${range.lo}`);
  parts.push(bounds.before !== undefined ? `s.rank_key < least(${range.hi}, ${bounds.before})` : `s.rank_key < ${range.hi}`);
  if (range.maintainersOnly) parts.push('s.package_id IN (SELECT package_id FROM maintainers WHERE user_id = @uid)');
  if (scope.namePrefix !== undefined)
    parts.push(`s.package_id IN (SELECT id FROM packages WHERE lower(name) COLLATE "C" >= @nameLo AND lower(name) COLLATE "C" < @nameHi)`);
  if (scope.category !== undefined) parts.push('s.package_id IN (SELECT package_id FROM package_categories WHERE category = @category)');
  return parts.join(' AND ');
}

const nthKey = (scope: MatchScope, range: KeyRange, i: number) =>
  `(SELECT s.rank_key FROM search_index s WHERE ${where(scope, range)} ORDER BY s.rank_key LIMIT 1 OFFSET @n${i})`;

const num = (value: unknown): number => Number(value);

export async function countMatches(db: Db, scope: MatchScope, ranges: KeyRange[], rowsHolding?: number): Promise<number[]> {
  const filtered = scope.namePrefix !== undefined || scope.category !== undefined;
  const counts: number[] = [];
  for (const range of ranges) {
    if (rowsHolding !== undefined && !filtered && range.lo === '0') counts.push(rowsHolding - (await countNotPublic(db, scope.match)));
    else {
      const row = await db.get<{ n: unknown }>(`SELECT count(*) AS n FROM search_index s WHERE ${where(scope, range)}`, params(scope));
      counts.push(num(row?.n ?? 0));
    }
  }
  return counts;
}

/** See storage/db/search.ts: every match that can be among the `need` best by exact score, within the windows. */
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
  const rank = RANK(ftsMatch(scope.match).rankQuery);
  const parts = ranges.map((range, i) => {
    const window = windows[i];
    if (window !== undefined) extra[`n${i}`] = window - 1;
    const bounds = window === undefined ? {} : { before: `${nthKey(scope, range, i)} + 1` };
    return `SELECT s.rank_key AS key, ${rank} AS relevance FROM search_index s WHERE ${where(scope, range, bounds)}`;
  });
  const rows = await db.all<{ id: unknown; relevance: unknown }>(
    `WITH matched AS MATERIALIZED (${parts.join(' UNION ALL ')}),
     scored AS MATERIALIZED (SELECT key, relevance, ${keyScore('relevance', 'key')} AS key_score FROM matched)
     SELECT ${idOf('key')} AS id, relevance FROM scored
     WHERE key_score * ${keyScoreSlack('key')} <= coalesce((SELECT key_score FROM scored ORDER BY key_score LIMIT 1 OFFSET @need), 0.0)
     ORDER BY key_score LIMIT @cap`,
    params(scope, extra),
  );
  return rows.map((r) => ({ id: num(r.id), relevance: num(r.relevance) }));
}

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
  const extra: Record<string, unknown> = { except: exceptId, limit, offset };
  if (skip > 0) extra.n0 = skip - 1;
  const rows = await db.all<{ id: unknown; relevance: unknown }>(
    `SELECT s.package_id AS id, ${RANK(ftsMatch(scope.match).rankQuery)} AS relevance FROM search_index s
     WHERE ${where(scope, range, bounds)} AND s.package_id <> @except ORDER BY s.rank_key LIMIT @limit OFFSET @offset`,
    params(scope, extra),
  );
  return rows.map((r) => ({ id: num(r.id), relevance: num(r.relevance) }));
}

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
  const rank = RANK(ftsMatch(scope.match).rankQuery);
  for (const [i, range] of ranges.entries()) {
    const count = counts[i] ?? 0;
    if (count === 0) {
      taken.push(0);
      continue;
    }
    const bounds =
      count > need
        ? {
            before: `((((SELECT s.rank_key FROM search_index s WHERE ${where(scope, range)} ORDER BY s.rank_key LIMIT 1 OFFSET @need) >> 50) + 1) << 50)`,
          }
        : {};
    const extra: Record<string, unknown> = { cap };
    if (count > need) extra.need = need - 1;
    const rows = await db.all<{ id: unknown; relevance: unknown }>(
      `SELECT s.package_id AS id, ${rank} AS relevance FROM search_index s WHERE ${where(scope, range, bounds)} ORDER BY s.rank_key LIMIT @cap`,
      params(scope, extra),
    );
    candidates.push(...rows.map((r) => ({ id: num(r.id), relevance: num(r.relevance) })));
    taken.push(rows.length);
  }
  return { candidates, taken };
}

export async function relevanceOf(
  db: Db,
  scope: MatchScope,
  ranges: KeyRange[],
  packageId: number,
): Promise<{ relevance: number; range: number } | undefined> {
  for (const [i, range] of ranges.entries()) {
    const row = await db.get<{ relevance: unknown }>(
      `SELECT ${RANK(ftsMatch(scope.match).rankQuery)} AS relevance FROM search_index s WHERE ${where(scope, range)} AND s.package_id = @id`,
      params(scope, { id: packageId }),
    );
    if (row) return { relevance: num(row.relevance), range: i };
  }
  return undefined;
}

export async function relevanceOfMany(db: Db, scope: MatchScope, ranges: KeyRange[], ids: number[]): Promise<Map<number, number>> {
  const found = new Map<number, number>();
  if (ids.length === 0) return found;
  for (const range of ranges) {
    const rows = await db.all<{ id: unknown; relevance: unknown }>(
      `SELECT s.package_id AS id, ${RANK(ftsMatch(scope.match).rankQuery)} AS relevance FROM search_index s
       WHERE ${where(scope, range)} AND s.package_id IN (SELECT value::bigint FROM jsonb_array_elements_text(@ids::jsonb))`,
      params(scope, { ids: JSON.stringify(ids) }),
    );
    for (const r of rows) found.set(num(r.id), num(r.relevance));
  }
  return found;
}

export async function idsInPackageOrder(
  db: Db,
  scope: MatchScope,
  ranges: KeyRange[],
  order: 'name' | 'newest',
  offset: number,
  limit: number,
): Promise<number[]> {
  const parts = ranges.map((range) => `SELECT s.package_id AS id FROM search_index s WHERE ${where(scope, range)}`);
  const orderBy = order === 'name' ? 'p.name COLLATE "C" ASC' : 'p.modified_at COLLATE "C" DESC, p.id DESC';
  const rows = await db.all<{ id: unknown }>(
    `SELECT p.id AS id FROM (${parts.join(' UNION ALL ')}) m JOIN packages p ON p.id = m.id ORDER BY ${orderBy} LIMIT @limit OFFSET @offset`,
    params(scope, { limit, offset }),
  );
  return rows.map((r) => num(r.id));
}

/**
 * Words in the index that start with a prefix, with how many rows hold each, if there are at most `max` of them:
 * ts_stat over the rows holding the prefix (the GIN index finds them), as fts5vocab lists the index's words.
 */
export async function termsWithPrefix(
  db: Db,
  prefix: string,
  max: number,
  beyondPrefix = false,
): Promise<{ term: string; rows: number }[] | undefined> {
  const found = await db.all<{ term: string; rows: unknown }>(
    `SELECT word AS term, ndoc AS rows
     FROM ts_stat(format('SELECT document FROM search_index WHERE rank_key IS NOT NULL AND document @@ to_tsquery(%L, %L)', 'simple', @pattern::text))
     WHERE word COLLATE "C" ${beyondPrefix ? '>' : '>='} @lo AND word COLLATE "C" < @hi ORDER BY word COLLATE "C" LIMIT @limit`,
    { pattern: `'${prefix.replace(/\\/g, '\\\\').replace(/'/g, "''")}':*`, lo: prefix, hi: `${prefix}\u{10ffff}`, limit: max + 1 },
  );
  return found.length > max ? undefined : found.map((r) => ({ term: r.term, rows: num(r.rows) }));
}

export async function countNotPublic(db: Db, match: string): Promise<number> {
  const translated = ftsMatch(match);
  const row = await db.get<{ n: unknown }>(
    `SELECT count(*) AS n FROM search_index s WHERE ${translated.condition} AND s.rank_key >= ${PUBLIC_END}`,
    translated.params,
  );
  return num(row?.n ?? 0);
}

export async function rankingRows(db: Db, ids: number[]): Promise<RankingRow[]> {
  if (ids.length === 0) return [];
  const rows = await db.all<{ id: unknown; name: string; modified_at: string; popularity: unknown; downloads: unknown }>(
    `SELECT p.id, p.name, p.modified_at, coalesce(d.popularity, 0) AS popularity, coalesce(d.total, 0) AS downloads
     FROM jsonb_array_elements_text(@ids::jsonb) j JOIN packages p ON p.id = j.value::bigint
     LEFT JOIN package_downloads d ON d.package_id = p.id`,
    { ids: JSON.stringify(ids) },
  );
  return rows.map((r) => ({ ...r, id: num(r.id), popularity: num(r.popularity), downloads: num(r.downloads) }));
}

export async function packageIdByLowerName(db: Db, lowerName: string): Promise<number | undefined> {
  const row = await db.get<{ id: unknown }>('SELECT id FROM packages WHERE lower(name) = ?', [lowerName]);
  return row ? num(row.id) : undefined;
}
