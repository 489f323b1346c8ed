// The publish pipeline: checks an npm publish body and its tarball, stores the blob, then records the version in one transaction.
import { createHash } from 'node:crypto';
import ssri from 'ssri';
import { formatBytes } from '../../../shared/format-bytes';
import { badRequest, conflict, tooLarge } from '../../errors';
import {
  addMaintainer,
  findPackage,
  findVersion,
  getDistTags,
  insertPackage,
  insertVersion,
  isRetired,
  setDistTag,
  type PackageRow,
} from '../../storage/db/packages';
import { putChecksum } from '../../storage/db/checksums';
import { setVersionEcosystem, type Ecosystem } from '../../storage/db/ecosystems';
import { requireScope, type Principal } from '../auth/principal';
import { assertSameEcosystem } from '../packer/ecosystems/ecosystem-rules';
import { inspectTarball } from '../packer/inspect-tarball';
import { dropUnreferenced, nextRev, touchPackage, type PackageContext } from './context';
import { checkInstallFields, withInstallFields } from './install-fields';
import { assertValidPackageName, assertValidTag, assertValidVersion } from './names';
import { checkNewPackageName, claimScope } from './namespaces';
import { authorizePublish } from './rights';

type Json = Record<string, unknown>;

export interface PublishResult {
  name: string;
  version: string;
  integrity: string;
  /** sha256 hex of the tarball (the REST API's checksum). */
  sha256: string;
  created: boolean;
}

export interface PublishOptions {
  /** Extra writes that belong to the same publish (e.g. the API's categories); run inside its transaction. */
  withinTransaction?: (pkg: PackageRow, isLatest: boolean) => Promise<void>;
  /** How a manifest-confusion refusal names the manifest the client sent (the REST API's is its metadata). */
  manifestSource?: string;
  /** The archive's format: npm's unless the REST API publishes a seed registry's (synapse.json, vais.toml at the root). */
  ecosystem?: Ecosystem;
}

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Fields of a version manifest that the registry owns; whatever the client sent for them is replaced. */
const REGISTRY_OWNED = [
  '_id',
  'dist',
  '_npmUser',
  'maintainers',
  '_attachments',
  'readme',
  'readmeFilename',
  '_rev',
  '_resolved',
  '_integrity',
  '_from',
];

function decodeAttachment(body: Json, name: string, version: string, maxBytes: number): Buffer {
  const attachments = body._attachments;
  if (!isObject(attachments) || Object.keys(attachments).length === 0) {
    throw badRequest('the publish has no tarball: _attachments is empty; publish with `npm publish`');
  }
  const tgzKeys = Object.keys(attachments).filter((k) => k.endsWith('.tgz'));
  if (tgzKeys.length !== 1) throw badRequest(`a publish carries exactly one tarball; this one has ${tgzKeys.length}`);
  const attachment = attachments[tgzKeys[0]!];
  if (!isObject(attachment) || typeof attachment.data !== 'string') {
    throw badRequest(`attachment '${tgzKeys[0]}' has no base64 data`);
  }
  const data = attachment.data.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(data)) throw badRequest(`attachment for ${name}@${version} is not valid base64`);
  // Check the size before decoding, so an oversized upload costs no memory beyond the body itself.
  const decodedLength = Math.floor((data.length * 3) / 4) - (data.endsWith('==') ? 2 : data.endsWith('=') ? 1 : 0);
  if (decodedLength > maxBytes) {
    throw tooLarge(
      `the tarball of ${name}@${version} is ${formatBytes(decodedLength)}, over this registry's limit of ${formatBytes(maxBytes)} (--max-tarball-size)`,
    );
  }
  const bytes = Buffer.from(data, 'base64');
  if (attachment.length !== undefined && attachment.length !== bytes.length) {
    throw badRequest(
      `attachment length says ${String(attachment.length)} bytes but the data holds ${bytes.length}; the upload was damaged, publish again`,
    );
  }
  return bytes;
}

function checkDigests(bytes: Buffer, dist: Json, spec: string): { integrity: string; shasum: string } {
  const integrity = ssri.fromData(bytes, { algorithms: ['sha512'] }).toString();
  const shasum = createHash('sha1').update(bytes).digest('hex');
  if (typeof dist.integrity === 'string' && dist.integrity !== '') {
    const claimed = ssri.parse(dist.integrity);
    if (!claimed || !ssri.checkData(bytes, claimed)) {
      throw badRequest(
        `the tarball of ${spec} does not match its dist.integrity (${dist.integrity.slice(0, 24)}…); the upload was damaged, publish again`,
      );
    }
  }
  if (typeof dist.shasum === 'string' && dist.shasum !== '' && dist.shasum.toLowerCase() !== shasum) {
    throw badRequest(`the tarball of ${spec} does not match its dist.shasum ${dist.shasum}; the upload was damaged, publish again`);
  }
  return { integrity, shasum };
}

