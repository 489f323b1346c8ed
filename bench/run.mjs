// Runs every benchmark in bench/ (each in its own process, one after another), then writes docs/BENCHMARKS.md.
// npm run bench [-- --quick] [-- --only 01,03] [-- --runs N]
// A benchmark that fails is recorded as failed in its result file and the others still run.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BENCH_DIR, ROOT, RESULTS_DIR, ensurePeers, machine, newResult, parseArgs } from './lib/common.mjs';
import { GROUP_TITLES, renderGroup, renderReport } from './report.mjs';

const argv = process.argv.slice(2);
const onlyIdx = argv.indexOf('--only');
const only = onlyIdx >= 0 ? argv[onlyIdx + 1].split(',') : undefined;
const passthrough = onlyIdx >= 0 ? argv.filter((_, i) => i !== onlyIdx && i !== onlyIdx + 1) : argv;
const args = parseArgs(passthrough);

if (!existsSync(join(ROOT, 'out', 'main'))) {
  console.error('[bench] out/ is missing: building with `npx electron-vite build`');
  await new Promise((r, j) =>
    spawn('npx', ['electron-vite', 'build'], { cwd: ROOT, stdio: 'inherit' }).on('exit', (c) =>
      c === 0 ? r() : j(new Error('build failed')),
    ),
  );
}
ensurePeers();

const scripts = readdirSync(BENCH_DIR)
  .filter((f) => /^\d\d-.*\.mjs$/.test(f))
  .filter((f) => !only || only.some((o) => f.startsWith(o.padStart(2, '0'))))
  .sort();
const started = performance.now();
console.error(`[bench] ${scripts.length} benchmarks${args.quick ? ' (quick mode)' : ''}; machine ${JSON.stringify(machine())}`);
for (const script of scripts) {
  const t0 = performance.now();
  console.error(`\n[bench] ── ${script}`);
  const code = await new Promise((r) =>
    spawn(process.execPath, [join(BENCH_DIR, script), ...passthrough], { cwd: ROOT, stdio: 'inherit' }).on('exit', (c, s) => r(c ?? s)),
  );
  console.error(`[bench] ── ${script} ${code === 0 ? 'done' : `FAILED (${code})`} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  if (code !== 0) {
    const id = script.replace(/\.mjs$/, '');
    const failed = newResult(id, `${id} (failed)`, args);
    failed.error = `the script exited with ${code}; see its output`;
    writeFileSync(join(RESULTS_DIR, `${id}.json`), JSON.stringify({ ...failed, underLoad: false }, null, 2) + '\n');
  }
}
// A partial run (--only) writes its groups' blocks into docs/BENCHMARKS.md and keeps the rest of the file; a full run
// rewrites it from every result.
if (only) for (const prefix of new Set(only.map((o) => o.slice(0, 2).padStart(2, '0')))) renderGroup(prefix, GROUP_TITLES[Number(prefix)]);
else renderReport();
console.error(`\n[bench] all done in ${((performance.now() - started) / 1000).toFixed(0)} s; wrote docs/BENCHMARKS.md`);
