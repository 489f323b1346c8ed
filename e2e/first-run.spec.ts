// First run in browser mode: the setup screen, the one-time link, and the overview once the admin account exists.
import { expect, test } from '@playwright/test';
import { collectPageProblems, expectOverview, fillSetupForm, screenshot } from './support/pages';
import { startServer, type ShelfServer } from './support/server';

test.describe.configure({ mode: 'serial' });

let server: ShelfServer;
test.beforeAll(async () => {
  server = await startServer();
});
test.afterAll(async () => {
  await server?.stop();
});

test('a fresh registry opens on the setup screen, which asks for the printed link when the page has none', async ({ page }) => {
  await page.goto(server.url);
  await expect(page.getByRole('heading', { level: 1, name: 'Set up Shelf' })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Open the setup link' })).toBeVisible();
  await expect(page.getByLabel('Username')).toHaveCount(0);
  await screenshot(page, 'first-run-needs-link');
});

test('a wrong setup token is refused with the server’s own message, and the form stays', async ({ page }) => {
  const wrong = new URL(server.setupLink);
  wrong.hash = '#setup=not-the-token';
  await page.goto(wrong.href);
  await fillSetupForm(page);
  await page.getByRole('button', { name: 'Create admin account' }).click();
  await expect(page.getByRole('alert')).toContainText('this setup link is not valid');
  await expect(page.getByRole('heading', { name: 'Admin account' })).toBeVisible();
  await screenshot(page, 'first-run-wrong-token');
});

test('the setup link opens the admin form, takes the token out of the address, and creating the account shows the overview', async ({
  page,
}) => {
  const problems = collectPageProblems(page);
  await page.goto(server.setupLink);
  await expect(page.getByRole('heading', { level: 1, name: 'Set up Shelf' })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Admin account' })).toBeVisible();
  expect(page.url()).not.toContain('#setup=');
  await fillSetupForm(page);
  await screenshot(page, 'first-run-setup-form', { dark: true });

  await page.getByRole('button', { name: 'Create admin account' }).click();
  await expectOverview(page);
  await expect(page.getByLabel('Address for npm clients')).toHaveValue(server.registry);
  const status = page.getByRole('region', { name: 'Status' });
  await expect(status.getByText('running', { exact: true })).toBeVisible();
  await expect(status.getByText('Browser (shelf serve)')).toBeVisible();
  await expect(status.getByText(server.dataDir)).toBeVisible();
  await expect(page.getByText(`npm config set registry ${server.registry}`)).toBeVisible();
  await screenshot(page, 'first-run-overview', { dark: true });
  expect(problems).toEqual([]);
});

test('opening the setup link again once the account exists shows the overview, not the form', async ({ page }) => {
  await page.goto(server.setupLink);
  await expectOverview(page);
  await expect(page.getByRole('heading', { name: 'Admin account' })).toHaveCount(0);
});
