// Publishing through the REST API: metadata plus an archive become one publish through the same pipeline as npm's, so
// both doors see the same package. The archive is npm's (package/package.json) or a seed registry's (synapse.json or
// vais.toml at its root); the version records which, and only npm packages are served to npm (packer/ecosystems/).
import { createHash } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import semver from 'semver';
import { badRequest, tooLarge } from '../../errors';
import { setCategories } from '../../storage/db/categories';
import { findPackage, findVersion, getDistTags } from '../../storage/db/packages';
import { requireScope, type Principal } from '../auth/principal';
import type { PackageContext } from '../packages/context';
import { assertValidVersion } from '../packages/names';
import { formatBytes } from '../../../shared/format-bytes';
import { checkInstallFields, INSTALL_FIELDS, installView, packageFiles } from '../packages/install-fields';
import { preflight, publishVersion } from '../packages/publish';
import { ALL_ECOSYSTEMS, inspectTarball, type TarballInspection } from '../packer/inspect-tarball';
import { assertApiPackageName } from './api-names';
import { readArchiveIdentities } from './archive-manifests';

type Json = Record<string, unknown>;

/** What a client sends besides the archive (JSON body fields, or the multipart metadata part). */
export interface ApiPublishInput {
  metadata: Json;
  /** The archive bytes (multipart), or undefined when metadata.tarball carries it as base64 (JSON). */
  archive?: Buffer;
}

export interface ApiPublishResult {
  name: string;
  version: string;
  checksum: string;
  versionId: number;
  publishedAt: string;
}

const DESCRIPTIVE_FIELDS = ['description', 'author', 'license', 'homepage', 'repository', 'keywords'] as const;
const CATEGORY_RULE = /^[a-z0-9][a-z0-9-]{0,49}$/;

function decodeBase64(data: unknown, maxBytes: number): Buffer {
  if (typeof data !== 'string' || data === '')
    throw badRequest('tarball is required: the gzipped package archive, base64-encoded (or send multipart with a tarball part)');
  const clean = data.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean)) throw badRequest('tarball is not valid base64');
  const length = Math.floor((clean.length * 3) / 4);
  if (length > maxBytes) throw tooLarge(`the archive is ${formatBytes(length)}, over this registry's limit of ${formatBytes(maxBytes)}`);
  return Buffer.from(clean, 'base64');
}

function stringList(value: unknown, field: string): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) throw badRequest(`${field} must be an array of strings`);
  return value as string[];
}

function checkFields(metadata: Json): { keywords?: string[]; categories?: string[] } {
  for (const field of ['description', 'license', 'homepage'] as const) {
    if (metadata[field] !== undefined && metadata[field] !== null && typeof metadata[field] !== 'string')
      throw badRequest(`${field} must be a string`);
  }
  const deps = metadata.dependencies;
  if (deps !== undefined && deps !== null) {
    if (typeof deps !== 'object' || Array.isArray(deps) || Object.values(deps).some((r) => typeof r !== 'string')) {
      throw badRequest('dependencies must be an object of package name → version range');
    }
  }
  const categories = stringList(metadata.categories, 'categories');
  const bad = categories?.find((c) => !CATEGORY_RULE.test(c));
  if (bad !== undefined) throw badRequest(`invalid category '${bad}': use lower-case letters, digits and '-'`);
  return { keywords: stringList(metadata.keywords, 'keywords'), categories };
}

/** Vais's client sends the archive's sha256 beside it; one that disagrees means the upload or the metadata is wrong. */
function checkChecksum(claimed: unknown, bytes: Buffer): void {
  if (claimed === undefined || claimed === null) return;
  const hex =
    typeof claimed === 'string'
      ? claimed
          .trim()
          .replace(/^sha256[:-]/i, '')
          .toLowerCase()
      : '';
  if (!/^[0-9a-f]{64}$/.test(hex)) throw badRequest("checksum must be the archive's sha256 in hex (64 characters), or left out");
  const actual = createHash('sha256').update(bytes).digest('hex');
  if (hex !== actual) {
    throw badRequest(
      `checksum says the archive's sha256 is ${hex}, but the archive received has ${actual}; the upload was damaged or the metadata belongs to another archive, so publish again`,
    );
  }
}

const shown = (value: unknown): string => {
  const text = value === undefined ? 'nothing' : JSON.stringify(value);
  return text.length > 120 ? `${text.slice(0, 117)}…` : text;
};

/**
 * A seed archive's own manifest (synapse.json, vais.toml) against the metadata sent beside it: name and version must
 * agree, and so must anything an installer acts on that the metadata states (dependencies…), naming the field.
 */
