// App items 1, 2 and 5 in browser mode against a real `shelf serve` mirroring a second Shelf on loopback:
// publishing a folder with .env and a key needs an explicit choice (left out by default — the stored tarball really lacks
// them — or published after a confirmation naming them); Mirror → Purge confirms with what goes and the space it frees;
// a cached `express` has a package page (cached versions marked, upstream named) and search finds it.
// Each state at 1280 and 900 px, light and dark, with a screenshot and axe.
import { expect, test, type Page } from '@playwright/test';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { views } from './support/app-shots';
import { createNpmUser, publishWithNpm } from './support/npm';
import { callContract, collectPageProblems, expectOverview, openScreen } from './support/pages';
import { createAdminDirectly, startServer, type ShelfServer } from './support/server';

test.describe.configure({ mode: 'serial' });

let server: ShelfServer;
let upstream: ShelfServer;
let page: Page;
let problems: string[];
let work: string;

const rpc = (name: string, args: unknown) => callContract(page, server.url, name, args);

function writeFolder(dir: string, files: Record<string, string>): string {
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

test.beforeAll(async ({ browser }) => {
  upstream = await startServer();
  const token = await createNpmUser(upstream, 'upstreamer');
  // Two versions upstream, so the page can show one cached and one not.
  await publishWithNpm(upstream, token, [{ name: 'express', version: '4.20.0', description: 'Fast, unopinionated web framework' }]);
  await publishWithNpm(upstream, token, [{ name: 'express', version: '4.21.0', description: 'Fast, unopinionated web framework' }]);
  server = await startServer(['--upstream', upstream.registry]);
  await createAdminDirectly(server);
  work = mkdtempSync(join(tmpdir(), 'shelf-e2e-app-publish-'));
  page = await (await browser.newContext()).newPage();
  problems = collectPageProblems(page);
  await page.goto(server.url);
  await expectOverview(page);
});

test.afterAll(async () => {
  await page?.context().close();
  await Promise.all([server?.stop(), upstream?.stop()]);
  rmSync(work, { recursive: true, force: true });
});

async function checkFolder(dir: string, name: string): Promise<void> {
  await openScreen(page, 'Publish', 'Publish from a folder');
  await page.getByLabel('Package folder').setInputFiles(dir);
  await page.getByRole('button', { name: 'Check' }).click();
  await expect(page.getByRole('heading', { name })).toBeVisible();
}

test('1. secret-looking files are left out by default: the stored tarball has no .env and no key', async () => {
  const dir = writeFolder(join(work, 'with-secrets'), {
    'package.json': JSON.stringify({ name: 'with-secrets', version: '1.0.0', description: 'has a .env', license: 'MIT', main: 'index.js' }),
    'index.js': 'module.exports = 1;\n',
    '.env': 'API_KEY=do-not-publish\n',
    'certs/server.key': '-----BEGIN PRIVATE KEY-----\n',
  });
  await checkFolder(dir, 'with-secrets@1.0.0');
  const choice = page.getByRole('group', { name: /2 files look like secrets \(\.env, certs\/server\.key\)/ });
  await expect(choice).toBeVisible();
  await expect(choice.getByRole('radio', { name: /Leave them out of the package/ })).toBeChecked();
  await views(page, 'publish-secrets');
  await page.getByRole('button', { name: 'Publish to this registry' }).click();
  await expect(page.getByRole('heading', { name: 'Published with-secrets@1.0.0' })).toBeVisible();
  await expect(page.getByText('Left out: .env, certs/server.key.')).toBeVisible();
  const files = (await rpc('package.files', { name: 'with-secrets', version: '1.0.0' })) as { files: { path: string }[] };
  expect(files.files.map((f) => f.path).sort()).toEqual(['index.js', 'package.json']);
});

test('1. publishing them anyway needs a confirmation naming the files; cancelling publishes nothing', async () => {
  const dir = writeFolder(join(work, 'keeps-secrets'), {
    'package.json': JSON.stringify({
      name: 'keeps-secrets',
      version: '1.0.0',
      description: 'ships .env',
      license: 'MIT',
      main: 'index.js',
    }),
    'index.js': 'module.exports = 2;\n',
    '.env': 'PUBLIC_FLAG=1\n',
  });
  await checkFolder(dir, 'keeps-secrets@1.0.0');
  await page.getByRole('radio', { name: 'Publish it anyway' }).check();
  await page.getByRole('button', { name: 'Publish to this registry' }).click();
  const dialog = page.getByRole('dialog', { name: 'Publish a file that looks like secrets?' });
  await expect(dialog).toBeVisible();
  await expect(dialog.getByRole('listitem')).toHaveText(['.env']);
  await views(page, 'publish-secrets-confirm', { fullPage: false });
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(dialog).toBeHidden();
  const before = (await rpc('packages.list', {})) as { total: number };
  expect(before.total).toBe(1);
  await page.getByRole('button', { name: 'Publish to this registry' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Publish anyway' }).click();
  await expect(page.getByRole('heading', { name: 'Published keeps-secrets@1.0.0' })).toBeVisible();
  const files = (await rpc('package.files', { name: 'keeps-secrets', version: '1.0.0' })) as { files: { path: string }[] };
  expect(files.files.map((f) => f.path).sort()).toEqual(['.env', 'index.js', 'package.json']);
});

test('5. a cached express has a package page: cached versions marked, upstream named; search finds it', async () => {
  // Install-like reads through this Shelf cache 4.21.0 only.
  const doc = (await (await page.request.get(`${server.url}/express`)).json()) as {
    versions: Record<string, { dist: { tarball: string } }>;
  };
  const tarball = await page.request.get(doc.versions['4.21.0']!.dist.tarball);
  expect(tarball.status()).toBe(200);

  await page.goto(`${server.url}/-/ui/#/package/express`);
  await expect(page.getByRole('heading', { level: 1, name: 'express' })).toBeVisible();
  await expect(page.getByText('not in this registry')).toHaveCount(0);
  await expect(page.getByRole('note')).toContainText(`Mirrored from ${upstream.registry}`);
  await expect(page.getByRole('note')).toContainText('1 of 2 versions are cached');
  const versions = page.getByRole('region', { name: 'Versions of express' });
  await expect(versions.getByRole('row', { name: /4\.21\.0/ })).toContainText('cached');
  await expect(versions.getByRole('row', { name: /4\.20\.0/ })).toContainText('upstream only');
  await views(page, 'package-mirrored');

  await openScreen(page, 'Search', 'Search');
  await page.getByLabel('Search packages').fill('expr');
  const group = page.getByRole('region', { name: /Cached from upstream/ });
  await expect(group.getByRole('link', { name: /express/ })).toBeVisible();
  await expect(group).toContainText('cached: 4.21.0');
  await views(page, 'search-cached');
});

test('2. Mirror → Purge asks first, naming the versions and the space freed; cancel keeps it, confirm removes it', async () => {
  await openScreen(page, 'Mirror', 'Mirror');
  const row = page.getByRole('row', { name: /express/ });
  await expect(row).toBeVisible();
  await row.getByRole('button', { name: 'Purge' }).click();
  const dialog = page.getByRole('dialog', { name: 'Purge express from the cache?' });
  await expect(dialog).toContainText('Removes the cached version 4.21.0 and the cached package document, freeing');
  // The tarball is referenced by nothing else, so all of its bytes are freed (not 0 B).
  await expect(dialog).toContainText(/freeing [1-9]\d*(\.\d+)? (B|kB|KB|KiB)/);
  await views(page, 'mirror-purge-confirm', { fullPage: false });
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  const still = (await rpc('mirror.status', {})) as { cache: { packages: { name: string }[] } };
  expect(still.cache.packages.map((p) => p.name)).toEqual(['express']);
  await row.getByRole('button', { name: 'Purge' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Purge 1 version' }).click();
  await expect(page.getByText('Nothing is cached yet.')).toBeVisible();
  const after = (await rpc('mirror.status', {})) as { cache: { packages: unknown[]; totalBytes: number } };
  expect(after.cache).toMatchObject({ packages: [], totalBytes: 0 });
  // The package page asks package.details first; for a mirrored package that answer is a 404 (then the cache is read).
  expect(problems.filter((p) => !/status of 404/.test(p))).toEqual([]);
});
