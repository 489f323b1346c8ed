// The Package screen's dependencies and dependents (linked where this registry has them, keyboard-reachable, with its empty
// states), and the Publish screen publishing to a remote registry added on the Registries screen — a second Shelf on
// loopback — as well as to this one. axe-core on each state; a screenshot of each.
import { expect, test, type Page } from '@playwright/test';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNpmUser } from './support/npm';
import {
  callContract,
  collectPageProblems,
  expectAccessible as expectAccessibleOn,
  expectOverview,
  openScreen,
  screenshot,
} from './support/pages';
import { createAdminDirectly, startServer, type ShelfServer } from './support/server';

test.describe.configure({ mode: 'serial' });

let server: ShelfServer;
/** A second Shelf on loopback: the remote registry the Publish screen publishes to. */
let remote: ShelfServer;
let page: Page;
let problems: string[];
let work: string;

function writePackage(name: string, manifest: Record<string, unknown>): string {
  const dir = join(work, `${name.replace(/[@/]/g, '_')}-${String(manifest.version)}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, license: 'MIT', main: 'index.js', ...manifest }, null, 2));
  writeFileSync(join(dir, 'index.js'), 'module.exports = 1;\n');
  return dir;
}

const rpc = (name: string, args: unknown) => callContract(page, server.url, name, args);
const expectAccessible = (screen: string) => expectAccessibleOn(page, screen);
const go = (label: string, heading: string) => openScreen(page, label, heading);

test.beforeAll(async ({ browser }) => {
  // The remote is a second Shelf on loopback, which a browser's Shelf reaches only when its operator allows it.
  [server, remote] = await Promise.all([startServer(['--allow-private-remotes']), startServer()]);
  await createAdminDirectly(server);
  work = mkdtempSync(join(tmpdir(), 'shelf-e2e-relations-'));
  page = await (await browser.newContext()).newPage();
  problems = collectPageProblems(page);
});

test.afterAll(async () => {
  await page?.context().close();
  await Promise.all([server?.stop(), remote?.stop()]);
  rmSync(work, { recursive: true, force: true });
});

test('package: dependencies link to local packages, dependents are listed, both reachable by keyboard', async () => {
  await page.goto(server.url);
  await expectOverview(page);
  for (const [name, manifest] of [
    ['core-utils', { version: '1.0.0', description: 'depends on nothing' }],
    ['core-utils', { version: '1.1.0', description: 'now with left-pad', dependencies: { 'left-pad': '^1.3.0' } }],
    ['web-app', { version: '2.0.0', dependencies: { 'core-utils': '^1.0.0' }, peerDependencies: { react: '>=18' } }],
    ['cli-tool', { version: '0.3.0', dependencies: { 'core-utils': '~1.1.0' }, devDependencies: { 'web-app': '^2.0.0' } }],
  ] as const)
    await rpc('publish.run', { path: writePackage(name, manifest), tag: 'latest' });

  await page.goto(`${server.url}/-/ui/#/package/core-utils`);
  await expect(page.getByRole('heading', { level: 1, name: 'core-utils' })).toBeVisible();
  const deps = page.getByRole('region', { name: /^Dependencies/ });
  await expect(deps.getByRole('heading', { name: 'Dependencies 1.1.0' })).toBeVisible();
  // left-pad is not in this registry: named, not linked.
  const ofLatest = deps.getByRole('list', { name: 'Dependencies of core-utils@1.1.0' });
  await expect(ofLatest.getByRole('listitem')).toHaveText(['left-pad ^1.3.0 (not in this registry)']);
  await expect(ofLatest.getByRole('link')).toHaveCount(0);
  const dependents = deps.getByRole('list', { name: /^Dependents/ });
  await expect(dependents.getByRole('listitem')).toHaveText(['cli-tool 0.3.0 needs ~1.1.0', 'web-app 2.0.0 needs ^1.0.0']);
  await expect(deps.getByRole('heading', { name: 'Dependents 2' })).toBeVisible();
  await expect(page.locator('.details').getByText('2', { exact: true })).toBeVisible();
  await expectAccessible('package dependencies');
  await screenshot(page, 'package-relations', { dark: true });

  // The older version has none: the empty state, while the dependents (of the package) stay.
  await page.getByRole('button', { name: 'Show files and dependencies of 1.0.0' }).click();
  await expect(deps.getByRole('heading', { name: 'Dependencies 1.0.0' })).toBeVisible();
  await expect(deps.getByText('core-utils@1.0.0 has no dependencies.')).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Files 1.0.0' })).toBeVisible();
  await expect(dependents.getByRole('listitem')).toHaveCount(2);

  // Keyboard: focus the dependent's link and press Enter; then from web-app back to core-utils the same way.
  await dependents.getByRole('link', { name: 'web-app' }).focus();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { level: 1, name: 'web-app' })).toBeVisible();
  const webDeps = page.getByRole('list', { name: 'Dependencies of web-app@2.0.0' });
  await expect(webDeps.getByRole('listitem')).toHaveText(['core-utils ^1.0.0', 'react >=18 peer (not in this registry)']);
  // cli-tool needs web-app only as a dev dependency: not a dependent.
  await expect(page.getByText('No package in this registry depends on web-app in its latest version.')).toBeVisible();
  await expectAccessible('package dependents empty');
  await webDeps.getByRole('link', { name: 'core-utils' }).focus();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { level: 1, name: 'core-utils' })).toBeVisible();
  await expect(page.getByRole('list', { name: 'Dependencies of core-utils@1.1.0' })).toBeVisible();
});

