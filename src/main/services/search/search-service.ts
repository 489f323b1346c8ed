// Package search over the FTS5 index: npm's qualifiers, phrases, -exclusions and OR; bm25 scaled by popularity and recency, exact names first.
import type { MetadataDb } from '../../storage/sql/port';
import { findVersion, getDistTags, listMaintainers, type PackageRow } from '../../storage/db/packages';
import * as sqliteSearch from '../../storage/db/search';
import { BOOST, MATCHING_PACKAGE_IDS, keyRanges, type KeyRange, type MatchScope } from '../../storage/db/search';
import * as pgSearch from '../../storage/postgres/search';
import { findUserById } from '../../storage/db/users';
import { packagesByNamePrefix } from '../../storage/db/api-queries';
import type { Principal } from '../auth/principal';
import type { PackageContext } from '../packages/context';

export interface SearchQuery {
  text: string;
  size: number;
  from: number;
}

export interface SearchHit {
  package: {
    name: string;
    version: string;
    description: string;
    keywords: string[];
    date: string;
    links: { npm?: string; homepage?: string; repository?: string; bugs?: string };
    publisher: { username: string; email: string };
    maintainers: { username: string; email: string }[];
  };
  score: { final: number; detail: { quality: number; popularity: number; maintenance: number } };
  searchScore: number;
}

interface ParsedQuery {
  /** Plain words, in order: the exact-name candidate and the terms a name match is judged on. */
  words: string[];
  columnTerms: string[];
  scope?: string;
  /** The FTS5 expression every result must match (words, phrases, OR groups, qualifiers); empty matches everything. */
  match: string;
  /** Terms no result may match. */
  exclude: string[];
}

export type SearchSort = 'relevance' | 'downloads' | 'newest' | 'name';

export interface SearchFilter {
  text: string;
  offset: number;
  limit: number;
  sort?: SearchSort;
  /** Only packages with this keyword. */
  keyword?: string;
  /** Only packages filed under this category. */
  category?: string;
}

export interface RankedPackage extends PackageRow {
  /** Combined score (bm25 scaled by popularity and recency); lower is better, as with bm25. */
  rank: number;
  downloads: number;
}

const quote = (term: string): string => `"${term.replace(/"/g, '""')}"`;

/** Text with nothing the tokenizer keeps (no letter or digit) would be an empty phrase, which matches nothing. */
const hasWordCharacters = (text: string): boolean => /[\p{L}\p{N}]/u.test(text);

/** Splits a query into words, "quoted phrases", -exclusions, OR and qualifier:value tokens. */
function lex(text: string): string[] {
  return text.match(/-?"[^"]*"?|\S+/g) ?? [];
}

/** A plain word as an FTS5 expression: every indexed word that starts with it. */
const prefixOf = (word: string): string => `${quote(word)}*`;

/**
 * @param wordMatch how a plain word becomes an FTS5 expression (by default a prefix query); the search service expands
 *   prefixes against the index's own word list.
 */
export function parseSearchText(text: string, wordMatch: (word: string) => string = prefixOf): ParsedQuery {
  const parsed: ParsedQuery = { words: [], columnTerms: [], match: '', exclude: [] };
  // Clauses are ANDed; `a OR b` joins the clauses on either side of it.
  const clauses: string[] = [];
  let orPending = false;
  const addClause = (clause: string) => {
    if (orPending && clauses.length > 0) clauses.push(`(${clauses.pop()!} OR ${clause})`);
    else clauses.push(clause);
    orPending = false;
  };
  for (const token of lex(text.trim())) {
    if (token === 'OR') {
      orPending = clauses.length > 0;
      continue;
    }
    const negative = token.length > 1 && token.startsWith('-');
    const body = negative ? token.slice(1) : token;
    if (body.startsWith('"')) {
      const phrase = body.replace(/^"|"$/g, '').trim();
      if (!hasWordCharacters(phrase)) continue;
      if (negative) parsed.exclude.push(quote(phrase));
      else addClause(quote(phrase));
      continue;
    }
    const match = /^(author|maintainer|scope|keywords|is|not):(.*)$/i.exec(body);
    if (!match) {
      if (!hasWordCharacters(body)) continue;
      if (negative) {
        parsed.exclude.push(quote(body));
      } else {
        parsed.words.push(body);
        addClause(wordMatch(body));
      }
      continue;
    }
    const [, qualifier, value] = match as unknown as [string, string, string];
    if (!value) continue;
    let term: string | undefined;
    switch (qualifier.toLowerCase()) {
      case 'author':
        term = `author : ${quote(value)}`;
        break;
      case 'maintainer':
        term = `maintainers : ${quote(value)}`;
        break;
      case 'keywords':
        // npm's keywords:a,b means any of them; FTS5 spells that with OR.
        term = `keywords : (${value.split(',').filter(hasWordCharacters).map(quote).join(' OR ')})`;
        if (!value.split(',').some(hasWordCharacters)) term = undefined;
        break;
      case 'scope':
        parsed.scope = value.startsWith('@') ? value : `@${value}`;
        break;
      default:
        // is:/not: (unstable, insecure, deprecated…) need data Shelf does not score yet; they narrow nothing.
        break;
    }
    if (term) {
      if (negative) parsed.exclude.push(`(${term})`);
      else {
        parsed.columnTerms.push(term);
        addClause(term);
      }
    }
  }
  parsed.match = clauses.join(' AND ');
  return parsed;
}

