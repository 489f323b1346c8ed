// App items 3, 4 and 9 in browser mode against real `shelf serve` processes: the setup link pasted into a tab that already
// shows Shelf works without a reload; the Overview's package names are links reachable by Tab, and its table picks up a
// publish made by the npm CLI without a reload (the server's "packages" event); the shell shows the app-wide status
// (online, offline mode, upstream unreachable) and a toast when a prefetch job finishes.
// Each state at 1280 and 900 px, light and dark, with a screenshot and axe.
import { expect, test, type Page } from '@playwright/test';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { views } from './support/app-shots';
import { createNpmUser, publishWithNpm } from './support/npm';
import { collectPageProblems, expectOverview, fillSetupForm, openScreen, signIn } from './support/pages';
import { startServer, type ShelfServer } from './support/server';

// Page functions run in the browser; this file is type-checked without the DOM library, so declare what they use.
declare const document: { activeElement: { textContent: string | null } | null };

test.describe.configure({ mode: 'serial' });

let server: ShelfServer;
let upstream: ShelfServer;
let page: Page;
let problems: string[];
let work: string;

test.beforeAll(async ({ browser }) => {
  upstream = await startServer();
  await publishWithNpm(upstream, await createNpmUser(upstream, 'upstreamer'), [
    { name: 'left-pad', version: '1.3.0', description: 'prefetched by the toast spec' },
  ]);
  server = await startServer(['--upstream', upstream.registry]);
  work = mkdtempSync(join(tmpdir(), 'shelf-e2e-app-live-'));
  page = await (await browser.newContext()).newPage();
  problems = collectPageProblems(page);
});

test.afterAll(async () => {
  await page?.context().close();
  await Promise.all([server?.stop(), upstream?.stop()]);
  rmSync(work, { recursive: true, force: true });
});

test('4. the setup link pasted into a tab already showing Shelf is taken without a reload', async () => {
  await page.goto(server.url);
  // Without the link, browser mode asks for it.
  await expect(page.getByRole('heading', { name: 'Open the setup link' })).toBeVisible();
  const loads: string[] = [];
  page.on('load', () => loads.push(page.url()));
  // Same document, new #fragment: what pasting the link into the address bar of this tab does.
  await page.goto(server.setupLink);
  await fillSetupForm(page);
  await page.getByRole('button', { name: 'Create admin account' }).click();
  await expectOverview(page);
  expect(loads).toEqual([]);
  // The token left the address bar once taken.
  expect(page.url()).not.toContain('#setup=');
});

test('3. package names on the Overview are links reached by Tab; a CLI publish shows up without a reload', async () => {
  const token = await createNpmUser(server, 'publisher');
  await publishWithNpm(server, token, [{ name: 'first-pkg', version: '1.0.0', description: 'published before the page looked' }]);
  await page.getByRole('button', { name: 'Refresh' }).click();
  const table = page.getByRole('table', { name: /Packages in this registry/ });
  await expect(table.getByRole('link', { name: 'first-pkg' })).toBeVisible();

  // Keyboard: Tab from the Refresh button reaches the package link (a bounded walk).
  await page.getByRole('button', { name: 'Refresh' }).focus();
  let reached = false;
  for (let i = 0; i < 20 && !reached; i++) {
    await page.keyboard.press('Tab');
    reached = await page.evaluate(() => document.activeElement?.textContent === 'first-pkg');
  }
  expect(reached).toBe(true);

  // Published with npm while the page is open: the server's event makes the table load again, no click, no reload.
  const loads: string[] = [];
  page.on('load', () => loads.push(page.url()));
  await publishWithNpm(server, token, [{ name: 'from-the-cli', version: '2.0.0', description: 'published while the page was open' }]);
  await expect(table.getByRole('link', { name: 'from-the-cli' })).toBeVisible();
  expect(loads).toEqual([]);
  await views(page, 'overview');

  await table.getByRole('link', { name: 'from-the-cli' }).focus();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { level: 1, name: 'from-the-cli' })).toBeVisible();
});

test('9. the shell shows online, then offline mode; a finished prefetch raises a toast on another screen', async () => {
  const nav = page.getByRole('navigation', { name: 'Screens' });
  await expect(nav.getByRole('link', { name: /^Status: Online\. Mirroring 1 upstream/ })).toBeVisible();

  const project = join(work, 'project');
  mkdirSync(project, { recursive: true });
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({ name: 'project', version: '1.0.0', dependencies: { 'left-pad': '1.3.0' } }),
  );
  writeFileSync(
    join(project, 'package-lock.json'),
    JSON.stringify({
      name: 'project',
      version: '1.0.0',
      lockfileVersion: 3,
      packages: { '': { dependencies: { 'left-pad': '1.3.0' } }, 'node_modules/left-pad': { version: '1.3.0' } },
    }),
  );
  await openScreen(page, 'Mirror', 'Mirror');
  await page.getByLabel('Project folder or lockfile on the server').fill(project);
  await page.getByRole('button', { name: 'Prefetch' }).click();
  // Away from the Mirror screen before the job ends: the toast finds the user where they are.
  await openScreen(page, 'Overview', 'Shelf');
  const toasts = page.getByRole('status', { name: 'Notifications' });
  await expect(toasts).toContainText(/Prefetch .*package-lock\.json: succeeded/, { timeout: 20_000 });
  await views(page, 'toast', { guide: { width: 900, dark: false } });
  await toasts.getByRole('button', { name: /^Dismiss/ }).click();
  await expect(toasts).toBeEmpty();

  await openScreen(page, 'Mirror', 'Mirror');
  // A controlled switch: it shows the server's state once the call returns, so click and then expect.
  const offline = page.getByLabel('Offline: serve only what is cached');
  await offline.click();
  await expect(offline).toBeChecked();
  await expect(nav.getByRole('link', { name: /^Status: Offline mode/ })).toBeVisible();
  await views(page, 'status-offline');
  await offline.click();
  await expect(offline).not.toBeChecked();
  await expect(nav.getByRole('link', { name: /^Status: Online/ })).toBeVisible();
  expect(problems).toEqual([]);
});

test('9. an upstream that does not answer is shown as such in the shell', async ({ browser }) => {
  // A port that was free a moment ago and is closed now: connections to it are refused.
  const port = await new Promise<number>((resolvePort) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolvePort(port));
    });
  });
  const lonely = await startServer(['--upstream', `http://127.0.0.1:${port}/`]);
  const other = await (await browser.newContext()).newPage();
  try {
    await other.goto(lonely.setupLink);
    await fillSetupForm(other);
    await other.getByRole('button', { name: 'Create admin account' }).click();
    await expectOverview(other).catch(async () => signIn(other));
    const nav = other.getByRole('navigation', { name: 'Screens' });
    await expect(
      nav.getByRole('link', { name: new RegExp(`^Status: Upstream unreachable\\. http://127\\.0\\.0\\.1:${port}/`) }),
    ).toBeVisible();
    await views(other, 'status-upstream-unreachable', { guide: { width: 1280, dark: true } });
  } finally {
    await other.context().close();
    await lonely.stop();
  }
});
