// Lint rules, including the layering of docs/ARCHITECTURE.md (an allow-list per layer) and where raw IPC may be used.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import { layering } from './scripts/eslint-rules/layering.mjs';

function electronImports(files, forbidden, except) {
  return {
    files,
    ...(except && { ignores: [except] }),
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'electron',
              importNames: forbidden,
              message:
                'raw IPC lives only in src/main/electron/ipc.ts and src/preload (derived from the contract); the remote module is never used',
            },
          ],
        },
      ],
    },
  };
}

// Raw IPC belongs to the preload bridge and the shell's IPC registration only; everything else goes through the contract.
const electronOnlyInShell = [{ name: 'electron', message: 'only src/main/electron and src/preload may import electron' }];

export default tseslint.config(
  { ignores: ['out/**', 'node_modules/**', 'test-results/**', 'playwright-report/**', 'bench/results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': ['error', { paths: electronOnlyInShell }],
    },
  },
  {
    // Tests read loosely-typed JSON responses; `any` there is honest.
    files: ['test/**', 'e2e/**', 'bench/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // The metadata store is asynchronous (storage/sql/port.ts): a promise used as a value (`if (isMaintainer(...))`) or
    // left unawaited is a silent security or consistency hole, so these are errors in the main process.
    files: ['src/main/**/*.ts'],
    languageOptions: { parserOptions: { project: './tsconfig.node.json', tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false, attributes: false } }],
      '@typescript-eslint/await-thenable': 'error',
    },
  },
  // Layering: an allow-list per layer (scripts/eslint-rules/layering.mjs).
  layering,
  // Raw IPC is allowed in exactly two places: the shell's IPC registration and the preload bridge, both derived
  // from the contract. Everywhere else in the shell, calls go through them.
  electronImports(['src/main/electron/**'], ['remote', 'ipcMain', 'ipcRenderer'], 'src/main/electron/ipc.ts'),
  electronImports(['src/main/electron/ipc.ts'], ['remote', 'ipcRenderer']),
  electronImports(['src/preload/**'], ['remote', 'ipcMain']),
  {
    files: ['src/renderer/**'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
    },
  },
);
