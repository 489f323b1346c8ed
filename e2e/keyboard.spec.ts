// Keyboard only: Tab walks the setup form in order, Enter submits it, and Tab reaches the overview's Copy button.
import { expect, test, type Page } from '@playwright/test';
import { ADMIN, expectOverview, screenshot } from './support/pages';
import { startServer, type ShelfServer } from './support/server';

let server: ShelfServer;
test.beforeAll(async () => {
  server = await startServer();
});
test.afterAll(async () => {
  await server?.stop();
});

/** Presses Tab until `isTarget` says the focused element is the one wanted; fails after `max` presses. */
async function tabTo(page: Page, isTarget: () => Promise<boolean>, max = 10): Promise<number> {
  for (let presses = 1; presses <= max; presses++) {
    await page.keyboard.press('Tab');
    if (await isTarget()) return presses;
  }
  throw new Error(`not reached within ${max} Tab presses`);
}

test('the setup form is reachable field by field with Tab, and Enter submits it', async ({ page, context }) => {
  await page.goto(server.setupLink);
  await expect(page.getByRole('heading', { name: 'Admin account' })).toBeVisible();

  const order: [string, string][] = [
    ['Username', ADMIN.username],
    ['Email', ADMIN.email],
    ['Password', ADMIN.password],
    ['Confirm password', ADMIN.password],
  ];
  for (const [label, value] of order) {
    await page.keyboard.press('Tab');
    await expect(page.getByLabel(label, { exact: true })).toBeFocused();
    await page.keyboard.type(value);
  }
  await page.keyboard.press('Tab');
  await expect(page.getByRole('button', { name: 'Create admin account' })).toBeFocused();
  await screenshot(page, 'keyboard-setup-focus');

  // Back to the last field and submit from there with Enter, as a keyboard user would.
  await page.keyboard.press('Shift+Tab');
  await page.keyboard.press('Enter');
  await expectOverview(page);

  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
  const copy = page.getByRole('button', { name: 'Copy' });
  // (Strings, not functions: this file is type-checked without the DOM library.)
  const presses = await tabTo(
    page,
    () => page.evaluate<boolean>("document.activeElement?.tagName === 'BUTTON' && document.activeElement.textContent === 'Copy'"),
    20,
  );
  await expect(copy).toBeFocused();
  // The skip link, the status line, the ten screens, Sign out, then Refresh, the address field and Copy: nothing hidden or
  // out of order (the Menu button of narrow windows is not there at this width).
  expect(presses).toBe(16);
  await screenshot(page, 'keyboard-copy-focus', { dark: true });

  await page.keyboard.press('Enter');
  await expect(page.getByText('Copied to the clipboard.')).toBeVisible();
  expect(await page.evaluate<string>('navigator.clipboard.readText()')).toBe(server.registry);
});
