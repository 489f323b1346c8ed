// App items 6 and 7 in browser mode against a real `shelf serve`: every screen at 1280×800 and 900×700, light and dark,
// with a screenshot and axe; nothing cut off sideways at 900 px, where the sidebar folds into a bar with a Menu button;
// cards padded, panels apart, tag chips apart, dialog buttons apart, long values wrapped at separators; a bad CIDR is
// reported next to its field and fixing it and submitting again creates the token (no list reload in between).
import { expect, test, type Page } from '@playwright/test';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expectNoSidewaysOverflow, views, WIDTHS } from './support/app-shots';
import { callContract, collectPageProblems, expectOverview, openScreen } from './support/pages';
import { createAdminDirectly, startServer, type ShelfServer } from './support/server';
import { RPC_PATH } from '../src/shared/contract';

// Page functions run in the browser; this file is type-checked without the DOM library, so declare what they use.
declare const getComputedStyle: (element: unknown) => { paddingLeft: string; overflowWrap: string };

test.describe.configure({ mode: 'serial' });

let server: ShelfServer;
let remote: ShelfServer;
let page: Page;
let problems: string[];
let work: string;

const rpc = (name: string, args: unknown) => callContract(page, server.url, name, args);

const SCREENS = [
  ['Overview', 'Shelf', 'overview-screen'],
  ['Search', 'Search', 'search'],
  ['Publish', 'Publish from a folder', 'publish'],
  ['Dependency graph', 'Dependency graph', 'graph'],
  ['Tokens', 'Tokens', 'tokens'],
  ['Mirror', 'Mirror', 'mirror'],
  ['Registries', 'Registries', 'registries'],
  ['Activity', 'Activity', 'activity-screen'],
  ['Settings', 'Settings', 'settings'],
] as const;

