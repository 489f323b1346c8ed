// Owns reading the Cargo-style version requirements that packages published through /api/v1 by older ecosystems carry, as node-semver ranges.
//
// Cargo's rules (the `semver` crate): comparators separated by commas all apply; a bare version means caret in Cargo
// (and in vais.toml); `*`, `1.*`, `1.2.*` are wildcards; caret and tilde on 0.x, prerelease matching (only against a
// comparator with a prerelease on the same major.minor.patch) and ignored build metadata agree with node-semver once the
// syntax is translated, so translating the syntax is all this does.
import semver from 'semver';
import type { Manifest } from './types';

export type RangeDialect = 'npm' | 'cargo' | 'cargo-bare-caret';

/**
 * The range dialect a manifest's own dependency ranges are written in. Shelf's /api/v1 publish records where a version
 * came from as `_shelfSource: { api: 'v1', manifest: 'vais.toml' | 'synapse.json' | 'package.json' }`; only versions
 * marked that way, from a manifest other than package.json, are read as Cargo-style.
 */
export function rangeDialect(manifest: Manifest): RangeDialect {
  const source = manifest._shelfSource as { api?: unknown; manifest?: unknown } | undefined;
  if (!source || typeof source !== 'object' || source.api !== 'v1') return 'npm';
  if (source.manifest === 'vais.toml') return 'cargo-bare-caret';
  if (typeof source.manifest === 'string' && source.manifest !== 'package.json') return 'cargo';
  return 'npm';
}

const COMPARATOR = /^(\^|~|=|>=|<=|>|<)?\s*v?([0-9xX*]+(?:\.[0-9xX*]+){0,2}(?:-[0-9A-Za-z.-]+)?)(?:\+[0-9A-Za-z.-]+)?$/;

/** One Cargo requirement as a node-semver range; returns the input unchanged when it is not Cargo syntax. */
export function normaliseCargoRange(range: string, dialect: RangeDialect): string {
  if (dialect === 'npm') return range;
  const trimmed = range.trim();
  if (trimmed === '' || trimmed === '*') return '*';
  // npm-only syntax (`||`, hyphen ranges, tags, aliases) is left alone.
  if (trimmed.includes('||') || /\s-\s/.test(trimmed) || /^[a-z]+:/i.test(trimmed)) return range;
  const parts = trimmed.split(',').map((p) => p.trim());
  const out: string[] = [];
  for (const part of parts) {
    const match = COMPARATOR.exec(part);
    if (!match) return range;
    const [, op = '', version] = match;
    const wildcard = /[xX*]/.test(version!);
    const prefix = op === '' && !wildcard && dialect === 'cargo-bare-caret' ? '^' : op;
    out.push(`${prefix}${version!.replace(/[xX]/g, '*')}`);
  }
  const normalised = out.join(' ');
  return semver.validRange(normalised) ? normalised : range;
}

/** A manifest's dependency maps with Cargo-style ranges translated (the manifest itself is not changed). */
export function normaliseManifestRanges(manifest: Manifest): Manifest {
  const dialect = rangeDialect(manifest);
  if (dialect === 'npm') return manifest;
  const map = (deps: Record<string, string> | undefined) =>
    deps && Object.fromEntries(Object.entries(deps).map(([name, spec]) => [name, normaliseCargoRange(spec, dialect)]));
  return {
    ...manifest,
    dependencies: map(manifest.dependencies),
    optionalDependencies: map(manifest.optionalDependencies),
    peerDependencies: map(manifest.peerDependencies),
    devDependencies: map(manifest.devDependencies),
  };
}
