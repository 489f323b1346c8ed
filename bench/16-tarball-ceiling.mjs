// Benchmark 16 (issue 16): tarball GET of a 1 MB and a 20 MB tarball, Shelf against a static file server of the same file
// (node:http + fs.createReadStream in its own process), side by side: MB/s and p99 over keep-alive connections
// (bench/lib/get-loop.mjs: autocannon's parser tops out far below these servers). Where Shelf falls short, it is
// restarted with --cpu-prof on the same data and the profile of a short load is summarized beside the figures.
// Run alone: node bench/16-tarball-ceiling.mjs [--quick] [--runs N]
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { allProfiles, profileText, summarizeProfile } from './lib/cpu-profile.mjs';
import {
  cleanup,
  couchLogin,
  getLoop,
  log,
  newResult,
  packageTarball,
  parseArgs,
  publish,
  publishBody,
  ratio,
  rng,
  startShelf,
  startStatic,
  summarize,
  tempDir,
  writeResult,
} from './lib/common.mjs';
import { processCpuSeconds } from './lib/proc-cpu.mjs';

const ID = '16-tarball-ceiling';
const args = parseArgs();
const result = newResult(ID, 'Tarball GET (1 MB and 20 MB) against a static file server', args);
const duration = args.quick ? 2 : 10;
const connections = 10;
const SIZES = [1, 20];

/** A tarball of about `mb` MB that gzip cannot shrink (seeded random bytes). */
function tarballOf(name, mb) {
  const random = rng(mb);
  const payload = Buffer.alloc(mb * 1024 * 1024);
  for (let i = 0; i < payload.length; i += 4) payload.writeUInt32LE((random() * 2 ** 32) >>> 0, i);
  return packageTarball(name, '1.0.0', { 'data.bin': payload });
}

