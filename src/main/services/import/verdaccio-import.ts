// `shelf import verdaccio`: users from the htpasswd file (their hashes kept), every package version from the storage
// folder (each tarball checked against the packument before it is stored, then published through the pipeline), the
// package's tags, readme and people, and what of config.yaml Shelf has an equivalent for. Every step first looks at
// what is already here, so a second run adds nothing and an interrupted one finishes where it stopped.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ssri from 'ssri';
import { isShelfError, notFound } from '../../errors';
import type { OwnerRole } from '../../storage/db/owner-roles';
import { findPackage } from '../../storage/db/packages';
import { findUserByName, insertUser, type UserRow } from '../../storage/db/users';
import { isLegacyHash, legacyHash } from '../auth/legacy-hashes';
import type { User } from '../auth/principal';
import type { PackageContext } from '../packages/context';
import { importPackageFacts, importVersion } from '../packages/import-version';
import { readHtpasswd, type HtpasswdEntry } from './htpasswd';
import {
  describeWho,
  mapUpstreams,
  readVerdaccioConfig,
  ruleFor,
  type PackageRule,
  type Upstream,
  type VerdaccioConfig,
} from './verdaccio-config';
import { listStoredPackages, tarballFileOf, type StoredPackage } from './verdaccio-storage';

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

export interface VerdaccioSourceOptions {
  storageDir: string;
  htpasswdFile?: string;
  configFile?: string;
}

/** What was read from the Verdaccio side, before anything is written. */
export interface VerdaccioSource {
  stored: StoredPackage[];
  htpasswd: HtpasswdEntry[];
  config?: VerdaccioConfig;
}

export interface VerdaccioImportOptions {
  /** One existing account to own every imported package, instead of the people config.yaml's rules name. */
  owner?: string;
  /** The data folder, whose config.json receives the settings that map (upstreams, local scopes). */
  dataDir: string;
  onProgress?: (done: number, total: number, label: string) => void;
}

/** Reads the storage folder, htpasswd file and config.yaml; a wrong path or an unreadable file is refused before the data folder is opened. */
export function readVerdaccioSource(options: VerdaccioSourceOptions): VerdaccioSource {
  return {
    stored: listStoredPackages(options.storageDir),
    htpasswd: options.htpasswdFile === undefined ? [] : readHtpasswd(options.htpasswdFile),
    config: options.configFile === undefined ? undefined : readVerdaccioConfig(options.configFile),
  };
}

export interface Counts {
  imported: number;
  alreadyPresent: number;
  failed: number;
}

export interface ImportSummary {
  packages: Counts & { updated: number };
  versions: Counts;
  distTags: { set: number; alreadyPresent: number; skipped: number };
  readmes: { set: number; alreadyPresent: number };
  users: Counts & { skipped: number };
  /** Accounts whose password is still checked against the imported htpasswd hash (replaced at their next login). */
  usersOnImportedHash: number;
  settings: { applied: string[]; alreadyPresent: string[]; conflicting: string[] };
  /** config.yaml rules and keys that were carried over, and how. */
  mapped: string[];
  /** config.yaml rules and keys with no Shelf equivalent: left behind, named here. */
  notMapped: string[];
  problems: { item: string; message: string }[];
}

function toUser(row: UserRow): User {
  return { id: row.id, name: row.name, email: row.email, isAdmin: row.is_admin === 1, createdAt: row.created_at };
}

function emptySummary(): ImportSummary {
  return {
    packages: { imported: 0, updated: 0, alreadyPresent: 0, failed: 0 },
    versions: { imported: 0, alreadyPresent: 0, failed: 0 },
    distTags: { set: 0, alreadyPresent: 0, skipped: 0 },
    readmes: { set: 0, alreadyPresent: 0 },
    users: { imported: 0, alreadyPresent: 0, failed: 0, skipped: 0 },
    usersOnImportedHash: 0,
    settings: { applied: [], alreadyPresent: [], conflicting: [] },
    mapped: [],
    notMapped: [],
    problems: [],
  };
}

const messageOf = (error: unknown): string => (isShelfError(error) || error instanceof Error ? error.message : String(error));

