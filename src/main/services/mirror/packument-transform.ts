// Turns an upstream packument into the documents Shelf serves (tarball links rewritten, abbreviated form, gzip, ETags),
// optionally trimmed to the versions whose tarballs are cached. Runs in a worker thread for large documents.

export interface TransformInput {
  /** The upstream's full packument, JSON bytes (gzipped when `rawIsGzip`, as the cache stores it). */
  raw: Uint8Array;
  rawIsGzip?: boolean;
  /** Also return the raw bytes gzipped (what the cache stores), so that work happens here too, off the request path. */
  wantRawGzip?: boolean;
  /**
   * Integrities Shelf computed itself for versions whose upstream gave none (pinned on their first download), by version;
   * written into `dist.integrity` where the upstream's document has none, so clients check the bytes they get.
   */
  pinnedIntegrity?: Record<string, string> | null;
  name: string;
  /** Shelf's base URL, ending in '/': the address the gzip copies are made for. */
  baseUrl: string;
  /**
   * What stands for the base URL in the stored documents (BASE_URL_TOKEN: passed in, the worker cannot import); without
   * it the documents name `baseUrl` itself.
   */
  baseToken?: string;
  /** The fields the abbreviated document keeps per version (passed in: the worker cannot import). */
  abbreviatedFields: readonly string[];
  /** Serve only these versions (offline); null serves all. */
  keepVersions: string[] | null;
  /** Replacement dist-tags (offline: moved to cached versions); null keeps the upstream's. */
  distTags: Record<string, string> | null;
}

export interface TransformOutput {
  full: Uint8Array;
  fullGzip: Uint8Array;
  fullEtag: string;
  abbrev: Uint8Array;
  abbrevGzip: Uint8Array;
  abbrevEtag: string;
  modified: string;
  distTags: Record<string, string>;
  /** The raw bytes gzipped, when `wantRawGzip` asked for them. */
  rawGzip?: Uint8Array;
  versions: { version: string; integrity: string | null; shasum: string | null; tarball_url: string }[];
  /** The result was also written to the database (TransformRunner.run with a store request). */
  stored?: boolean;
}

/** What is stored with a transform's output besides the output itself: a fetched document, or new renderings. */
export type StoreRequest =
  | {
      kind: 'put';
      upstream_url: string;
      etag: string | null;
      last_modified: string | null;
      fetched_at: string;
      /** The stored templates' base mark (templateMark). */
      base_url: string;
    }
  | { kind: 'rendering'; base_url: string };

type Json = Record<string, unknown>;

/**
 * Self-contained on purpose: its source text is what the worker thread runs (Function.prototype.toString), so it may use
 * nothing from outside but its parameters. zlib and crypto are handed in for that reason.
 */
