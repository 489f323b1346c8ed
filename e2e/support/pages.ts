// Page-level steps the specs share: filling the setup form and waiting for the overview.
import { expect, type Page } from '@playwright/test';
import { join } from 'node:path';
import { SCREENSHOTS } from './server';

export const ADMIN = { username: 'admin', email: 'admin@example.test', password: 'correct horse battery' };

/** Console errors and uncaught exceptions (CSP violations show up here); a spec expects none. */
export function collectPageProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  return problems;
}

export async function fillSetupForm(page: Page, account = ADMIN): Promise<void> {
  await page.getByLabel('Username').fill(account.username);
  await page.getByLabel('Email').fill(account.email);
  await page.getByLabel('Password', { exact: true }).fill(account.password);
  await page.getByLabel('Confirm password').fill(account.password);
}

/** Signs in through the sign-in screen (browser mode asks once per browser session). */
export async function signIn(page: Page, account = ADMIN): Promise<void> {
  await expect(page.getByRole('heading', { level: 1, name: 'Sign in to Shelf' })).toBeVisible();
  await page.getByLabel('Username').fill(account.username);
  await page.getByLabel('Password').fill(account.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** The overview, signing in first when the page asks for it. */
export async function expectOverview(page: Page): Promise<void> {
  const overview = page.getByRole('heading', { level: 1, name: 'Shelf' });
  const signInHeading = page.getByRole('heading', { level: 1, name: 'Sign in to Shelf' });
  await expect(overview.or(signInHeading)).toBeVisible();
  if (await signInHeading.isVisible()) await signIn(page);
  await expect(overview).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Registry address' })).toBeVisible();
}

/** Saves e2e/screenshots/<name>.png, and <name>-dark.png with the dark colour scheme when asked. */
export async function screenshot(page: Page, name: string, options: { dark?: boolean } = {}): Promise<void> {
  await page.emulateMedia({ colorScheme: 'light' });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
  if (options.dark) {
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.screenshot({ path: join(SCREENSHOTS, `${name}-dark.png`), fullPage: true });
    await page.emulateMedia({ colorScheme: 'light' });
  }
}
