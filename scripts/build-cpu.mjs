#!/usr/bin/env node
/**
 * Builds what the CPU backend (src/backends/cpu/) imports, into src/backends/cpu/generated/ (gitignored):
 * - xnor-conv.wasm: assembly/xnor-conv.ts by AssemblyScript, SIMD on, -O3, no GC runtime;
 *   src/backends/cpu/wasm-kernel.ts imports it with Vite's `?url&inline` (a base64 data URL; plain
 *   `?inline` is only for known asset types, which .wasm is not).
 * - float-conv.wasm: assembly/float-conv.ts, the same way; imported by src/backends/cpu/float-conv.ts.
 * - gemm.wasm: assembly/gemm.ts, the same way; imported by src/backends/cpu/gemm.ts (training).
 * - worker.js: src/backends/cpu/worker.ts bundled by Vite into one self-contained script (IIFE, global
 *   `xnorCpuWorker`); the thread pool imports it with `?raw` and starts workers from the text.
 * One mechanism for vitest, the Node build in dist/ and a browser build: both are strings in
 * the bundle, no files to find at run time.
 */
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import asc from 'assemblyscript/asc';
import { build } from 'vite';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'src/backends/cpu/generated');
mkdirSync(outDir, { recursive: true });

/** assembly/NAME.ts -> src/backends/cpu/generated/NAME.wasm */
async function compileWasm(name) {
  const compiled = await asc.main([
    join(root, `assembly/${name}.ts`),
    '--enable',
    'simd',
    '-O3',
    '--noAssert',
    '--runtime',
    'stub',
    '-o',
    join(outDir, `${name}.wasm`),
  ]);
  if (compiled.error) {
    console.error(compiled.stderr.toString());
    throw compiled.error;
  }
}
await compileWasm('xnor-conv');
await compileWasm('float-conv');
await compileWasm('gemm');

await build({
  root,
  configFile: false,
  logLevel: 'warn',
  build: {
    outDir,
    emptyOutDir: false,
    target: 'es2022',
    minify: false,
    lib: { entry: join(root, 'src/backends/cpu/worker.ts'), formats: ['iife'], name: 'xnorCpuWorker', fileName: () => 'worker.js' },
  },
});
