// ApiService: the public face of the REST API's domain operations; the HTTP layer under /api/v1 calls only this.
import { badRequest, notFound } from '../../errors';
import { listVersions } from '../../storage/db/packages';
import type { AuthService } from '../auth/auth-service';
import type { Principal } from '../auth/principal';
import type { PackageContext } from '../packages/context';
import type { DownloadStats } from '../packages/downloads';
import { grantScope, listScopeOwners, revokeScope } from '../packages/namespaces';
import { authorize } from '../packages/rights';
import { unpublishVersions } from '../packages/unpublish';
import { unyankVersion, yankVersion } from '../packages/yank';
import type { SearchService } from '../search/search-service';
import { ApiAccounts } from './api-accounts';
import { ApiCatalog } from './api-catalog';
import { addApiOwner, removeApiOwner } from './api-owners';
import { apiPublish, type ApiPublishInput } from './api-publish';
import { ApiSearch } from './api-search';

export class ApiService {
  readonly accounts: ApiAccounts;
  readonly catalog: ApiCatalog;
  readonly search: ApiSearch;

  constructor(
    private readonly ctx: PackageContext,
    auth: AuthService,
    searchService: SearchService,
    stats: DownloadStats,
  ) {
    this.accounts = new ApiAccounts(ctx.db, auth, ctx.now);
    this.catalog = new ApiCatalog(ctx, stats);
    this.search = new ApiSearch(ctx.db, ctx, searchService, this.catalog);
  }

  publish = (principal: Principal | undefined, input: ApiPublishInput) => apiPublish(this.ctx, principal, input);
  yank = (principal: Principal | undefined, name: string, version: string) => yankVersion(this.ctx, principal, name, version);
  unyank = (principal: Principal | undefined, name: string, version: string) => unyankVersion(this.ctx, principal, name, version);
  addOwner = (principal: Principal | undefined, name: string, body: Record<string, unknown>) =>
    addApiOwner(this.ctx, principal, name, body);
  removeOwner = (principal: Principal | undefined, name: string, username: string) => removeApiOwner(this.ctx, principal, name, username);

  /**
   * Hard deletion, unlike a yank, breaks every lockfile that names the version: it is the rights table's
   * 'unpublish-version' (as `npm unpublish name@version`), and the caller must repeat the exact name@version as confirmation.
   */
  async hardDelete(principal: Principal | undefined, name: string, version: string, confirm: string | undefined): Promise<void> {
    const { pkg, principal: p } = await authorize(this.ctx, principal, 'unpublish-version', name);
    if (confirm !== `${name}@${version}`)
      throw badRequest(`to delete ${name}@${version} for good, repeat it as ?confirm=${name}@${version}`);
    const all = (await listVersions(this.ctx.db, pkg.id)).map((v) => v.version);
    if (!all.includes(version)) throw notFound(`${name} has no version ${version}`);
    const keep = all.filter((v) => v !== version);
    if (keep.length === 0)
      throw badRequest(`${version} is the only version of ${name}; delete the whole package with \`npm unpublish ${name} --force\``);
    await unpublishVersions(this.ctx, p, name, keep, pkg.rev);
  }

  scopeOwners = (scope: string) => listScopeOwners(this.ctx, scope);
  grantScope = (principal: Principal | undefined, scope: string, username: unknown) => grantScope(this.ctx, principal, scope, username);
  revokeScope = (principal: Principal | undefined, scope: string, username: string) => revokeScope(this.ctx, principal, scope, username);
}
