// The layering of docs/ARCHITECTURE.md as an allow-list per layer: what each layer MAY import; everything else is refused.
// Written for eslint-plugin-boundaries (which classifies each file into a layer and resolves every import to the file it
// names) rather than as deny patterns, so a new folder or a new path spelling cannot slip past a list of forbidden globs.
import boundaries from 'eslint-plugin-boundaries';

/** Each layer is a folder (or, for the composition root and the main process's base modules, files) under src. */
export const LAYERS = [
  { type: 'storage', pattern: 'src/main/storage' },
  { type: 'services', pattern: 'src/main/services' },
  { type: 'rpc', pattern: 'src/main/rpc' },
  { type: 'http', pattern: 'src/main/http' },
  { type: 'cli', pattern: 'src/main/cli' },
  { type: 'config', pattern: 'src/main/config' },
  { type: 'electron', pattern: 'src/main/electron' },
  { type: 'shared', pattern: 'src/shared' },
  { type: 'preload', pattern: 'src/preload' },
  { type: 'renderer', pattern: 'src/renderer' },
  // The files directly in src/main: errors.ts, logger.ts, version.ts, which every main-process layer shares (ShelfError
  // above all), and app.ts, the composition root, told apart below as a file category.
  { type: 'base', pattern: 'src/main' },
].map((layer) => ({ ...layer, partialMatch: false }));

/** app.ts builds every service from a Config; only the shells start from it. */
const FILES = [
  { category: 'composition-root', pattern: 'src/main/app.ts' },
  // version.ts reads Shelf's version from it (bundled at build time).
  { category: 'package-manifest', pattern: 'package.json' },
];

/** Local imports: layer → the layers it may import (itself included). app.ts, in base, is the exception below. */
export const MAY_IMPORT = {
  shared: ['shared'],
  base: ['base', 'config', 'shared'],
  config: ['config', 'base', 'shared'],
  storage: ['storage', 'base', 'shared'],
  services: ['services', 'storage', 'config', 'base', 'shared'],
  rpc: ['rpc', 'services', 'base', 'shared'],
  http: ['http', 'rpc', 'services', 'config', 'base', 'shared'],
  cli: ['cli', 'services', 'config', 'base', 'shared'],
  electron: ['electron', 'http', 'rpc', 'services', 'config', 'base', 'shared'],
  preload: ['preload', 'shared'],
  renderer: ['renderer', 'shared'],
};

/**
 * Libraries that belong to one layer. The main process's inner layers may use any other library (the list of npm's
 * format libraries the services need changes too often to be worth an allow-list), but never a shell's or the UI's.
 */
export const LAYER_LIBRARIES = {
  electron: ['electron'],
  http: ['fastify', '@fastify/*'],
  cli: ['commander', 'cli-progress', 'read'],
  renderer: [
    'react',
    'react-dom',
    'react-dom/*',
    'sigma',
    'sigma/*',
    'graphology',
    'graphology-*',
    'zustand',
    'uplot',
    'dompurify',
    'marked',
  ],
};

/** Layers that may use only the libraries named here (and no Node built-in unless it says so). */
const ONLY_LIBRARIES = {
  shared: ['zod'],
  preload: ['electron'],
  renderer: LAYER_LIBRARIES.renderer,
  // The adapters' libraries: SQLite, the S3 client, PostgreSQL, and ssri for the content addresses.
  storage: ['better-sqlite3', 'ssri', '@aws-sdk/*', '@smithy/*', 'pg', 'pg-*'],
};

const MAIN = ['base', 'config', 'storage', 'services', 'rpc', 'http', 'cli', 'electron'];
/** The shells, which start from the composition root. */
const SHELLS = ['cli', 'electron'];
const COMPOSITION_ROOT_MAY_IMPORT = ['base', 'http', 'rpc', 'services', 'storage', 'config', 'shared'];

const policies = [
  ...Object.entries(MAY_IMPORT).map(([from, to]) => ({
    from: { element: { type: from } },
    allow: { to: { element: { types: { anyOf: to } } } },
  })),
  {
    from: { file: { categories: 'composition-root' } },
    allow: { to: { element: { types: { anyOf: COMPOSITION_ROOT_MAY_IMPORT } } } },
  },
  {
    from: { element: { types: { anyOf: Object.keys(MAY_IMPORT).filter((l) => !SHELLS.includes(l)) } } },
    disallow: { to: { file: { categories: 'composition-root' } } },
    message: 'only the shells (cli, electron) start from the composition root, src/main/app.ts',
  },
  { from: { element: { type: 'base' } }, allow: { to: { file: { categories: 'package-manifest' } } } },
  // Node's built-ins are the main process's (and the preload's, which runs with Node when sandboxing is off: never here).
  { from: { element: { types: { anyOf: MAIN } } }, allow: { to: { module: { origin: 'core' } } } },
  // The main process's layers: any library, then the ones that belong to another layer are taken back.
  { from: { element: { types: { anyOf: MAIN.filter((l) => l !== 'storage') } } }, allow: { to: { module: { origin: 'external' } } } },
  ...Object.entries(ONLY_LIBRARIES).map(([from, source]) => ({
    from: { element: { type: from } },
    allow: { to: { module: { origin: 'external', source } } },
  })),
  ...Object.entries(LAYER_LIBRARIES).map(([owner, source]) => ({
    from: {
      element: { types: { anyOf: Object.keys(MAY_IMPORT).filter((l) => l !== owner && !(owner === 'electron' && l === 'preload')) } },
    },
    disallow: { to: { module: { origin: 'external', source } } },
    message: `${source[0]} belongs to the ${owner} layer only (docs/ARCHITECTURE.md, layering)`,
  })),
];

/** The flat-config block: the plugin, its settings, and the one rule. */
export const layering = {
  files: ['src/**/*.{ts,tsx,mts,js,mjs}'],
  plugins: { boundaries },
  settings: {
    'import/resolver': { node: { extensions: ['.ts', '.tsx', '.mts', '.js', '.mjs', '.json'] } },
    'boundaries/elements': LAYERS,
    'boundaries/files': FILES,
  },
  rules: {
    'boundaries/dependencies': [
      'error',
      {
        default: 'disallow',
        // Libraries and Node's built-ins are checked too, and so is a local import of a file outside every layer.
        checkAllOrigins: true,
        checkUnknownLocals: true,
        policies,
      },
    ],
  },
};
