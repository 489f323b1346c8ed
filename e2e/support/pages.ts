// Page-level steps the specs share: filling the setup form and waiting for the overview.
import AxeBuilder from '@axe-core/playwright';
import { expect, type Page } from '@playwright/test';
import { join } from 'node:path';
import { RPC_PATH } from '../../src/shared/contract';
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
  // The loading screen also has the heading "Shelf", so wait for something only the overview or the sign-in screen has.
  const address = page.getByRole('heading', { name: 'Registry address' });
  const signInHeading = page.getByRole('heading', { level: 1, name: 'Sign in to Shelf' });
  await expect(address.or(signInHeading)).toBeVisible();
  if (await signInHeading.isVisible()) await signIn(page);
  await expect(page.getByRole('heading', { level: 1, name: 'Shelf' })).toBeVisible();
  await expect(address).toBeVisible();
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

/** A contract call from the signed-in page (same origin, same session cookie), for setting up fixtures quickly. */
export async function callContract(page: Page, baseUrl: string, name: string, args: unknown): Promise<unknown> {
  const response = await page.request.post(`${baseUrl}${RPC_PATH}/${name}`, { data: args, headers: { Origin: baseUrl } });
  const body = (await response.json()) as unknown;
  if (!response.ok()) throw new Error(`${name} answered ${response.status()}: ${JSON.stringify(body)}`);
  return body;
}

/** axe-core on the page as it stands: no serious or critical violations, each named with the screen it was found on. */
export async function expectAccessible(page: Page, screen: string): Promise<void> {
  const results = await new AxeBuilder({ page }).analyze();
  const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(bad.map((v) => `${screen}: ${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);
}

/** Opens a screen from the navigation and waits for its heading. */
export async function openScreen(page: Page, label: string, heading: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Screens' }).getByRole('link', { name: label, exact: true }).click();
  await expect(page.getByRole('heading', { level: 1, name: heading })).toBeVisible();
}