export async function importVerdaccio(
  ctx: PackageContext,
  source: VerdaccioSource,
  options: VerdaccioImportOptions,
): Promise<ImportSummary> {
  const summary = emptySummary();
  const { stored, htpasswd, config } = source;
  if (
    options.owner !== undefined &&
    !(await findUserByName(ctx.db, options.owner)) &&
    !htpasswd.some((e) => e.kind && e.name.toLowerCase() === options.owner!.toLowerCase())
  ) {
    throw notFound(`there is no user '${options.owner}' in Shelf or in the htpasswd file; --owner names an existing account`);
  }

  // ── Users ──
  const imported: User[] = [];
  for (const entry of htpasswd) {
    if (!entry.kind) {
      summary.users.skipped++;
      summary.problems.push({
        item: `user ${entry.name}`,
        message: `line ${entry.line}: a hash form Verdaccio cannot check either (${entry.hash.slice(0, 4)}…); the account was not imported, create it in Shelf`,
      });
      continue;
    }
    const existing = await findUserByName(ctx.db, entry.name);
    if (existing) {
      summary.users.alreadyPresent++;
      imported.push(toUser(existing));
      continue;
    }
    const row = await insertUser(ctx.db, {
      name: entry.name,
      email: null,
      passwordHash: legacyHash(entry.hash),
      isAdmin: false,
      createdAt: ctx.now().toISOString(),
    });
    summary.users.imported++;
    imported.push(toUser(row));
  }

  let owner: User | undefined;
  if (options.owner !== undefined) {
    const row = await findUserByName(ctx.db, options.owner);
    if (!row) throw notFound(`there is no user '${options.owner}' in Shelf or in the htpasswd file; --owner names an existing account`);
    owner = toUser(row);
  }

  // ── Rules: who owns each package ──
  const usedRules = new Set<PackageRule>();
  const peopleOf = (name: string): { user: User; role: OwnerRole }[] => {
    if (owner) return [{ user: owner, role: 'owner' }];
    // Without config.yaml, Verdaccio's default rules apply: every signed-in user may publish and unpublish.
    const rule = config ? ruleFor(config, name) : undefined;
    if (rule) usedRules.add(rule);
    const publish = rule?.publish ?? { everyone: false, anonymous: false, authenticated: true, users: [] };
    const unpublish = rule?.unpublish ?? publish;
    const anyone = (w: typeof publish) => w.everyone || w.authenticated || w.anonymous;
    const people = imported.filter((u) => anyone(publish) || publish.users.includes(u.name));
    const role = (u: User): OwnerRole => (anyone(unpublish) || unpublish.users.includes(u.name) ? 'owner' : 'maintainer');
    // Owners first: the first one publishes the versions and so must be able to manage the package.
    return people.map((user) => ({ user, role: role(user) })).sort((a, b) => (a.role === b.role ? 0 : a.role === 'owner' ? -1 : 1));
  };

  // ── Packages ──
  const total = stored.reduce((n, p) => n + (isObject(p.packument?.versions) ? Object.keys(p.packument.versions).length : 0), 0);
  let done = 0;
  for (const pkg of stored) {
    if (!pkg.packument) {
      summary.packages.failed++;
      summary.problems.push({ item: pkg.name, message: pkg.problem ?? 'unreadable' });
      continue;
    }
    const packument = pkg.packument;
    const versions = packument.versions as Record<string, unknown>;
    const times = isObject(packument.time) ? packument.time : {};
    const people = peopleOf(pkg.name);
    const existedBefore = (await findPackage(ctx.db, pkg.name)) !== undefined;
    if (people.length === 0) {
      summary.packages.failed++;
      summary.versions.failed += Object.keys(versions).length;
      done += Object.keys(versions).length;
      summary.problems.push({
        item: pkg.name,
        message: 'no imported account may publish it under config.yaml; pass --htpasswd with its users, or --owner NAME',
      });
      continue;
    }
    // Oldest first, so Shelf's `latest` moves as it did at the source until the tags are set at the end.
    const order = Object.keys(versions).sort((a, b) => String(times[a] ?? '').localeCompare(String(times[b] ?? '')));
    let added = 0;
    let failed = 0;
    for (const version of order) {
      options.onProgress?.(done, total, `${pkg.name}@${version}`);
      const manifest = versions[version];
      try {
        if (!isObject(manifest)) throw new Error(`versions['${version}'] is not a manifest`);
        const file = join(pkg.dir, tarballFileOf(pkg.name, version, manifest));
        if (!existsSync(file)) {
          throw notFound(`its tarball ${file} is missing (Verdaccio keeps only what was published or cached); it was not imported`);
        }
        const tarball = readFileSync(file);
        checkAgainstPackument(tarball, manifest, file);
        const outcome = await importVersion(ctx, {
          name: pkg.name,
          version,
          manifest,
          tarball,
          publishedAt: typeof times[version] === 'string' ? times[version] : undefined,
          publisher: people[0]!.user,
        });
        if (outcome === 'imported') {
          summary.versions.imported++;
          added++;
        } else summary.versions.alreadyPresent++;
      } catch (error) {
        failed++;
        summary.versions.failed++;
        summary.problems.push({ item: `${pkg.name}@${version}`, message: messageOf(error) });
      }
      done++;
    }
    let factsChanged = false;
    try {
      const distTags = isObject(packument['dist-tags'])
        ? Object.fromEntries(Object.entries(packument['dist-tags']).filter((e): e is [string, string] => typeof e[1] === 'string'))
        : {};
      const deprecations: Record<string, string> = {};
      for (const [version, manifest] of Object.entries(versions)) {
        if (isObject(manifest) && typeof manifest.deprecated === 'string' && manifest.deprecated !== '')
          deprecations[version] = manifest.deprecated;
      }
      const facts = await importPackageFacts(ctx, {
        name: pkg.name,
        distTags,
        readme: typeof packument.readme === 'string' ? packument.readme : '',
        deprecations,
        maintainers: people,
        modifiedAt: typeof times.modified === 'string' ? times.modified : undefined,
      });
      summary.distTags.set += facts.tagsSet.length;
      summary.distTags.alreadyPresent += facts.tagsPresent.length;
      summary.distTags.skipped += facts.skippedTags.length;
      for (const tag of facts.skippedTags)
        summary.problems.push({ item: pkg.name, message: `dist-tag ${tag} was not set: that version was not imported` });
      if (facts.readmeSet) summary.readmes.set++;
      else summary.readmes.alreadyPresent++;
      factsChanged = facts.tagsSet.length + facts.maintainersAdded.length + facts.deprecated.length > 0 || facts.readmeSet;
    } catch (error) {
      failed++;
      summary.problems.push({ item: pkg.name, message: messageOf(error) });
    }
    if (!existedBefore && added > 0) summary.packages.imported++;
    else if (added > 0 || factsChanged) summary.packages.updated++;
    else if (failed === 0) summary.packages.alreadyPresent++;
    if (failed > 0) summary.packages.failed++;
  }
  options.onProgress?.(done, total, 'done');

  // ── config.yaml ──
  if (config) {
    reportRules(config, usedRules, imported, owner, summary);
    const upstreams = mapUpstreams(config);
    summary.mapped.push(...upstreams.mapped);
    summary.notMapped.push(...upstreams.notMapped);
    const wanted: Record<string, unknown> = {};
    if (upstreams.upstreams !== undefined)
      wanted.upstreams = upstreams.upstreams.map((u: Upstream) => (u.scope ? { scope: u.scope, url: u.url } : { url: u.url }));
    if (upstreams.localScopes.length > 0) wanted.localScopes = upstreams.localScopes.join(',');
    applySettings(options.dataDir, wanted, summary);
  }
  summary.usersOnImportedHash = 0;
  for (const u of imported) if (isLegacyHash((await findUserByName(ctx.db, u.name))?.password_hash ?? '')) summary.usersOnImportedHash++;
  return summary;
}

