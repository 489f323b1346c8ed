// The dependency graph screen in Debian's Chromium against a real `shelf serve`: the Create React App lockfile (1,511
// packages) opens fitted to its surface and non-empty — judged on the pixels of the drawing surface —, leads with the
// duplicated packages and their paths, Find zooms to a package, focus shows its paths left to right, a reload restores
// the view from the URL, two lockfiles compare; at 1280 and 900 px, in both themes, with axe on every state.
import { expect, test, type Page } from '@playwright/test';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { RPC_PATH } from '../src/shared/contract';
import { collectPageProblems, expectAccessible, expectOverview, screenshot } from './support/pages';
import { ROOT, createAdminDirectly, startServer, type ShelfServer } from './support/server';

// The page's globals, for the functions page.evaluate runs there (this file is compiled without the DOM library).
interface PageCanvas {
  width: number;
  height: number;
  getContext(kind: '2d'): {
    fillStyle: string;
    fillRect(x: number, y: number, w: number, h: number): void;
    drawImage(image: unknown, x: number, y: number): void;
    getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray; width: number; height: number };
  } | null;
}
declare const document: { createElement(tag: 'canvas'): PageCanvas };
declare const Image: new () => { src: string; width: number; height: number; decode(): Promise<void> };
declare function getComputedStyle(el: unknown): { backgroundColor: string };

const CRA = resolve(ROOT, '..', 'shared', 'fixtures', 'trees', 'cra', 'package-lock.json');

let server: ShelfServer;
let work: string;

// A 1,510-node drawing rendered in software (SwiftShader) on a shared 2-core machine, screenshots decoded and axe over
// the whole page: minutes, not seconds, though nothing waits on a clock.
test.describe.configure({ timeout: 300_000 });

test.beforeAll(async () => {
  server = await startServer();
  await createAdminDirectly(server);
  work = mkdtempSync(join(tmpdir(), 'shelf-e2e-graph-'));
});

test.afterAll(async () => {
  await server?.stop();
  rmSync(work, { recursive: true, force: true });
});

interface Coverage {
  /** Share of the surface's pixels that differ from its background. */
  share: number;
  /** Bounding box of those pixels, as fractions of the surface's width and height. */
  box: { left: number; top: number; right: number; bottom: number };
}

/**
 * What a person sees on the drawing surface: a screenshot of it, decoded in the page, compared with the surface's own
 * background colour (a 3 px margin skips the border and the focus ring).
 */
async function coverage(page: Page): Promise<Coverage> {
  const surface = page.locator('.gv-surface');
  const png = (await surface.screenshot()).toString('base64');
  return surface.evaluate(async (el, data) => {
    const image = new Image();
    image.src = `data:image/png;base64,${data}`;
    await image.decode();
    const canvas = document.createElement('canvas');
    canvas.width = image.width;
    canvas.height = image.height;
    const ctx = canvas.getContext('2d')!;
    ctx.drawImage(image, 0, 0);
    const probe = document.createElement('canvas').getContext('2d')!;
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
        if (Math.abs(px[i]! - br!) + Math.abs(px[i + 1]! - bg!) + Math.abs(px[i + 2]! - bb!) < 48) continue;
        drawn++;
        left = Math.min(left, x);
        right = Math.max(right, x);
        top = Math.min(top, y);
        bottom = Math.max(bottom, y);
      }
    return {
      share: drawn / ((width - 2 * m) * (height - 2 * m)),
      box: { left: left / width, top: top / height, right: right / width, bottom: bottom / height },
    };
  }, png);
}

/** The surface shows a fitted drawing: something drawn, spread over most of it, nothing cut off at its edges. */
async function expectFitted(page: Page, minHeight = 0.4): Promise<Coverage> {
  let last: Coverage | undefined;
  await expect
    .poll(async () => {
      last = await coverage(page);
      const { box } = last;
      return last.share > 0.001 && box.right - box.left > 0.6 && box.bottom - box.top > minHeight;
    })
    .toBe(true);
  return last!;
}

