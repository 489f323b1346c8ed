// The desktop app's native folder picker on the Publish screen: "Choose…" opens Electron's folder dialog (stubbed in the
// main process here, as a dialog cannot be clicked by a test) and puts the chosen folder in the path field; cancelling
// leaves the field as it was. Browser mode has no such button (e2e/package-publish.spec.ts uploads a folder instead).
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { _electron as electron, expect, test } from '@playwright/test';
import { expectOverview, fillSetupForm, openScreen } from '../support/pages';
import { ROOT, cleanEnv } from '../support/server';

const ELECTRON_PATH_FILE = join(ROOT, 'node_modules', 'electron', 'path.txt');

test('Choose… on the Publish screen fills the path from the native folder dialog, and a cancel changes nothing', async () => {
  if (!existsSync(ELECTRON_PATH_FILE)) {
    test.skip(
      true,
      'Electron-only, and there is no Electron binary: node_modules/electron/path.txt is missing (electron@45 downloads its binary on first require, which failed here); ' +
        'run `node -e "require(\'electron\')"` with network access, then rerun',
    );
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'shelf-e2e-picker-'));
  const chosen = mkdtempSync(join(tmpdir(), 'shelf-e2e-picked-'));
  const app = await electron.launch({
    args: [join(ROOT, 'out', 'main', 'index.js')],
    cwd: ROOT,
    env: { ...cleanEnv(), SHELF_DATA_DIR: dataDir, SHELF_PORT: '0' } as Record<string, string>,
  });
  try {
    const window = await app.firstWindow();
    await fillSetupForm(window);
    await window.getByRole('button', { name: 'Create admin account' }).click();
    await expectOverview(window);
    await openScreen(window, 'Publish', 'Publish from a folder');
    const path = window.getByLabel('Package folder (on this computer)');

    // What the dialog was asked, and its answer: the chosen folder first, then a cancel.
    await app.evaluate(({ dialog }, folder) => {
      const calls: unknown[] = [];
      (globalThis as { pickerCalls?: unknown[] }).pickerCalls = calls;
      const answers = [
        { canceled: false, filePaths: [folder] },
        { canceled: true, filePaths: [] },
      ];
      dialog.showOpenDialog = (async (...args: unknown[]) => {
        calls.push(args.at(-1));
        return answers.shift() ?? { canceled: true, filePaths: [] };
      }) as typeof dialog.showOpenDialog;
    }, chosen);
    await window.getByRole('button', { name: 'Choose…' }).click();
    await expect(path).toHaveValue(chosen);
    await window.getByRole('button', { name: 'Choose…' }).click();
    await expect.poll(() => app.evaluate(() => ((globalThis as { pickerCalls?: unknown[] }).pickerCalls ?? []).length)).toBe(2);
    await expect(path).toHaveValue(chosen);
    const [options] = await app.evaluate(() => (globalThis as { pickerCalls?: unknown[] }).pickerCalls ?? []);
    expect(options).toMatchObject({ title: 'Choose the package folder to publish', properties: ['openDirectory'] });
  } finally {
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(chosen, { recursive: true, force: true });
  }
});
