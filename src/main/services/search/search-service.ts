// Package search over the FTS5 index: npm's qualifiers, phrases, -exclusions and OR; bm25 scaled by popularity and recency, exact names first.
import type { Db } from '../../storage/db/connection';
import { findVersion, getDistTags, listMaintainers, type PackageRow } from '../../storage/db/packages';
import { findUserById } from '../../storage/db/users';
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

/** Splits a query into words, "quoted phrases", -exclusions, OR and qualifier:value tokens. */
function lex(text: string): string[] {
  return text.match(/-?"[^"]*"?|\S+/g) ?? [];
}

export function parseSearchText(text: string): ParsedQuery {
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
      if (!phrase) continue;
      if (negative) parsed.exclude.push(quote(phrase));
      else addClause(quote(phrase));
      continue;
    }
    const match = /^(author|maintainer|scope|keywords|is|not):(.*)$/i.exec(body);
    if (!match) {
      if (negative) {
        parsed.exclude.push(quote(body));
      } else {
        parsed.words.push(body);
        addClause(`${quote(body)}*`);
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
        term = `keywords : (${value.split(',').filter(Boolean).map(quote).join(' OR ')})`;
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

// bm25 weights per column: name, description, keywords, author, maintainers, readme. Lower is better.
const BM25 = 'bm25(search_index, 10.0, 3.0, 5.0, 1.0, 1.0, 0.5)';
// Popularity (log of downloads) and recency scale relevance: equal text matches order by use, then by freshness.
const BOOST = '(1.0 + 0.3 * coalesce(d.popularity, 0)) * (1.0 + 0.2 / (1.0 + max(0.0, julianday(@now) - julianday(p.modified_at)) / 30.0))';

export class SearchService {
  constructor(
    private readonly db: Db,
    private readonly ctx: PackageContext,
  ) {}

  /** The packages a query finds, one page of them in ranked order, and how many there are in all. */
  find(filter: SearchFilter, principal: Principal | undefined): { rows: RankedPackage[]; total: number } {
    const parsed = parseSearchText(filter.text);
    const match = [parsed.match, filter.keyword ? `keywords : ${quote(filter.keyword)}` : ''].filter(Boolean).join(' AND ');
    const conditions = [
      'p.id NOT IN (SELECT package_id FROM unlisted_packages)',
      "(p.access = 'public' OR @admin = 1 OR p.id IN (SELECT package_id FROM maintainers WHERE user_id = @uid))",
    ];
    const params: Record<string, unknown> = {
      admin: principal?.user.isAdmin ? 1 : 0,
      uid: principal?.user.id ?? -1,
      now: this.ctx.now().toISOString(),
      exact: parsed.words.join(' ').toLowerCase(),
      limit: filter.limit,
      offset: filter.offset,
    };
    let from = 'packages p';
    let rank = `-1.0 * ${BOOST}`;
    if (match) {
      from = 'search_index s JOIN packages p ON p.id = s.rowid';
      conditions.push('search_index MATCH @match');
      params.match = parsed.exclude.length > 0 ? `(${match}) NOT (${parsed.exclude.join(' OR ')})` : match;
      rank = `${BM25} * ${BOOST}`;
    } else if (parsed.exclude.length > 0) {
      conditions.push('p.id NOT IN (SELECT rowid FROM search_index WHERE search_index MATCH @exclude)');
      params.exclude = parsed.exclude.join(' OR ');
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
    // With no text to match, "relevance" is popularity then recency, which the package_downloads index answers directly.
    else if (!match) order = 'd.total DESC, d.package_id DESC';
    else order = '(lower(p.name) = @exact) DESC, rank ASC, p.modified_at DESC';
    const fromWithStats =
      !match && sort === 'relevance'
        ? `package_downloads d JOIN packages p ON p.id = d.package_id`
        : `${from} LEFT JOIN package_downloads d ON d.package_id = p.id`;
    const rows = this.db
      .prepare(
        `SELECT p.*, coalesce(d.total, 0) AS downloads, ${rank} AS rank FROM ${fromWithStats} ${where} ORDER BY ${order} LIMIT @limit OFFSET @offset`,
      )
      .all(params) as RankedPackage[];
    const countParams = { ...params };
    delete countParams.limit;
    delete countParams.offset;
    delete countParams.now;
    delete countParams.exact;
    const total = (this.db.prepare(`SELECT count(*) AS n FROM ${from} ${where}`).get(countParams) as { n: number }).n;
    return { rows, total };
  }

  /** npm's /-/v1/search. */
  search(query: SearchQuery, principal: Principal | undefined): { objects: SearchHit[]; total: number } {
    const { rows, total } = this.find({ text: query.text, offset: query.from, limit: query.size }, principal);
    const best = Math.min(...rows.map((r) => r.rank), 0);
    const most = Math.max(...rows.map((r) => r.downloads), 0);
    return { objects: rows.map((row) => this.hit(row, best, most)), total };
  }

  private hit(pkg: RankedPackage, best: number, most: number): SearchHit {
    const tags = getDistTags(this.db, pkg.id);
    const row = findVersion(this.db, pkg.id, tags.latest ?? '');
    const manifest = (row ? JSON.parse(row.manifest) : {}) as Record<string, unknown>;
    const publisher = row?.published_by ? findUserById(this.db, row.published_by) : undefined;
    const maintainers = listMaintainers(this.db, pkg.id).map((m) => ({ username: m.name, email: m.email ?? '' }));
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
        publisher: { username: publisher?.name ?? maintainers[0]?.username ?? '', email: publisher?.email ?? '' },
        maintainers,
      },
      score: { final: relevance, detail: { quality: relevance, popularity: most > 0 ? pkg.downloads / most : 0, maintenance: 0 } },
      searchScore: -pkg.rank,
    };
  }
}