function bytesOf(url) {
  return new Promise((resolve, reject) => {
    http
      .get(url, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve(Buffer.concat(chunks)));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

const dirs = { shelf: tempDir('shelf-bench-16t-'), static: tempDir('static-bench-16t-'), profiles: tempDir('profiles-bench-16t-') };
const servers = [];
let shelf;
try {
  shelf = await startShelf({ dataDir: dirs.shelf });
  const token = await couchLogin(shelf.url);
  const cases = [];
  for (const mb of SIZES) {
    const name = `bench-tarball-${mb}mb`;
    const tgz = tarballOf(name, mb);
    await publish(shelf.url, token, publishBody(name, '1.0.0', tgz));
    const file = join(dirs.static, `${name}-1.0.0.tgz`);
    writeFileSync(file, tgz);
    const stat = await startStatic(file);
    servers.push(stat);
    const c = {
      mb,
      name,
      size: tgz.length,
      path: `/${name}/-/${name}-1.0.0.tgz`,
      static: `${stat.url}/${name}-1.0.0.tgz`,
      staticPid: stat.pid,
    };
    for (const url of [`${shelf.url}${c.path}`, c.static])
      if (!(await bytesOf(url)).equals(tgz)) throw new Error(`${url} did not send the published bytes`);
    cases.push(c);
  }
  const figures = Object.fromEntries(cases.map((c) => [c.mb, { shelf: [], static: [] }]));
  if (!args.quick)
    for (const c of cases) for (const url of [`${shelf.url}${c.path}`, c.static]) await getLoop(url, { connections, duration: 1 });
  for (let i = 0; i < args.runs; i++) {
    for (const c of cases) {
      for (const [key, url, pid] of [
        ['shelf', `${shelf.url}${c.path}`, shelf.pid],
        ['static', c.static, c.staticPid],
      ]) {
        const before = processCpuSeconds(pid);
        const r = await getLoop(url, { connections, duration });
        const after = processCpuSeconds(pid);
        r.mbPerSec = r.bytesPerSec / 1024 / 1024;
        const mbSent = r.mbPerSec * r.elapsed;
        if (before !== undefined && after !== undefined && mbSent > 0)
          r.cpuMsPerMb = Math.round(((after - before) * 1000 * 100) / mbSent) / 100;
        figures[c.mb][key].push(r);
        log(
          ID,
          `${c.mb} MB ${key} run ${i + 1}: ${r.mbPerSec.toFixed(0)} MB/s, p99 ${r.p99} ms, CPU ${r.cpuMsPerMb ?? '?'} ms/MB, errors ${r.errors}, non2xx ${r.non2xx}`,
        );
      }
    }
  }
  result.raw.figures = figures;
  const rowsOf = (c) => {
    const f = figures[c.mb];
    const mbs = { shelf: summarize(f.shelf.map((r) => r.mbPerSec)), static: summarize(f.static.map((r) => r.mbPerSec)) };
    const p99 = { shelf: summarize(f.shelf.map((r) => r.p99)), static: summarize(f.static.map((r) => r.p99)) };
    const cpu = { shelf: summarize(f.shelf.map((r) => r.cpuMsPerMb)), static: summarize(f.static.map((r) => r.cpuMsPerMb)) };
    const errors = [...f.shelf, ...f.static].reduce((n, r) => n + r.errors + r.non2xx, 0);
    const x = ratio(mbs.shelf.median, mbs.static.median);
    return [
      { metric: 'throughput', unit: 'MB/s', shelf: mbs.shelf, peer: mbs.static, ratio: x, target: '≥ 1× static', met: x >= 1 },
      { metric: 'p99 latency', unit: 'ms', shelf: p99.shelf, peer: p99.static, ratio: ratio(p99.shelf.median, p99.static.median) },
      ...(cpu.shelf.median !== undefined && cpu.static.median !== undefined
        ? [
            {
              metric: "server CPU per MB sent (each server's own user + system time, /proc; steadier than MB/s on a shared machine)",
              unit: 'ms/MB',
              shelf: cpu.shelf,
              peer: cpu.static,
              ratio: ratio(cpu.shelf.median, cpu.static.median),
            },
          ]
        : []),
      { metric: 'errors + non-2xx (all runs)', unit: '', shelf: { median: errors }, target: '0', met: errors === 0 },
    ];
  };
  const tables = cases.map((c) => ({ c, rows: rowsOf(c) }));
  const missed = tables.filter((t) => t.rows.some((r) => r.met === false));
  let summary;
  if (missed.length) {
    await shelf.stop();
    shelf = await startShelf({ dataDir: dirs.shelf, nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dirs.profiles}`] });
    for (const t of missed) await getLoop(`${shelf.url}${t.c.path}`, { connections, duration: args.quick ? 2 : 5 });
    await shelf.stop();
    shelf = undefined;
    const files = allProfiles(dirs.profiles);
    summary = files.length ? summarizeProfile(files[0], 12) : undefined;
    result.raw.profile = summary;
  }
  for (const { c, rows } of tables)
    result.tables.push({
      title: `Tarball GET, ${(c.size / 1024 / 1024).toFixed(2)} MB, against a static file server of the same file`,
      short: `Tarball ${c.mb} MB vs static`,
      measured: `MB/s of response bytes, ${connections} keep-alive connections × ${duration} s (bench/lib/get-loop.mjs); median of ${args.runs} runs (min–max), interleaved`,
      command: figures[c.mb].shelf[0].command,
      peer: 'node:http + fs.createReadStream',
      rows,
    });
  if (missed.length && summary)
    result.notes.push(
      `Missed (${missed.map((t) => `${t.c.mb} MB`).join(', ')}): the profile of Shelf restarted with --cpu-prof and loaded with each missed size in turn (${args.quick ? 2 : 5} s each): ${profileText(summary, 12)}.`,
    );
  result.notes.push(
    'The same bytes (seeded random data, gzipped) were published to Shelf and written to disk for the static server; both were checked to send them unchanged. Shelf sends a tarball of up to 2 MB as one buffer and streams larger ones in 1 MB reads into buffers it reuses once the socket has taken their bytes (the static server: fs.createReadStream, the fs default, 64 KB reads into fresh buffers).',
  );
} finally {
  if (shelf) await shelf.stop();
  for (const s of servers) await s.stop();
  for (const d of Object.values(dirs)) cleanup(d, args.keep);
}
writeResult(result);
