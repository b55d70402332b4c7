/// <reference types="vitest/config" />
import { existsSync, readFileSync } from 'node:fs';
import { defineConfig } from 'vite';

// Beside this file, or one folder up where a benchmark bundles it into dist/.
const packageJson = [new URL('./package.json', import.meta.url), new URL('../package.json', import.meta.url)].find((url) =>
  existsSync(url),
)!;
const { version } = JSON.parse(readFileSync(packageJson, 'utf8')) as { version: string };

// One mechanism brings shaders/*.wgsl into the code everywhere: Vite's `?raw` import. Vitest
// runs the sources through Vite; `vite build` bundles for Node with the shader text inlined
// (dist/index.js the library, dist/xnornet.js the CLI); the browser demo is a Vite app.
export default defineConfig({
  define: { __XNORNET_VERSION__: JSON.stringify(version) },
  resolve: {
    // The package has no "main" or "exports" entry, so name its only file.
    alias: { 'wgsl-preprocessor': 'wgsl-preprocessor/wgsl-preprocessor.js' },
  },
  build: {
    ssr: true,
    target: 'node20',
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
    rollupOptions: {
      input: {
        index: 'src/index.ts',
        xnornet: 'src/cli/main.ts',
        'bench-kernels': 'bench/kernels.ts',
        'bench-models': 'bench/models.ts',
        'bench-cpu': 'bench/cpu.ts',
        'bench-browser': 'bench/browser.ts',
        'bench-peers': 'bench/peers.ts',
        'bench-all': 'bench/all.ts',
        'bench-figure4': 'bench/figure4.ts',
        'bench-train': 'bench/train.ts',
      },
      output: { entryFileNames: '[name].js' },
    },
  },
  test: {
    include: ['test/**/*.test.ts'],
    // Dawn is a native addon: separate processes are safer for it than worker threads.
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
