// Benchmark 11: the Dependency graph screen, measured as a person sees it. Shelf runs in browser mode; Debian's Chromium
// (/usr/bin/chromium, driven by playwright-core) opens the graph screen, picks a source and clicks Open/Resolve:
//   - the Create React App lockfile (../shared/fixtures/trees/cra, 1,510 packages), read as it is;
//   - a synthetic app of ~2,300 nodes, resolved through Shelf mirroring a synthetic registry on loopback
//     (bench/lib/fake-upstream.mjs serving generated packuments).
// Timed from the click: the answer, the first frame sigma rendered with the graph, and the first screenshot whose pixels
// show the drawing fitted to the surface (share of the surface covered, extent of the drawing's bounding box); then
// requestAnimationFrame deltas during scripted drag pans and wheel zooms, at the fitted view and zoomed in.
// Median of --runs (3) runs. No peer: there is no comparable app here.
// Run alone: node bench/11-graph-render.mjs [--quick] [--runs N] [--keep]
/* global document, Image, getComputedStyle -- functions passed to page.evaluate run in the page */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import {
  BENCH_DIR,
  ROOT,
  SHELF_BIN,
  cleanup,
  freePort,
  log,
  median,
  newResult,
  parseArgs,
  percentile,
  rng,
  round,
  summarize,
  tempDir,
  waitForOk,
  writeResult,
  stopper,
} from './lib/common.mjs';
import { summarizeProfile } from './lib/cpu-profile.mjs';

const ID = '11-graph-render';
const args = parseArgs();
const result = newResult(ID, 'Dependency graph screen: open and pan/zoom a ~2,300-node graph in Chromium', args);
delete result.peers;
const PROFILE = process.argv.includes('--profile');
/** --no-peer: sigma (the screen) alone, without the cytoscape.js comparison. */
const NO_PEER = process.argv.includes('--no-peer');
/** One 60 Hz refresh. requestAnimationFrame deltas are quantised to ~0.1 ms and jitter around 16.67 by ±0.2 ms. */
const FRAME_TARGET = '≤ 16.7 ms (one 60 Hz refresh)';
const onTime = (ms) => ms < 17;
const cell = (x) => (x ? `${x.median} (${x.min}–${x.max})` : '—');
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const APP = 'bench-graph-app';
/** Packages besides the app; with the nested duplicates below the resolved tree has about 2,300 nodes. */
const PACKAGES = args.quick ? 600 : 2240;
const ADMIN = { username: 'admin', email: 'admin@example.test', password: 'bench graph password' };
const VIEWPORT = { width: 1280, height: 800 };

// ---------------------------------------------------------------- the synthetic registry

const pkgName = (i) => `graph-pkg-${String(i).padStart(4, '0')}`;

/**
 * A dependency DAG: the app needs 10 packages; every other package hangs under one parent (a ternary backbone, depth ~7)
 * and half of them also need a random later package (cross links, deduplicated by hoisting). Every 37th package has a 2.x
 * that one random earlier package asks for, so it is installed twice (a nested copy, drawn as a duplicate).
 */
function generateRegistry(dir, upstreamUrl) {
  const random = rng(11);
  const deps = Array.from({ length: PACKAGES }, () => ({}));
  const twoMajors = new Set();
  for (let j = 10; j < PACKAGES; j++) deps[Math.floor((j - 10) / 3)][pkgName(j)] = '^1.0.0';
  for (let i = 0; i < PACKAGES - 1; i++) {
    if (random() < 0.5) {
      const j = i + 1 + Math.floor(random() * (PACKAGES - i - 1));
      deps[i][pkgName(j)] ??= '^1.0.0';
    }
  }
  for (let j = 37; j < PACKAGES; j += 37) {
    twoMajors.add(j);
    const i = Math.floor(random() * j);
    deps[i][pkgName(j)] = '^2.0.0';
  }
  const write = (name, versions) => {
    const doc = { _id: name, name, 'dist-tags': { latest: versions.at(-1).version }, versions: {}, time: {} };
    for (const { version, dependencies } of versions) {
      const digest = createHash('sha512').update(`${name}@${version}`).digest('base64');
      doc.versions[version] = {
        name,
        version,
        dependencies,
        _id: `${name}@${version}`,
        dist: {
          integrity: `sha512-${digest}`,
          shasum: createHash('sha1').update(`${name}@${version}`).digest('hex'),
          tarball: `${upstreamUrl}/${name}/-/${name}-${version}.tgz`,
        },
      };
      doc.time[version] = '2026-01-01T00:00:00.000Z';
    }
    writeFileSync(join(dir, `${name}.json`), JSON.stringify(doc));
  };
  const appDeps = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [pkgName(i), '^1.0.0']));
  write(APP, [{ version: '1.0.0', dependencies: appDeps }]);
  for (let i = 0; i < PACKAGES; i++) {
    const versions = [{ version: '1.0.0', dependencies: deps[i] }];
    if (twoMajors.has(i)) versions.push({ version: '2.0.0', dependencies: deps[i] });
    write(pkgName(i), versions);
  }
  return { packages: PACKAGES + 1, twoMajors: twoMajors.size };
}