/**
 * The centre of the biggest disc drawn, in page coordinates: the drawn pixels' chessboard distance to the background
 * (two passes), whose maximum is the middle of the widest filled shape — the selected node, drawn 1.8× bigger.
 */
async function biggestDisc(page: Page): Promise<{ x: number; y: number }> {
  const surface = page.locator('.gv-surface');
  const box = (await surface.boundingBox())!;
  const png = (await surface.screenshot()).toString('base64');
  const at = await surface.evaluate(async (el, data) => {
    const image = new Image();
    image.src = `data:image/png;base64,${data}`;
    await image.decode();
    const canvas = document.createElement('canvas');
    canvas.width = image.width;
    canvas.height = image.height;
    const ctx = canvas.getContext('2d')!;
    ctx.drawImage(image, 0, 0);
    const probe = document.createElement('canvas').getContext('2d')!;
    probe.fillStyle = getComputedStyle(el).backgroundColor;
    probe.fillRect(0, 0, 1, 1);
    const [br, bg, bb] = probe.getImageData(0, 0, 1, 1).data;
    const { data: px, width, height } = ctx.getImageData(0, 0, image.width, image.height);
    const d = new Int32Array(width * height);
    for (let i = 0; i < width * height; i++)
      d[i] = Math.abs(px[i * 4]! - br!) + Math.abs(px[i * 4 + 1]! - bg!) + Math.abs(px[i * 4 + 2]! - bb!) < 48 ? 0 : 1e6;
    const get = (x: number, y: number) => (x < 0 || y < 0 || x >= width || y >= height ? 0 : d[y * width + x]!);
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++)
        if (d[y * width + x]) d[y * width + x] = Math.min(get(x - 1, y - 1), get(x, y - 1), get(x + 1, y - 1), get(x - 1, y)) + 1;
    let best = { x: 0, y: 0, d: 0 };
    for (let y = height - 1; y >= 0; y--)
      for (let x = width - 1; x >= 0; x--) {
        const i = y * width + x;
        if (!d[i]) continue;
        d[i] = Math.min(d[i]!, get(x + 1, y + 1) + 1, get(x, y + 1) + 1, get(x - 1, y + 1) + 1, get(x + 1, y) + 1);
        if (d[i]! > best.d) best = { x, y, d: d[i]! };
      }
    return best;
  }, png);
  return { x: box.x + at.x, y: box.y + at.y };
}

const surfaceRatio = (page: Page) =>
  page.locator('.gv-surface').evaluate((el) => Number((el as unknown as { dataset: Record<string, string> }).dataset.cameraRatio));

async function openLockfile(page: Page, path: string): Promise<void> {
  await page.getByLabel('Graph of').selectOption('lockfile');
  await page.getByLabel('Lockfile').setInputFiles(path);
  await page.getByRole('button', { name: 'Open' }).click();
}