/**
 * How many matches are ranked by relevance. bm25 costs about a microsecond a row (plus one pass over each word's
 * postings), so a word found in 90,000 packages cannot be ranked whole in the 20 ms a search may take. The index is
 * keyed most popular first, so the window is a query's RANKED_WINDOW most popular matches (per visibility class), ranked
 * exactly; matches beyond it follow, most popular first. `total` always counts every match.
 */
export const RANKED_WINDOW = 2048;
/** A plain word expands to the indexed words it begins, if there are at most this many (else it stays a prefix query). */
const MAX_PREFIX_TERMS = 16;
const DAY_MS = 86_400_000;

// The same boost as exactScore, in SQL, for listings with no text to match.
const BOOST_SQL = `(1.0 + ${BOOST.popularity} * coalesce(d.popularity, 0)) * (1.0 + ${BOOST.recency} / (1.0 + max(0.0, julianday(@now) - julianday(p.modified_at)) / ${BOOST.recencyDays}.0))`;

/** bm25 scaled by popularity (log of downloads) and recency: equal text matches order by use, then by freshness. */
function exactScore(relevance: number, popularity: number, modifiedAt: string, nowMs: number): number {
  const modified = Date.parse(modifiedAt);
  const ageDays = Math.max(0, (nowMs - (Number.isNaN(modified) ? 0 : modified)) / DAY_MS);
  return relevance * (1 + BOOST.popularity * popularity) * (1 + BOOST.recency / (1 + ageDays / BOOST.recencyDays));
}

interface Scored {
  id: number;
  relevance: number;
  rank: number;
  downloads: number;
  modifiedAt: string;
}

const byRank = (a: Scored, b: Scored) => a.rank - b.rank || b.modifiedAt.localeCompare(a.modifiedAt) || b.id - a.id;
const byDownloads = (a: Scored, b: Scored) => b.downloads - a.downloads || a.rank - b.rank || b.id - a.id;

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

export class SearchService {
  constructor(
    private readonly db: MetadataDb,
    private readonly ctx: PackageContext,
    private readonly options: {
      rankedWindow?: number;
      /** Writes the download counts held in memory, which ranking reads (DownloadStats). */
      downloads?: { flush(): Promise<void> };
    } = {},
  ) {}

  /** The index's queries in this store's dialect: FTS5 on SQLite, tsvector and pg_trgm on PostgreSQL (same signatures). */
  private get queries(): typeof sqliteSearch | typeof pgSearch {
    return this.db.dialect === 'postgres' ? pgSearch : sqliteSearch;
  }

