// The built `shelf lock` parses fetched documents on a worker thread (document-pool.ts) and hands the resolution only
// metadata-cache rows: the lockfile must be byte for byte the one this process writes parsing on its own thread, the
// cache the worker's rows went into must serve --offline runs (of the CLI and of this process), and a refusal must
// say what it always said and write nothing. Documents hold 80 versions (more than one multi-row INSERT), a version
// that is not semver, and licenses outside ASCII (two- to four-byte UTF-8), so every manifest offset counts.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lockCommand } from '../../src/main/cli/lock';
import { tempDir } from '../helpers/clients';
import { startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream';
import { ROOT, cleanEnv } from '../helpers/shelf-process';
import { captureIO } from './resolver-fixture';

const SHELF = join(ROOT, 'bin', 'shelf.js');
const INTEGRITY = `sha512-${Buffer.alloc(64, 7).toString('base64')}`;

let upstream: FakeUpstream;

function manifest(name: string, version: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name,
    version,
    ...extra,
    // Trimmed away: what a full document carries besides what resolution reads.
    readme: `# ${name}\n\n${'Lorem ipsum dolor sit amet. '.repeat(20)}`,
    maintainers: [{ name: 'Zoë Ærøskøbing', email: 'zoe@example.test' }],
    dist: { tarball: `${upstream.url}${name}/-/${name}-${version}.tgz`, integrity: INTEGRITY, shasum: '0'.repeat(40) },
  };
}

/** A registry answer: the document as JSON, abbreviated or full as the Accept header and the route ask. */
function serve(document: unknown, contentType = 'application/json') {
  return (_request: IncomingMessage, response: ServerResponse) => {
    response.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-cache', etag: '"v1"' }).end(JSON.stringify(document));
  };
}

beforeAll(async () => {
  upstream = await startFakeUpstream();
  const many: Record<string, unknown> = {};
  for (let i = 0; i < 80; i++) {
    const version = `1.0.${i}`;
    many[version] = manifest('many', version, {
      license: `LicenseRef-Ünïcödé-${i}-€-𝄞`,
      dependencies: { dep: i % 2 ? '^2.0.0' : '^2.1.0' },
      ...(i === 44 && { deprecated: 'use 1.0.43 — «broken» ✗' }),
      ...(i % 7 === 0 && { engines: { node: '>=18' } }),
      scripts: { test: 'vitest', postinstall: 'node setup.js' },
    });
  }
  // Not semver: kept in the document (the facts' `others`), never chosen.
  many['banana'] = manifest('many', 'banana', { license: 'MIT' });
  upstream.route('/many', serve({ name: 'many', 'dist-tags': { latest: '1.0.79' }, versions: many }));
  // `dep`: its abbreviated document has no license, so the full one is fetched too (the lockfile records it).
  const dep = (withLicense: boolean) => ({
    name: 'dep',
    'dist-tags': { latest: '2.1.0' },
    versions: Object.fromEntries(
      ['2.0.0', '2.1.0'].map((v) => [v, manifest('dep', v, withLicense ? { license: 'Apache-2.0 OR «Ünlicense»' } : {})]),
    ),
  });
  upstream.route('/dep', (request, response) => {
    const abbreviated = (request.headers.accept ?? '').startsWith('application/vnd.npm.install-v1+json');
    serve(dep(!abbreviated), abbreviated ? 'application/vnd.npm.install-v1+json' : 'application/json')(request, response);
  });
  upstream.route('/broken', serve({ name: 'broken' }));
});
afterAll(async () => upstream?.close());

function projectDir(dependencies: Record<string, string>): string {
  const dir = tempDir();
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', dependencies }));
  return dir;
}

