// `npm run compat`: Shelf's resolver against npm on every project of test/corpus (NETWORK: the registry your npm config
// names, `npm config get registry`). One `shelf serve` mirrors that registry; for each project npm resolves first
// (`npm install --package-lock-only`, which also warms the mirror), then `shelf lock` resolves through the same Shelf.
// Compared: name@version at every lockfile path, whether `npm ci --ignore-scripts --dry-run` accepts Shelf's lock,
// and the success/failure decision (for a failure: how long Shelf's explanation is and whether a fix was verified).
// Writes docs/COMPAT.md (and the raw results as JSON next to the mirror's data folder).
//
//   node scripts/compat.mjs [--only a,b] [--concurrency 1] [--data <mirror folder>] [--no-write]
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { compareLocks } from '../test/fixtures/lock-registry.mjs';
import { NPM_FLAGS, ROOT, SHELF_BIN, npmRegistry, npmVersion, runCapture, startShelf, tempDir } from '../bench/lib/common.mjs';

const CORPUS = join(ROOT, 'test', 'corpus');
const argv = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : fallback;
};
const only = arg('only', '')?.split(',').filter(Boolean) ?? [];
const concurrency = Math.max(1, Math.min(4, Number(arg('concurrency', '1'))));
const dataDir = arg('data', join(os.tmpdir(), 'shelf-compat-mirror'));
const write = !argv.includes('--no-write');
/** Projects Shelf refuses on purpose (git, tarball specs), with the reason; their expected decision is that refusal. */
const EXPECTED = JSON.parse(readFileSync(join(CORPUS, 'expected.json'), 'utf8'));

const registry = npmRegistry();
console.log(`compat: NETWORK — packages come from the registry your npm config names (npm config get registry): ${registry}`);
if (!existsSync(join(ROOT, 'out', 'main', 'cli.js'))) throw new Error('Shelf is not built: run `npx electron-vite build` first');

const projects = readdirSync(CORPUS, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(CORPUS, d.name, 'package.json')))
  .map((d) => d.name)
  .filter((name) => only.length === 0 || only.includes(name))
  .sort();

mkdirSync(dataDir, { recursive: true });
// A persistent mirror folder: a rerun is served warm. --cache-max-age keeps one run from revalidating every document.
const shelf = await startShelf({ dataDir: join(dataDir, 'shelf'), upstream: registry, extraArgs: ['--cache-max-age', '6h'] });
const shelfRegistry = `${shelf.url}/`;
const npmCache = join(dataDir, 'npm-cache');
const shelfData = join(dataDir, 'shelf-cli');
const npmArgs = (...rest) => [...rest, `--registry=${shelfRegistry}`, `--cache=${npmCache}`, ...NPM_FLAGS];
console.log(`compat: Shelf mirror at ${shelf.url}, ${projects.length} projects, concurrency ${concurrency}`);

const copyProject = (name) => {
  const dir = tempDir(`shelf-compat-${name}-`);
  cpSync(join(CORPUS, name), dir, { recursive: true, filter: (src) => !/registry\.json\.gz$|npm-lock\.json$/.test(src) });
  return dir;
};
const firstLine = (text, pattern) =>
  text
    .split('\n')
    .find((l) => pattern.test(l))
    ?.trim() ??
  text.trim().split('\n').slice(-1)[0] ??
  '';

