/**
 * `npm run bench:browser`: zoo models in headless Chromium (playwright-core, /usr/bin/chromium,
 * WebGPU on SwiftShader), on WebGPU and on the cpu backend with 1 and 2 Web Workers' worth of
 * threads, in a plain page and in a cross-origin isolated one (where the workers share memory).
 *   --batch N      batch size (default 1)
 *   --runs N       timed runs per row, after a warm-up run (default 21)
 *   --only a,b     only these zoo names (default lenet5-xnor,nin-xnor,nin-float)
 *   --json FILE    rows {model, page, backend, threads, batch, description, medianMs}
 * The page comes from test/helpers/browser.ts, which the browser tests use too.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { markdownTable } from '../src/cli/table.js';
import type { Backend } from '../src/runner/runner.js';
import { loadZooModel } from '../src/zoo/index.js';
import { writeSafetensors } from '../src/model/safetensors.js';
import { openPageWith } from '../test/helpers/browser.js';
import type { PageTiming, timeModel } from './browser/page.js';

const { values } = parseArgs({
  options: { batch: { type: 'string' }, runs: { type: 'string' }, only: { type: 'string' }, json: { type: 'string' } },
});
const batch = Number(values.batch ?? 1);
const runs = Number(values.runs ?? 21);
const names = (values.only ?? 'lenet5-xnor,nin-xnor,nin-float').split(',');

const files = new Map<string, string | Uint8Array>();
for (const name of names) {
  const model = loadZooModel(name);
  files.set(`/models/${name}.json`, JSON.stringify({ ...model.graph.json, weights: `${name}.safetensors` }));
  files.set(`/models/${name}.safetensors`, writeSafetensors(model.tensors));
}

const CONFIGS: [Backend, number][] = [
  ['webgpu', 1],
  ['cpu', 1],
  ['cpu', 2],
];

interface Row extends PageTiming {
  model: string;
  page: 'plain' | 'isolated';
  backend: Backend;
  threads: number;
  batch: number;
}

const rows: Row[] = [];
for (const page of ['plain', 'isolated'] as const) {
  const browser = await openPageWith('bench/browser/page.ts', 'timeModel', { extraFiles: files, isolated: page === 'isolated' });
  try {
    for (const model of names) {
      for (const [backend, threads] of CONFIGS) {
        const timing = await browser.page.evaluate(
          ([url, b, t, n, r]) => (globalThis as unknown as { timeModel: typeof timeModel }).timeModel(url, b, t, n, r),
          [`/models/${model}.json`, backend, threads, batch, runs] as const,
        );
        if (timing.isolated !== (page === 'isolated')) throw new Error(`the ${page} page reports crossOriginIsolated = ${timing.isolated}`);
        rows.push({ model, page, backend, threads, batch, ...timing });
        process.stderr.write(`  ${model}, ${page} page, ${backend} x${threads}: ${timing.medianMs.toFixed(1)} ms\n`);
      }
    }
  } finally {
    await browser.close();
  }
}

console.log(`headless Chromium, batch ${batch}, median of ${runs} runs\n`);
console.log(
  markdownTable(
    ['model', 'page', 'backend', 'median ms', 'runs on'],
    rows.map((r) => [
      r.model,
      r.page,
      r.backend === 'cpu' ? `cpu, ${r.threads} thread(s)` : r.backend,
      r.medianMs.toFixed(1),
      r.description,
    ]),
  ),
);
if (values.json) writeFileSync(values.json, `${JSON.stringify(rows, null, 2)}\n`);