/** The tarball must be the one the packument describes (dist.integrity, else dist.shasum) before anything is stored. */
function checkAgainstPackument(tarball: Buffer, manifest: Json, file: string): void {
  const dist = isObject(manifest.dist) ? manifest.dist : {};
  if (typeof dist.integrity === 'string' && dist.integrity !== '') {
    if (!ssri.checkData(tarball, dist.integrity)) {
      throw new Error(
        `${file} does not match the packument's dist.integrity (${dist.integrity.slice(0, 24)}…): the file is damaged; it was not imported`,
      );
    }
    return;
  }
  if (typeof dist.shasum === 'string' && dist.shasum !== '') {
    if (!ssri.checkData(tarball, `sha1-${Buffer.from(dist.shasum, 'hex').toString('base64')}`)) {
      throw new Error(`${file} does not match the packument's dist.shasum ${dist.shasum}: the file is damaged; it was not imported`);
    }
    return;
  }
  throw new Error(`the packument records no dist.integrity or dist.shasum for ${file}, so it cannot be verified; it was not imported`);
}

/** What each packages: rule became, and what of it has no equivalent. */
function reportRules(
  config: VerdaccioConfig,
  used: Set<PackageRule>,
  users: User[],
  owner: User | undefined,
  summary: ImportSummary,
): void {
  const known = new Set(users.map((u) => u.name));
  for (const rule of config.rules) {
    const where = `packages '${rule.pattern}'`;
    if (rule.access.everyone || rule.access.anonymous)
      summary.mapped.push(`${where} access: ${describeWho(rule.access)} → public (Shelf serves packages to anyone who can reach it)`);
    else {
      summary.notMapped.push(
        `${where} access: ${describeWho(rule.access)} — Shelf has no read rule by pattern: its packages are public, and restricted (scoped) ones only readable by their maintainers; not applied`,
      );
    }
    if (owner) {
      summary.notMapped.push(
        `${where} publish: ${describeWho(rule.publish)}, unpublish: ${describeWho(rule.unpublish)} — --owner ${owner.name} owns every imported package instead`,
      );
      continue;
    }
    const anyone = rule.publish.everyone || rule.publish.anonymous || rule.publish.authenticated;
    if (anyone) {
      summary.notMapped.push(
        `${where} publish: ${describeWho(rule.publish)} — Shelf lets any signed-in user publish new packages, but new versions only by a package's maintainers (never anonymously)` +
          (used.has(rule) ? `; every imported user was made a maintainer of the packages this rule covers` : ''),
      );
    } else if (rule.publish.users.length > 0) {
      summary.mapped.push(
        `${where} publish: ${rule.publish.users.join(' ')} → maintainers of its imported packages (and owners of its scope)`,
      );
    }
    if (!(rule.unpublish.everyone || rule.unpublish.anonymous || rule.unpublish.authenticated) && rule.unpublish.users.length > 0) {
      summary.mapped.push(
        `${where} unpublish: ${rule.unpublish.users.join(' ')} → the owner role (owners may unpublish; maintainers may not)`,
      );
    }
    const unknown = [...new Set([...rule.access.users, ...rule.publish.users, ...rule.unpublish.users])].filter((n) => !known.has(n));
    if (unknown.length > 0) {
      summary.notMapped.push(
        `${where} names ${unknown.join(', ')}, who ${unknown.length === 1 ? 'is' : 'are'} not among the imported users (a group or a plugin's user?); not applied`,
      );
    }
  }
  for (const key of config.otherKeys)
    summary.notMapped.push(`${key}: — no Shelf equivalent was applied; see \`shelf serve --help\` for Shelf's settings`);
}

/** Writes mapped settings into <data-dir>/config.json, never overriding a value already set there (that is reported). */
function applySettings(dataDir: string, wanted: Record<string, unknown>, summary: ImportSummary): void {
  const path = join(dataDir, 'config.json');
  const current: Json = existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as Json) : {};
  let changed = false;
  for (const [key, value] of Object.entries(wanted)) {
    const line = `${key} = ${JSON.stringify(value)}`;
    if (current[key] === undefined) {
      current[key] = value;
      changed = true;
      summary.settings.applied.push(line);
    } else if (JSON.stringify(current[key]) === JSON.stringify(value)) summary.settings.alreadyPresent.push(line);
    else summary.settings.conflicting.push(`${line} (config.json already has ${JSON.stringify(current[key])}; left as it is)`);
  }
  if (!changed) return;
  // Written beside and renamed over, so a crash never leaves half a settings file.
  writeFileSync(`${path}.tmp`, `${JSON.stringify(current, null, 2)}\n`);
  renameSync(`${path}.tmp`, path);
}