  /** The packages a query finds, one page of them in ranked order, and how many there are in all. */
  async find(filter: SearchFilter, principal: Principal | undefined): Promise<{ rows: RankedPackage[]; total: number }> {
    await this.options.downloads?.flush();
    // One read transaction: the count and the pages come from the same snapshot.
    return await this.db.transaction(
      async () => {
        const alone = lex(filter.text.trim()).length === 1 && !filter.keyword;
        // Each plain word is looked up in the index's word list first (a query), then the text is parsed with the answers.
        const matches = new Map<string, string>();
        for (const word of parseSearchText(filter.text).words) if (!matches.has(word)) matches.set(word, await this.wordMatch(word, alone));
        const parsed = parseSearchText(filter.text, (word) => matches.get(word) ?? prefixOf(word));
        const match = [parsed.match, filter.keyword ? `keywords : ${quote(filter.keyword)}` : ''].filter(Boolean).join(' AND ');
        try {
          return match ? await this.findMatching(parsed, match, filter, principal) : await this.findListing(parsed, filter, principal);
        } finally {
          this.rowsHolding.clear();
        }
      },
      { readOnly: true },
    );
  }

  /**
   * A plain word matches every indexed word it begins. FTS5 answers a prefix query by merging the postings of all those
   * words before it reads the first row, once per cursor; spelled out as an OR of the few words they are, rows stream.
   * @param alone the word is the whole query: its row count, which the word list gives, is then the total.
   */
  private async wordMatch(word: string, alone: boolean): Promise<string> {
    // Only a word the tokenizer keeps whole (ASCII letters and digits) is looked up; anything else stays a prefix query.
    if (!/^[A-Za-z0-9]+$/.test(word)) return prefixOf(word);
    const lower = word.toLowerCase();
    // Listing a word counts its rows; unless that count is wanted, the word itself is put in without listing it
    // (a word not in the index matches nothing), and only longer words are looked up.
    const terms = await this.queries.termsWithPrefix(this.db, lower, MAX_PREFIX_TERMS, !alone);
    if (!terms) return prefixOf(word);
    const words = alone ? terms : [{ term: lower, rows: undefined }, ...terms];
    if (words.length === 0) return prefixOf(word);
    if (words.length > 1) return `(${words.map((t) => quote(t.term)).join(' OR ')})`;
    const match = quote(words[0]!.term);
    if (words[0]!.rows !== undefined) this.rowsHolding.set(match, words[0]!.rows);
    return match;
  }

  /**
   * How many rows hold a one-word match, when the word list just said so: a query that is that word alone then needs
   * no second pass over the word's rows to count them.
   */
  private readonly rowsHolding = new Map<string, number>();

  private async findMatching(
    parsed: ParsedQuery,
    match: string,
    filter: SearchFilter,
    principal: Principal | undefined,
  ): Promise<{ rows: RankedPackage[]; total: number }> {
    const scope: MatchScope = {
      match: parsed.exclude.length > 0 ? `(${match}) NOT (${parsed.exclude.join(' OR ')})` : match,
      restricted: !principal ? 'none' : principal.user.isAdmin ? 'all' : { maintainedBy: principal.user.id },
      namePrefix: parsed.scope ? `${parsed.scope.toLowerCase()}/` : undefined,
      category: filter.category,
    };
    const ranges = keyRanges(scope);
    const counts = await this.queries.countMatches(this.db, scope, ranges, this.rowsHolding.get(scope.match));
    const total = sum(counts);
    const nowMs = this.ctx.now().getTime();
    let page: { id: number; relevance: number }[] = [];
    if (total > filter.offset) {
      const sort = filter.sort ?? 'relevance';
      if (sort === 'relevance') page = await this.pageByRelevance(scope, ranges, counts, parsed, filter, nowMs);
      else if (sort === 'downloads') page = await this.pageByDownloads(scope, ranges, counts, filter, nowMs);
      else {
        const ids = await this.queries.idsInPackageOrder(this.db, scope, ranges, sort, filter.offset, filter.limit);
        const relevance = await this.queries.relevanceOfMany(this.db, scope, ranges, ids);
        page = ids.map((id) => ({ id, relevance: relevance.get(id) ?? 0 }));
      }
    }
    return { rows: await this.packages(page, nowMs), total };
  }

  /** Exact scores (and what the orders need) for first-stage rows. */
  private async scored(rows: { id: number; relevance: number }[], nowMs: number): Promise<Scored[]> {
    const info = new Map(
      (
        await this.queries.rankingRows(
          this.db,
          rows.map((r) => r.id),
        )
      ).map((r) => [r.id, r]),
    );
    return rows.flatMap((r) => {
      const row = info.get(r.id);
      if (!row) return [];
      const rank = exactScore(r.relevance, row.popularity, row.modified_at, nowMs);
      return [{ id: r.id, relevance: r.relevance, rank, downloads: row.downloads, modifiedAt: row.modified_at }];
    });
  }

