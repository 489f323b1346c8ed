// The services Shelf is made of, as the shells (HTTP, CLI, Electron) see them.
import type { AuthService } from './auth/auth-service';
import type { MirrorService } from './mirror/mirror-service';
import type { PackageService } from './packages/package-service';
import type { SearchService } from './search/search-service';

export interface Services {
  auth: AuthService;
  packages: PackageService;
  search: SearchService;
  mirror: MirrorService;
}
