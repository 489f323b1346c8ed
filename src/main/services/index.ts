// The services Shelf is made of, as the shells (HTTP, CLI, Electron) see them.
import type { ApiService } from './api/api-service';
import type { AuthService } from './auth/auth-service';
import type { Maintenance } from './maintenance/maintenance';
import type { MirrorService } from './mirror/mirror-service';
import type { DownloadStats } from './packages/downloads';
import type { PackageService } from './packages/package-service';
import type { PolicyService } from './policy/policy-service';
import type { SearchService } from './search/search-service';

export interface Services {
  auth: AuthService;
  packages: PackageService;
  search: SearchService;
  /** Download counts (npm tarball fetches and API downloads both count). */
  stats: DownloadStats;
  /** The REST API under /api/v1. */
  api: ApiService;
  mirror: MirrorService;
  /** The supply-chain policy at the mirror (docs/POLICY.md). */
  policy?: PolicyService;
  /** Background upkeep: the collector of unreferenced blobs and the free-space watch (absent in some test harnesses). */
  maintenance?: Maintenance;
}
