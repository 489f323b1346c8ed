// Owns the archive formats of the registries Shelf replaces (Synapse: synapse.json, Vais: vais.toml, each at the archive
// root beside the sources) and how their manifests read as the npm-shaped manifest Shelf stores.
import { parse as parseToml, TomlError } from 'smol-toml';
import { badRequest } from '../../../errors';
import type { Ecosystem } from '../../../storage/db/ecosystems';

export type { Ecosystem } from '../../../storage/db/ecosystems';
export type SeedEcosystem = Exclude<Ecosystem, 'npm'>;

/** The manifest file each seed ecosystem keeps at its archive root. */
export const SEED_MANIFESTS: Record<SeedEcosystem, string> = { synapse: 'synapse.json', vais: 'vais.toml' };

/** How people write each ecosystem's name. */
export const ECOSYSTEM_TITLES: Record<Ecosystem, string> = { npm: 'npm', synapse: 'Synapse', vais: 'Vais' };

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const REPACK = 'fix it and build the archive again';

/** Descriptive fields copied as they are when they have the expected type. */
function describe(source: Json, out: Json): void {
  for (const field of ['description', 'license', 'homepage', 'repository', 'readme'] as const) {
    if (typeof source[field] === 'string') out[field] = source[field];
  }
  if (typeof source.author === 'string' || isObject(source.author)) out.author = source.author;
  if (Array.isArray(source.keywords) && source.keywords.every((k) => typeof k === 'string')) out.keywords = source.keywords;
}

function dependencyMap(value: unknown, file: string, table: string): Record<string, string> | undefined {
  if (value === undefined) return undefined;
  if (!isObject(value)) throw badRequest(`${file} in the archive: ${table} must map package names to version requirements; ${REPACK}`);
  const out: Record<string, string> = {};
  for (const [name, spec] of Object.entries(value)) {
    // Cargo-style tables ({ version = "1.2", features = [...] }) name their requirement in `version`.
    const range = typeof spec === 'string' ? spec : isObject(spec) && typeof spec.version === 'string' ? spec.version : undefined;
    if (range === undefined) {
      throw badRequest(
        `${file} in the archive: the dependency '${name}' has no version requirement (a path or git dependency cannot be published to a registry); give it a version, e.g. ${name} = "1.0"`,
      );
    }
    out[name] = range;
  }
  return Object.keys(out).length ? out : undefined;
}

function fromSynapseJson(text: string): Json {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.replace(/^\uFEFF/, ''), (key, value: unknown) => (key === '__proto__' ? undefined : value));
  } catch (error) {
    throw badRequest(`synapse.json in the archive is not valid JSON (${(error as Error).message}); ${REPACK}`);
  }
  if (!isObject(parsed)) throw badRequest(`synapse.json in the archive must hold a JSON object; ${REPACK}`);
  const out: Json = { name: parsed.name, version: parsed.version };
  describe(parsed, out);
  const dependencies = dependencyMap(parsed.dependencies, 'synapse.json', 'dependencies');
  if (dependencies) out.dependencies = dependencies;
  return out;
}

function fromVaisToml(text: string): Json {
  let parsed: Json;
  try {
    parsed = parseToml(text.replace(/^\uFEFF/, '')) as Json;
  } catch (error) {
    const where = error instanceof TomlError ? ` at line ${error.line}, column ${error.column}` : '';
    throw badRequest(`vais.toml in the archive is not valid TOML${where}; ${REPACK}`);
  }
  const pkg = parsed.package;
  if (!isObject(pkg)) throw badRequest(`vais.toml in the archive has no [package] table with name and version; ${REPACK}`);
  const out: Json = { name: pkg.name, version: pkg.version };
  describe(pkg, out);
  if (out.author === undefined && Array.isArray(pkg.authors) && typeof pkg.authors[0] === 'string') out.author = pkg.authors[0];
  const dependencies = dependencyMap(parsed.dependencies, 'vais.toml', '[dependencies]');
  if (dependencies) out.dependencies = dependencies;
  return out;
}

/**
 * A seed manifest as the npm-shaped manifest Shelf stores: name, version, the descriptive fields, and dependencies as
 * written (Cargo-style requirements stay as they are; the resolver reads them by `_shelfSource`, see cargo-ranges.ts).
 */
export function readSeedManifest(ecosystem: SeedEcosystem, bytes: Buffer): Json {
  const text = bytes.toString('utf8');
  return ecosystem === 'synapse' ? fromSynapseJson(text) : fromVaisToml(text);
}