test('publish: choose a remote registry added on the Registries screen, publish there with its stored token, verified', async () => {
  const token = await createNpmUser(remote, 'remote-publisher');
  await go('Publish', 'Publish from a folder');
  // No remote yet: only this Shelf, and where to add one.
  const registry = page.getByLabel('Registry', { exact: true });
  await expect(registry.getByRole('option')).toHaveText(['This Shelf']);
  await expect(page.getByText('To publish somewhere else, add that registry on the')).toBeVisible();

  await go('Registries', 'Registries');
  await page.getByLabel('Registry URL').fill(remote.registry);
  await page.getByLabel('Token (paste), or').fill(token);
  await page.getByRole('button', { name: 'Test and remember' }).click();
  await expect(page.getByText(/Remote · online · \d+ ms · signed in as remote-publisher/)).toBeVisible();

  await go('Publish', 'Publish from a folder');
  const dir = writePackage('@crew/shipped', { version: '3.1.0', description: 'published to the remote from the UI' });
  // A browser uploads the folder's files: the server reads no folder of its own for a page.
  await page.getByLabel('Package folder').setInputFiles(dir);
  await expect(registry.getByRole('option')).toHaveText(['This Shelf', `${remote.registry} (as remote-publisher)`]);
  await registry.selectOption({ label: `${remote.registry} (as remote-publisher)` });
  await expect(page.getByText('Remote registries use the token stored when they were added.')).toBeVisible();
  await page.getByRole('button', { name: 'Check' }).click();
  await expect(page.getByRole('heading', { name: '@crew/shipped@3.1.0' })).toBeVisible();
  await expect(page.getByText(`Checked against ${remote.registry}`)).toBeVisible();
  await expectAccessible('publish to a remote (preview)');
  await screenshot(page, 'publish-remote-preview', { dark: true });

  await page.getByRole('button', { name: `Publish to ${remote.registry}` }).click();
  await expect(page.getByRole('heading', { name: 'Published @crew/shipped@3.1.0' })).toBeVisible();
  await expect(page.getByText('Verified: the stored tarball matches what was packed.')).toBeVisible();
  await expect(page.getByText(`npm install @crew/shipped@3.1.0 --registry ${remote.registry}`)).toBeVisible();
  await expectAccessible('publish to a remote (done)');
  await screenshot(page, 'publish-remote-done');

  // It is on the remote, owned by the token's user, and not in this Shelf.
  const onRemote = (await (await fetch(`${remote.url}/@crew%2fshipped`)).json()) as {
    versions: Record<string, unknown>;
    maintainers: { name: string }[];
  };
  expect(Object.keys(onRemote.versions)).toEqual(['3.1.0']);
  expect(onRemote.maintainers.map((m) => m.name)).toEqual(['remote-publisher']);
  expect((await fetch(`${server.url}/@crew%2fshipped`)).status).toBe(404);

  // Checking again against the remote: already published there, so publishing is blocked with what to do.
  await page.getByRole('button', { name: 'Check' }).click();
  await expect(page.getByRole('alert')).toContainText(`@crew/shipped@3.1.0 is already published to ${remote.registry}`);
  await expect(page.getByRole('button', { name: /^Publish to/ })).toHaveCount(0);

  // Back to this Shelf: the same folder publishes locally, and links to its package page.
  await registry.selectOption({ label: 'This Shelf' });
  await page.getByRole('button', { name: 'Check' }).click();
  await expect(page.getByText(`Checked against ${server.registry}`)).toBeVisible();
  await page.getByRole('button', { name: 'Publish to this registry' }).click();
  await expect(page.getByRole('heading', { name: 'Published @crew/shipped@3.1.0' })).toBeVisible();
  await page.getByRole('link', { name: 'Open @crew/shipped' }).click();
  await expect(page.getByRole('heading', { level: 1, name: '@crew/shipped' })).toBeVisible();
  expect(problems).toEqual([]);
});
