// Package search over the FTS5 index: npm's query qualifiers, bm25 ranking with exact-name matches first.
import type { Db } from '../../storage/db/connection';
import { findVersion, getDistTags, listMaintainers, type PackageRow } from '../../storage/db/packages';
import { findUserById } from '../../storage/db/users';
import type { Principal } from '../auth/principal';
import { canRead, type PackageContext } from '../packages/context';

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
  words: string[];
  columnTerms: string[];
  scope?: string;
}

const quote = (term: string): string => `"${term.replace(/"/g, '""')}"`;

export function parseSearchText(text: string): ParsedQuery {
  const parsed: ParsedQuery = { words: [], columnTerms: [] };
  for (const token of text.trim().split(/\s+/).filter(Boolean)) {
    const match = /^(author|maintainer|scope|keywords|is|not):(.*)$/i.exec(token);
    if (!match) {
      parsed.words.push(token);
      continue;
    }
    const [, qualifier, value] = match as unknown as [string, string, string];
    if (!value) continue;
    switch (qualifier.toLowerCase()) {
      case 'author':
        parsed.columnTerms.push(`author : ${quote(value)}`);
        break;
      case 'maintainer':
        parsed.columnTerms.push(`maintainers : ${quote(value)}`);
        break;
      case 'keywords':
        // npm's keywords:a,b means any of them; FTS5 spells that with OR.
        parsed.columnTerms.push(`keywords : (${value.split(',').filter(Boolean).map(quote).join(' OR ')})`);
        break;
      case 'scope':
        parsed.scope = value.startsWith('@') ? value : `@${value}`;
        break;
      default:
        // is:/not: (unstable, insecure, deprecated…) need data Shelf does not score yet; they narrow nothing.
        break;
    }
  }
  return parsed;
}

export class SearchService {
  constructor(
    private readonly db: Db,
    private readonly ctx: PackageContext,
  ) {}

  search(query: SearchQuery, principal: Principal | undefined): { objects: SearchHit[]; total: number } {
    const parsed = parseSearchText(query.text);
    const matchParts = [...parsed.words.map((w) => `${quote(w)}*`), ...parsed.columnTerms];
    const conditions: string[] = [];
    const params: Record<string, unknown> = {};
    let from = 'packages p';
    let rank = '0';
    if (matchParts.length > 0) {
      from = 'search_index s JOIN packages p ON p.id = s.rowid';
      conditions.push('search_index MATCH @match');
      params.match = matchParts.join(' AND ');
      // bm25 weights per column: name, description, keywords, author, maintainers, readme. Lower is better.
      rank = 'bm25(search_index, 10.0, 3.0, 5.0, 1.0, 1.0, 0.5)';
    }
    if (parsed.scope) {
      conditions.push("p.name LIKE @scopePrefix ESCAPE '\\'");
      params.scopePrefix = `${parsed.scope.replace(/[%_\\]/g, '\\$&')}/%`;
    }
    params.exact = parsed.words.join(' ').toLowerCase();
    const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
    const rows = this.db
      .prepare(
        `SELECT p.*, ${rank} AS rank FROM ${from} ${where}
         ORDER BY (lower(p.name) = @exact) DESC, rank ASC, p.modified_at DESC`,
      )
      .all(params) as (PackageRow & { rank: number })[];
    const visible = rows.filter((row) => canRead(this.ctx, row, principal));
    const page = visible.slice(query.from, query.from + query.size);
    const best = Math.min(...page.map((r) => r.rank), 0);
    return { objects: page.map((row) => this.hit(row, best)), total: visible.length };
  }

  private hit(pkg: PackageRow & { rank: number }, best: number): SearchHit {
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
        keywords: Array.isArray(manifest.keywords) ? (manifest.keywords as unknown[]).filter((k): k is string => typeof k === 'string') : [],
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
      score: { final: relevance, detail: { quality: relevance, popularity: 0, maintenance: 0 } },
      searchScore: -pkg.rank,
    };
  }
}
