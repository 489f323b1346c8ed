// The synthetic store (N packages, fixed word list and seed) used by the search and start-up benchmarks, seeded once by
// bench/seed/seed-store.mts (through Shelf's own publish path, in process) and kept under the bench cache folder.
import { existsSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BENCH_DIR, CACHE_DIR, ROOT, runCapture } from './common.mjs';

export const SEED = 1;

export function storePaths(count) {
  const dir = join(CACHE_DIR, `store-${count}-seed${SEED}`);
  return { dir, shelf: join(dir, 'shelf'), verdaccio: join(dir, 'verdaccio'), stamp: join(dir, 'seeded.json') };
}

/** Returns { shelf, verdaccio, seeding } — seeding is { seconds, perSecond, cached } — seeding first if needed. */
export async function ensureStore(count, log = console.error) {
  const p = storePaths(count);
  if (existsSync(p.stamp)) return { ...p, seeding: { ...JSON.parse(readFileSync(p.stamp, 'utf8')), cached: true } };
  rmSync(p.dir, { recursive: true, force: true });
  mkdirSync(p.dir, { recursive: true });
  log(`[store] seeding ${count} synthetic packages into ${p.dir} (once; later runs reuse it)`);
  const out = await runCapture(
    'npx',
    [
      'tsx',
      join(BENCH_DIR, 'seed', 'seed-store.mts'),
      '--data-dir',
      p.shelf,
      '--count',
      String(count),
      '--seed',
      String(SEED),
      '--verdaccio',
      p.verdaccio,
    ],
    { cwd: ROOT, timeoutMs: 3_600_000 },
  );
  const seeding = JSON.parse(out.stdout.trim().split('\n').at(-1));
  writeFileSync(p.stamp, JSON.stringify({ ...seeding, at: new Date().toISOString() }));
  return { ...p, seeding: { ...seeding, cached: false } };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const count = Number(process.argv[2] ?? 100000);
  console.log(JSON.stringify(await ensureStore(count)));
}