export function transformPackument(
  input: TransformInput,
  zlib: typeof import('node:zlib'),
  crypto: typeof import('node:crypto'),
): TransformOutput {
  const rawBytes = Buffer.from(input.raw.buffer, input.raw.byteOffset, input.raw.byteLength);
  const text = (input.rawIsGzip ? zlib.gunzipSync(rawBytes) : rawBytes).toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    // An HTML error page or a cut-off body: say what arrived rather than where JSON.parse gave up.
    const start = text.slice(0, 40).replace(/\s+/g, ' ');
    throw new Error(`it is not JSON (${(error as Error).message}; it starts with ${JSON.stringify(start)})`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('it is not a JSON object');
  const doc = parsed as Json;
  // A document about another package is not this package's, whatever path answered it.
  if (typeof doc.name === 'string' && doc.name !== input.name)
    throw new Error(`it describes another package (${JSON.stringify(doc.name)})`);
  const pins = input.pinnedIntegrity ?? {};
  const upstreamVersions = (doc.versions && typeof doc.versions === 'object' ? doc.versions : {}) as Record<string, Json>;
  const keep = input.keepVersions ? new Set(input.keepVersions) : null;
  const unscoped = input.name.startsWith('@') ? input.name.slice(input.name.indexOf('/') + 1) : input.name;
  const abbreviatedFields = new Set(input.abbreviatedFields);
  const versions: TransformOutput['versions'] = [];
  const servedVersions: Record<string, Json> = {};
  const abbreviatedVersions: Record<string, Json> = {};
  for (const [version, manifest] of Object.entries(upstreamVersions)) {
    if (!manifest || typeof manifest !== 'object') continue;
    let dist = (manifest.dist && typeof manifest.dist === 'object' ? manifest.dist : {}) as Json;
    const tarball = dist.tarball;
    if (typeof tarball !== 'string') continue;
    if (typeof dist.integrity !== 'string' && typeof pins[version] === 'string') dist = { ...dist, integrity: pins[version] };
    versions.push({
      version,
      integrity: typeof dist.integrity === 'string' ? dist.integrity : null,
      shasum: typeof dist.shasum === 'string' ? dist.shasum : null,
      tarball_url: tarball,
    });
    if (keep && !keep.has(version)) continue;
    const served: Json = {
      ...manifest,
      dist: { ...dist, tarball: `${input.baseToken ?? input.baseUrl}${input.name}/-/${unscoped}-${version}.tgz` },
    };
    // Attestations are answered by Shelf too (kept by the policy, so offline as well): services/policy/provenance.ts.
    const attestations = dist.attestations as Json | undefined;
    if (attestations && typeof attestations === 'object' && typeof attestations.url === 'string')
      (served.dist as Json).attestations = {
        ...attestations,
        url: `${input.baseToken ?? input.baseUrl}-/npm/v1/attestations/${input.name.replace('/', '%2f')}@${version}`,
      };
    servedVersions[version] = served;
    // The abbreviated version keeps the manifest's own key order, and Shelf adds `license` to npm's field list: npm
    // clients ignore the extra field, and Shelf's resolver can then write a lockfile (which records the license) from
    // the abbreviated document instead of parsing the full one (for the cra tree 59 MB instead of 145 MB).
    const abbreviated: Json = {};
    for (const field of Object.keys(served))
      if (field === 'dist' || field === 'license' || abbreviatedFields.has(field)) abbreviated[field] = served[field];
    // npm's registry derives `hasInstallScript` from the scripts when it writes abbreviated documents; full ones that
    // come from an upstream rarely carry the flag, so it is derived here too (npm and the lockfile rely on it).
    const scripts = (served.scripts && typeof served.scripts === 'object' ? served.scripts : {}) as Json;
    if (abbreviated.hasInstallScript === undefined && ['preinstall', 'install', 'postinstall'].some((s) => typeof scripts[s] === 'string'))
      abbreviated.hasInstallScript = true;
    abbreviatedVersions[version] = abbreviated;
  }
  const distTags =
    input.distTags ?? ((doc['dist-tags'] && typeof doc['dist-tags'] === 'object' ? doc['dist-tags'] : {}) as Record<string, string>);
  const time = (doc.time && typeof doc.time === 'object' ? doc.time : {}) as Record<string, string>;
  const modified = typeof time.modified === 'string' ? time.modified : new Date().toISOString();
  let servedTime: Record<string, string> = time;
  if (keep) {
    servedTime = {};
    for (const [key, value] of Object.entries(time)) if (key === 'created' || key === 'modified' || keep.has(key)) servedTime[key] = value;
  }
  const full = Buffer.from(JSON.stringify({ ...doc, 'dist-tags': distTags, versions: servedVersions, time: servedTime }));
  const abbrev = Buffer.from(JSON.stringify({ name: input.name, modified, 'dist-tags': distTags, versions: abbreviatedVersions }));
  const etag = (bytes: Buffer) => `"${crypto.createHash('sha256').update(bytes).digest('base64url').slice(0, 27)}"`;
  // The stored documents are templates; their gzip copies are made for the base URL most clients use.
  const mark = JSON.stringify(input.baseToken ?? '').slice(1, -1);
  const forBase = (template: Buffer) =>
    !mark ? template : Buffer.from(template.toString('latin1').split(mark).join(Buffer.from(input.baseUrl).toString('latin1')), 'latin1');
  return {
    full,
    fullGzip: zlib.gzipSync(forBase(full)),
    fullEtag: etag(full),
    abbrev,
    abbrevGzip: zlib.gzipSync(forBase(abbrev)),
    abbrevEtag: etag(abbrev),
    modified,
    distTags: doc['dist-tags'] && typeof doc['dist-tags'] === 'object' ? (doc['dist-tags'] as Record<string, string>) : {},
    rawGzip: input.wantRawGzip && !input.rawIsGzip ? zlib.gzipSync(rawBytes) : undefined,
    versions,
  };
}

/**
 * One version's manifest out of a rendered full packument, by version or dist-tag (`GET /<name>/<version>`); undefined
 * when there is none. Self-contained like transformPackument: the worker runs its source text for large documents.
 */
export function pickVersion(json: Uint8Array, versionOrTag: string): unknown {
  const doc = JSON.parse(Buffer.from(json.buffer, json.byteOffset, json.byteLength).toString('utf8')) as {
    versions?: Record<string, unknown>;
    'dist-tags'?: Record<string, string>;
  };
  const tags = doc['dist-tags'] ?? {};
  const version = Object.prototype.hasOwnProperty.call(tags, versionOrTag) ? tags[versionOrTag]! : versionOrTag;
  const versions = doc.versions ?? {};
  return Object.prototype.hasOwnProperty.call(versions, version) ? versions[version] : undefined;
}

/**
 * The upstream_packuments columns for a transform's output: the whole row for a fetched document, the rendering columns
 * for new renderings. Self-contained like transformPackument: the worker runs its source text before it stores a row.
 */
export function storedRowOf(name: string, store: StoreRequest, out: TransformOutput): Record<string, unknown> {
  const bytes = (u8: Uint8Array | undefined) =>
    u8 === undefined || Buffer.isBuffer(u8) ? u8 : Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength);
  const rendering = {
    name,
    base_url: store.base_url,
    full_json: bytes(out.full),
    full_gzip: bytes(out.fullGzip),
    full_etag: out.fullEtag,
    abbrev_json: bytes(out.abbrev),
    abbrev_gzip: bytes(out.abbrevGzip),
    abbrev_etag: out.abbrevEtag,
  };
  if (store.kind === 'rendering') return rendering;
  return {
    ...rendering,
    upstream_url: store.upstream_url,
    etag: store.etag,
    last_modified: store.last_modified,
    fetched_at: store.fetched_at,
    modified: out.modified,
    dist_tags: JSON.stringify(out.distTags),
    raw_gzip: bytes(out.rawGzip),
  };
}
