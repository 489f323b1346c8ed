// The dependency graph canvas: drawn once the graph arrives (the `shelf:graph-drawn` mark), redrawn on demand when the
// view changes (keyboard pan and zoom on the focused canvas, the wheel — which must not scroll the page —, Fit, the zoom
// buttons), when the theme changes, and when a
// node is chosen from the Node list; the node list fills in after the first frame. axe-core with a graph on screen.
import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RPC_PATH } from '../src/shared/contract';
import { collectPageProblems, expectOverview, screenshot } from './support/pages';
import { createAdminDirectly, startServer, type ShelfServer } from './support/server';

let server: ShelfServer;
let work: string;

test.beforeAll(async () => {
  server = await startServer();
  await createAdminDirectly(server);
  work = mkdtempSync(join(tmpdir(), 'shelf-e2e-graph-'));
});

test.afterAll(async () => {
  await server?.stop();
  rmSync(work, { recursive: true, force: true });
});

/** The canvas's pixels, to tell whether a frame was drawn with something new on it. */
const pixels = (page: Page) => page.locator('canvas.graph-canvas').evaluate((c) => (c as unknown as { toDataURL(): string }).toDataURL());

test('the graph is drawn when it arrives and redrawn on every view, theme and selection change; keyboard pans and zooms', async ({
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
  await expect(page.getByText(/top-app@latest: 6 nodes/)).toBeVisible();
  const mark = await page.waitForFunction(() => {
    const entry = performance.getEntriesByName('shelf:graph-drawn')[0] as { detail?: { nodes: number } } | undefined;
    return entry?.detail?.nodes;
  });
  expect(await mark.jsonValue()).toBe(6);
  // The Node list is filled after the first frame; it then offers every node.
  await expect(page.getByLabel('Node', { exact: true }).getByRole('option')).toHaveCount(7);

  const canvas = page.locator('canvas.graph-canvas');
  let before = await pixels(page);
  const expectRedrawn = async () => {
    await expect.poll(() => pixels(page)).not.toBe(before);
    before = await pixels(page);
  };
  await canvas.focus();
  await page.keyboard.press('ArrowLeft');
  await expectRedrawn();
  await page.keyboard.press('-');
  await expectRedrawn();
  await page.keyboard.press('+');
  await expectRedrawn();
  // The wheel over the canvas zooms it and leaves the page where it is.
  await canvas.hover();
  const scrolled = await page.evaluate('window.scrollY');
  // Focusing the canvas scrolled it into view, so the page could scroll up here if the wheel were let through.
  expect(scrolled).toBeGreaterThan(0);
  await page.mouse.wheel(0, -120);
  await expectRedrawn();
  expect(await page.evaluate('window.scrollY')).toBe(scrolled);
  await page.getByRole('button', { name: 'Fit', exact: true }).click();
  await expectRedrawn();
  await page.getByRole('button', { name: 'Zoom in' }).click();
  await expectRedrawn();
  // Nothing changes, nothing is drawn: the picture stays as it is.
  await page.waitForTimeout(200);
  expect(await pixels(page)).toBe(before);

  await page.emulateMedia({ colorScheme: 'dark' });
  await expectRedrawn();
  await page.emulateMedia({ colorScheme: 'light' });
  await expectRedrawn();

  await page.getByLabel('Node', { exact: true }).selectOption({ label: 'leaf-b@1.0.0 (node_modules/leaf-b)' });
  await expect(page.getByRole('heading', { name: 'leaf-b@1.0.0' })).toBeVisible();
  await expect(page.locator('.side-panel .mono')).toHaveText('shelf-graph → top-app → middle → leaf-b');
  await expectRedrawn();

  const axe = await new AxeBuilder({ page }).analyze();
  expect(axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id)).toEqual([]);
  await screenshot(page, 'graph-canvas', { dark: true });
  expect(problems).toEqual([]);
});

test("a project folder picked in the browser is resolved from its uploaded package.json, not from the server's disk", async ({ page }) => {
  const problems = collectPageProblems(page);
  const project = join(work, 'my-project');
  mkdirSync(join(project, 'node_modules', 'junk'), { recursive: true });
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({ name: 'my-project', version: '0.1.0', dependencies: { middle: '^1.0.0' } }),
  );
  // Neither is needed to resolve, so neither is sent: a resolution reads package.json files and the lockfile only.
  writeFileSync(join(project, '.env'), 'SECRET=1\n');
  writeFileSync(join(project, 'node_modules', 'junk', 'package.json'), '{ not json');
  // Every request the page makes to the graph call, to see what it carried.
  const sent: string[] = [];
  page.on('request', (request) => {
    if (request.url().endsWith(`${RPC_PATH}/graph.resolve`)) sent.push(request.postData() ?? '');
  });

  await page.goto(server.url);
  await expectOverview(page);
  await page.goto(`${server.url}/-/ui/#/graph`);
  await page.getByLabel('Graph of').selectOption('folder');
  await page.getByLabel('Folder with package.json').setInputFiles(project);
  await page.getByRole('button', { name: 'Resolve' }).click();
  await expect(page.getByText(/my-project \(my-project\): 4 nodes/)).toBeVisible();

  expect(sent).toHaveLength(1);
  const body = JSON.parse(sent[0]!) as { kind: string; upload: { name: string; files: { path: string }[] } };
  expect(body.kind).toBe('upload');
  expect(body.upload.name).toBe('my-project');
  expect(body.upload.files.map((f) => f.path)).toEqual(['package.json']);
  expect(problems).toEqual([]);
});