for (const width of [1280, 900]) {
  test(`the Create React App lockfile at ${width} px: fitted, problems first, Find, focus, the URL restores the view`, async ({ page }) => {
    test.skip(!existsSync(CRA), `the fixture ${CRA} is missing`);
    const problems = collectPageProblems(page);
    await page.setViewportSize({ width, height: 800 });
    await page.goto(server.url);
    await expectOverview(page);
    await page.goto(`${server.url}/-/ui/#/graph`);
    await openLockfile(page, CRA);

    await expect(page.getByText(/1510 packages, 110 installed in more than one version/)).toBeVisible();
    const fitted = await expectFitted(page);
    // The drawing has the surface's shape: it spans most of the width and the height, not a thin strip.
    expect(fitted.box.right - fitted.box.left).toBeGreaterThan(0.8);
    expect(fitted.box.bottom - fitted.box.top).toBeGreaterThan(0.6);
    const fittedRatio = await surfaceRatio(page);
    // Problems lead: duplicated packages, each copy with the paths from the root that bring it in.
    const dupes = page.locator('.gv-dupes > li');
    expect(await dupes.count()).toBeGreaterThan(100);
    await dupes.first().locator('summary').click();
    await expect(dupes.first().locator('.gv-paths li').first()).toContainText(/^cra-bench@0\.1\.0 → /);
    await expectAccessible(page, `graph overview ${width}`);
    await screenshot(page, `graph-cra-${width}`, { dark: true });

    // A drag pans: while it moves the last drawing is moved as a picture (a CSS transform of sigma's layers), and when
    // the camera rests sigma draws anew, so the drawing ends up shifted by the drag and no layer keeps a transform.
    const surfaceBox = (await page.locator('.gv-surface').boundingBox())!;
    const [cx, cy] = [surfaceBox.x + surfaceBox.width / 2, surfaceBox.y + surfaceBox.height / 2];
    await page.mouse.move(cx - 100, cy);
    await page.mouse.down();
    await page.mouse.move(cx + 100, cy, { steps: 20 });
    await page.mouse.up();
    const layerTransforms = () =>
      page
        .locator('.gv-surface canvas')
        .evaluateAll((layers) => layers.map((l) => (l as unknown as { style: { transform: string } }).style.transform).join(''));
    await expect.poll(layerTransforms).toBe('');
    await expect.poll(async () => (await coverage(page)).box.left).toBeGreaterThan(fitted.box.left + 100 / surfaceBox.width / 2);
    await page.getByRole('button', { name: 'Fit', exact: true }).click();
    await expectFitted(page);
    await expect.poll(layerTransforms).toBe('');

    // Find: typing offers a short list, never every node; Enter zooms to the package and opens why it is there.
    const find = page.getByRole('combobox', { name: 'Find a package' });
    await find.fill('babel-loader');
    const options = page.getByRole('listbox', { name: 'Matching packages' }).getByRole('option');
    await expect(options.first()).toContainText('babel-loader@');
    expect(await options.count()).toBeLessThanOrEqual(20);
    await find.fill('e');
    await expect(options).toHaveCount(20);
    await find.fill('babel-loader');
    await expect(options.first()).toContainText('babel-loader@');
    await find.press('Enter');
    await expect(page.getByRole('heading', { level: 2, name: /^babel-loader@\d/ })).toBeVisible();
    await expect(page.locator('.gv-node')).toContainText('Chosen by rule: recorded in the lockfile.');
    await expect.poll(() => surfaceRatio(page)).toBeLessThan(fittedRatio * 0.3);
    await expect(page.locator('.gv-node .gv-paths li').first()).toHaveText(/^cra-bench@0\.1\.0 → react-scripts@5\.0\.1 → babel-loader@/);
    await screenshot(page, `graph-cra-find-${width}`);

    // Focus: the paths and the neighbourhood, left to right; the rest of the tree is not drawn.
    await page.getByRole('button', { name: 'Focus on it' }).click();
    await expect(page.getByText(/· focus on babel-loader@/)).toBeVisible();
    expect(page.url()).toContain('view=focus');
    await expectFitted(page);
    await page.getByLabel('Depth').selectOption('2');
    await expectFitted(page);
    // Hovering a node shows its card (the card keeps its own state, apart from the screen's); leaving it hides it.
    const disc = await biggestDisc(page);
    await page.mouse.move(disc.x, disc.y);
    const card = page.getByRole('tooltip');
    await expect(card).toContainText(/^babel-loader@\S+Licence/);
    await expect(card).toContainText('Needed by');
    await page.mouse.move(disc.x, surfaceBox.y + 2);
    await expect(card).toHaveCount(0);
    // Labelled beyond the root and the focused node: the path between them and neighbours up to two levels away, as
    // many as fit without overlapping (the surface reports how many it chose).
    await expect
      .poll(() =>
        page.locator('.gv-surface').evaluate((el) => Number((el as unknown as { dataset: Record<string, string> }).dataset.labels)),
      )
      .toBeGreaterThan(4);
    await expectAccessible(page, `graph focus ${width}`);
    await screenshot(page, `graph-cra-focus-${width}`, { dark: true });

    // A reload restores the view from the URL: the lockfile, the selection, focus and depth.
    const url = page.url();
    await page.reload();
    await expect(page.getByText(/· focus on babel-loader@/)).toBeVisible();
    expect(page.url()).toBe(url);
    await expect(page.getByLabel('Depth')).toHaveValue('2');
    await expect(page.getByRole('heading', { level: 2, name: /^babel-loader@\d/ })).toBeVisible();
    await expectFitted(page);

    // Filters: colour by licence changes the picture; back to the overview, still fitted.
    const before = await coverage(page);
    await page.getByLabel('Colour by').selectOption('license');
    await expect(page.getByRole('list', { name: 'Colours' })).toContainText('MIT');
    await page.getByRole('button', { name: 'Back to overview' }).click();
    await expect(page.getByText(/· overview/)).toBeVisible();
    // Still selected, so the rest fades; closing the panel shows the whole tree again, fitted.
    await page.getByRole('button', { name: 'Close' }).click();
    const after = await expectFitted(page);
    expect(after).not.toEqual(before);
    expect(page.url()).toContain('colour=license');
    expect(problems).toEqual([]);
  });
}

