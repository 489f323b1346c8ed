// A registry with no packages says so, and says how to publish one to it.
import { expect, test } from '@playwright/test';
import { expectOverview, screenshot } from './support/pages';
import { createAdminDirectly, startServer, type ShelfServer } from './support/server';

let server: ShelfServer;
test.beforeAll(async () => {
  server = await startServer();
  await createAdminDirectly(server);
});
test.afterAll(async () => {
  await server?.stop();
});

test('with no packages the overview shows the empty state with the publish command for this registry', async ({ page }) => {
  await page.goto(server.url);
  await expectOverview(page);
  await expect(page.getByText(`No packages yet — publish one with npm publish --registry ${server.registry}`)).toBeVisible();
  await expect(page.getByRole('table')).toHaveCount(0);
  await expect(page.getByTestId('package-count')).toHaveText('0');
  await screenshot(page, 'empty-state');
});
