// The desktop app through Playwright's Electron driver: first-run setup without a token, then the overview.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { _electron as electron, expect, test } from '@playwright/test';
import { expectOverview, fillSetupForm } from '../support/pages';
import { ROOT, SCREENSHOTS, cleanEnv } from '../support/server';

const ELECTRON_PATH_FILE = join(ROOT, 'node_modules', 'electron', 'path.txt');

test('the desktop window creates the admin account without a setup link and shows the overview', async () => {
  if (!existsSync(ELECTRON_PATH_FILE)) {
    test.skip(
      true,
      'no Electron binary: node_modules/electron/path.txt is missing (electron@45 downloads its binary on first require, which failed here); ' +
        'run `node -e "require(\'electron\')"` with network access, then rerun',
    );
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'shelf-e2e-electron-'));
  const app = await electron.launch({
    args: [join(ROOT, 'out', 'main', 'index.js')],
    cwd: ROOT,
    env: { ...cleanEnv(), SHELF_DATA_DIR: dataDir, SHELF_PORT: '0' } as Record<string, string>,
  });
  try {
    const window = await app.firstWindow();
    await expect(window.getByRole('heading', { name: 'Admin account' })).toBeVisible();
    await fillSetupForm(window);
    await window.getByRole('button', { name: 'Create admin account' }).click();
    await expectOverview(window);
    await expect(window.getByLabel('Address for npm clients')).toHaveValue(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    await expect(window.getByRole('region', { name: 'Status' }).getByText('running', { exact: true })).toBeVisible();
    await expect(window.getByText('Desktop app')).toBeVisible();
    await window.screenshot({ path: join(SCREENSHOTS, 'electron-overview.png') });
  } finally {
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
