// Freezes what resolving a corpus project needs into test/corpus/<project>/registry.json.gz, and stores the lockfile
// the real npm writes FROM that frozen registry as test/corpus/<project>/npm-lock.json (NETWORK: packuments come from
// the registry your npm config names, `npm config get registry`; the npm run itself is against loopback only).
//
// Kept per name: every version npm's live lock records, the `latest` version and the highest version of each major
// (so "a newer major exists" choices stay real), with manifests trimmed to what resolution and the lockfile read.
// Names resolution asks about without locking them (optional peers, optional dependencies for other platforms) are
// kept with latest and the highest of each major.
//
//   node scripts/freeze-corpus.mjs --only cra4-ts-eslint5,express-generator
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import semver from 'semver';
import { serveFrozen } from '../test/corpus/frozen-registry.mjs';
import { lockEntries } from '../test/fixtures/lock-registry.mjs';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..');
const CORPUS = join(ROOT, 'test', 'corpus');
const argv = process.argv.slice(2);
const only = (argv[argv.indexOf('--only') + 1] ?? '').split(',').filter(Boolean);
if (!argv.includes('--only') || only.length === 0) throw new Error('usage: node scripts/freeze-corpus.mjs --only a,b');
const registry = (await run('npm', ['config', 'get', 'registry'])).stdout.trim().replace(/\/?$/, '/');
console.log(`freeze: NETWORK — packuments from the registry your npm config names (npm config get registry): ${registry}`);

const FIELDS = [
  'name',
  'version',
  'dependencies',
  'optionalDependencies',
  'peerDependencies',
  'peerDependenciesMeta',
  'bundleDependencies',
  'bundledDependencies',
  'engines',
  'os',
  'cpu',
  'libc',
  'deprecated',
  'bin',
  'license',
  'funding',
  'hasInstallScript',
];
const trim = (m) => Object.fromEntries(FIELDS.filter((f) => m[f] !== undefined).map((f) => [f, m[f]]));
const cache = new Map();
async function packument(name) {
  if (!cache.has(name))
    cache.set(
      name,
      fetch(`${registry}${name.replace('/', '%2f')}`, { headers: { accept: 'application/json' } }).then((r) => (r.ok ? r.json() : null)),
    );
  return cache.get(name);
}

/** npm's live lock for the project: written here against the configured registry with a throwaway cache. */
async function liveLock(name) {
  const dir = mkdtempSync(join(tmpdir(), `freeze-${name}-`));
  cpSync(join(CORPUS, name), dir, { recursive: true, filter: (s) => !/registry\.json\.gz$|npm-lock\.json$/.test(s) });
  await run('npm', ['install', '--package-lock-only', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: dir, maxBuffer: 1 << 26 });
  const lock = JSON.parse(readFileSync(join(dir, 'package-lock.json'), 'utf8'));
  rmSync(dir, { recursive: true, force: true });
  return lock;
}

function keepVersions(doc, wanted) {
  const versions = Object.keys(doc.versions ?? {});
  const keep = new Set(wanted.filter((v) => doc.versions[v]));
  const latest = doc['dist-tags']?.latest;
  if (latest && doc.versions[latest]) keep.add(latest);
  const byMajor = new Map();
  for (const v of versions) {
    if (!semver.valid(v) || semver.prerelease(v)) continue;
    const major = semver.major(v);
    if (!byMajor.has(major) || semver.gt(v, byMajor.get(major))) byMajor.set(major, v);
  }
  for (const v of byMajor.values()) keep.add(v);
  return keep;
}