test('two lockfiles compared: added, removed, changed and moved packages are listed and drawn', async ({ page }) => {
  test.skip(!existsSync(CRA), `the fixture ${CRA} is missing`);
  const problems = collectPageProblems(page);
  const lock = JSON.parse(readFileSync(CRA, 'utf8')) as { packages: Record<string, Record<string, unknown>> };
  const packages = { ...lock.packages };
  // An upgrade: one version changed in place, one package gone, one new, one nested copy hoisted.
  const changed = 'node_modules/react-scripts';
  packages[changed] = { ...packages[changed], version: '5.0.2' };
  const removed = Object.keys(packages).find(
    (l) => l.startsWith('node_modules/') && !l.includes('/node_modules/', 1) && l.endsWith('/web-vitals'),
  )!;
  delete packages[removed];
  packages['node_modules/brand-new-package'] = { version: '1.0.0', license: 'MIT' };
  const nested = Object.keys(packages).find(
    (l) => l.split('node_modules/').length === 3 && !(`node_modules/${l.split('node_modules/')[2]}` in packages),
  )!;
  const hoisted = `node_modules/${nested.split('node_modules/')[2]}`;
  packages[hoisted] = packages[nested]!;
  delete packages[nested];
  const afterPath = join(work, 'after', 'package-lock.json');
  mkdirSync(join(work, 'after'), { recursive: true });
  writeFileSync(afterPath, JSON.stringify({ ...lock, packages }, null, 2));

  await page.goto(server.url);
  await expectOverview(page);
  await page.goto(`${server.url}/-/ui/#/graph`);
  await page.getByLabel('Graph of').selectOption('compare');
  await page.getByLabel('Before').setInputFiles(CRA);
  await page.getByLabel('After').setInputFiles(afterPath);
  await page.getByRole('button', { name: 'Compare' }).click();

  const panel = page.locator('.gv-compare');
  await expect(panel.getByRole('heading', { name: 'package-lock.json → package-lock.json (after)' })).toBeVisible();
  await expect(panel.getByText('Added (1)', { exact: true })).toBeVisible();
  await expect(panel.getByText('Removed (1)', { exact: true })).toBeVisible();
  await expect(panel.getByText('Changed version (1)', { exact: true })).toBeVisible();
  await expect(panel.getByText('Moved (1)', { exact: true })).toBeVisible();
  await expect(panel).toContainText('brand-new-package@1.0.0');
  await expect(panel).toContainText('react-scripts 5.0.1 → 5.0.2');
  await expect(panel).toContainText(`web-vitals@`);
  await expect(panel).toContainText(`${nested} → ${hoisted}`);
  await expect(page.getByRole('list', { name: 'Colours' })).toContainText('changed version');
  await expectFitted(page);
  // A changed package in the list opens its panel.
  await panel.getByRole('button', { name: 'react-scripts 5.0.1 → 5.0.2' }).click();
  await expect(page.getByRole('heading', { level: 2, name: 'react-scripts@5.0.2' })).toBeVisible();
  await expectAccessible(page, 'graph compare');
  await screenshot(page, 'graph-compare', { dark: true });
  expect(problems).toEqual([]);
});