// ---------------------------------------------------------------- processes

async function startUpstream(dir) {
  const port = await freePort();
  const child = spawn(process.execPath, [join(BENCH_DIR, 'lib', 'fake-upstream.mjs'), dir, String(port)], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  await waitForOk(`${url}/-/ping`, 20_000, 10);
  return { url, stop: stopper(child) };
}

/** `shelf serve` in browser mode; waits for the first-run setup link it prints after the address. */
async function startShelfWithSetupLink(dataDir, upstream) {
  const child = spawn(
    process.execPath,
    [SHELF_BIN, 'serve', '--host', '127.0.0.1', '--port', '0', '--data-dir', dataDir, '--upstream', upstream, '--log-level', 'warn'],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout.on('data', (c) => (out += c));
  child.stderr.on('data', (c) => (out += c));
  const stop = stopper(child);
  try {
    const [url, setupLink] = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`shelf serve did not start within 60 s:\n${out}`)), 60_000);
      const check = () => {
        const address = /^listening on (http:\/\/[^\s/]+:\d+)\/?\s*$/m.exec(out)?.[1];
        const link = /(http:\/\/\S+#setup=\S+)/.exec(out)?.[1];
        if (address && link) {
          clearTimeout(timer);
          resolve([address, link]);
        }
      };
      child.stdout.on('data', check);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`shelf serve exited with ${code}:\n${out}`));
      });
    });
    return { url, setupLink, pid: child.pid, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

// ---------------------------------------------------------------- the page

/**
 * What a person sees on the drawing surface, from its pixels: a screenshot of `.gv-surface` decoded in the page and
 * compared with the surface's background colour. share = drawn pixels / surface pixels; box = their bounding box as
 * fractions of the surface (fitted: spread over most of it, nothing cut at the edges).
 */
async function coverage(page) {
  const surface = page.locator('.gv-surface');
  const png = (await surface.screenshot()).toString('base64');
  return surface.evaluate(async (el, data) => {
    const image = new Image();
    image.src = `data:image/png;base64,${data}`;
    await image.decode();
    const canvas = document.createElement('canvas');
    canvas.width = image.width;
    canvas.height = image.height;
    const ctx = canvas.getContext('2d');
    ctx.drawImage(image, 0, 0);
    const probe = document.createElement('canvas').getContext('2d');
    probe.fillStyle = getComputedStyle(el).backgroundColor;
    probe.fillRect(0, 0, 1, 1);
    const [br, bg, bb] = probe.getImageData(0, 0, 1, 1).data;
    const { data: px, width, height } = ctx.getImageData(0, 0, image.width, image.height);
    let drawn = 0;
    let [left, top, right, bottom] = [width, height, 0, 0];
    const m = 3;
    for (let y = m; y < height - m; y++)
      for (let x = m; x < width - m; x++) {
        const i = (y * width + x) * 4;
        if (Math.abs(px[i] - br) + Math.abs(px[i + 1] - bg) + Math.abs(px[i + 2] - bb) < 48) continue;
        drawn++;
        left = Math.min(left, x);
        right = Math.max(right, x);
        top = Math.min(top, y);
        bottom = Math.max(bottom, y);
      }
    return {
      share: drawn / ((width - 2 * m) * (height - 2 * m)),
      box: { left: left / width, top: top / height, right: right / width, bottom: bottom / height },
      width,
      height,
    };
  }, png);
}

const isFitted = (c) => c.share > 0.001 && c.box.right - c.box.left > 0.6 && c.box.bottom - c.box.top > 0.4;

/**
 * Clicks the form's submit button and measures, in the page's clock, click → the first frame sigma rendered with the new
 * graph (`shelf:graph-drawn`), and click → the first screenshot whose pixels show the fitted drawing (an upper bound:
 * each screenshot takes a while). Also returns the coverage of that screenshot.
 */
async function submitAndWait(page, button) {
  await page.evaluate(() => {
    performance.clearMarks('shelf:graph-drawn');
    globalThis.__clickAt = undefined;
    document.addEventListener('click', () => (globalThis.__clickAt ??= performance.now()), { capture: true, once: true });
  });
  await page.getByRole('button', { name: button, exact: true }).click();
  let seen;
  let last;
  // Bounded by time: a cold mirror's first resolution of ~2,300 packages can take a minute on a busy machine.
  const deadline = Date.now() + 180_000;
  while (Date.now() < deadline) {
    const failed = await page
      .locator('[role="alert"]')
      .first()
      .textContent({ timeout: 1 })
      .catch(() => undefined);
    if (failed) throw new Error(`the graph screen reported: ${failed}`);
    const drawnMark = await page.evaluate(() => performance.getEntriesByName('shelf:graph-drawn').length > 0);
    if (drawnMark) {
      const c = await coverage(page);
      last = c;
      if (isFitted(c)) {
        seen = { c, at: await page.evaluate(() => performance.now()) };
        break;
      }
    }
    await page.waitForTimeout(20);
  }
  if (!seen) throw new Error(`the graph never showed fitted on the surface (last seen: ${JSON.stringify(last)})`);
  const { clickAt, drawnAt, nodes, rpcEnd } = await page.evaluate(() => {
    const mark = performance.getEntriesByName('shelf:graph-drawn')[0];
    const rpc = performance
      .getEntriesByType('resource')
      .filter((r) => r.name.includes('/rpc/graph.'))
      .at(-1);
    return { clickAt: globalThis.__clickAt, drawnAt: mark.startTime, nodes: mark.detail?.nodes, rpcEnd: rpc?.responseEnd };
  });
  return {
    drawn: drawnAt - clickAt,
    seen: seen.at - clickAt,
    answered: rpcEnd !== undefined ? rpcEnd - clickAt : undefined,
    nodes,
    coverage: seen.c,
  };
}

/** Records requestAnimationFrame deltas in the page while `work` runs. */
async function frameTimes(page, work) {
  await page.evaluate(() => {
    const w = globalThis;
    w.__benchFrames = [];
    w.__benchOn = true;
    let last;
    const tick = (t) => {
      if (last !== undefined) w.__benchFrames.push(t - last);
      last = t;
      if (w.__benchOn) w.requestAnimationFrame(tick);
    };
    w.requestAnimationFrame(tick);
  });
  const started = performance.now();
  await work();
  const ms = performance.now() - started;
  const frames = await page.evaluate(() => {
    globalThis.__benchOn = false;
    return globalThis.__benchFrames;
  });
  return { frames, ms };
}

/** Drag pans and wheel zooms over the surface, as a person would: real mouse events through the DevTools protocol. */
async function panAndZoom(page, box, { pans, zooms }) {
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  const moves = [
    [300, 0],
    [0, 250],
    [-300, 0],
    [0, -250],
  ];
  for (let i = 0; i < pans; i++) {
    const [dx, dy] = moves[i % moves.length];
    await page.mouse.move(cx - dx / 2, cy - dy / 2);
    await page.mouse.down();
    await page.mouse.move(cx + dx / 2, cy + dy / 2, { steps: 30 });
    await page.mouse.up();
  }
  for (let i = 0; i < zooms; i++) {
    await page.mouse.move(cx + ((i % 5) - 2) * 60, cy + ((i % 3) - 1) * 60);
    await page.mouse.wheel(0, i % 2 ? 120 : -120);
    await page.waitForTimeout(16);
  }
}

// ---------------------------------------------------------------- run

const CRA = join(ROOT, '..', 'shared', 'fixtures', 'trees', 'cra', 'package-lock.json');

/** A fresh graph screen, the source chosen and submitted as a person would; returns the page and what it measured. */
async function openSource(context, url, source) {
  const page = await context.newPage();
  await page.setViewportSize(VIEWPORT);
  await page.goto(`${url}/-/ui/#/graph`);
  await page.getByRole('heading', { name: 'Dependency graph', exact: true }).waitFor();
  if (source.lockfile) {
    await page.getByLabel('Graph of', { exact: true }).selectOption('lockfile');
    await page.getByLabel('Lockfile', { exact: true }).setInputFiles(source.lockfile);
  } else {
    await page.getByLabel('Package name', { exact: true }).fill(source.package);
  }
  const measured = await submitAndWait(page, source.lockfile ? 'Open' : 'Resolve');
  return { page, ...measured };
}

// ---------------------------------------------------------------- the cytoscape.js side

const CYTOSCAPE_VERSION = JSON.parse(readFileSync(join(ROOT, 'node_modules', 'cytoscape', 'package.json'), 'utf8')).version;
const PEER = `cytoscape.js ${CYTOSCAPE_VERSION} (canvas, hideEdgesOnViewport, textureOnViewport)`;

/**
 * Serves the cytoscape.js page on Shelf's own origin (so its graph.resolve call carries the session as the screen's
 * does): bench/13-graph-cytoscape-page.ts bundled by esbuild, in a page whose drawing surface has the screen's size.
 */
async function routeCytoscapePage(context, url, surface) {
  const bundled = await build({
    entryPoints: [join(BENCH_DIR, '13-graph-cytoscape-page.ts')],
    bundle: true,
    format: 'iife',
    minify: true,
    target: 'chrome120',
    write: false,
    logLevel: 'silent',
  });
  const js = bundled.outputFiles[0].text;
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Dependency graph (cytoscape.js)</title>
<style>body{margin:0;padding:16px;font:14px system-ui,sans-serif;background:#fff;color:#1b1f24}
.gv-surface{position:relative;width:${surface.width}px;height:${surface.height}px;background:#fff;border:1px solid #d5dae1;box-sizing:border-box}</style>
</head><body><h1>Dependency graph</h1><form><button type="submit">Open</button> <button type="button" aria-label="Zoom in">+</button></form>
<div class="gv-surface"></div><script src="/-/bench/cytoscape.js"></script></body></html>`;
  await context.route(`${url}/-/bench/**`, (route) => {
    const path = new URL(route.request().url()).pathname;
    if (path === '/-/bench/cytoscape.html') return route.fulfill({ contentType: 'text/html', body: html });
    if (path === '/-/bench/cytoscape.js') return route.fulfill({ contentType: 'text/javascript', body: js });
    return route.fulfill({ status: 404, body: 'not found' });
  });
}

/** The same source drawn by cytoscape.js: the page is loaded, given the source, and its Open clicked as on the screen. */
async function openCytoscape(context, url, source) {
  const page = await context.newPage();
  await page.setViewportSize(VIEWPORT);
  page.on('pageerror', (error) => log(ID, 'cytoscape page error:', error));
  await page.goto(`${url}/-/bench/cytoscape.html`);
  const rpc = source.lockfile
    ? { kind: 'lockfile', lockfile: { name: 'package-lock.json', text: readFileSync(source.lockfile, 'utf8') } }
    : { kind: 'package', name: source.package, range: 'latest' };
  await page.evaluate((s) => (globalThis.benchSource = s), rpc);
  const measured = await submitAndWait(page, 'Open');
  return { page, ...measured };
}

/** Frame times while panning and zooming at the fitted view, then zoomed in (labels drawn). */
async function interact(page) {
  const box = await page.locator('.gv-surface').boundingBox();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.waitForTimeout(300);
  const fitted = await frameTimes(page, () => panAndZoom(page, box, { pans: args.quick ? 4 : 8, zooms: args.quick ? 6 : 20 }));
  for (let i = 0; i < 4; i++) await page.getByRole('button', { name: 'Zoom in', exact: true }).click();
  await page.waitForTimeout(400);
  const near = await frameTimes(page, () => panAndZoom(page, box, { pans: args.quick ? 4 : 8, zooms: args.quick ? 6 : 20 }));
  return { fitted: fitted.frames, near: near.frames };
}

/**
 * --profile: one CRA opening, its fitted pans and zooms recorded as a Chromium trace and a CPU profile of the page, so a
 * missed frame target comes with what a frame costs (written to bench/results/tmp/11-graph-profile/, summarised on stdout):
 * busy time per thread, the trace events that take it, and the page's JavaScript by self time.
 */
async function profileOnce(browser, context, url, name, open) {
  const outDir = join(BENCH_DIR, 'results', 'tmp', '11-graph-profile');
  mkdirSync(outDir, { recursive: true });
  const r = await open(context, url, { lockfile: CRA });
  const page = r.page;
  const box = await page.locator('.gv-surface').boundingBox();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.waitForTimeout(300);
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
  await browser.startTracing(page, {
    categories: [
      'toplevel',
      'benchmark',
      'devtools.timeline',
      'disabled-by-default-devtools.timeline',
      'disabled-by-default-devtools.timeline.frame',
      'blink',
      'cc',
      'gpu',
      'viz',
      'v8',
    ],
  });
  await cdp.send('Profiler.start');
  const { frames } = await frameTimes(page, () => panAndZoom(page, box, { pans: 4, zooms: 10 }));
  const { profile } = await cdp.send('Profiler.stop');
  const trace = JSON.parse((await browser.stopTracing()).toString('utf8'));
  await page.close();
  const profileFile = join(outDir, `cra-fitted-${name}.cpuprofile`);
  writeFileSync(profileFile, JSON.stringify(profile));
  writeFileSync(join(outDir, `cra-fitted-${name}.trace.json`), JSON.stringify(trace));
  const events = trace.traceEvents ?? trace;
  const threadName = new Map();
  for (const e of events) if (e.ph === 'M' && e.name === 'thread_name') threadName.set(`${e.pid}:${e.tid}`, e.args.name);
  const busy = new Map();
  const byName = new Map();
  for (const e of events) {
    if (e.ph !== 'X' || !e.dur) continue;
    const thread = threadName.get(`${e.pid}:${e.tid}`) ?? `${e.pid}:${e.tid}`;
    const ms = e.dur / 1000;
    if (e.name === 'ThreadControllerImpl::RunTask' || e.name === 'RunTask') busy.set(thread, (busy.get(thread) ?? 0) + ms);
    const key = `${thread} | ${e.name}`;
    byName.set(key, (byName.get(key) ?? 0) + ms);
  }
  const span = frames.reduce((a, b) => a + b, 0);
  log(
    ID,
    `profile: ${frames.length} frames over ${round(span, 0)} ms, p50 ${round(median(frames), 1)} ms, p95 ${round(percentile(frames, 95), 1)} ms`,
  );
  log(ID, 'busy time per thread (top-level tasks, ms):');
  for (const [t, ms] of [...busy].sort((a, b) => b[1] - a[1]).slice(0, 8)) log(ID, `  ${t}: ${round(ms, 0)}`);
  log(ID, 'trace events by total time (nested events overlap, ms):');
  for (const [k, ms] of [...byName].sort((a, b) => b[1] - a[1]).slice(0, 30)) log(ID, `  ${k}: ${round(ms, 1)}`);
  const js = summarizeProfile(profileFile, 20);
  log(ID, `page JavaScript: ${js.totalMs} ms sampled, ${js.idlePct}% idle; top self time:`);
  for (const row of js.top) log(ID, `  ${row.fn} (${row.where}) ${row.ms} ms ${row.pct}%`);
  log(ID, `trace and profile in ${outDir}`);
}

const dirs = { registry: tempDir('shelf-bench-11-registry-'), shelf: tempDir('shelf-bench-11-data-') };
let upstream;
let shelf;
let browser;
try {
  mkdirSync(dirs.registry, { recursive: true });
  const generated = generateRegistry(dirs.registry, 'http://127.0.0.1:1');
  upstream = await startUpstream(dirs.registry);
  shelf = await startShelfWithSetupLink(dirs.shelf, `${upstream.url}/`);
  log(
    ID,
    `synthetic registry: ${generated.packages} packages (${generated.twoMajors} with a second major) at ${upstream.url}; shelf ${shelf.url}`,
  );

  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  const context = await browser.newContext({ viewport: VIEWPORT });
  const setupToken = new URL(shelf.setupLink).hash.replace(/^#setup=/, '');
  const created = await context.request.post(`${shelf.url}/-/shelf/rpc/setup.createAdmin`, {
    data: { ...ADMIN, setupToken },
    headers: { Origin: shelf.url },
  });
  if (!created.ok()) throw new Error(`setup.createAdmin answered ${created.status()}: ${await created.text()}`);

  // Warm-up, not timed: fills the mirror from the stand-in upstream and the HTTP cache with the page's assets.
  const warm = await openSource(context, shelf.url, { package: APP });
  const syntheticNodes = warm.nodes;
  log(ID, `warm-up: the synthetic app resolved and drawn, ${syntheticNodes} nodes`);
  // The screen's drawing surface at the bench's viewport, so the cytoscape.js page gets the same size.
  const box = await warm.page.locator('.gv-surface').boundingBox();
  const surface = { width: Math.round(box.width), height: Math.round(box.height) };
  await warm.page.close();

  if (!NO_PEER) await routeCytoscapePage(context, shelf.url, surface);
  if (PROFILE) {
    await profileOnce(browser, context, shelf.url, 'sigma', openSource);
    if (!NO_PEER) await profileOnce(browser, context, shelf.url, 'cytoscape', openCytoscape);
  }

  const scenarios = {
    cra: { label: 'Create React App lockfile', source: { lockfile: CRA }, runs: [], peerRuns: [] },
    synthetic: {
      label: `synthetic app (${syntheticNodes} nodes), resolved on a warm mirror`,
      source: { package: APP },
      runs: [],
      peerRuns: [],
    },
  };
  const sides = [
    { name: 'sigma (Shelf)', open: openSource, into: 'runs' },
    ...(NO_PEER ? [] : [{ name: 'cytoscape.js', open: openCytoscape, into: 'peerRuns' }]),
  ];
  for (let run = 0; run < (PROFILE ? 0 : args.runs); run++) {
    for (const [key, scenario] of Object.entries(scenarios)) {
      // The two libraries take turns within each run, and which goes first alternates, so load shifts fall on both.
      for (const side of run % 2 ? [...sides].reverse() : sides) {
        const r = await side.open(context, shelf.url, scenario.source);
        const frames = await interact(r.page);
        await r.page.close();
        scenario[side.into].push({ drawn: r.drawn, seen: r.seen, answered: r.answered, nodes: r.nodes, coverage: r.coverage, ...frames });
        log(
          ID,
          `run ${run + 1} ${key} ${side.name}: ${r.nodes} nodes; click → answer ${round(r.answered ?? NaN, 0)} ms, → drawn ${round(r.drawn, 0)} ms, → fitted on screen (pixels) ≤ ${round(r.seen, 0)} ms; ` +
            `covers ${round(r.coverage.share * 100, 1)} %, extent ${round((r.coverage.box.right - r.coverage.box.left) * 100, 0)} % × ${round((r.coverage.box.bottom - r.coverage.box.top) * 100, 0)} %; ` +
            `frames fitted p50/p95/p99 ${round(median(frames.fitted), 1)}/${round(percentile(frames.fitted, 95), 1)}/${round(percentile(frames.fitted, 99), 1)} ms, ` +
            `zoomed in ${round(median(frames.near), 1)}/${round(percentile(frames.near, 95), 1)}/${round(percentile(frames.near, 99), 1)} ms; load ${loadavg()[0].toFixed(2)}`,
        );
      }
    }
  }

  const chromiumVersion = browser.version();
  result.browser = `Chromium ${chromiumVersion}`;
  result.raw = { generated, scenarios, surface };
  const printed = [];
  for (const [key, scenario] of Object.entries(scenarios)) {
    const runs = scenario.runs;
    if (!runs.length) continue;
    const both = (f) => {
      const shelfSide = summarize(runs.map(f));
      const peerSide = scenario.peerRuns.length ? summarize(scenario.peerRuns.map(f)) : undefined;
      return { shelf: shelfSide, peer: peerSide, ratio: peerSide?.median ? round(shelfSide.median / peerSide.median, 2) : undefined };
    };
    const afterAnswer = both((r) => round(r.drawn - (r.answered ?? 0), 0));
    const fittedP95 = both((r) => round(percentile(r.fitted, 95), 1));
    const nearP95 = both((r) => round(percentile(r.near, 95), 1));
    const extent = (r) => `${round((r.coverage.box.right - r.coverage.box.left) * 100, 0)}`;
    const rows = [
      { metric: 'click → answer received', unit: 'ms', ...both((r) => round(r.answered ?? NaN, 0)) },
      { metric: 'click → fitted graph drawn (frame)', unit: 'ms', ...both((r) => round(r.drawn, 0)) },
      {
        metric: 'answer → fitted graph drawn (renderer’s share)',
        unit: 'ms',
        ...afterAnswer,
        target: '< 1000 ms',
        met: afterAnswer.shelf.median < 1000,
      },
      { metric: 'click → fitted graph seen in a screenshot (upper bound)', unit: 'ms', ...both((r) => round(r.seen, 0)) },
      { metric: 'surface covered by the drawing', unit: '%', ...both((r) => round(r.coverage.share * 100, 1)) },
      { metric: 'extent of the drawing, width', unit: '% of surface', ...both((r) => Number(extent(r))) },
      {
        metric: 'extent of the drawing, height',
        unit: '% of surface',
        ...both((r) => round((r.coverage.box.bottom - r.coverage.box.top) * 100, 0)),
      },
      { metric: 'pan/zoom at the fitted view: frame time median', unit: 'ms', ...both((r) => round(median(r.fitted), 1)) },
      {
        metric: 'pan/zoom at the fitted view: frame time p95',
        unit: 'ms',
        ...fittedP95,
        target: FRAME_TARGET,
        met: onTime(fittedP95.shelf.median),
      },
      { metric: 'pan/zoom at the fitted view: frame time p99', unit: 'ms', ...both((r) => round(percentile(r.fitted, 99), 1)) },
      { metric: 'pan/zoom zoomed in (labels): frame time median', unit: 'ms', ...both((r) => round(median(r.near), 1)) },
      {
        metric: 'pan/zoom zoomed in (labels): frame time p95',
        unit: 'ms',
        ...nearP95,
        target: FRAME_TARGET,
        met: onTime(nearP95.shelf.median),
      },
      { metric: 'pan/zoom zoomed in (labels): frame time p99', unit: 'ms', ...both((r) => round(percentile(r.near, 99), 1)) },
    ];
    result.tables.push({
      title: `Graph screen, ${scenario.label}: ${runs[0].nodes} nodes, Chromium ${chromiumVersion}, ${VIEWPORT.width}×${VIEWPORT.height}`,
      short: `Graph ${key}`,
      measured:
        'In the page’s clock: the click on Open/Resolve → graph.resolve answered → the first frame the library rendered with the graph (user-timing mark) → the first screenshot of the drawing surface whose pixels show a fitted drawing (an upper bound: a screenshot takes tens to hundreds of ms). Coverage: share of the surface’s pixels differing from its background; extent: bounding box of those pixels as % of the surface’s width × height. Frames: requestAnimationFrame deltas during drag pans (30 mouse moves each) and wheel zooms, at the fitted view and after four zoom-ins; per run p50/p95/p99, then median of runs (min–max). The two libraries take turns within each run',
      command: `node bench/11-graph-render.mjs${args.quick ? ' --quick' : ''}${args.runs !== 3 ? ` --runs ${args.runs}` : ''}`,
      peer: NO_PEER ? '—' : PEER,
      rows,
    });
    for (const row of rows)
      printed.push(`| ${key} | ${row.metric} | ${cell(row.shelf)} | ${row.peer ? cell(row.peer) : '—'} | ${row.ratio ?? '—'} |`);
  }
  console.log(
    `\n| graph | measure | sigma (Shelf) | ${NO_PEER ? '—' : PEER} | ratio |\n| --- | --- | --- | --- | --- |\n${printed.join('\n')}`,
  );
  console.log(
    `load average at the end: ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' / ')} (${cpus().length} CPUs)\n`,
  );
  result.notes.push(
    `The synthetic graph: a registry of ${generated.packages} packages served on loopback by bench/lib/fake-upstream.mjs and mirrored by Shelf; the app needs 10 of them, every other package hangs under one parent (depth ~7) and half also need a random later one; ${generated.twoMajors} packages have a 2.x that one package asks for, so they are installed twice. The CRA graph is ../shared/fixtures/trees/cra/package-lock.json read as it is (graph.resolve kind "lockfile": nothing fetched).`,
  );
  result.notes.push(
    `Browser: ${CHROMIUM} (Chromium ${chromiumVersion}) through playwright-core, flags ${CHROMIUM_ARGS.join(' ')}: WebGL runs on SwiftShader (software), so these frame times are a CPU-rendering worst case; a desktop window with a GPU has far more headroom.`,
  );
} catch (error) {
  result.error = error.stack ?? String(error);
  log(ID, 'failed:', error);
  process.exitCode = 1;
} finally {
  await browser?.close();
  await shelf?.stop();
  await upstream?.stop();
  for (const d of Object.values(dirs)) cleanup(d, args.keep);
}
if (!PROFILE) writeResult(result);
