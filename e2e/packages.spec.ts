// Packages published with the real npm CLI appear in the overview's table after a reload.
import { expect, test } from '@playwright/test';
import { createNpmUser, publishWithNpm, type PackageSpec } from './support/npm';
import { collectPageProblems, expectOverview, screenshot } from './support/pages';
import { createAdminDirectly, startServer, type ShelfServer } from './support/server';

const PACKAGES: PackageSpec[] = [
  { name: 'shelf-e2e-alpha', version: '1.2.3', description: 'Alpha: the first package the end-to-end test publishes' },
  { name: 'shelf-e2e-beta', version: '0.4.0', description: 'Beta: the second package, published right after the first' },
];

let server: ShelfServer;
test.beforeAll(async () => {
  server = await startServer();
  await createAdminDirectly(server);
});
test.afterAll(async () => {
  await server?.stop();
});

test('packages published with npm show their names, versions and descriptions after a reload', async ({ page }) => {
  test.setTimeout(120_000);
  const problems = collectPageProblems(page);
  await page.goto(server.url);
  await expectOverview(page);
  await expect(page.getByText('No packages yet')).toBeVisible();

  const token = await createNpmUser(server, 'publisher');
  await publishWithNpm(server, token, PACKAGES);
  await page.reload();

  const table = page.getByRole('table', { name: /Packages in this registry/ });
  await expect(table).toBeVisible();
  for (const pkg of PACKAGES) {
    const row = table.getByRole('row', { name: new RegExp(`^${pkg.name}\\b`) });
    await expect(row.getByRole('rowheader')).toHaveText(pkg.name);
    await expect(row.getByRole('cell').nth(0)).toHaveText(pkg.version);
    await expect(row.getByRole('cell', { name: pkg.description })).toBeVisible();
    await expect(row.getByRole('cell').nth(2)).toContainText(`latest ${pkg.version}`);
    await expect(row.getByRole('cell').nth(3)).toHaveText('1');
  }
  await expect(page.getByRole('heading', { name: /Packages\s+2 packages/ })).toBeVisible();
  await expect(page.getByTestId('package-count')).toHaveText('2');
  await screenshot(page, 'packages', { dark: true });
  expect(problems).toEqual([]);
});
