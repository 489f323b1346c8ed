// The layering of docs/ARCHITECTURE.md is an allow-list per layer (scripts/eslint-rules/layering.mjs, run by ESLint):
// these cases lint one file per layer that imports what its row does not allow, through ESLint's Node API with the
// project's own eslint.config.mjs, and check each is refused; allowed imports stay quiet; Shelf's own src passes.
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint({ cwd: process.cwd() });
/**
 * For files that are not on disk: the type-aware rules (no-floating-promises and its kin in src/main) need the file in
 * the TypeScript project, which a made-up path is not, so they are off here; the layering rules need no types.
 */
const textLint = new ESLint({
  cwd: process.cwd(),
  overrideConfig: {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { project: null, projectService: false } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'off',
      '@typescript-eslint/no-misused-promises': 'off',
      '@typescript-eslint/await-thenable': 'off',
    },
  },
});
const LAYERING = 'boundaries/dependencies';

/** The layering and raw-IPC messages for a file that is not on disk: ESLint places it (and resolves its imports) by its path. */
async function importErrors(filePath: string, code: string): Promise<string[]> {
  const [result] = await textLint.lintText(code, { filePath });
  expect(result!.messages.filter((m) => m.fatal)).toEqual([]);
  return result!.messages.filter((m) => m.ruleId === LAYERING || m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

const use = (spec: string, names = '{ x }') => `import ${names} from '${spec}';\nexport const used = [${names.replace(/[{}]/g, '')}];\n`;

describe('the layering lint (an allow-list per layer)', () => {
  it.each([
    // storage: shared, the main-process base modules and its adapters' libraries only.
    [
      'storage → a service',
      'src/main/storage/db/probe.ts',
      use('../../services/auth/auth-service'),
      /"storage" to elements of type "services"/,
    ],
    ['storage → config', 'src/main/storage/db/probe.ts', use('../../config/config'), /"storage" to elements of type "config"/],
    ['storage → the composition root', 'src/main/storage/probe.ts', use('../app'), /only the shells \(cli, electron\) start from/],
    ['storage → a library that is not an adapter’s', 'src/main/storage/probe.ts', use('zod', '{ z }'), /"storage" .* module source "zod"/],
    // services: storage, config, shared; never a shell or a shell's library.
    ['services → rpc', 'src/main/services/packages/probe.ts', use('../../rpc/jobs'), /"services" to elements of type "rpc"/],
    ['services → http', 'src/main/services/packages/probe.ts', use('../../http/server'), /"services" to elements of type "http"/],
    ['services → cli', 'src/main/services/packages/probe.ts', use('../../cli/command-io'), /"services" to elements of type "cli"/],
    ['services → fastify', 'src/main/services/packages/probe.ts', use('fastify', 'Fastify'), /fastify belongs to the http layer only/],
    ['services → commander', 'src/main/services/probe.ts', use('commander', '{ Command }'), /commander belongs to the cli layer only/],
    ['services → electron', 'src/main/services/probe.ts', use('electron', '{ app }'), /electron belongs to the electron layer only/],
    // rpc: services and shared; each handler is a call into a service, so no storage and no config.
    ['rpc → storage', 'src/main/rpc/probe.ts', use('../storage/db/packages'), /"rpc" to elements of type "storage"/],
    ['rpc → config', 'src/main/rpc/probe.ts', use('../config/config'), /"rpc" to elements of type "config"/],
    ['rpc → http', 'src/main/rpc/probe.ts', use('../http/server'), /"rpc" to elements of type "http"/],
    // http: rpc, services, config, shared.
    ['http → storage', 'src/main/http/probe.ts', use('../storage/db/connection'), /"http" to elements of type "storage"/],
    ['http → cli', 'src/main/http/probe.ts', use('../cli/command-io'), /"http" to elements of type "cli"/],
    ['http → electron', 'src/main/http/probe.ts', use('electron', '{ app }'), /electron belongs to the electron layer only/],
    // cli: services, config, shared (and the composition root); a shell importing storage is refused.
    ['cli → storage', 'src/main/cli/probe.ts', use('../storage/db/connection'), /"cli" to elements of type "storage"/],
    ['cli → rpc', 'src/main/cli/probe.ts', use('../rpc/handlers'), /"cli" to elements of type "rpc"/],
    ['cli → http', 'src/main/cli/probe.ts', use('../http/server'), /"cli" to elements of type "http"/],
    // electron: everything above it and electron, but not the storage under the services nor the renderer.
    ['electron → storage', 'src/main/electron/probe.ts', use('../storage/db/connection'), /"electron" to elements of type "storage"/],
    [
      'electron → the renderer',
      'src/main/electron/probe.ts',
      use('../../renderer/src/client'),
      /"electron" to elements of type "renderer"/,
    ],
    // config and the base modules: below the services.
    ['config → services', 'src/main/config/probe.ts', use('../services/auth/auth-service'), /"config" to elements of type "services"/],
    ['errors.ts’s layer → services', 'src/main/probe.ts', use('./services/auth/auth-service'), /"base" to elements of type "services"/],
    // shared: pure, imported by all three processes.
    ['shared → main', 'src/shared/probe.ts', use('../main/errors'), /"shared" to elements of type "base"/],
    ['shared → a Node built-in', 'src/shared/probe.ts', use('node:fs', '{ readFileSync }'), /"shared" .* origin "core"/],
    // preload and renderer: the contract only.
    ['preload → rpc', 'src/preload/probe.ts', use('../main/rpc/handlers'), /"preload" to elements of type "rpc"/],
    ['renderer → main', 'src/renderer/src/probe.ts', use('../../main/errors'), /"renderer" to elements of type "base"/],
    ['renderer → a Node built-in', 'src/renderer/src/probe.ts', use('node:fs', '{ readFileSync }'), /"renderer" .* origin "core"/],
    ['renderer → electron', 'src/renderer/src/probe.ts', use('electron', '{ ipcRenderer }'), /electron belongs to the electron layer only/],
    ['renderer → a main-process library', 'src/renderer/src/probe.ts', use('better-sqlite3', 'Database'), /"renderer" .* "better-sqlite3"/],
    // Raw IPC: only the shell's IPC registration and the preload bridge.
    [
      'ipcMain outside ipc.ts',
      'src/main/electron/window.ts',
      use('electron', '{ ipcMain }'),
      /raw IPC lives only in src\/main\/electron\/ipc\.ts/,
    ],
    ['ipcMain in the preload', 'src/preload/probe.ts', use('electron', '{ ipcMain }'), /raw IPC lives only/],
    ['the remote module', 'src/main/electron/ipc.ts', use('electron', '{ remote }'), /remote module is never used/],
  ])('refuses %s', async (_case, filePath, code, message) => {
    const errors = await importErrors(filePath, code);
    expect(errors.join('\n')).toMatch(message);
  });

  it.each([
    [
      'storage → better-sqlite3 and Node',
      'src/main/storage/db/probe.ts',
      `${use('better-sqlite3', 'Database')}${use('node:path', '{ join }')}`,
    ],
    ['storage → ShelfError', 'src/main/storage/probe.ts', use('../errors', '{ ShelfError }')],
    [
      'services → storage, config and shared',
      'src/main/services/packages/probe.ts',
      `${use('../../storage/db/connection')}${use('../../config/config', '{ y }')}${use('../../../shared/contract', '{ z }')}`,
    ],
    ['services → a format library', 'src/main/services/packages/probe.ts', use('semver', 'semver')],
    ['rpc → services and shared', 'src/main/rpc/probe.ts', `${use('../services/packages/yank')}${use('../../shared/contract', '{ z }')}`],
    [
      'http → rpc, services, config and fastify',
      'src/main/http/probe.ts',
      `${use('../rpc/dispatch')}${use('../services/auth/auth-service', '{ y }')}${use('../config/config', '{ z }')}${use('fastify', 'Fastify')}`,
    ],
    [
      'cli → the composition root and commander',
      'src/main/cli/probe.ts',
      `${use('../app', '{ createApp }')}${use('commander', '{ Command }')}`,
    ],
    [
      'electron → the composition root, rpc and electron',
      'src/main/electron/probe.ts',
      `${use('../app', '{ createApp }')}${use('../rpc/handlers', '{ y }')}${use('electron', '{ app }')}`,
    ],
    ['ipcMain in ipc.ts', 'src/main/electron/ipc.ts', use('electron', '{ ipcMain }')],
    [
      'the preload → electron and shared',
      'src/preload/index.ts',
      `${use('electron', '{ contextBridge, ipcRenderer }')}${use('../shared/contract', '{ y }')}`,
    ],
    [
      'renderer → shared, React and sigma',
      'src/renderer/src/probe.ts',
      `${use('../../shared/contract')}${use('react', '{ useState }')}${use('sigma', 'Sigma')}`,
    ],
    ['version.ts → package.json', 'src/main/version.ts', use('../../package.json', 'packageJson')],
  ])('allows %s', async (_case, filePath, code) => {
    expect(await importErrors(filePath, code)).toEqual([]);
  });

  it('passes on Shelf’s own sources', async () => {
    const results = await eslint.lintFiles(['src']);
    const violations = results.flatMap((r) =>
      r.messages.filter((m) => m.ruleId === LAYERING).map((m) => `${r.filePath.slice(process.cwd().length + 1)}:${m.line} ${m.message}`),
    );
    expect(results.length).toBeGreaterThan(100);
    expect(violations).toEqual([]);
  }, 120_000);
});