/** The built CLI, as people run it. */
function shelfLock(dir: string, dataDir: string, registry: string, flags: string[] = []) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [SHELF, 'lock', '--registry', registry, '--json', ...flags], {
      cwd: dir,
      env: { ...cleanEnv(), SHELF_DATA_DIR: dataDir, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const snapshot = (dir: string) => Object.fromEntries(readdirSync(dir).map((f) => [f, readFileSync(join(dir, f), 'utf8')]));

describe('shelf lock with document workers', () => {
  it('writes the same lockfile as parsing on the resolving thread, and its cache serves --offline runs', async () => {
    const dependencies = { many: '>=1.0.40 <1.0.47' };
    const dataDir = mkdtempSync(join(tmpdir(), 'shelf-workers-data-'));
    const built = projectDir(dependencies);
    const run = await shelfLock(built, dataDir, upstream.url);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as { fetched: number; parsedInWorkers: number };
    // many, dep abbreviated, dep full: all three parsed off the resolving thread.
    expect(report).toMatchObject({ fetched: 3, parsedInWorkers: 3 });
    const lockfile = readFileSync(join(built, 'package-lock.json'), 'utf8');
    const locked = JSON.parse(lockfile) as { packages: Record<string, { version: string; license?: string; deprecated?: string }> };
    expect(locked.packages['node_modules/many']).toMatchObject({ version: '1.0.46', license: 'LicenseRef-Ünïcödé-46-€-𝄞' });
    expect(locked.packages['node_modules/dep']).toMatchObject({ version: '2.1.0', license: 'Apache-2.0 OR «Ünlicense»' });

    // This process, from source, parses on its own thread.
    const inProcess = projectDir(dependencies);
    const io = captureIO(inProcess);
    expect(await lockCommand(undefined, { registry: upstream.url, json: true }, io)).toBe(0);
    expect(JSON.parse(io.stdout())).toMatchObject({ fetched: 3, parsedInWorkers: 0 });
    expect(readFileSync(join(inProcess, 'package-lock.json'), 'utf8')).toBe(lockfile);

    // The rows the worker handed over, as the writer thread stored them: read back by the CLI and by this process.
    const offline = projectDir(dependencies);
    const again = await shelfLock(offline, dataDir, upstream.url, ['--offline']);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ fetched: 0, fromCache: 2, parsedInWorkers: 0 });
    expect(readFileSync(join(offline, 'package-lock.json'), 'utf8')).toBe(lockfile);
    const fromCache = projectDir(dependencies);
    const cacheIO = { ...captureIO(fromCache), env: { SHELF_DATA_DIR: dataDir } };
    expect(await lockCommand(undefined, { registry: upstream.url, json: true, offline: true }, cacheIO)).toBe(0);
    expect(readFileSync(join(fromCache, 'package-lock.json'), 'utf8')).toBe(lockfile);
  });

  it('refuses a missing package, a document without versions and an unreachable registry as before, writing nothing', async () => {
    const cases: [Record<string, string>, string | undefined, RegExp][] = [
      [
        { many: '^1.0.0', missing: '^1.0.0' },
        undefined,
        /package missing is not in the registry http:\/\/127\.0\.0\.1:\d+\/; check the name/,
      ],
      [{ broken: '^1.0.0' }, undefined, /the registry http:\/\/127\.0\.0\.1:\d+\/ sent a document for broken without versions/],
      [{ many: '^1.0.0' }, 'closed', /could not reach http:\/\/127\.0\.0\.1:\d+\/many \(.*\); is the registry running\? \(--registry\)/],
    ];
    for (const [dependencies, registry, message] of cases) {
      let url = upstream.url;
      if (registry === 'closed') {
        const gone = await startFakeUpstream();
        url = gone.url;
        await gone.close();
      }
      const dir = projectDir(dependencies);
      const before = snapshot(dir);
      const run = await shelfLock(dir, mkdtempSync(join(tmpdir(), 'shelf-workers-data-')), url);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(message);
      expect(existsSync(join(dir, 'package-lock.json'))).toBe(false);
      expect(snapshot(dir)).toEqual(before);
    }
  });
});
