// Owns packing a project folder the way `npm pack` does (npm-packlist decides the files), plus the pre-publish checks
// the UI shows: required fields, files that look like secrets, unexpectedly large files. A folder is either a path on
// this machine (the desktop app's own user, or an admin) or the files a browser uploaded, written to a private
// temporary folder first so both are packed by the same code (npm-packlist reads a folder).
import { readFileSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve, sep } from 'node:path';
import packlist from 'npm-packlist';
import ssri from 'ssri';
import { create as createTar } from 'tar';
import semver from 'semver';
import validateName from 'validate-npm-package-name';
import { badRequest, tooLarge } from '../../errors';

export interface PackedFolder {
  /** The folder packed, or for an upload the name the user's folder had (the temporary folder is gone by then). */
  dir: string;
  manifest: Record<string, unknown>;
  files: { path: string; size: number; suspicious: boolean }[];
  tarball: Buffer;
  integrity: string;
  unpackedSize: number;
  problems: string[];
  warnings: string[];
  /** The top-level README's text, which npm puts into the packument. */
  readme?: string;
}

/** One file of a folder a browser uploaded: its path inside the folder ('/'-separated) and its bytes. */
export interface UploadedFile {
  path: string;
  data: Buffer;
}

/** File names that usually hold secrets and should not be published by accident. */
const SECRET_PATTERNS = [
  /(^|\/)\.env(\..*)?$/i,
  /\.pem$/i,
  /\.key$/i,
  /(^|\/)id_(rsa|dsa|ecdsa|ed25519)$/i,
  /\.p12$/i,
  /\.pfx$/i,
  /(^|\/)\.npmrc$/i,
  /(^|\/)credentials(\.json)?$/i,
  /\.keystore$/i,
];
const LARGE_FILE_BYTES = 5 * 1024 * 1024;

export function looksLikeSecret(path: string): boolean {
  return SECRET_PATTERNS.some((p) => p.test(path));
}

function readPackageJson(dir: string, shown: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(join(dir, 'package.json'), 'utf8');
  } catch {
    throw badRequest(`${shown} has no package.json; pick the folder that holds the package's package.json`);
  }
  try {
    const parsed = JSON.parse(text) as unknown;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
    return parsed as Record<string, unknown>;
  } catch (error) {
    throw badRequest(`${shown}/package.json is not valid JSON (${(error as Error).message}); fix it and try again`);
  }
}

/**
 * `exclude` lists packed paths (as listed in a preview) to leave out: the publish screen's "leave these secret-looking
 * files out" choice. package.json cannot be left out (npm needs it in every tarball).
 */