async function runProject(name) {
  const started = performance.now();
  const result = { name, expected: EXPECTED[name] ?? 'success' };
  const npmDir = copyProject(name);
  const shelfDir = copyProject(name);
  try {
    // loglevel warn (after NPM_FLAGS' error) so npm's "ERESOLVE overriding peer dependency" warnings can be counted.
    const npmRun = await runCapture('npm', [...npmArgs('install', '--package-lock-only', '--legacy-peer-deps=false'), '--loglevel=warn'], {
      cwd: npmDir,
      allowFail: true,
      timeoutMs: 900_000,
    });
    result.npm = { ok: npmRun.code === 0, ms: Math.round(npmRun.ms) };
    if (!result.npm.ok) result.npm.error = firstLine(npmRun.stderr, /ERESOLVE|ERR!|error/i);
    result.npm.overriding = (npmRun.stderr.match(/ERESOLVE overriding peer dependency/g) ?? []).length;

    const shelfRun = await runCapture(process.execPath, [SHELF_BIN, 'lock', '--registry', shelfRegistry], {
      cwd: shelfDir,
      allowFail: true,
      timeoutMs: 900_000,
      env: { ...process.env, SHELF_DATA_DIR: shelfData },
    });
    result.shelf = { ok: shelfRun.code === 0, ms: Math.round(shelfRun.ms) };
    result.shelf.overriding = (shelfRun.stderr.match(/ERESOLVE overriding peer dependency/g) ?? []).length;
    if (!result.shelf.ok) {
      result.shelf.error = firstLine(shelfRun.stderr, /shelf:/);
      result.shelf.explanationLines = shelfRun.stdout.split('\n').filter((l) => l.trim()).length;
      result.shelf.fixVerified = /Fixes that were tried and resolve/.test(shelfRun.stdout);
    }
    const expectedShelfOk = result.expected === 'success' ? result.npm.ok : false;
    result.sameDecision = result.shelf.ok === expectedShelfOk;

    if (result.npm.ok && result.shelf.ok) {
      const npmLock = JSON.parse(readFileSync(join(npmDir, 'package-lock.json'), 'utf8'));
      const shelfLock = JSON.parse(readFileSync(join(shelfDir, 'package-lock.json'), 'utf8'));
      result.compare = compareLocks(npmLock, shelfLock);
      mkdirSync(join(dataDir, 'locks'), { recursive: true });
      writeFileSync(join(dataDir, 'locks', `${name}.npm.json`), JSON.stringify(npmLock, null, 2));
      writeFileSync(join(dataDir, 'locks', `${name}.shelf.json`), JSON.stringify(shelfLock, null, 2));
      const ci = await runCapture('npm', npmArgs('ci', '--dry-run'), { cwd: shelfDir, allowFail: true, timeoutMs: 900_000 });
      result.ciAccepts = ci.code === 0;
      if (!result.ciAccepts) result.ciError = ci.stderr.trim().split('\n').slice(0, 12).join('\n');
    }
  } finally {
    result.ms = Math.round(performance.now() - started);
    rmSync(npmDir, { recursive: true, force: true });
    rmSync(shelfDir, { recursive: true, force: true });
  }
  const c = result.compare;
  console.log(
    `compat: ${name}: npm ${result.npm.ok ? 'ok' : 'fails'}, shelf ${result.shelf.ok ? 'ok' : 'fails'}` +
      (c ? `, ${c.same}/${c.total} entries identical, npm ci ${result.ciAccepts ? 'accepts' : 'REFUSES'}` : '') +
      ` (${Math.round(result.ms / 1000)} s)`,
  );
  return result;
}