  /**
   * Relevance order: the exact name first, then the ranked window by bm25 × boost, then the rest in key order. Inside
   * the window, `contenders` picks from the key scores (no join, no date parsing) every row that can reach the page,
   * and only those are scored exactly.
   */
  private async pageByRelevance(
    scope: MatchScope,
    ranges: KeyRange[],
    counts: number[],
    parsed: ParsedQuery,
    filter: SearchFilter,
    nowMs: number,
  ): Promise<{ id: number; relevance: number }[]> {
    const window = this.options.rankedWindow ?? RANKED_WINDOW;
    const windows = counts.map((n) => (n > window ? window : undefined));
    const windowSize = sum(counts.map((n) => Math.min(n, window)));
    const need = filter.offset + filter.limit;
    const exactName = parsed.words.join(' ').toLowerCase();
    const exactId = exactName ? await this.queries.packageIdByLowerName(this.db, exactName) : undefined;
    // One more than the page needs: the exact name, if it is among them, is taken out of the ranked rows.
    const scored = await this.scored(
      await this.queries.contenders(this.db, scope, ranges, windows, nowMs / DAY_MS, need + 1, windowSize),
      nowMs,
    );
    let pinned: { id: number; relevance: number } | undefined = scored.find((s) => s.id === exactId);
    const ranked = scored.filter((s) => s.id !== exactId).sort(byRank);
    let pinnedRange: number | undefined;
    if (exactId !== undefined && !pinned) {
      // The exact name lies beyond the window (or does not match): it is still first if it matches.
      const found = await this.queries.relevanceOf(this.db, scope, ranges, exactId);
      if (found) {
        pinned = { id: exactId, relevance: found.relevance };
        pinnedRange = found.range;
      }
    }
    const list: { id: number; relevance: number }[] = pinned ? [pinned, ...ranked] : ranked;
    const page = list.slice(filter.offset, need);
    // contenders returns the whole window once the page reaches past it; only then do unranked rows follow.
    if (page.length === filter.limit || need < windowSize) return page;
    const rest = await this.beyond(
      scope,
      ranges,
      counts,
      windows,
      pinned?.id,
      pinnedRange,
      Math.max(0, filter.offset - list.length),
      filter.limit - page.length,
    );
    return [...page, ...rest];
  }

  /**
   * Most downloaded first (then relevance): downloadCandidates holds every match that can be among the page's rows
   * (whole popularity buckets), up to the ranked window; what lies past a full window follows in key order.
   */
  private async pageByDownloads(
    scope: MatchScope,
    ranges: KeyRange[],
    counts: number[],
    filter: SearchFilter,
    nowMs: number,
  ): Promise<{ id: number; relevance: number }[]> {
    const window = this.options.rankedWindow ?? RANKED_WINDOW;
    const need = filter.offset + filter.limit;
    const { candidates, taken } = await this.queries.downloadCandidates(this.db, scope, ranges, counts, need, Math.max(window, need));
    const list = (await this.scored(candidates, nowMs)).sort(byDownloads);
    const page = list.slice(filter.offset, need);
    if (page.length === filter.limit) return page;
    return [
      ...page,
      ...(await this.beyond(
        scope,
        ranges,
        counts,
        taken,
        undefined,
        undefined,
        Math.max(0, filter.offset - list.length),
        filter.limit - page.length,
      )),
    ];
  }

  /** Rows past each range's first `skips[i]` rows, in key order, range after range: the unranked rest of a listing. */
  private async beyond(
    scope: MatchScope,
    ranges: KeyRange[],
    counts: number[],
    skips: (number | undefined)[],
    exceptId: number | undefined,
    exceptRange: number | undefined,
    offset: number,
    limit: number,
  ): Promise<{ id: number; relevance: number }[]> {
    const rows: { id: number; relevance: number }[] = [];
    for (const [i, range] of ranges.entries()) {
      const skip = skips[i];
      if (skip === undefined || rows.length >= limit) continue;
      const size = (counts[i] ?? 0) - skip - (exceptRange === i ? 1 : 0);
      if (offset >= size) {
        offset -= size;
        continue;
      }
      rows.push(...(await this.queries.inKeyOrder(this.db, scope, range, skip, exceptId ?? -1, offset, limit - rows.length)));
      offset = 0;
    }
    return rows;
  }

