// Search as the UI's Search screen lists it: one row per package, from the same ranking the npm search endpoint uses.
import type { CallResult } from '../../../shared/contract';
import type { Principal } from '../auth/principal';
import type { SearchService } from './search-service';

export async function searchForUi(
  search: SearchService,
  principal: Principal,
  query: { text: string; offset: number; limit: number },
): Promise<CallResult<'search.query'>> {
  const found = await search.search({ text: query.text, size: query.limit, from: query.offset }, principal);
  return {
    total: found.total,
    results: found.objects.map((hit) => ({
      name: hit.package.name,
      version: hit.package.version,
      description: hit.package.description || null,
      keywords: hit.package.keywords ?? [],
      author: hit.package.publisher?.username || null,
      date: hit.package.date,
      score: hit.searchScore,
    })),
  };
}
