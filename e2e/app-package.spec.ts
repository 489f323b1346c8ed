// App items 8 and 10 in browser mode against a real `shelf serve`: the package page leads with the README, has a Code tab
// (the stored tarball's folders and files with sizes), install commands with working copy buttons for npm, pnpm, yarn and
// bun, homepage/repository/issues links, keywords that open the search, a download chart with axes and hover values, a tag
// set on any version and a deprecation with its own message; Activity's chart too.
// Each state at 1280 and 900 px, light and dark, with a screenshot and axe.
import { expect, test, type Page } from '@playwright/test';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { views } from './support/app-shots';
import { callContract, collectPageProblems, expectOverview, openScreen } from './support/pages';
import { createAdminDirectly, startServer, type ShelfServer } from './support/server';

// Page functions run in the browser; this file is type-checked without the DOM library, so declare what they use.
declare const navigator: { clipboard: { readText(): Promise<string> } };

test.describe.configure({ mode: 'serial' });

let server: ShelfServer;
let page: Page;
let problems: string[];
let work: string;

const rpc = (name: string, args: unknown) => callContract(page, server.url, name, args);

function writeVersion(version: string): string {
  const dir = join(work, `web-kit-${version}`);
  const files: Record<string, string> = {
    'package.json': JSON.stringify({
      name: 'web-kit',
      version,
      description: 'Small helpers for web servers',
      license: 'MIT',
      main: 'lib/index.js',
      keywords: ['http', 'server'],
      homepage: 'https://web-kit.example/',
      repository: { type: 'git', url: 'git+https://github.com/example/web-kit.git' },
      bugs: { url: 'https://github.com/example/web-kit/issues' },
    }),
    'README.md': '# Web Kit\n\nHelpers for **web servers**.\n',
    'lib/index.js': "module.exports = require('./util/headers');\n",
    'lib/util/headers.js': `module.exports = ${JSON.stringify('x'.repeat(2000))};\n`,
  };
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

test.beforeAll(async ({ browser }) => {
  server = await startServer();
  await createAdminDirectly(server);
  work = mkdtempSync(join(tmpdir(), 'shelf-e2e-app-package-'));
  const context = await browser.newContext({ permissions: ['clipboard-read', 'clipboard-write'] });
  page = await context.newPage();
  problems = collectPageProblems(page);
  await page.goto(server.url);
  await expectOverview(page);
  await rpc('publish.run', { path: writeVersion('1.0.0'), tag: 'latest' });
  await rpc('publish.run', { path: writeVersion('1.1.0'), tag: 'latest' });
  // Three downloads today, for the charts.
  const doc = (await (await page.request.get(`${server.url}/web-kit`)).json()) as {
    versions: Record<string, { dist: { tarball: string } }>;
  };
  for (let i = 0; i < 3; i++) expect((await page.request.get(doc.versions['1.1.0']!.dist.tarball)).status()).toBe(200);
});

test.afterAll(async () => {
  await page?.context().close();
  await server?.stop();
  rmSync(work, { recursive: true, force: true });
});

test('10. README first, install commands that copy, links, and a Code tab with folders and sizes', async () => {
  await page.goto(`${server.url}/-/ui/#/package/web-kit`);
  await expect(page.getByRole('heading', { level: 1, name: 'web-kit' })).toBeVisible();
  // The README is the selected tab and the first panel of the main column.
  await expect(page.getByRole('tab', { name: 'Readme' })).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByRole('tabpanel').getByRole('heading', { name: 'Web Kit' })).toBeVisible();

  const install = page.getByRole('region', { name: 'Install' });
  for (const [tool, command] of [
    ['npm', 'npm install web-kit'],
    ['pnpm', 'pnpm add web-kit'],
    ['yarn', 'yarn add web-kit'],
    ['bun', 'bun add web-kit'],
  ] as const)
    await expect(install.getByLabel(tool, { exact: true })).toHaveValue(command);
  await install.getByRole('button', { name: 'Copy' }).nth(1).click();
  await expect(install.getByText('Copied to the clipboard.')).toBeVisible();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe('pnpm add web-kit');

  const about = page.getByRole('region', { name: 'About' });
  await expect(about.getByRole('link', { name: 'Homepage' })).toHaveAttribute('href', 'https://web-kit.example/');
  await expect(about.getByRole('link', { name: 'Repository' })).toHaveAttribute('href', 'https://github.com/example/web-kit');
  await expect(about.getByRole('link', { name: 'Issues' })).toHaveAttribute('href', 'https://github.com/example/web-kit/issues');
  await views(page, 'package');

  await page.getByRole('tab', { name: 'Code' }).click();
  const code = page.getByRole('tabpanel');
  await expect(code.getByRole('row', { name: /lib\/ 2 files/ })).toBeVisible();
  await expect(code.getByRole('row', { name: /README\.md/ })).toContainText(/\d+ B/);
  await code.getByRole('button', { name: 'lib/' }).click();
  await code.getByRole('button', { name: 'util/' }).click();
  await expect(code.getByRole('row', { name: /headers\.js/ })).toContainText(/2(\.\d+)? kB|20\d\d B/);
  await expect(code.getByRole('navigation', { name: 'Folder' })).toContainText('web-kit@1.1.0 / lib / util');
  await views(page, 'package-code');
});

