// npm's rules for package names, versions and dist-tag names, with messages that say how to fix them.
import semver from 'semver';
import validateName from 'validate-npm-package-name';
import { badRequest } from '../../errors';

/**
 * Names that are also route words, so a package with one could not be addressed: the REST API's segments under
 * /api/v1/packages, and `health`, which the server answers at its root (where npm asks for packuments).
 * Refused for new publishes through either door; a mirrored upstream package of such a name is still served under /api/v1.
 */
export const RESERVED_NAMES: ReadonlySet<string> = new Set([
  'versions',
  'owners',
  'stats',
  'trending',
  'categories',
  'publish',
  'yank',
  'unyank',
  'health',
]);

export function assertNotReservedName(name: string): void {
  if (RESERVED_NAMES.has(name))
    throw badRequest(`'${name}' is reserved by Shelf's routes and cannot be a package name; choose another name`);
}

/** What npm's rules say only of old packages' names, which npm's registry still serves and Shelf accepts with a warning. */
const OLD_STYLE_WARNINGS: ReadonlySet<string> = new Set(['name can no longer contain capital letters']);

/**
 * Refuses a name npm would not accept; an old-style one (capital letters, as `JSONStream`) is accepted, as npm's registry
 * serves such packages and Verdaccio publishes them: its warnings are returned for the publish reply.
 */
export function assertValidPackageName(name: string): string[] {
  assertNotReservedName(name);
  const result = validateName(name);
  if (result.validForNewPackages) return [];
  const warnings = result.warnings ?? [];
  if (result.validForOldPackages && warnings.every((w) => OLD_STYLE_WARNINGS.has(w))) return warnings;
  const problems = [...(result.errors ?? []), ...warnings];
  throw badRequest(`invalid package name '${name}': ${problems.join('; ')}`);
}

/** The warnings a publish of this (valid) name gets: npm's rules for old packages' names. */
export function packageNameWarnings(name: string): string[] {
  const result = validateName(name);
  return result.validForNewPackages ? [] : (result.warnings ?? []).filter((w) => OLD_STYLE_WARNINGS.has(w));
}

/** Versions must be strict semver as written (no leading 'v', no surrounding spaces). */
export function assertValidVersion(version: unknown): asserts version is string {
  if (typeof version !== 'string' || semver.valid(version) !== version) {
    throw badRequest(`invalid version '${String(version)}': use a semantic version such as 1.0.0 or 2.1.0-beta.1`);
  }
}

export function assertValidTag(tag: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(tag)) {
    throw badRequest(`invalid dist-tag '${tag}': use letters, digits, '.', '-' or '_', starting with a letter or digit`);
  }
  // A tag that parses as a range would be ambiguous in `npm install pkg@<tag>`.
  if (semver.validRange(tag) !== null) {
    throw badRequest(`invalid dist-tag '${tag}': it reads as a version range; choose a name such as 'next' or 'beta'`);
  }
}