export async function packFolder(folder: string, label?: string, exclude: readonly string[] = []): Promise<PackedFolder> {
  const dir = resolve(folder);
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    isDir = false;
  }
  // One message whether the path is missing, unreadable or a file: the reply says nothing about what else is there.
  if (!isDir) throw badRequest(`${dir} is not a folder Shelf can read; pick the folder that holds package.json`);
  const manifest = readPackageJson(dir, label ?? dir);
  const problems: string[] = [];
  const warnings: string[] = [];
  const name = typeof manifest.name === 'string' ? manifest.name : '';
  const version = typeof manifest.version === 'string' ? manifest.version : '';
  if (!name) problems.push('package.json has no "name"; add one');
  else {
    const check = validateName(name);
    if (!check.validForNewPackages)
      problems.push(`"${name}" is not a valid package name: ${[...(check.errors ?? []), ...(check.warnings ?? [])].join('; ')}`);
  }
  if (!version) problems.push('package.json has no "version"; add one such as "1.0.0"');
  else if (!semver.valid(version)) problems.push(`"${version}" is not a valid semver version; use a form such as "1.0.0"`);
  if (manifest.private === true) problems.push('package.json says "private": true, which forbids publishing; remove it to publish');
  if (!manifest.description) warnings.push('package.json has no "description"; search shows an empty line for it');
  if (!manifest.license) warnings.push('package.json has no "license"; add one (for example "MIT") so users know the terms');

  // npm-packlist reads an Arborist tree; a root with no bundled dependencies needs only these fields.
  const tree = { path: dir, package: manifest, isProjectRoot: true, edgesOut: new Map(), workspaces: undefined };
  if (exclude.includes('package.json')) throw badRequest('package.json cannot be left out; npm needs it in every package');
  const excluded = new Set(exclude);
  const paths = (await packlist(tree as unknown as Parameters<typeof packlist>[0])).filter((p) => !excluded.has(p)).sort();
  const files = paths.map((path) => {
    const size = statSync(join(dir, path)).size;
    const suspicious = looksLikeSecret(path);
    if (suspicious) warnings.push(`${path} looks like it holds secrets; add it to .npmignore or "files" unless it is meant to be public`);
    if (size > LARGE_FILE_BYTES) warnings.push(`${path} is ${(size / 1024 / 1024).toFixed(1)} MB; is it meant to be in the package?`);
    return { path, size, suspicious };
  });
  const tarball = await new Promise<Buffer>((resolveTar, reject) => {
    const chunks: Buffer[] = [];
    const stream = createTar({ cwd: dir, gzip: true, portable: true, prefix: 'package/', mtime: new Date('1985-10-26T08:15:00Z') }, paths);
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolveTar(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
  const readme = files.find((f) => /^readme(\.md|\.markdown|\.txt)?$/i.test(f.path));
  return {
    dir: label ?? dir,
    manifest,
    files,
    readme: readme ? readFileSync(join(dir, readme.path), 'utf8') : undefined,
    tarball,
    integrity: ssri.fromData(tarball, { algorithms: ['sha512'] }).toString(),
    unpackedSize: files.reduce((n, f) => n + f.size, 0),
    problems,
    warnings,
  };
}

/** The body `npm publish` sends for one version. */
export function publishBody(packed: PackedFolder, tag: string, registryUrl: string): Record<string, unknown> {
  const name = String(packed.manifest.name);
  const version = String(packed.manifest.version);
  const fileName = `${name.startsWith('@') ? name.split('/')[1] : name}-${version}.tgz`;
  return {
    _id: name,
    name,
    description: packed.manifest.description,
    'dist-tags': { [tag]: version },
    versions: {
      [version]: {
        ...packed.manifest,
        _id: `${name}@${version}`,
        readme: packed.readme,
        dist: { integrity: packed.integrity, tarball: `${registryUrl}${name}/-/${fileName}` },
      },
    },
    readme: packed.readme,
    _attachments: {
      [fileName]: { content_type: 'application/octet-stream', data: packed.tarball.toString('base64'), length: packed.tarball.length },
    },
  };
}

/** Most files and bytes one upload may hold (the packer's own limits then apply to what is packed). */
export interface UploadLimits {
  maxFiles: number;
  maxBytes: number;
}

/** An uploaded path, checked: relative, '/'-separated, no empty, '.' or '..' segments, nothing that could leave the folder. */
function safeUploadPath(raw: string): string {
  const segments = raw.split('/');
  const bad =
    raw.length === 0 ||
    raw.length > 1024 ||
    raw.includes('\\') ||
    raw.includes('\0') ||
    /^[a-zA-Z]:/.test(raw) ||
    segments.some((s) => s === '' || s === '.' || s === '..');
  if (bad)
    throw badRequest(`"${raw.slice(0, 200)}" is not a file path inside the folder; upload paths are relative, with / between folders`);
  return raw;
}

/**
 * Writes uploaded files to a fresh private temporary folder, runs `use` on it and removes it again. Only what was uploaded
 * is there, so nothing else of this machine can be read through it.
 */
export async function withUploadedFolder<T>(files: UploadedFile[], limits: UploadLimits, use: (dir: string) => Promise<T>): Promise<T> {
  if (files.length === 0) throw badRequest('the upload holds no files; pick the folder that holds package.json');
  if (files.length > limits.maxFiles) throw tooLarge(`the upload holds ${files.length} files; at most ${limits.maxFiles} are accepted`);
  const total = files.reduce((n, f) => n + f.data.length, 0);
  if (total > limits.maxBytes)
    throw tooLarge(
      `the upload holds ${(total / 1024 / 1024).toFixed(1)} MB; at most ${(limits.maxBytes / 1024 / 1024).toFixed(1)} MB are accepted`,
    );
  const seen = new Set<string>();
  for (const file of files) {
    const path = safeUploadPath(file.path);
    if (seen.has(path)) throw badRequest(`${path} is in the upload twice`);
    seen.add(path);
  }
  const dir = await mkdtemp(join(tmpdir(), 'shelf-upload-'));
  try {
    for (const file of files) {
      const target = resolve(dir, ...file.path.split('/'));
      // Checked above already; this states the invariant where the write happens.
      if (!target.startsWith(dir + sep)) throw badRequest(`${file.path} is not inside the folder`);
      try {
        await mkdir(dirname(target), { recursive: true, mode: 0o700 });
        await writeFile(target, file.data, { mode: 0o600, flag: 'wx' });
      } catch {
        throw badRequest(`${file.path} clashes with another uploaded path (a file and a folder of the same name)`);
      }
    }
    return await use(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Packs a folder a browser uploaded; `label` (the folder's own name) stands in for the temporary path in what is shown. */
export function packUpload(
  files: UploadedFile[],
  limits: UploadLimits,
  label: string,
  exclude: readonly string[] = [],
): Promise<PackedFolder> {
  return withUploadedFolder(files, limits, (dir) => packFolder(dir, label, exclude));
}