test('8. the download chart has axes and shows the hovered day and its count', async () => {
  const chart = page.locator('.daily-chart').first();
  await chart.scrollIntoViewIfNeeded();
  await expect(chart.locator('.u-axis')).toHaveCount(2);
  // Hover the right edge of the plot (today): the legend shows today's date and the three downloads.
  const over = chart.locator('.u-over');
  const box = (await over.boundingBox())!;
  await page.mouse.move(box.x + box.width - 2, box.y + box.height / 2);
  const today = new Date().toISOString().slice(0, 10);
  await expect(chart.locator('.u-legend')).toContainText(today);
  await expect(chart.locator('.u-legend .u-series').nth(1)).toContainText('3');
  await expect(chart.locator('figcaption')).toContainText('Downloads over the last 30 days: 3 in all');

  await openScreen(page, 'Activity', 'Activity');
  const activity = page.locator('.daily-chart');
  await expect(activity.locator('.u-axis')).toHaveCount(2);
  await views(page, 'activity');
});

test('10. keywords open the search; any version can be tagged; deprecation takes a message', async () => {
  await page.goto(`${server.url}/-/ui/#/package/web-kit`);
  await page.getByRole('list', { name: 'Keywords' }).getByRole('link', { name: 'http' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Search' })).toBeVisible();
  await expect(page.getByLabel('Keyword')).toHaveValue('http');
  await expect(page.getByRole('list', { name: 'Search results' }).getByRole('link', { name: /web-kit/ })).toBeVisible();

  await page.goto(`${server.url}/-/ui/#/package/web-kit`);
  await page.getByLabel('Tag', { exact: true }).fill('legacy');
  await page.getByLabel('on version').selectOption('1.0.0');
  await page.getByRole('button', { name: 'Set tag' }).click();
  await page.getByRole('dialog', { name: 'Point legacy at 1.0.0?' }).getByRole('button', { name: 'Set tag' }).click();
  await expect(page.getByText('Tag legacy now points at 1.0.0.')).toBeVisible();
  const details = (await rpc('package.details', { name: 'web-kit' })) as {
    distTags: Record<string, string>;
    versions: { version: string; deprecated: string | null }[];
  };
  expect(details.distTags).toEqual({ latest: '1.1.0', legacy: '1.0.0' });

  await page
    .getByRole('row', { name: /1\.0\.0/ })
    .getByRole('button', { name: 'Deprecate' })
    .click();
  const dialog = page.getByRole('dialog', { name: 'Deprecate web-kit@1.0.0?' });
  await dialog.getByLabel('Message npm shows to everyone who installs it').fill('Use 1.1.0: 1.0.0 mangles headers');
  await views(page, 'package-deprecate', { fullPage: false });
  await dialog.getByRole('button', { name: 'Deprecate' }).click();
  await expect(page.getByText('1.0.0 deprecated.')).toBeVisible();
  const after = (await rpc('package.details', { name: 'web-kit' })) as typeof details;
  expect(after.versions.find((v) => v.version === '1.0.0')?.deprecated).toBe('Use 1.1.0: 1.0.0 mangles headers');
  expect(after.versions.find((v) => v.version === '1.1.0')?.deprecated).toBeNull();
  expect(problems).toEqual([]);
});