function checkSeedManifest(metadata: Json, inspection: TarballInspection, name: string, version: string): void {
  const file = inspection.manifestFile;
  for (const [field, said] of [
    ['name', name],
    ['version', version],
  ] as const) {
    if (inspection.manifest[field] !== said) {
      throw badRequest(
        `${file} in the archive says ${field} is ${shown(inspection.manifest[field])}, but the metadata says ${shown(said)}; the ${field} must agree, so publish the archive built from the same ${file}`,
      );
    }
  }
  const claimed: Json = { ...inspection.manifest };
  for (const field of INSTALL_FIELDS) if (metadata[field] !== undefined && metadata[field] !== null) claimed[field] = metadata[field];
  const files = packageFiles(inspection);
  const packed = installView(inspection.manifest, files);
  const said = installView(claimed, files);
  for (const field of INSTALL_FIELDS) {
    if (!isDeepStrictEqual(said[field], packed[field])) {
      throw badRequest(
        `the metadata of ${name}@${version} says ${field} is ${shown(said[field])}, but ${file} in the archive says ${shown(packed[field])}; installers act on the archive, so send metadata that matches it`,
      );
    }
  }
}

/** latest moves only forward, and never to a prerelease, unless the package has no latest yet. */
async function distTagsFor(ctx: PackageContext, name: string, version: string): Promise<Record<string, string>> {
  const pkg = await findPackage(ctx.db, name);
  const current = pkg ? (await getDistTags(ctx.db, pkg.id)).latest : undefined;
  if (!current) return { latest: version };
  return !semver.prerelease(version) && semver.gt(version, current) ? { latest: version } : {};
}

export async function apiPublish(ctx: PackageContext, principal: Principal | undefined, input: ApiPublishInput): Promise<ApiPublishResult> {
  const caller = requireScope(principal, 'publish', 'publish packages');
  const { metadata } = input;
  const name = metadata.name;
  assertApiPackageName(name);
  if (metadata.version === undefined) throw badRequest('version is required, e.g. "1.0.0"');
  assertValidVersion(metadata.version);
  const version = metadata.version;
  const { categories } = checkFields(metadata);
  // Refused callers (rights table, namespaces, a version that exists) are told before the archive is unpacked.
  await preflight(ctx, caller, name, version);
  const bytes = input.archive ?? decodeBase64(metadata.tarball, ctx.limits.maxTarballBytes);
  if (bytes.length > ctx.limits.maxTarballBytes)
    throw tooLarge(`the archive is ${formatBytes(bytes.length)}, over this registry's limit of ${formatBytes(ctx.limits.maxTarballBytes)}`);

  checkChecksum(metadata.checksum, bytes);

  // The archive's own manifest is the base of the stored one (package.json carries main, bin, engines…); the metadata describes it.
  const inspection = await inspectTarball(bytes, ctx.limits, { ecosystems: ALL_ECOSYSTEMS });
  if (inspection.ecosystem === 'npm') {
    const ecosystemManifests = await readArchiveIdentities(bytes);
    for (const identity of [
      { file: `${inspection.topFolder}/package.json`, name: inspection.manifest.name, version: inspection.manifest.version },
      ...ecosystemManifests,
    ]) {
      if (identity.name !== name || identity.version !== version) {
        throw badRequest(
          `${identity.file} in the archive names ${String(identity.name)}@${String(identity.version)}, but the metadata says ${name}@${version}; they must agree`,
        );
      }
    }
    // Install fields come from the archive's package.json alone; metadata that names one differently is refused (manifest confusion).
    const claimed: Json = { ...inspection.manifest };
    for (const field of INSTALL_FIELDS) if (metadata[field] !== undefined && metadata[field] !== null) claimed[field] = metadata[field];
    checkInstallFields(claimed, inspection, `${name}@${version}`, 'metadata');
  } else {
    checkSeedManifest(metadata, inspection, name, version);
  }
  const manifest: Json = { ...inspection.manifest };
  for (const field of DESCRIPTIVE_FIELDS) if (metadata[field] !== undefined && metadata[field] !== null) manifest[field] = metadata[field];
  if (categories) manifest.categories = categories;
  // Which manifest the version came with: the resolver reads Cargo-style ranges (cargo-ranges.ts) only from synapse.json/vais.toml.
  manifest._shelfSource = { api: 'v1', manifest: inspection.ecosystem === 'npm' ? 'package.json' : inspection.manifestFile };

  const fileName = `${name.replace(/^@[^/]+\//, '')}-${version}.tgz`;
  const body: Json = {
    _id: name,
    name,
    ...(typeof manifest.description === 'string' && { description: manifest.description }),
    'dist-tags': await distTagsFor(ctx, name, version),
    versions: { [version]: manifest },
    access: null,
    readme: typeof metadata.readme === 'string' ? metadata.readme : undefined,
    _attachments: { [fileName]: { content_type: 'application/gzip', data: bytes.toString('base64'), length: bytes.length } },
  };
  // Categories are written inside the publish's own transaction: the version and its metadata land together or not at all.
  const published = await publishVersion(ctx, caller, name, body, {
    manifestSource: 'metadata',
    ecosystem: inspection.ecosystem,
    withinTransaction: async (pkg, isLatest) => {
      if (categories && isLatest) await setCategories(ctx.db, pkg.id, categories);
    },
  });
  const row = (await findVersion(ctx.db, (await findPackage(ctx.db, name))!.id, version))!;
  return { name, version, checksum: published.sha256, versionId: row.id, publishedAt: row.published_at };
}