const results = [];
try {
  let next = 0;
  const worker = async () => {
    while (next < projects.length) {
      const name = projects[next++];
      try {
        results.push(await runProject(name));
      } catch (error) {
        console.log(`compat: ${name}: could not run (${error.message.split('\n')[0]})`);
        results.push({ name, crashed: error.message.split('\n')[0] });
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
} finally {
  await shelf.stop();
}
results.sort((a, b) => a.name.localeCompare(b.name));
writeFileSync(join(dataDir, 'compat-results.json'), JSON.stringify(results, null, 2));
if (write && only.length === 0) writeFileSync(join(ROOT, 'docs', 'COMPAT.md'), render(results));
else console.log(render(results));

function render(rows) {
  const compared = rows.filter((r) => r.compare);
  const total = compared.reduce((s, r) => s + r.compare.total, 0);
  const same = compared.reduce((s, r) => s + r.compare.same, 0);
  const ciOk = compared.filter((r) => r.ciAccepts).length;
  const decided = rows.filter((r) => !r.crashed);
  const sameDecision = decided.filter((r) => r.sameDecision).length;
  const pct = (a, b) => (b ? `${((100 * a) / b).toFixed(2)}%` : 'n/a');
  const lines = [
    '# Resolver compatibility with npm on the corpus',
    '',
    `Written by \`npm run compat\` (scripts/compat.mjs) on ${new Date().toISOString().slice(0, 10)} with npm ${npmVersion()} and Node ${process.version}.`,
    'Packages came from the registry the npm config names (`npm config get registry`), through one Shelf mirror; npm',
    'resolved each project first (`npm install --package-lock-only --ignore-scripts --legacy-peer-deps=false`), then',
    '`shelf lock` through the same mirror. Projects and their sources: `test/corpus/SOURCES.md`.',
    '',
    '## Totals',
    '',
    `- Projects: ${rows.length} (${compared.length} locked by both, ${rows.filter((r) => r.crashed).length} could not run)`,
    `- Entries identical (name@version at the same path, over the union of both locks' paths): ${same} / ${total} = ${pct(same, total)}`,
    `- \`npm ci --ignore-scripts --dry-run\` accepts Shelf's lock: ${ciOk} / ${compared.length} = ${pct(ciOk, compared.length)}`,
    `- Same success/failure decision (a refusal by design counts as expected): ${sameDecision} / ${decided.length} = ${pct(sameDecision, decided.length)}`,
    '',
    '## Per project',
    '',
    '| Project | npm | Shelf | Identical entries | npm ci accepts | Same decision | Shelf explanation (lines, fix verified) |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of rows) {
    if (r.crashed) {
      lines.push(`| ${r.name} | could not run: ${r.crashed.replace(/\|/g, '\\|')} | | | | | |`);
      continue;
    }
    const c = r.compare;
    const npmCell = r.npm.ok ? `ok (${r.npm.overriding} overriding)` : `fails: ${r.npm.error.replace(/\|/g, '\\|').slice(0, 80)}`;
    const shelfCell = r.shelf.ok
      ? `ok (${r.shelf.overriding} overriding)`
      : `fails${r.expected !== 'success' ? ` (expected: ${r.expected})` : ''}`;
    lines.push(
      `| ${r.name} | ${npmCell} | ${shelfCell} | ${c ? `${c.same} / ${c.total}` : '—'} | ${c ? (r.ciAccepts ? 'yes' : 'NO') : '—'} | ${r.sameDecision ? 'yes' : 'NO'} | ${r.shelf.ok ? '—' : `${r.shelf.explanationLines}, ${r.shelf.fixVerified ? 'yes' : 'no'}`} |`,
    );
  }
  lines.push('', '## Remaining differences', '');
  const diffs = rows.filter(
    (r) => (r.compare && r.compare.differences.length) || (r.compare && !r.ciAccepts) || (!r.crashed && !r.sameDecision),
  );
  if (diffs.length === 0) lines.push('None.');
  for (const r of diffs) {
    lines.push(`### ${r.name}`, '');
    if (!r.sameDecision)
      lines.push(
        `- Decision differs: npm ${r.npm.ok ? 'succeeds' : `fails (${r.npm.error})`}, Shelf ${r.shelf.ok ? 'succeeds' : `fails (${r.shelf.error})`}.`,
      );
    for (const d of r.compare?.differences.slice(0, 30) ?? [])
      lines.push(`- \`${d.path}\`: npm ${d.expected ?? '(absent)'}, Shelf ${d.actual ?? '(absent)'}`);
    if (r.compare && r.compare.differences.length > 30) lines.push(`- … and ${r.compare.differences.length - 30} more`);
    if (r.compare && !r.ciAccepts) lines.push("- npm ci refuses Shelf's lock:", '```', r.ciError, '```');
    lines.push('');
  }
  return `${lines.join('\n')}\n`;
}