test('a package resolved through this registry: paths from the root, and an uploaded project folder sends only what resolution reads', async ({
  page,
}) => {
  const problems = collectPageProblems(page);
  await page.goto(server.url);
  await expectOverview(page);
  const publish = async (name: string, dependencies: Record<string, string> = {}) => {
    const dir = join(work, name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', license: 'MIT', dependencies }));
    writeFileSync(join(dir, 'index.js'), 'module.exports = 1;\n');
    const response = await page.request.post(`${server.url}${RPC_PATH}/publish.run`, {
      data: { path: dir, tag: 'latest' },
      headers: { Origin: server.url },
    });
    expect(response.ok(), await response.text()).toBe(true);
  };
  for (const leaf of ['leaf-a', 'leaf-b', 'leaf-c']) await publish(leaf);
  await publish('middle', { 'leaf-a': '^1.0.0', 'leaf-b': '^1.0.0' });
  await publish('top-app', { middle: '^1.0.0', 'leaf-c': '^1.0.0' });

  await page.goto(`${server.url}/-/ui/#/graph/top-app`);
  await expect(page.getByText(/top-app@latest: 6 packages/)).toBeVisible();
  await expectFitted(page);
  await expect(page.locator('.gv-problems')).toContainText('No conflicts, and every package is installed in one version only.');
  await page.getByRole('combobox', { name: 'Find a package' }).fill('leaf-b');
  await page.getByRole('option', { name: /leaf-b@1\.0\.0/ }).click();
  await expect(page.getByRole('heading', { level: 2, name: 'leaf-b@1.0.0' })).toBeVisible();
  await expect(page.locator('.gv-node .gv-paths li')).toHaveText(['top-app@latest → top-app@1.0.0 → middle@1.0.0 → leaf-b@1.0.0']);
  await expect(page.locator('.gv-node')).toContainText('LicenceMIT');
  // The URL names the package, so the view can be shared: a fresh page opens the same graph and selection.
  expect(page.url()).toContain('src=pkg%3Atop-app%40latest');
  const shared = await page.context().newPage();
  await shared.goto(page.url());
  await expect(shared.getByRole('heading', { level: 2, name: 'leaf-b@1.0.0' })).toBeVisible();
  await shared.close();

  // Focus on a leaf: the chain from the root to it, one row spanning the surface's width.
  await page.getByRole('button', { name: 'Focus on it' }).click();
  await expect(page.getByText(/· focus on leaf-b@1\.0\.0/)).toBeVisible();
  await expectFitted(page, 0);

  const project = join(work, 'my-project');
  mkdirSync(join(project, 'node_modules', 'junk'), { recursive: true });
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({ name: 'my-project', version: '0.1.0', dependencies: { middle: '^1.0.0' } }),
  );
  writeFileSync(join(project, '.env'), 'SECRET=1\n');
  writeFileSync(join(project, 'node_modules', 'junk', 'package.json'), '{ not json');
  const sent: string[] = [];
  page.on('request', (request) => {
    if (request.url().endsWith(`${RPC_PATH}/graph.resolve`)) sent.push(request.postData() ?? '');
  });
  await page.getByLabel('Graph of').selectOption('folder');
  await page.getByLabel('Folder with package.json').setInputFiles(project);
  await page.getByRole('button', { name: 'Resolve' }).click();
  await expect(page.getByText(/my-project \(my-project\): 4 packages/)).toBeVisible();
  expect(sent).toHaveLength(1);
  const body = JSON.parse(sent[0]!) as { kind: string; upload: { name: string; files: { path: string }[] } };
  expect(body.kind).toBe('upload');
  expect(body.upload.files.map((f) => f.path)).toEqual(['package.json']);
  expect(problems).toEqual([]);
});
