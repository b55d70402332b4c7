/**
 * The demo's Vite app: `npm run demo` serves it, `npm run build:demo` writes the static site to
 * demo/dist (models and data included, relative paths, so it deploys under any folder).
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import library from '../vite.config.js';
import { demoAssets } from './assets.js';
import { ISOLATION_HEADERS } from './isolation-headers.js';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  define: library.define,
  resolve: library.resolve,
  plugins: [demoAssets()],
  // Cross-origin isolated when served by Vite: the cpu backend's threads then share memory.
  server: { headers: ISOLATION_HEADERS },
  preview: { headers: ISOLATION_HEADERS },
  worker: { format: 'es' },
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 2048 },
});