  /** The page's packages, with their downloads and exact score. */
  private async packages(page: { id: number; relevance: number }[], nowMs: number): Promise<RankedPackage[]> {
    if (page.length === 0) return [];
    const byIds = this.db.dialect === 'postgres' ? pgSearch.PACKAGES_BY_IDS_FROM : 'json_each(?) j CROSS JOIN packages p ON p.id = j.value';
    const rows = (await this.db.all(
      `SELECT p.*, coalesce(d.total, 0) AS downloads, coalesce(d.popularity, 0) AS popularity
         FROM ${byIds} LEFT JOIN package_downloads d ON d.package_id = p.id`,
      [JSON.stringify(page.map((p) => p.id))],
    )) as (PackageRow & { downloads: number; popularity: number })[];
    const byId = new Map(rows.map((r) => [r.id, r]));
    return page.flatMap(({ id, relevance }) => {
      const row = byId.get(id);
      if (!row) return [];
      const { popularity, ...pkg } = row;
      return [{ ...pkg, rank: exactScore(relevance, popularity, row.modified_at, nowMs) }];
    });
  }

  /** No text to match: every visible package (less any -exclusions), by popularity, recency or name. */
  private async findListing(
    parsed: ParsedQuery,
    filter: SearchFilter,
    principal: Principal | undefined,
  ): Promise<{ rows: RankedPackage[]; total: number }> {
    const params: Record<string, unknown> = {
      now: this.ctx.now().toISOString(),
      limit: filter.limit,
      offset: filter.offset,
    };
    const conditions = ['p.id NOT IN (SELECT package_id FROM unlisted_packages)'];
    const filtered = parsed.exclude.length > 0 || parsed.scope !== undefined || Boolean(filter.category);
    // Restricted packages: an admin sees all, a user those they maintain, an anonymous caller none.
    if (!principal) conditions.push("p.access = 'public'");
    else if (!principal.user.isAdmin) {
      conditions.push("(p.access = 'public' OR p.id IN (SELECT package_id FROM maintainers WHERE user_id = @uid))");
      params.uid = principal.user.id;
    }
    const postgres = this.db.dialect === 'postgres';
    if (parsed.exclude.length > 0) {
      if (postgres) {
        const excluded = pgSearch.matchingPackageIds(parsed.exclude.join(' OR '));
        conditions.push(`p.id NOT IN (${excluded.sql})`);
        Object.assign(params, excluded.params);
      } else {
        conditions.push(`p.id NOT IN (${MATCHING_PACKAGE_IDS})`);
        params.match = parsed.exclude.join(' OR ');
      }
    }
    if (parsed.scope) {
      conditions.push("p.name LIKE @scopePrefix ESCAPE '\\'");
      params.scopePrefix = `${parsed.scope.replace(/[%_\\]/g, '\\$&')}/%`;
    }
    if (filter.category) {
      conditions.push('p.id IN (SELECT package_id FROM package_categories WHERE category = @category)');
      params.category = filter.category;
    }
    const where = `WHERE ${conditions.join(' AND ')}`;
    const sort = filter.sort ?? 'relevance';
    let order: string;
    if (sort === 'downloads') order = 'downloads DESC, rank ASC, p.id DESC';
    else if (sort === 'newest') order = 'p.modified_at DESC, p.id DESC';
    else if (sort === 'name') order = 'p.name ASC';
    // "Relevance" is popularity then recency, which the package_downloads index answers directly (CROSS JOIN keeps
    // that index as the outer loop, so the scan stops at the page instead of sorting every public package).
    else order = 'd.total DESC, d.package_id DESC';
    const from =
      sort === 'relevance'
        ? postgres
          ? pgSearch.LISTING_BY_POPULARITY_FROM
          : 'package_downloads d CROSS JOIN packages p ON p.id = d.package_id'
        : 'packages p LEFT JOIN package_downloads d ON d.package_id = p.id';
    const boost = postgres ? pgSearch.LISTING_BOOST_SQL : BOOST_SQL;
    const rows = (await this.db.all(
      `SELECT p.*, coalesce(d.total, 0) AS downloads, -1.0 * ${boost} AS rank FROM ${from} ${where} ORDER BY ${order} LIMIT @limit OFFSET @offset`,
      params,
    )) as RankedPackage[];
    const countParams = { ...params };
    delete countParams.limit;
    delete countParams.offset;
    delete countParams.now;
    // With nothing but visibility to check: all packages (SQLite counts a table without reading its rows), less the
    // restricted and unlisted ones (index ranges, few), plus the restricted ones this caller may see.
    const countSql = !filtered
      ? `SELECT (SELECT count(*) FROM packages) - (SELECT count(*) FROM packages WHERE access = 'restricted')
             - (SELECT count(*) FROM unlisted_packages u ${postgres ? 'JOIN' : 'CROSS JOIN'} packages p ON p.id = u.package_id WHERE p.access = 'public')
             + (SELECT count(*) FROM packages p WHERE p.access = 'restricted' AND ${conditions.join(' AND ')}) AS n`
      : `SELECT count(*) AS n FROM packages p ${where}`;
    const total = ((await this.db.get(countSql, countParams)) as { n: number }).n;
    return { rows, total };
  }

