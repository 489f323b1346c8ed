// Seeds a Shelf data folder with N synthetic packages through Shelf's own publish path, in process (createApp from the
// TypeScript sources, run with `npx tsx`): every package goes through PackageService.update → publishVersion exactly as
// an HTTP `npm publish` would (validation, tarball inspection, blob write with fsync, one SQLite transaction,
// packument rendering, search indexing) — only the HTTP hop is skipped, because 100,000 publishes over loopback are slow.
// Optionally also writes the same packages as a Verdaccio storage folder (its on-disk format, written directly).
//
// Usage: npx tsx bench/seed/seed-store.mts --data-dir DIR --count N [--seed 1] [--verdaccio DIR] [--concurrency 8]
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createApp } from '../../src/main/app';
import { resolveConfig } from '../../src/main/config/load';
import { makeTarball, publishBody, rng } from '../lib/common.mjs';
import { WORDS } from './words.mjs';

const argv = process.argv.slice(2);
const opt = (name: string, def?: string) => (argv.includes(`--${name}`) ? argv[argv.indexOf(`--${name}`) + 1] : def);
const dataDir = opt('data-dir');
if (!dataDir) throw new Error('--data-dir is required');
const count = Number(opt('count', '100000'));
const seed = Number(opt('seed', '1'));
const verdaccioDir = opt('verdaccio');
const concurrency = Number(opt('concurrency', '8'));

/** The synthetic package i: name, description and keywords drawn from the word list with a fixed seed. */
export function synthetic(random: () => number, i: number) {
  const w = () => WORDS[Math.floor(random() * WORDS.length)]!;
  const name = `${w()}-${w()}-${i.toString(36)}`;
  const description = Array.from({ length: 6 + Math.floor(random() * 6) }, w).join(' ');
  const keywords = [...new Set([w(), w(), w()])];
  return { name, description, keywords };
}

const config = { ...resolveConfig({ dataDir, env: {} }), port: 0, logLevel: 'error' as const };
const app = createApp(config, { mode: 'browser', writeLog: () => undefined });
const auth = app.services.auth;
const user =
  auth.findUser('seeder') ?? (await auth.createUser({ name: 'seeder', email: 'seeder@example.test', password: 'seeder-password-123' }));
const principal = { user, scope: 'publish' as const };

const random = rng(seed);
const packages = Array.from({ length: count }, (_, i) => synthetic(random, i));
const started = performance.now();
let next = 0;
let done = 0;
async function worker() {
  while (next < packages.length) {
    const p = packages[next++]!;
    const tarball = makeTarball({
      'package.json': JSON.stringify({ name: p.name, version: '1.0.0', description: p.description, keywords: p.keywords }),
      'index.js': 'module.exports = 1;\n',
    });
    const body = publishBody(p.name, '1.0.0', tarball, { manifest: { description: p.description, keywords: p.keywords, license: 'MIT' } });
    await app.services.packages.update(principal, p.name, body, undefined);
    if (verdaccioDir) writeVerdaccio(p, body as Record<string, any>, tarball);
    done++;
    if (done % 5000 === 0) process.stderr.write(`[seed] ${done}/${count} in ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
  }
}

function writeVerdaccio(p: { name: string }, body: Record<string, any>, tarball: Buffer) {
  const dir = join(verdaccioDir!, 'storage', p.name);
  mkdirSync(dir, { recursive: true });
  const file = `${p.name}-1.0.0.tgz`;
  const manifest = body.versions['1.0.0'];
  const doc = {
    name: p.name,
    versions: { '1.0.0': { ...manifest, dist: { ...manifest.dist, tarball: `http://localhost/${p.name}/-/${file}` } } },
    time: { modified: '2024-01-01T00:00:00.000Z', created: '2024-01-01T00:00:00.000Z', '1.0.0': '2024-01-01T00:00:00.000Z' },
    users: {},
    'dist-tags': { latest: '1.0.0' },
    _uplinks: {},
    _distfiles: {},
    _attachments: { [file]: { shasum: manifest.dist.shasum, version: '1.0.0' } },
    _rev: '1-0000000000000000',
    _id: p.name,
    readme: '',
  };
  writeFileSync(join(dir, 'package.json'), JSON.stringify(doc));
  writeFileSync(join(dir, file), tarball);
}

await Promise.all(Array.from({ length: concurrency }, worker));
if (verdaccioDir) writeFileSync(join(verdaccioDir, 'storage', '.verdaccio-db.json'), JSON.stringify({ list: packages.map((p) => p.name) }));
const seconds = (performance.now() - started) / 1000;
await app.close();
process.stdout.write(
  JSON.stringify({ count, seed, seconds: Math.round(seconds * 10) / 10, perSecond: Math.round(count / seconds) }) + '\n',
);
