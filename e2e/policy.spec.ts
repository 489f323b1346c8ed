// The Policy screen (admins): the rules form round-trips through the server — the provenance-downgrade and install-script
// rules and the quarantine age are saved, confirmed, and shown again when the screen is opened anew; axe and screenshots at both widths
// in both themes.
import { expect, test, type Page } from '@playwright/test';
import { views } from './support/app-shots';
import { callContract, collectPageProblems, expectOverview, fillSetupForm, openScreen } from './support/pages';
import { startServer, type ShelfServer } from './support/server';

test.describe.configure({ mode: 'serial' });

let server: ShelfServer;
let page: Page;
let problems: string[];

test.beforeAll(async ({ browser }) => {
  server = await startServer();
  page = await (await browser.newContext()).newPage();
  problems = collectPageProblems(page);
  await page.goto(server.setupLink);
  await fillSetupForm(page);
  await page.getByRole('button', { name: 'Create admin account' }).click();
  await expectOverview(page);
});

test.afterAll(async () => {
  await page?.context().close();
  await server?.stop();
});

test('an admin saves the rules, they are stored as chosen, and the form shows them when opened again', async () => {
  await openScreen(page, 'Policy', 'Policy');
  await page.getByLabel('Minimum release age (quarantine; e.g. 3d, 12h; empty: off)').fill('3d');
  await page.getByLabel('New or changed install scripts').selectOption('hold');
  await page.getByLabel('Provenance dropped (published without the attestation the version before had)').selectOption('flag');
  await page.getByRole('button', { name: 'Save policy' }).click();
  await expect(page.getByText('Policy saved: every mirrored package is decided again on its next read')).toBeVisible();

  const stored = (await callContract(page, server.url, 'policy.get', {})) as { policy: Record<string, unknown> };
  expect(stored.policy).toMatchObject({ minReleaseAge: '3d', installScripts: 'hold', provenance: 'flag' });

  // Away and back: the form is built again from what the server stores, not from the edits.
  await openScreen(page, 'Overview', 'Shelf');
  await openScreen(page, 'Policy', 'Policy');
  await expect(page.getByLabel('Minimum release age (quarantine; e.g. 3d, 12h; empty: off)')).toHaveValue('3d');
  await expect(page.getByLabel('New or changed install scripts')).toHaveValue('hold');
  await expect(page.getByLabel('Provenance dropped (published without the attestation the version before had)')).toHaveValue('flag');
  await views(page, 'policy');
  expect(problems).toEqual([]);
});