  /** Packages whose names start with a prefix, most downloaded first (autocomplete). */
  async byNamePrefix(prefix: string, limit: number): Promise<(PackageRow & { downloads: number })[]> {
    await this.options.downloads?.flush();
    return packagesByNamePrefix(this.db, prefix, limit);
  }

  /** npm's /-/v1/search. */
  async search(query: SearchQuery, principal: Principal | undefined): Promise<{ objects: SearchHit[]; total: number }> {
    const { rows, total } = await this.find({ text: query.text, offset: query.from, limit: query.size }, principal);
    const best = Math.min(...rows.map((r) => r.rank), 0);
    const most = Math.max(...rows.map((r) => r.downloads), 0);
    // Anonymous callers get names only: an email address is for people who have an account here.
    return { objects: await Promise.all(rows.map((row) => this.hit(row, best, most, principal !== undefined))), total };
  }

  private async hit(pkg: RankedPackage, best: number, most: number, withEmails: boolean): Promise<SearchHit> {
    const tags = await getDistTags(this.db, pkg.id);
    const row = await findVersion(this.db, pkg.id, tags.latest ?? '');
    const manifest = (row ? JSON.parse(row.manifest) : {}) as Record<string, unknown>;
    const publisher = row?.published_by ? await findUserById(this.db, row.published_by) : undefined;
    const maintainers = (await listMaintainers(this.db, pkg.id)).map((m) => ({
      username: m.name,
      email: withEmails ? (m.email ?? '') : '',
    }));
    const repository = manifest.repository as { url?: string } | string | undefined;
    const bugs = manifest.bugs as { url?: string } | string | undefined;
    // bm25 is negative and unbounded; scale against the best hit on the page so scores read as 0..1.
    const relevance = best < 0 ? Math.min(1, pkg.rank / best) : 1;
    return {
      package: {
        name: pkg.name,
        version: row?.version ?? '',
        description: typeof manifest.description === 'string' ? manifest.description : '',
        keywords: Array.isArray(manifest.keywords)
          ? (manifest.keywords as unknown[]).filter((k): k is string => typeof k === 'string')
          : [],
        date: row?.published_at ?? pkg.modified_at,
        links: {
          npm: `${this.ctx.baseUrl()}${pkg.name}`,
          ...(typeof manifest.homepage === 'string' && { homepage: manifest.homepage }),
          ...(repository && { repository: typeof repository === 'string' ? repository : repository.url }),
          ...(bugs && { bugs: typeof bugs === 'string' ? bugs : bugs.url }),
        },
        publisher: { username: publisher?.name ?? maintainers[0]?.username ?? '', email: withEmails ? (publisher?.email ?? '') : '' },
        maintainers,
      },
      score: { final: relevance, detail: { quality: relevance, popularity: most > 0 ? pkg.downloads / most : 0, maintenance: 0 } },
      searchScore: -pkg.rank,
    };
  }
}
