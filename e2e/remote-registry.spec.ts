// The screens acting on a remote Shelf (issue 17), in browser mode: two real `shelf serve` processes on loopback. The
// local Shelf's admin adds the remote, signs in there as a non-admin of the remote, and switches to it: search, the
// package page, publish, tokens and the mirror then act on the remote with the rights the remote gives; a remote admin
// may switch its mirror; a wrong password is refused and nothing is stored; switching back shows this Shelf's data.
// Each switched screen at 1280 and 900 px, light and dark, with a screenshot and axe.
import { expect, test, type Page } from '@playwright/test';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RPC_PATH } from '../src/shared/contract';
import { views } from './support/app-shots';
import { createNpmUser, publishWithNpm } from './support/npm';
import { ADMIN, collectPageProblems, expectOverview, openScreen } from './support/pages';
import { createAdminDirectly, startServer, type ShelfServer } from './support/server';

test.describe.configure({ mode: 'serial' });

const DEV = { username: 'dev', password: 'dev-password-on-remote' };

let local: ShelfServer;
let remote: ShelfServer;
let host: string;
let page: Page;
let problems: string[];
let work: string;

/** A contract call on the remote as one of its own users (a fresh sign-in there), to check what the UI did. */
async function onRemote(
  account: { username: string; password: string },
  name: string,
  args: unknown = {},
): Promise<Record<string, unknown>> {
  const post = (call: string, body: unknown, cookie?: string) =>
    fetch(`${remote.url}${RPC_PATH}/${call}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: remote.url, ...(cookie ? { cookie } : {}) },
      body: JSON.stringify(body),
    });
  const signIn = await post('session.signIn', { username: account.username, password: account.password });
  expect(signIn.status).toBe(200);
  const cookie = signIn.headers.getSetCookie()[0]!.split(';')[0];
  return (await (await post(name, args, cookie)).json()) as Record<string, unknown>;
}

/** Every file of a folder with its bytes: "nothing was stored" is checked against it. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (at: string) => {
    for (const name of readdirSync(at)) {
      const path = join(at, name);
      if (statSync(path).isDirectory()) walk(path);
      else out[path.slice(dir.length)] = readFileSync(path).toString('base64');
    }
  };
  walk(dir);
  return out;
}

const card = () => page.getByRole('listitem').filter({ has: page.getByRole('heading', { name: remote.registry }) });
const activeRegistry = () => page.getByTestId('active-registry');

async function signInToRemote(account: { username: string; password: string }): Promise<void> {
  await openScreen(page, 'Registries', 'Registries');
  await card().getByLabel(`Your username on ${host}`).fill(account.username);
  await card().getByLabel('Password').fill(account.password);
  await card()
    .getByRole('button', { name: `Sign in to ${host}` })
    .click();
}

async function useRemote(username: string, shown = username): Promise<void> {
  await expect(card().getByText(`Signed in to ${host} as ${username}`)).toBeVisible();
  await card().getByRole('button', { name: 'Use this registry' }).click();
  // The window reloads onto the remote; the shell names it (and who the user is there) on every screen.
  await expect(activeRegistry()).toContainText(`Registry ${host} · ${shown}`);
}

test.beforeAll(async ({ browser }) => {
  [local, remote] = await Promise.all([startServer(['--allow-private-remotes']), startServer()]);
  host = new URL(remote.url).host;
  await Promise.all([createAdminDirectly(local), createAdminDirectly(remote)]);
  const [devToken, localToken] = await Promise.all([createNpmUser(remote, DEV.username, DEV.password), createNpmUser(local, 'someone')]);
  await Promise.all([
    publishWithNpm(remote, devToken, [{ name: 'remote-only-pkg', version: '1.0.0', description: 'lives on the team server' }]),
    publishWithNpm(local, localToken, [{ name: 'local-only-pkg', version: '1.0.0', description: 'lives on this machine' }]),
  ]);
  work = mkdtempSync(join(tmpdir(), 'shelf-e2e-remote-'));
  page = await (await browser.newContext()).newPage();
  problems = collectPageProblems(page);
  await page.goto(local.url);
  await expectOverview(page);
  await expect(activeRegistry()).toContainText(`Registry This Shelf · ${ADMIN.username}`);
  await openScreen(page, 'Registries', 'Registries');
  await page.getByLabel('Registry URL').fill(remote.registry);
  await page.getByRole('button', { name: 'Test and remember' }).click();
  await expect(card()).toBeVisible();
});

test.afterAll(async () => {
  await page?.context().close();
  await Promise.all([local?.stop(), remote?.stop()]);
  rmSync(work, { recursive: true, force: true });
});

test('a wrong password is refused with the remote’s message, and nothing is stored', async () => {
  const before = snapshot(local.dataDir);
  await signInToRemote({ username: DEV.username, password: 'not the password' });
  await expect(card().getByRole('alert')).toHaveText(`signing in to ${remote.registry} failed: incorrect username or password`);
  await expect(card().getByRole('button', { name: 'Use this registry' })).toBeDisabled();
  await views(page, 'remote-signin-refused');
  expect(snapshot(local.dataDir)).toEqual(before);
  await expect(activeRegistry()).toContainText('Registry This Shelf');
});

test('signed in as a non-admin of the remote, search and the package page show the remote’s packages', async () => {
  await signInToRemote(DEV);
  await expect(card().getByText(`Signed in to ${host} as ${DEV.username}`)).toBeVisible();
  await views(page, 'remote-signed-in');
  await useRemote(DEV.username);
  await openScreen(page, 'Search', 'Search');
  await expect(activeRegistry()).toContainText(`${host} · dev`);
  await page.getByLabel('Search packages').fill('pkg');
  const results = page.getByRole('list', { name: 'Search results' });
  await expect(results.getByRole('link', { name: 'remote-only-pkg' })).toBeVisible();
  await expect(results.getByRole('link', { name: 'local-only-pkg' })).toHaveCount(0);
  await views(page, 'remote-search');
  await results.getByRole('link', { name: 'remote-only-pkg' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'remote-only-pkg' })).toBeVisible();
  await expect(activeRegistry()).toContainText(`${host} · dev`);
  await views(page, 'remote-package');
});

test('a publish from the UI lands on the remote, as the remote user', async () => {
  const dir = join(work, 'from-ui-pkg');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({
      name: 'from-ui-pkg',
      version: '1.0.0',
      description: 'published from the desktop UI',
      license: 'MIT',
      main: 'index.js',
    }),
  );
  writeFileSync(join(dir, 'index.js'), 'module.exports = 1;\n');
  await openScreen(page, 'Publish', 'Publish from a folder');
  await page.getByLabel('Package folder').setInputFiles(dir);
  await page.getByRole('button', { name: 'Check' }).click();
  await expect(page.getByRole('heading', { name: 'from-ui-pkg@1.0.0' })).toBeVisible();
  await page.getByRole('button', { name: 'Publish to this registry' }).click();
  await expect(page.getByRole('heading', { name: 'Published from-ui-pkg@1.0.0' })).toBeVisible();
  await views(page, 'remote-published');
  // Through the remote's npm door: the version is there, published by the remote's user; this Shelf has nothing.
  const packument = (await (await fetch(`${remote.url}/from-ui-pkg`)).json()) as {
    versions: Record<string, unknown>;
    maintainers: { name: string }[];
  };
  expect(Object.keys(packument.versions)).toEqual(['1.0.0']);
  expect(packument.maintainers.map((m) => m.name)).toEqual(['dev']);
  expect((await fetch(`${local.url}/from-ui-pkg`)).status).toBe(404);
});

test('tokens are the remote account’s: created there, listed from there', async () => {
  await openScreen(page, 'Tokens', 'Tokens');
  await page.getByLabel('Name').fill('desktop-token');
  await page.getByRole('button', { name: 'Create token' }).click();
  await expect(page.getByRole('heading', { name: 'Token “desktop-token” created' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Revoke desktop-token' })).toBeVisible();
  await views(page, 'remote-tokens');
  const theirs = (await onRemote(DEV, 'tokens.list')) as { tokens: { name: string | null }[] };
  expect(theirs.tokens.map((t) => t.name)).toContain('desktop-token');
});

test('the mirror’s admin switch is refused for the non-admin with the remote’s message, and nothing changes there', async () => {
  await openScreen(page, 'Mirror', 'Mirror');
  await page.getByLabel('Offline: serve only what is cached').click();
  await expect(
    page.getByText(`${remote.registry}: only an admin may switch the mirror on or offline; ask the registry's admin`),
  ).toBeVisible();
  await views(page, 'remote-mirror-refused');
  expect((await onRemote(ADMIN, 'mirror.status')).offline).toBe(false);
});

