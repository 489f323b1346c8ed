// Build of the three processes: main (the Electron shell and the plain-Node `shelf` CLI), preload, renderer.
import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import react from '@vitejs/plugin-react';
import packageJson from './package.json';

const NATIVE_OR_RENDERER = new Set(['better-sqlite3', 'keytar', 'react', 'react-dom', 'zustand', 'dompurify', 'marked']);
const BUNDLED_DEPENDENCIES = Object.keys(packageJson.dependencies).filter(
  (name) => !NATIVE_OR_RENDERER.has(name) && !name.startsWith('@types/'),
);

export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      // Pure-JS dependencies are bundled in: resolving and compiling hundreds of small files was most of the start-up
      // time. Native addons (better-sqlite3, keytar) and electron stay external.
      externalizeDeps: { exclude: BUNDLED_DEPENDENCIES },
      rollupOptions: {
        input: {
          // The desktop app's entry; the only bundle that imports electron.
          index: resolve(__dirname, 'src/main/electron/main.ts'),
          // The headless CLI (`shelf serve` and friends); runs under plain Node.
          cli: resolve(__dirname, 'src/main/cli/index.ts'),
        },
        // keytar is an optional dependency (it needs libsecret to build): loaded at run time when present, never bundled.
        external: ['keytar'],
        // The CLI imports each command's module only when it runs (src/main/cli/commands.ts), so every command is
        // its own chunk under out/main/chunks/. commander gets a chunk of its own too: left in cli.js, the chunks
        // that use it (settings-options' `Option`) would require the entry back.
        output: { codeSplitting: { groups: [{ name: 'commander', test: /[\\/]node_modules[\\/]commander[\\/]/ }] } },
      },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      // Sandboxed preloads may require nothing but electron, so everything else is bundled in.
      externalizeDeps: false,
      rollupOptions: {
        input: { index: resolve(__dirname, 'src/preload/index.ts') },
        external: ['electron'],
      },
    },
  },
  renderer: {
    root: resolve(__dirname, 'src/renderer'),
    plugins: [react()],
    // Relative asset URLs work both from file:// (desktop) and under /-/ui/ (browser mode, where '/-/' can't clash with package names).
    base: './',
    build: {
      outDir: resolve(__dirname, 'out/renderer'),
      // electron-vite leaves the renderer unminified; minified, the page loads and parses less than half the script (about 1,030 KB → 470 KB).
      minify: true,
      rollupOptions: { input: { index: resolve(__dirname, 'src/renderer/index.html') } },
    },
  },
});
