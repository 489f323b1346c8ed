// The Overview screen's activity: totals, the most downloaded packages, recent publishes and downloads per day, all
// counted over what the caller may see.
import type { ActivitySummary } from '../../../shared/schemas';
import type { Principal } from '../auth/principal';
import type { ApiCatalog } from './api-catalog';

export async function activitySummary(catalog: ApiCatalog, principal: Principal): Promise<ActivitySummary> {
  const stats = await catalog.registryStats(principal);
  const recent = await catalog.recent(principal, 10);
  const daily = new Map<string, number>();
  for (const top of stats.top_packages) {
    for (const d of (await catalog.packageStats(principal, top.name)).downloads.daily)
      daily.set(d.date, (daily.get(d.date) ?? 0) + d.count);
  }
  return {
    totals: { packages: stats.packages.total, versions: stats.packages.versions, downloads: stats.packages.downloads, users: stats.users },
    topPackages: stats.top_packages,
    recentPublishes: recent.map((p) => ({ name: p.name, version: p.version ?? '', date: p.updated_at ?? '' })),
    daily: [...daily.entries()].map(([date, count]) => ({ date, count })).sort((a, b) => a.date.localeCompare(b.date)),
  };
}