test.beforeAll(async ({ browser }) => {
  // The remote is a second Shelf on loopback (a card on the Registries screen), which needs --allow-private-remotes.
  [server, remote] = await Promise.all([startServer(['--allow-private-remotes']), startServer()]);
  await createAdminDirectly(server);
  work = mkdtempSync(join(tmpdir(), 'shelf-e2e-app-layout-'));
  page = await (await browser.newContext()).newPage();
  problems = collectPageProblems(page);
  await page.goto(server.url);
  await expectOverview(page);
  for (const version of ['1.0.0', '1.1.0']) {
    const dir = join(work, `layout-kit-${version}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify({ name: 'layout-kit', version, description: 'for the layout spec', license: 'MIT' }),
    );
    writeFileSync(join(dir, 'index.js'), 'module.exports = 1;\n');
    await rpc('publish.run', { path: dir, tag: 'latest' });
  }
  await rpc('package.setDistTag', { name: 'layout-kit', tag: 'beta', version: '1.1.0' });
  await rpc('package.setDistTag', { name: 'layout-kit', tag: 'stable-long-tag-name', version: '1.1.0' });
  await rpc('registries.add', { url: remote.registry });
});

test.afterAll(async () => {
  await page?.context().close();
  await Promise.all([server?.stop(), remote?.stop()]);
  rmSync(work, { recursive: true, force: true });
});

test('6. every screen at 1280 and 900 px in both themes: screenshots, axe, nothing cut off at 900 px', async () => {
  // Nine screens, each pictured and checked by axe four times.
  test.setTimeout(400_000);
  for (const [label, heading, name] of SCREENS) {
    await page.setViewportSize(WIDTHS[0]);
    await openScreen(page, label, heading);
    // The guide shows Registries in the dark theme and Settings at 900 px, as examples of both.
    await views(page, name, {
      guide: name === 'registries' ? { width: 1280, dark: true } : name === 'settings' ? { width: 900, dark: false } : undefined,
    });
    await page.setViewportSize(WIDTHS[1]);
    expect(await expectNoSidewaysOverflow(page), `${label} at 900 px`).toEqual([]);
  }
  await page.setViewportSize(WIDTHS[0]);
});

test('6. at 900 px the sidebar folds into a bar; Menu opens it and choosing a screen folds it again', async () => {
  await page.setViewportSize(WIDTHS[1]);
  const nav = page.getByRole('navigation', { name: 'Screens' });
  const menu = nav.getByRole('button', { name: 'Menu' });
  await expect(menu).toHaveAttribute('aria-expanded', 'false');
  await expect(nav.getByRole('link', { name: 'Tokens', exact: true })).toBeHidden();
  await menu.click();
  await expect(menu).toHaveAttribute('aria-expanded', 'true');
  await views(page, 'menu-open', { fullPage: false, guide: { width: 900, dark: false } });
  await page.setViewportSize(WIDTHS[1]);
  await nav.getByRole('link', { name: 'Tokens', exact: true }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Tokens' })).toBeVisible();
  await expect(menu).toHaveAttribute('aria-expanded', 'false');
  // At 1280 px there is no Menu button: the sidebar is always there.
  await page.setViewportSize(WIDTHS[0]);
  await expect(menu).toBeHidden();
  await expect(nav.getByRole('link', { name: 'Tokens', exact: true })).toBeVisible();
});

test('6. spacing: padded cards, panels apart, tag chips apart, dialog buttons apart, values wrapped whole', async () => {
  await openScreen(page, 'Registries', 'Registries');
  const card = page.locator('.cards > li').first();
  await expect(card).toBeVisible();
  expect(Number.parseFloat(await card.evaluate((el) => getComputedStyle(el).paddingLeft))).toBeGreaterThanOrEqual(12);

  await page.goto(`${server.url}/-/ui/#/package/layout-kit`);
  const versions = page.getByRole('region', { name: 'Versions' });
  const deps = page.getByRole('region', { name: /^Dependencies/ });
  const [a, b] = [(await versions.boundingBox())!, (await deps.boundingBox())!];
  expect(b.y - (a.y + a.height)).toBeGreaterThanOrEqual(12);
  const chips = versions.getByRole('row', { name: /1\.1\.0/ }).locator('.tag');
  await expect(chips).toHaveCount(3);
  const [c1, c2] = [(await chips.nth(0).boundingBox())!, (await chips.nth(1).boundingBox())!];
  // Either side by side with a gap, or wrapped onto the next line.
  expect(c2.x >= c1.x + c1.width + 2 || c2.y >= c1.y + c1.height).toBe(true);

  await versions
    .getByRole('row', { name: /1\.0\.0/ })
    .getByRole('button', { name: 'Yank' })
    .click();
  const dialog = page.getByRole('dialog');
  const [cancel, confirm] = [
    (await dialog.getByRole('button', { name: 'Cancel' }).boundingBox())!,
    (await dialog.getByRole('button', { name: 'Yank' }).boundingBox())!,
  ];
  expect(confirm.x - (cancel.x + cancel.width)).toBeGreaterThanOrEqual(6);
  await dialog.getByRole('button', { name: 'Cancel' }).click();

  await openScreen(page, 'Settings', 'Settings');
  const dataDir = page.getByText(server.dataDir, { exact: true });
  await expect(dataDir).toBeVisible();
  expect(await dataDir.evaluate((el) => getComputedStyle(el).overflowWrap)).toBe('break-word');
  expect(problems).toEqual([]);
});

test('7. a bad CIDR is reported at its field; fixing it and submitting again creates the token, with no list reload', async () => {
  await openScreen(page, 'Tokens', 'Tokens');
  const calls: string[] = [];
  page.on('request', (r) => {
    if (r.url().includes(RPC_PATH)) calls.push(r.url().split('/').pop()!);
  });
  await page.getByLabel('Name').fill('ci');
  const cidr = page.getByLabel('Allowed addresses (CIDR, optional)');
  await cidr.fill('10.0.0.0/99');
  await page.getByRole('button', { name: 'Create token' }).click();
  const error = page.getByRole('alert').filter({ hasText: "'10.0.0.0/99' is not an IP range in CIDR form" });
  await expect(error).toBeVisible();
  await expect(cidr).toHaveAttribute('aria-invalid', 'true');
  // The message is described by the field and sits right under it.
  expect(await cidr.getAttribute('aria-describedby')).toBe(await error.getAttribute('id'));
  const [field, message] = [(await cidr.boundingBox())!, (await error.boundingBox())!];
  expect(message.y - (field.y + field.height)).toBeLessThan(24);
  await views(page, 'tokens-cidr-error');
  const before = (await rpc('tokens.list', {})) as { tokens: unknown[] };
  expect(before.tokens).toEqual([]);

  calls.length = 0;
  await cidr.fill('10.0.0.0/8');
  await page.getByRole('button', { name: 'Create token' }).click();
  await expect(page.getByRole('heading', { name: 'Token “ci” created' })).toBeVisible();
  // Submitting again sent the create; the list was loaded once, after it succeeded.
  expect(calls.slice(0, 2)).toEqual(['tokens.create', 'tokens.list']);
  await expect(cidr).not.toHaveAttribute('aria-invalid', 'true');
  // The refused create is the one failed request the browser logged.
  expect(problems).toEqual([expect.stringContaining('status of 400')]);
  problems.length = 0;
});

test('the dependency graph of a package, for the guide, at both sizes and in both themes', async () => {
  await page.setViewportSize(WIDTHS[0]);
  await openScreen(page, 'Dependency graph', 'Dependency graph');
  await page.getByLabel('Package name').fill('layout-kit');
  await page.getByRole('button', { name: 'Resolve' }).click();
  // The ad-hoc graph's root is named by what was asked for, not a stand-in manifest's name.
  await expect(page.getByText(/layout-kit@latest: 2 packages/)).toBeVisible();
  await expect(page.getByText('shelf-graph')).toHaveCount(0);
  await views(page, 'graph-package');
  expect(problems).toEqual([]);
});
