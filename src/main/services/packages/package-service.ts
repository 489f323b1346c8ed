// PackageService: the public face of package operations, including telling apart the PUTs npm sends to one URL.
import { badRequest } from '../../errors';
import type { Principal } from '../auth/principal';
import { getAccess, scopePackages, setAccess, userPackages } from './access';
import type { PackageContext } from './context';
import { applyDeprecations } from './deprecate';
import { addDistTag, listDistTags, removeDistTag } from './dist-tags';
import { addOwner, listOwners, removeOwner, setOwners } from './owners';
import { publishVersion, type PublishResult } from './publish';
import { hotPackument, listPackageSummaries, openTarball, readPackument, readVersion } from './read';
import { confirmTarballRemoved, unpublishPackage, unpublishVersions } from './unpublish';

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

export type PackageUpdate =
  | { kind: 'published'; result: PublishResult }
  | { kind: 'deprecated'; changed: number }
  | { kind: 'unpublished'; versions: string[] }
  | { kind: 'owners' };

export class PackageService {
  constructor(readonly ctx: PackageContext) {}

  /**
   * PUT /<name> and PUT /<name>/-rev/<rev>. npm sends several operations here:
   * a body with a tarball attachment is a publish; without -rev, a body of versions is a deprecate;
   * with -rev, a body of versions is an unpublish of the missing ones, and a body of maintainers only is `npm owner`.
   */
  async update(principal: Principal | undefined, name: string, body: unknown, rev: string | undefined): Promise<PackageUpdate> {
    if (!isObject(body)) throw badRequest('the body must be a JSON object');
    const attachments = body._attachments;
    if (isObject(attachments) && Object.keys(attachments).length > 0) {
      return { kind: 'published', result: await publishVersion(this.ctx, principal, name, body) };
    }
    if (body.name !== undefined && body.name !== name) {
      throw badRequest(`the package name in the body ('${String(body.name)}') differs from the one in the URL ('${name}')`);
    }
    if (isObject(body.versions)) {
      if (rev === undefined) return { kind: 'deprecated', changed: await applyDeprecations(this.ctx, principal, name, body) };
      const keep = Object.keys(body.versions);
      const versions = await unpublishVersions(this.ctx, principal, name, keep, rev);
      if (versions.length === 0) await applyDeprecations(this.ctx, principal, name, body);
      return { kind: 'unpublished', versions };
    }
    if (Array.isArray(body.maintainers)) {
      const names = body.maintainers.map((m) => (isObject(m) && typeof m.name === 'string' ? m.name : ''));
      if (names.some((n) => n === '')) throw badRequest('every maintainer needs a name');
      await setOwners(this.ctx, principal, name, names, rev);
      return { kind: 'owners' };
    }
    throw badRequest('nothing to do: the body has no tarball, versions or maintainers; to publish use `npm publish`');
  }

  readPackument = (principal: Principal | undefined, name: string, abbreviated: boolean) =>
    readPackument(this.ctx, principal, name, abbreviated);
  hotPackument = (name: string, abbreviated: boolean) => hotPackument(this.ctx, name, abbreviated);
  readVersion = (principal: Principal | undefined, name: string, versionOrTag: string, baseUrl?: string) =>
    readVersion(this.ctx, principal, name, versionOrTag, baseUrl);
  openTarball = (principal: Principal | undefined, name: string, fileName: string) => openTarball(this.ctx, principal, name, fileName);
  list = (principal: Principal | undefined, offset: number, limit: number) => listPackageSummaries(this.ctx, principal, offset, limit);

  unpublishPackage = (principal: Principal | undefined, name: string, rev: string | undefined) =>
    unpublishPackage(this.ctx, principal, name, rev);
  confirmTarballRemoved = (principal: Principal | undefined, name: string, fileName: string) =>
    confirmTarballRemoved(this.ctx, principal, name, fileName);

  listDistTags = (principal: Principal | undefined, name: string) => listDistTags(this.ctx, principal, name);
  addDistTag = (principal: Principal | undefined, name: string, tag: string, version: unknown) =>
    addDistTag(this.ctx, principal, name, tag, version);
  removeDistTag = (principal: Principal | undefined, name: string, tag: string) => removeDistTag(this.ctx, principal, name, tag);

  listOwners = (principal: Principal | undefined, name: string) => listOwners(this.ctx, principal, name);
  addOwner = (principal: Principal | undefined, name: string, username: string) => addOwner(this.ctx, principal, name, username);
  removeOwner = (principal: Principal | undefined, name: string, username: string) => removeOwner(this.ctx, principal, name, username);

  getAccess = (principal: Principal | undefined, name: string) => getAccess(this.ctx, principal, name);
  setAccess = (principal: Principal | undefined, name: string, access: unknown) => setAccess(this.ctx, principal, name, access);
  scopePackages = (principal: Principal | undefined, scope: string) => scopePackages(this.ctx, principal, scope);
  userPackages = (principal: Principal | undefined, userId: number) => userPackages(this.ctx, principal, userId);
}
