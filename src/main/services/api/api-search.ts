// Search through the REST API: the shared ranked search, shaped as the API's results, plus name autocompletion.
import { badRequest } from '../../errors';
import type { MetadataDb } from '../../storage/sql/port';
import { findVersion } from '../../storage/db/packages';
import type { Principal } from '../auth/principal';
import { canRead, type PackageContext } from '../packages/context';
import type { SearchService, SearchSort } from '../search/search-service';
import type { ApiCatalog } from './api-catalog';
import { personName } from './api-catalog';

export interface ApiSearchParams {
  q?: string;
  limit?: string;
  offset?: string;
  sort?: string;
  keyword?: string;
  category?: string;
}

const SORTS: readonly SearchSort[] = ['relevance', 'downloads', 'newest', 'name'];

function wholeNumber(raw: string | undefined, field: string, fallback: number, min: number): number {
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw badRequest(`${field} must be a whole number, ${min} or more`);
  return n;
}

export class ApiSearch {
  constructor(
    private readonly db: MetadataDb,
    private readonly ctx: PackageContext,
    private readonly search: SearchService,
    private readonly catalog: ApiCatalog,
  ) {}

  async find(principal: Principal | undefined, params: ApiSearchParams) {
    const limit = Math.min(100, wholeNumber(params.limit, 'limit', 20, 1));
    const offset = wholeNumber(params.offset, 'offset', 0, 0);
    const sort = (params.sort ?? 'relevance') as SearchSort;
    if (!SORTS.includes(sort)) throw badRequest(`sort must be one of ${SORTS.join(', ')}`);
    const { rows, total } = await this.search.find(
      { text: params.q ?? '', limit, offset, sort, keyword: params.keyword || undefined, category: params.category || undefined },
      principal,
    );
    const best = Math.min(...rows.map((r) => r.rank), 0);
    const results = await Promise.all(
      rows.map(async (pkg) => {
        const latest = await this.catalog.latestVersion(pkg);
        const manifest = (latest ? JSON.parse(latest.manifest) : {}) as Record<string, unknown>;
        return {
          name: pkg.name,
          version: latest?.version ?? null,
          description: typeof manifest.description === 'string' ? manifest.description : null,
          keywords: Array.isArray(manifest.keywords) ? manifest.keywords.filter((k): k is string => typeof k === 'string') : [],
          author: personName(manifest.author),
          downloads: pkg.downloads,
          updated_at: pkg.modified_at,
          // bm25-based ranks are negative and unbounded; relative to the best on the page they read as 0..1.
          score: best < 0 ? Math.round((pkg.rank / best) * 1000) / 1000 : 1,
        };
      }),
    );
    return { results, packages: results, total, limit, offset };
  }

  /** Names starting with the typed prefix, most downloaded first. */
  async suggest(principal: Principal | undefined, q: string | undefined, limitRaw: string | undefined) {
    const limit = Math.min(25, wholeNumber(limitRaw, 'limit', 10, 1));
    const prefix = (q ?? '').trim();
    if (prefix === '') return { suggestions: [] };
    const readable = [];
    for (const pkg of await this.search.byNamePrefix(prefix, limit * 2)) {
      if (readable.length >= limit) break;
      if (await canRead(this.ctx, pkg, principal)) readable.push(pkg);
    }
    const suggestions = await Promise.all(
      readable.map(async (pkg) => {
        const tag = await this.catalog.latestVersion(pkg);
        const row = tag && (await findVersion(this.db, pkg.id, tag.version));
        const manifest = (row ? JSON.parse(row.manifest) : {}) as Record<string, unknown>;
        return {
          name: pkg.name,
          version: tag?.version ?? null,
          description: typeof manifest.description === 'string' ? manifest.description : null,
          downloads: pkg.downloads,
        };
      }),
    );
    return { suggestions };
  }
}
