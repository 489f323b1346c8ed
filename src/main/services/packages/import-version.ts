// Importing packages from another registry's storage (Verdaccio's): each version goes through the publish pipeline
// (the same checks, blob-before-row and one transaction), then the package's tags, readme, deprecations and people
// are made to match the source in one more transaction. Both steps are idempotent, so an interrupted import resumes.
import ssri from 'ssri';
import { conflict } from '../../errors';
import { setRole, type OwnerRole } from '../../storage/db/owner-roles';
import {
  addMaintainer,
  addScopeOwner,
  findPackage,
  findVersion,
  getDistTags,
  isMaintainer,
  setDeprecated,
  setDistTag,
} from '../../storage/db/packages';
import type { Principal, User } from '../auth/principal';
import { touchPackage, type PackageContext } from './context';
import { assertValidTag } from './names';
import { scopeOf } from './namespaces';
import { publishVersion } from './publish';

type Json = Record<string, unknown>;

export interface ImportedVersion {
  name: string;
  version: string;
  /** The version's manifest as the source registry stored it (its dist.integrity/shasum are checked against the bytes). */
  manifest: Json;
  tarball: Buffer;
  /** When the source says it was published (kept as the version's publish time); now when unknown. */
  publishedAt?: string;
  /** The account recorded as its publisher, and the package's first maintainer when it is new. */
  publisher: User;
}

/**
 * Adds one version unless it is already here. 'present' when the same name, version and bytes exist; a version that
 * exists with other bytes is a conflict (the source and Shelf disagree, and neither is overwritten).
 */
export async function importVersion(ctx: PackageContext, input: ImportedVersion): Promise<'imported' | 'present'> {
  const { name, version, tarball } = input;
  const pkg = await findPackage(ctx.db, name);
  const existing = pkg && (await findVersion(ctx.db, pkg.id, version));
  if (existing) {
    if (ssri.checkData(tarball, existing.integrity)) return 'present';
    throw conflict(
      `${name}@${version} is already in Shelf with other contents (${existing.integrity.slice(0, 20)}…); it was left as it is`,
    );
  }
  const published = input.publishedAt && !Number.isNaN(Date.parse(input.publishedAt)) ? new Date(input.publishedAt) : undefined;
  // The version keeps its original publish time: the pipeline reads the clock it is given.
  const at: PackageContext = published ? { ...ctx, now: () => published } : ctx;
  // Importing is an admin's act on the data folder (the CLI opens it directly); the publisher named is the owner the
  // import assigns, whose own rights may not cover, say, a scope someone else owns here.
  const principal: Principal = { user: { ...input.publisher, isAdmin: true }, scope: 'admin' };
  const fileName = `${name.startsWith('@') ? name.slice(name.indexOf('/') + 1) : name}-${version}.tgz`;
  await publishVersion(at, principal, name, {
    name,
    versions: { [version]: input.manifest },
    'dist-tags': {},
    _attachments: { [fileName]: { content_type: 'application/octet-stream', data: tarball.toString('base64'), length: tarball.length } },
  });
  return 'imported';
}

export interface ImportedPackageFacts {
  name: string;
  /** Tags as the source has them; tags pointing at versions Shelf does not have are left out and named in `skipped`. */
  distTags: Record<string, string>;
  readme: string;
  /** Per version, the deprecation message the source recorded. */
  deprecations: Record<string, string>;
  /** The people the source's rules let publish it, with the role that matches their rights there. */
  maintainers: { user: User; role: OwnerRole }[];
  modifiedAt?: string;
}

export interface FactsResult {
  tagsSet: string[];
  tagsPresent: string[];
  skippedTags: string[];
  readmeSet: boolean;
  maintainersAdded: string[];
  scopeOwnersAdded: string[];
  deprecated: string[];
}

/** Makes the package's tags, readme, deprecations and maintainers match the source, in one transaction; a no-op when they already do. */
export async function importPackageFacts(ctx: PackageContext, facts: ImportedPackageFacts): Promise<FactsResult> {
  const result: FactsResult = {
    tagsSet: [],
    tagsPresent: [],
    skippedTags: [],
    readmeSet: false,
    maintainersAdded: [],
    scopeOwnersAdded: [],
    deprecated: [],
  };
  const modified = facts.modifiedAt && !Number.isNaN(Date.parse(facts.modifiedAt)) ? new Date(facts.modifiedAt) : undefined;
  const at: PackageContext = modified ? { ...ctx, now: () => modified } : ctx;
  await ctx.db.transaction(async () => {
    const pkg = await findPackage(ctx.db, facts.name);
    if (!pkg) return;
    const tags = await getDistTags(ctx.db, pkg.id);
    for (const [tag, version] of Object.entries(facts.distTags)) {
      assertValidTag(tag);
      if (tags[tag] === version) result.tagsPresent.push(tag);
      else if (!(await findVersion(ctx.db, pkg.id, version))) result.skippedTags.push(`${tag} → ${version}`);
      else {
        await setDistTag(ctx.db, pkg.id, tag, version);
        result.tagsSet.push(tag);
      }
    }
    for (const [version, message] of Object.entries(facts.deprecations)) {
      const row = await findVersion(ctx.db, pkg.id, version);
      if (row && row.deprecated !== message) {
        await setDeprecated(ctx.db, pkg.id, version, message);
        result.deprecated.push(version);
      }
    }
    for (const { user, role } of facts.maintainers) {
      if (await isMaintainer(ctx.db, pkg.id, user.id)) continue;
      await addMaintainer(ctx.db, pkg.id, user.id);
      await setRole(ctx.db, pkg.id, user.id, role);
      result.maintainersAdded.push(user.name);
    }
    // Whoever could publish into the scope at the source may add packages to it here (Shelf's scope ownership).
    const scope = scopeOf(facts.name);
    if (scope) {
      for (const { user } of facts.maintainers) {
        if (await addScopeOwner(ctx.db, scope, user.id, at.now().toISOString(), null)) result.scopeOwnersAdded.push(user.name);
      }
    }
    result.readmeSet = pkg.readme !== facts.readme;
    const changed = result.readmeSet || result.tagsSet.length > 0 || result.deprecated.length > 0 || result.maintainersAdded.length > 0;
    if (changed) await touchPackage(at, pkg, result.readmeSet ? { readme: facts.readme } : {});
  });
  return result;
}
