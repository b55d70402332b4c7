/**
 * `npm run bench`: every benchmark, one after another, each in a process of its own (so no
 * WebGPU device is alive while the CPU is timed), its tables on this terminal, its rows as
 * JSON (and its charts as SVG) in the output folder.
 *   --quick      fewer rounds, runs and models everywhere: under 10 minutes on a 2-core machine
 *   --out DIR    where the JSON and SVG files go (default bench/results)
 *   --only a,b   only these benchmarks (names below)
 * A benchmark that fails is reported and the others still run; the exit code says whether
 * all of them ran.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { quick: { type: 'boolean' }, out: { type: 'string' }, only: { type: 'string' } } });
const quick = values.quick ?? false;
const out = values.out ?? 'bench/results';
const suffix = quick ? '-quick' : '';
const file = (name: string) => join(out, `${name}${suffix}`);

interface Bench {
  name: string;
  what: string;
  args: string[];
}

/** In this order: the CPU ones first, then the ones that hold a GPU device, the browser last. */
const BENCHES: Bench[] = [
  {
    name: 'cpu',
    what: 'the CPU XNOR and float conv kernels on the typical layer',
    args: [...(quick ? ['--rounds', '3'] : []), '--json', `${file('cpu')}.json`],
  },
  {
    name: 'peers',
    what: 'LeNet-5 and ResNet-18 in xnornet and in ONNX Runtime and TF.js, same weights',
    args: [...(quick ? ['--quick'] : []), '--json', `${file('peers')}.json`],
  },
  {
    name: 'figure4',
    what: "the paper's Figure 4: XNOR over float conv speedups as channels and filters grow",
    args: [...(quick ? ['--quick'] : []), '--json', `${file('figure4')}.json`, '--chart', out],
  },
  {
    name: 'kernels',
    what: 'the WebGPU conv kernels on the typical layer and the sweep',
    args: [...(quick ? ['--quick'] : []), '--json', `${file('kernels-swiftshader')}.json`, '--chart', `${file('kernels-swiftshader')}.svg`],
  },
  {
    name: 'models',
    what: 'zoo models on WebGPU and on the cpu backend: weights, activation memory, latency',
    args: [...(quick ? ['--only', 'lenet5-xnor,nin-xnor,resnet18-xnor'] : []), '--json', `${file('models-swiftshader')}.json`],
  },
  {
    name: 'train',
    what: 'training images/s of LeNet-5 float, BWN and XNOR on the cpu backend, and PyTorch beside it',
    args: [...(quick ? ['--quick'] : []), '--json', `${file('train')}.json`],
  },
  {
    name: 'browser',
    what: 'zoo models in headless Chromium, WebGPU and the cpu backend',
    args: [...(quick ? ['--runs', '5'] : []), '--json', `${file('browser')}.json`],
  },
];

const only = values.only?.split(',');
const unknown = only?.filter((name) => !BENCHES.some((b) => b.name === name)) ?? [];
if (unknown.length > 0) {
  console.error(`bench: unknown benchmark ${unknown.join(', ')}; there are ${BENCHES.map((b) => b.name).join(', ')}`);
  process.exit(2);
}
mkdirSync(out, { recursive: true });
const dist = dirname(fileURLToPath(import.meta.url));
const summary: { name: string; seconds: number; ok: boolean }[] = [];
for (const bench of BENCHES.filter((b) => !only || only.includes(b.name))) {
  console.log(`\n## ${bench.name}: ${bench.what}\n`);
  const started = performance.now();
  const run = spawnSync(process.execPath, [join(dist, `bench-${bench.name}.js`), ...bench.args], { stdio: 'inherit' });
  const ok = run.status === 0;
  summary.push({ name: bench.name, seconds: (performance.now() - started) / 1000, ok });
  if (!ok) console.log(`\nbench ${bench.name} failed (${run.error?.message ?? `exit code ${run.status ?? run.signal}`})`);
}
console.log(`\n## Summary${quick ? ' (--quick)' : ''}: results in ${out}\n`);
console.log('| benchmark | seconds | result |\n| --- | --- | --- |');
for (const { name, seconds, ok } of summary) console.log(`| ${name} | ${seconds.toFixed(0)} | ${ok ? 'ok' : 'FAILED'} |`);
console.log(`| all | ${summary.reduce((sum, s) => sum + s.seconds, 0).toFixed(0)} | |`);
process.exit(summary.every((s) => s.ok) ? 0 : 1);