export async function publishVersion(
  ctx: PackageContext,
  principal: Principal | undefined,
  urlName: string,
  body: unknown,
  options: PublishOptions = {},
): Promise<PublishResult> {
  const caller = requireScope(principal, 'publish', 'publish packages');
  if (!isObject(body)) throw badRequest('the publish body must be a JSON object, as `npm publish` sends');
  if (body.name !== urlName) {
    throw badRequest(`the package name in the body ('${String(body.name)}') differs from the one in the URL ('${urlName}')`);
  }
  assertValidPackageName(urlName);
  const versions = body.versions;
  if (!isObject(versions) || Object.keys(versions).length !== 1) {
    throw badRequest('a publish adds exactly one version: body.versions must hold one entry');
  }
  const version = Object.keys(versions)[0]!;
  assertValidVersion(version);
  const spec = `${urlName}@${version}`;
  const manifest = versions[version];
  if (!isObject(manifest)) throw badRequest(`versions['${version}'] must be the package manifest`);
  if (manifest.name !== urlName || manifest.version !== version) {
    throw badRequest(`versions['${version}'] names ${String(manifest.name)}@${String(manifest.version)}, not ${spec}`);
  }
  const distTags = body['dist-tags'] ?? {};
  if (!isObject(distTags)) throw badRequest("'dist-tags' must be an object of tag → version");
  for (const [tag, target] of Object.entries(distTags)) {
    assertValidTag(tag);
    if (target !== version)
      throw badRequest(`dist-tag '${tag}' must point at the version being published (${version}), not '${String(target)}'`);
  }
  const access = body.access ?? null;
  if (access !== null && access !== 'public' && access !== 'restricted') {
    throw badRequest(`access must be 'public' or 'restricted', not '${String(access)}'`);
  }
  if (access === 'restricted' && !urlName.startsWith('@')) {
    throw badRequest(`only scoped packages can be restricted; publish ${urlName} as public or rename it to @scope/${urlName}`);
  }

  // Cheap refusals first, so a doomed upload is not inflated and hashed.
  await preflight(ctx, caller, urlName, version);
  const ecosystem = options.ecosystem ?? 'npm';
  await assertSameEcosystem(ctx.db, urlName, ecosystem);

  const bytes = decodeAttachment(body, urlName, version, ctx.limits.maxTarballBytes);
  const dist = isObject(manifest.dist) ? manifest.dist : {};
  const { integrity, shasum } = checkDigests(bytes, dist, spec);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const inspection = await inspectTarball(bytes, ctx.limits, { ecosystems: [ecosystem] });
  if (inspection.manifest.name !== urlName || inspection.manifest.version !== version) {
    throw badRequest(
      `the package.json inside the tarball is ${String(inspection.manifest.name)}@${String(inspection.manifest.version)}, but the publish says ${spec}; pack the tarball again`,
    );
  }
  // What installers act on is served from the tarball; a manifest beside it that says otherwise is refused (manifest confusion).
  const installFields = checkInstallFields(manifest, inspection, spec, options.manifestSource ?? 'manifest sent with the publish');

  // The blob goes to disk before any row points at it; a crash in between leaves only an unreferenced file.
  await ctx.blobs.put(integrity, bytes);

  const readme = typeof manifest.readme === 'string' ? manifest.readme : typeof body.readme === 'string' ? body.readme : '';
  const stored: Json = withInstallFields(manifest, installFields);
  for (const field of REGISTRY_OWNED) delete stored[field];
  stored._id = spec;
  stored._npmUser = { name: caller.user.name, email: caller.user.email ?? '' };
  stored.dist = { integrity, shasum, fileCount: inspection.files.length, unpackedSize: inspection.unpackedSize };

  const now = ctx.now().toISOString();
  let created = false;
  try {
    await ctx.db.transaction(async () => {
      // Checked again inside the transaction: another publish may have landed while this one was being inspected.
      await preflight(ctx, caller, urlName, version);
      await assertSameEcosystem(ctx.db, urlName, ecosystem);
      let pkg: PackageRow | undefined = await findPackage(ctx.db, urlName);
      if (!pkg) {
        created = true;
        pkg = await insertPackage(ctx.db, {
          name: urlName,
          access: access ?? 'public',
          rev: nextRev(ctx),
          created_at: now,
          modified_at: now,
          readme,
        });
        await addMaintainer(ctx.db, pkg.id, caller.user.id);
        await claimScope(ctx, caller, urlName);
      }
      await insertVersion(ctx.db, {
        package_id: pkg.id,
        version,
        manifest: JSON.stringify(stored),
        integrity,
        shasum,
        tarball_size: bytes.length,
        deprecated: null,
        published_at: now,
        published_by: caller.user.id,
      });
      if (ecosystem !== 'npm') await setVersionEcosystem(ctx.db, pkg.id, version, ecosystem);
      const tags = { ...distTags } as Record<string, string>;
      if (!(await getDistTags(ctx.db, pkg.id)).latest && !tags.latest) tags.latest = version;
      for (const [tag, target] of Object.entries(tags)) await setDistTag(ctx.db, pkg.id, tag, target);
      await putChecksum(ctx.db, pkg.id, version, sha256);
      const becomesLatest = tags.latest === version;
      await options.withinTransaction?.(pkg, (await getDistTags(ctx.db, pkg.id)).latest === version);
      await touchPackage(ctx, pkg, becomesLatest || created ? { readme } : {});
    });
  } catch (error) {
    // Lost to a publish that committed between the preflight and this transaction (another request, or another node):
    // the tarball stored above is nobody's now unless the winner sent the same bytes. The store holds this write's own
    // claim until the turn after put() resolved (storage/blobs/claims.ts); a failure that came sooner waits for it.
    await new Promise((turn) => setImmediate(turn));
    await dropUnreferenced(ctx, [integrity]);
    throw error;
  }
  return { name: urlName, version, integrity, sha256, created };
}

/** The rights table and the namespace rules, then the version's freshness: checked before the blob is written and again in the transaction. */
export async function preflight(ctx: PackageContext, caller: Principal, name: string, version: string): Promise<void> {
  const { pkg } = await authorizePublish(ctx, caller, name);
  if (!pkg) await checkNewPackageName(ctx, caller, name);
  if ((pkg && (await findVersion(ctx.db, pkg.id, version))) || (await isRetired(ctx.db, name, version))) {
    throw conflict(`cannot publish over the previously published versions: ${version}. Bump the version in package.json and publish again`);
  }
}
