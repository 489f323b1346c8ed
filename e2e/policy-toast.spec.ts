// Issue 18: a toast on the open page when the policy holds an upstream version. A real `shelf serve` mirrors a stand-in
// upstream on loopback whose newer release adds a postinstall; with the install-script rule on, the first read of that
// package (by an npm client, here a plain GET) holds it, and the signed-in page hears it over the event stream.
import { expect, test, type Page } from '@playwright/test';
import { createHash } from 'node:crypto';
import { startFakeUpstream, type FakeUpstream } from '../test/helpers/fake-upstream';
import { callContract, collectPageProblems, expectOverview, fillSetupForm } from './support/pages';
import { startServer, type ShelfServer } from './support/server';

test.describe.configure({ mode: 'serial' });

let upstream: FakeUpstream;
let server: ShelfServer;
let page: Page;
let problems: string[];

const NAME = 'toast-scripted';

test.beforeAll(async ({ browser }) => {
  upstream = await startFakeUpstream();
  const version = (v: string, scripts?: Record<string, string>) => ({
    name: NAME,
    version: v,
    ...(scripts && { scripts }),
    dist: {
      tarball: `${upstream.url}${NAME}/-/${NAME}-${v}.tgz`,
      integrity: `sha512-${createHash('sha512').update(v).digest('base64')}`,
    },
  });
  const doc = {
    name: NAME,
    'dist-tags': { latest: '1.1.0' },
    versions: { '1.0.0': version('1.0.0'), '1.1.0': version('1.1.0', { postinstall: 'node steal.js' }) },
    time: { '1.0.0': '2025-01-01T00:00:00.000Z', '1.1.0': '2025-06-01T00:00:00.000Z' },
  };
  upstream.route(`/${NAME}`, (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(doc)));
  server = await startServer(['--upstream', upstream.url]);
  page = await (await browser.newContext()).newPage();
  problems = collectPageProblems(page);
  // The toast needs the page's event stream open before the hold happens.
  const stream = page.waitForResponse((response) => response.url().endsWith('/-/shelf/events') && response.status() === 200);
  await page.goto(server.setupLink);
  await fillSetupForm(page);
  await page.getByRole('button', { name: 'Create admin account' }).click();
  await expectOverview(page);
  await stream;
});

test.afterAll(async () => {
  await page?.context().close();
  await server?.stop();
  await upstream?.close();
});

test('a version held by the policy shows a toast on the open page, saying what and why', async () => {
  await callContract(page, server.url, 'policy.set', { policy: { installScripts: 'hold' } });
  const notifications = page.getByRole('status', { name: 'Notifications' });
  await expect(notifications.getByText(`${NAME}@1.1.0 held by the policy`)).toHaveCount(0);

  // An npm client reads the package through Shelf: the ingest holds 1.1.0.
  const read = await page.request.get(`${server.url}/${NAME}`);
  expect(read.status()).toBe(200);
  expect(Object.keys(((await read.json()) as { versions: Record<string, unknown> }).versions)).toEqual(['1.0.0']);

  const toast = notifications.getByText(
    `${NAME}@1.1.0 held by the policy (install-scripts): held for review: adds postinstall "node steal.js" compared with 1.0.0`,
  );
  await expect(toast).toBeVisible();
  await notifications.getByRole('button', { name: `Dismiss: ${NAME}@1.1.0 held by the policy` }).click();
  await expect(toast).toHaveCount(0);
  expect(problems).toEqual([]);
});