test('a remote admin may switch the remote’s mirror', async () => {
  await openScreen(page, 'Registries', 'Registries');
  await card()
    .getByRole('button', { name: `Sign out of ${host}` })
    .click();
  // Signing out of the active remote brings the screens back to this Shelf.
  await expect(activeRegistry()).toContainText('Registry This Shelf');
  await signInToRemote({ username: ADMIN.username, password: ADMIN.password });
  await useRemote(ADMIN.username, `${ADMIN.username} (admin)`);
  await openScreen(page, 'Mirror', 'Mirror');
  const offline = page.getByLabel('Offline: serve only what is cached');
  await offline.click();
  await expect(offline).toBeChecked();
  expect((await onRemote(ADMIN, 'mirror.status')).offline).toBe(true);
  await views(page, 'remote-mirror-admin');
  await offline.click();
  await expect(offline).not.toBeChecked();
  expect((await onRemote(ADMIN, 'mirror.status')).offline).toBe(false);
});

test('switching back to this Shelf shows its own data', async () => {
  await page.getByLabel('Act on').selectOption({ label: 'This Shelf' });
  await expect(activeRegistry()).toContainText(`Registry This Shelf · ${ADMIN.username}`);
  await openScreen(page, 'Search', 'Search');
  await page.getByLabel('Search packages').fill('pkg');
  const results = page.getByRole('list', { name: 'Search results' });
  await expect(results.getByRole('link', { name: 'local-only-pkg' })).toBeVisible();
  await expect(results.getByRole('link', { name: 'remote-only-pkg' })).toHaveCount(0);
  await openScreen(page, 'Tokens', 'Tokens');
  await expect(page.getByRole('heading', { name: 'Your tokens' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Revoke desktop-token' })).toHaveCount(0);
  // The browser logs each refused call: exactly the wrong password and the non-admin's mirror switch.
  expect(problems).toEqual([expect.stringContaining('status of 401'), expect.stringContaining('status of 403')]);
});
