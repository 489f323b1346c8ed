// The layering rules of docs/ARCHITECTURE.md are enforced by ESLint; these cases prove the rules fire (and stay quiet on allowed imports).
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint({ cwd: process.cwd() });

async function restrictedImportErrors(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return result!.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('import boundaries', () => {
  it.each([
    [
      'src/main/storage/db/x.ts',
      "import { AuthService } from '../../services/auth/auth-service'; export const a = AuthService;",
      /storage sits at the bottom/,
    ],
    [
      'src/main/services/packages/x.ts',
      "import { buildServer } from '../../http/server'; export const a = buildServer;",
      /services speak domain types/,
    ],
    ['src/main/services/packages/x.ts', "import Fastify from 'fastify'; export const a = Fastify;", /services speak domain types/],
    ['src/main/services/packages/x.ts', "import { app } from 'electron'; export const a = app;", /only src\/main\/electron/],
    ['src/main/http/x.ts', "import { app } from 'electron'; export const a = app;", /only src\/main\/electron/],
    [
      'src/renderer/src/x.ts',
      "import { createApp } from '../../main/app'; export const a = createApp;",
      /only through the contract client/,
    ],
    ['src/shared/x.ts', "import { createApp } from '../main/app'; export const a = createApp;", /src\/shared is pure/],
    [
      'src/main/electron/window.ts',
      "import { ipcMain } from 'electron'; export const a = ipcMain;",
      /raw IPC lives only in src\/main\/electron\/ipc\.ts/,
    ],
    ['src/preload/x.ts', "import { ipcMain } from 'electron'; export const a = ipcMain;", /raw IPC lives only/],
    ['src/main/electron/ipc.ts', "import { remote } from 'electron'; export const a = remote;", /remote module is never used/],
  ])('refuses in %s: %s', async (filePath, code, message) => {
    const errors = await restrictedImportErrors(filePath, code);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.join('\n')).toMatch(message);
  });

  it.each([
    ['src/main/services/packages/x.ts', "import { openDatabase } from '../../storage/db/connection'; export const a = openDatabase;"],
    ['src/main/electron/x.ts', "import { app } from 'electron'; export const a = app;"],
    ['src/main/electron/ipc.ts', "import { ipcMain } from 'electron'; export const a = ipcMain;"],
    ['src/preload/index.ts', "import { contextBridge, ipcRenderer } from 'electron'; export const a = [contextBridge, ipcRenderer];"],
    ['src/renderer/src/x.ts', "import { contract } from '../../shared/contract'; export const a = contract;"],
  ])('allows in %s: %s', async (filePath, code) => {
    expect(await restrictedImportErrors(filePath, code)).toEqual([]);
  });
});