for (const project of only) {
  const started = performance.now();
  const lock = await liveLock(project);
  const wanted = new Map();
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (path === '' || entry.link || !path.includes('node_modules/')) continue;
    const id = lockEntries({ packages: { [path]: entry } })[path];
    const name = id.slice(0, id.lastIndexOf('@'));
    if (!wanted.has(name)) wanted.set(name, []);
    wanted.get(name).push(entry.version);
  }
  const docs = {};
  /** Adds `names` (with the versions the lock names, and for every range the kept manifests write, its best match). */
  const add = async (names) => {
    const queue = [...names];
    for (let i = 0; i < queue.length; i += 16) {
      const batch = queue.slice(i, i + 16).filter((n) => !docs[n]);
      const fetched = await Promise.all(batch.map((n) => packument(n)));
      for (const [j, name] of batch.entries()) {
        const doc = fetched[j];
        if (!doc || docs[name]) continue;
        const keep = keepVersions(doc, wanted.get(name) ?? []);
        const valid = Object.keys(doc.versions ?? {}).filter((v) => semver.valid(v));
        for (const range of rangesFor(name)) {
          const best = semver.maxSatisfying(valid, range, { loose: true });
          if (best) keep.add(best);
        }
        const versions = {};
        for (const v of [...keep].filter((v) => semver.valid(v)).sort(semver.compare)) versions[v] = trim(doc.versions[v]);
        const latest =
          doc['dist-tags']?.latest && versions[doc['dist-tags'].latest] ? doc['dist-tags'].latest : Object.keys(versions).at(-1);
        docs[name] = { name, 'dist-tags': { latest }, versions };
        // Names asked about but not locked: optional peers and optional dependencies of the kept versions.
        for (const m of Object.values(versions))
          for (const dep of [...Object.keys(m.peerDependencies ?? {}), ...Object.keys(m.optionalDependencies ?? {})])
            if (!docs[dep] && !queue.includes(dep)) queue.push(dep);
      }
    }
  };
  const rangesFor = (name) => {
    const out = new Set();
    for (const doc of Object.values(docs))
      for (const m of Object.values(doc.versions))
        for (const deps of [m.dependencies, m.optionalDependencies, m.peerDependencies]) {
          const r = deps?.[name];
          if (typeof r === 'string' && semver.validRange(r, { loose: true })) out.add(r);
        }
    return out;
  };
  await add(wanted.keys());
  // Resolution also asks for names that end up pruned from the lock (a replaced copy's dependencies): run npm and Shelf
  // against the frozen set and add whatever they asked for and did not find, until nothing is missing.
  for (let round = 0; round < 6; round++) {
    const frozen = await serveFrozen(docs);
    const dir = mkdtempSync(join(tmpdir(), `freeze-${project}-probe-`));
    try {
      cpSync(join(CORPUS, project), join(dir, 'npm'), { recursive: true, filter: (s) => !/registry\.json\.gz$|npm-lock\.json$/.test(s) });
      cpSync(join(CORPUS, project), join(dir, 'shelf'), { recursive: true, filter: (s) => !/registry\.json\.gz$|npm-lock\.json$/.test(s) });
      await Promise.all([
        run(
          'npm',
          [
            'install',
            '--package-lock-only',
            '--ignore-scripts',
            '--no-audit',
            '--no-fund',
            `--registry=${frozen.url}/`,
            `--cache=${join(dir, 'cache')}`,
          ],
          { cwd: join(dir, 'npm'), maxBuffer: 1 << 26 },
        ).catch(() => undefined),
        run(process.execPath, [join(ROOT, 'bin', 'shelf.js'), 'lock', '--registry', `${frozen.url}/`], {
          cwd: join(dir, 'shelf'),
          env: { ...process.env, SHELF_DATA_DIR: join(dir, 'data') },
          maxBuffer: 1 << 26,
        }).catch(() => undefined),
      ]);
    } finally {
      await frozen.close();
      rmSync(dir, { recursive: true, force: true });
    }
    const missing = [...frozen.missing].filter((n) => !docs[n]);
    if (missing.length === 0) break;
    console.log(`freeze: ${project}: adding ${missing.length} names resolution asked for (${missing.slice(0, 5).join(', ')}…)`);
    const before = Object.keys(docs).length;
    await add(missing);
    if (Object.keys(docs).length === before) break; // not on the live registry either
  }
  const file = join(CORPUS, project, 'registry.json.gz');
  writeFileSync(file, gzipSync(JSON.stringify(docs), { level: 9 }));
  // npm's lock made FROM the frozen registry, on loopback.
  const frozen = await serveFrozen(docs);
  const dir = mkdtempSync(join(tmpdir(), `freeze-${project}-npm-`));
  try {
    cpSync(join(CORPUS, project), dir, { recursive: true, filter: (s) => !/registry\.json\.gz$|npm-lock\.json$/.test(s) });
    await run(
      'npm',
      [
        'install',
        '--package-lock-only',
        '--ignore-scripts',
        '--no-audit',
        '--no-fund',
        `--registry=${frozen.url}/`,
        `--cache=${join(dir, '.npm-cache')}`,
      ],
      { cwd: dir, maxBuffer: 1 << 26 },
    );
    const npmLock = JSON.parse(readFileSync(join(dir, 'package-lock.json'), 'utf8'));
    writeFileSync(join(CORPUS, project, 'npm-lock.json'), `${JSON.stringify(npmLock, null, 2)}\n`);
    const size = readFileSync(file).length;
    console.log(
      `freeze: ${project}: ${Object.keys(docs).length} packuments, ${(size / 1024).toFixed(0)} KiB, npm locked ${Object.keys(npmLock.packages).length - 1} entries (${Math.round((performance.now() - started) / 1000)} s)`,
    );
  } finally {
    await frozen.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
if (!existsSync(CORPUS)) throw new Error('no corpus');
