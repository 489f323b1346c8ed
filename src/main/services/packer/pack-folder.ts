// Owns packing a project folder the way `npm pack` does (npm-packlist decides the files), plus the pre-publish checks
// the UI shows: required fields, files that look like secrets, unexpectedly large files.
import { readFileSync, statSync } from 'node:fs';
import { join, posix, resolve } from 'node:path';
import packlist from 'npm-packlist';
import ssri from 'ssri';
import { create as createTar } from 'tar';
import semver from 'semver';
import validateName from 'validate-npm-package-name';
import { badRequest } from '../../errors';

export interface PackedFolder {
  dir: string;
  manifest: Record<string, unknown>;
  files: { path: string; size: number; suspicious: boolean }[];
  tarball: Buffer;
  integrity: string;
  unpackedSize: number;
  problems: string[];
  warnings: string[];
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

function readPackageJson(dir: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(join(dir, 'package.json'), 'utf8');
  } catch {
    throw badRequest(`${dir} has no package.json; pick the folder that holds the package's package.json`);
  }
  try {
    const parsed = JSON.parse(text) as unknown;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
    return parsed as Record<string, unknown>;
  } catch (error) {
    throw badRequest(`${join(dir, 'package.json')} is not valid JSON (${(error as Error).message}); fix it and try again`);
  }
}

export async function packFolder(folder: string): Promise<PackedFolder> {
  const dir = resolve(folder);
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    throw badRequest(`${dir} does not exist; check the path`);
  }
  if (!isDir) throw badRequest(`${dir} is not a folder; pick the folder that holds package.json`);
  const manifest = readPackageJson(dir);
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
  const paths = (await packlist(tree as unknown as Parameters<typeof packlist>[0])).sort();
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
  return {
    dir,
    manifest,
    files,
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
  const readme = packed.files.find((f) => /^readme(\.md|\.markdown|\.txt)?$/i.test(posix.basename(f.path)) && !f.path.includes('/'));
  return {
    _id: name,
    name,
    description: packed.manifest.description,
    'dist-tags': { [tag]: version },
    versions: {
      [version]: {
        ...packed.manifest,
        _id: `${name}@${version}`,
        readme: readme ? readFileSync(join(packed.dir, readme.path), 'utf8') : undefined,
        dist: { integrity: packed.integrity, tarball: `${registryUrl}${name}/-/${fileName}` },
      },
    },
    readme: readme ? readFileSync(join(packed.dir, readme.path), 'utf8') : undefined,
    _attachments: {
      [fileName]: { content_type: 'application/octet-stream', data: packed.tarball.toString('base64'), length: packed.tarball.length },
    },
  };
}
