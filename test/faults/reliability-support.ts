// What the reliability fault tests share: npm-protocol calls against a real `shelf serve`, in-memory tarballs, `shelf fsck`
// run as the CLI, and a listing of the blob folders read from disk.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import ssri from 'ssri';
import { publishBody } from '../helpers/app-harness';
import { ROOT, cleanEnv } from '../helpers/shelf-process';
import { manifestEntry, rawTarball } from '../helpers/tar-fixtures';

export interface Reply {
  status: number;
  body: any;
  text: string;
}

export async function call(base: string, method: string, path: string, options: { token?: string; body?: unknown } = {}): Promise<Reply> {
  const headers: Record<string, string> = {};
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${base}${path}`, {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    /* not JSON */
  }
  return { status: response.status, body, text };
}

/** Signs up (sign-up is open on loopback) and returns the account's token. */
export async function signUp(base: string, name: string): Promise<string> {
  const reply = await call(base, 'PUT', `/-/user/org.couchdb.user:${name}`, {
    body: { _id: `org.couchdb.user:${name}`, name, password: `${name}-password-123456`, email: `${name}@example.test`, type: 'user' },
  });
  if (reply.status !== 201) throw new Error(`sign-up of ${name} failed: ${reply.status} ${reply.text}`);
  return reply.body.token as string;
}

/** A real tarball built in memory; `payload` makes its bytes (and so its blob) unique, or large. */
export function tarballOf(name: string, version: string, payload: string | Buffer = ''): Buffer {
  return rawTarball([
    manifestEntry(name, version),
    { path: 'package/index.js', body: payload || `module.exports = '${name}@${version}';\n` },
  ]);
}

export const integrityOf = (bytes: Buffer): string => ssri.fromData(bytes, { algorithms: ['sha512'] }).toString();

export function publish(base: string, token: string, name: string, version: string, tarball: Buffer): Promise<Reply> {
  return call(base, 'PUT', `/${name.replace('/', '%2f')}`, { token, body: publishBody(name, version, tarball) });
}

/** npm's whole-package unpublish: read the _rev, then DELETE with it. */
export async function unpublishPackage(base: string, token: string, name: string): Promise<Reply> {
  const doc = await call(base, 'GET', `/${name}?write=true`, { token });
  if (doc.status !== 200) return doc;
  return call(base, 'DELETE', `/${name}/-rev/${doc.body._rev}`, { token });
}

/** Every file under blobs/ (relative paths), sorted: the blobs, temp files and anything else. */
export function blobFiles(dataDir: string): string[] {
  const files: string[] = [];
  const walk = (dir: string, prefix: string) => {
    if (!existsSync(dir)) return;
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) walk(path, `${prefix}${entry}/`);
      else files.push(`${prefix}${entry}`);
    }
  };
  walk(join(dataDir, 'blobs'), '');
  return files.sort();
}

/** The blob file name (hex sha512) a tarball is stored under. */
export const blobName = (bytes: Buffer): string => createHash('sha512').update(bytes).digest('hex');

export interface FsckRun {
  status: number | null;
  report: any;
  stderr: string;
}

/** Runs `shelf fsck --json` on a data folder (the built CLI, as a person would). */
export function fsck(dataDir: string, args: string[] = []): FsckRun {
  const result = spawnSync(process.execPath, [join(ROOT, 'bin', 'shelf.js'), 'fsck', '--json', '--data-dir', dataDir, ...args], {
    env: cleanEnv(),
    encoding: 'utf8',
    timeout: 60_000,
  });
  let report: unknown;
  try {
    report = JSON.parse(result.stdout);
  } catch {
    throw new Error(`shelf fsck printed no JSON (exit ${result.status}):\n${result.stdout}\n${result.stderr}`);
  }
  return { status: result.status, report, stderr: result.stderr };
}

/** Waits (bounded) until /health says the collector has finished a run, and returns that run. */
export async function collectorRun(base: string): Promise<any> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const health = await call(base, 'GET', '/health');
    if (health.body?.collector?.lastRun) return health.body.collector.lastRun;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the collector did not finish a run within 10 s of start-up');
}
