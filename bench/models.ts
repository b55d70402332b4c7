/**
 * `npm run bench:models`: every zoo model on WebGPU and on the cpu backend (the baseline the
 * GPU is measured against): weight bytes as float32 vs packed, activation memory of the
 * WebGPU executor's plan, and latency per batch on each backend.
 *   --batch N      batch size (default 1)
 *   --threads N    cpu backend threads (default: all cores)
 *   --json FILE    rows {model, backend, adapter, batch, weightBytesFloat, weightBytesPacked, activationBytes, medianMs}
 *                  (activationBytes: WebGPU rows only)
 *   --only a,b     only these zoo names
 *   --peers        then run bench/peers.ts (`npm run bench:models` does): LeNet-5 and ResNet-18
 *                  in ONNX Runtime (node, web), TF.js (wasm, WebGPU) and xnornet, same weights,
 *                  checked, with the issue's ratios; in a process of its own, after this one's
 *                  device is gone
 *   --quick        with --peers: passed on to it (fewer runs); this benchmark's own rows are
 *                  the same
 * The cpu backend is timed after the GPU device is destroyed: a live Dawn device can disturb
 * CPU timings.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { formatBytes } from '../src/util/format.js';
import { markdownTable } from '../src/cli/table.js';
import { type Runner, createRunner } from '../src/runner/runner.js';
import { WebGpuExecutor } from '../src/backends/webgpu/executor.js';
import { layerCosts, totalCost } from '../src/model/costs.js';
import type { Model } from '../src/model/model.js';
import { loadZooModel } from '../src/zoo/index.js';
import { Tensor } from '../src/tensor/tensor.js';
import { createRng } from '../src/util/random.js';
import { withContext } from '../src/backends/webgpu/context.js';
import { zooNames } from '../src/zoo/index.js';

const { values } = parseArgs({
  options: {
    batch: { type: 'string' },
    threads: { type: 'string' },
    json: { type: 'string' },
    only: { type: 'string' },
    peers: { type: 'boolean' },
    quick: { type: 'boolean' },
  },
});
const batch = Number(values.batch ?? 1);
const threads = Number(values.threads ?? availableParallelism());
const names = values.only ? values.only.split(',') : zooNames();

interface Row {
  model: string;
  backend: 'webgpu' | 'cpu';
  adapter: string;
  batch: number;
  weightBytesFloat: number;
  weightBytesPacked: number;
  activationBytes?: number;
  medianMs: number;
}

function randomInput(model: Model): Tensor<Float32Array> {
  const input = Tensor.zeros([batch, ...model.graph.inputShape]);
  const rng = createRng(5);
  for (let i = 0; i < input.size; i++) input.data[i] = rng.normal();
  return input;
}

/** Median of 5 runs after a warm-up run (which compiles pipelines, prepares weights). */
async function medianRunMs(run: () => Promise<unknown>): Promise<number> {
  await run();
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const started = performance.now();
    await run();
    times.push(performance.now() - started);
  }
  return times.sort((a, b) => a - b)[2]!;
}

function row(name: string, model: Model, backend: Row['backend'], adapter: string, medianMs: number, activationBytes?: number): Row {
  const cost = totalCost(layerCosts(model.graph));
  const bytes = { weightBytesFloat: cost.floatBytes, weightBytesPacked: cost.packedBytes };
  return { model: name, backend, adapter, batch, ...bytes, ...(activationBytes === undefined ? {} : { activationBytes }), medianMs };
}

const gpuRows = await withContext(async (ctx) => {
  const rows: Row[] = [];
  for (const name of names) {
    const model = loadZooModel(name);
    const executor = new WebGpuExecutor(ctx, model.graph, model.weights);
    const input = randomInput(model);
    const ms = await medianRunMs(() => executor.run(input));
    rows.push(row(name, model, 'webgpu', ctx.adapterName, ms, (await executor.stats(batch)).activationBytes));
    executor.destroy();
    process.stderr.write(`  measured ${name} on WebGPU\n`);
  }
  return rows;
});

const cpuRows: Row[] = [];
for (const name of names) {
  const model = loadZooModel(name);
  const runner: Runner = await createRunner(model, 'cpu', { threads });
  const input = randomInput(model);
  cpuRows.push(row(name, model, 'cpu', runner.description, await medianRunMs(() => runner.run(input))));
  runner.close();
  process.stderr.write(`  measured ${name} on the cpu backend\n`);
}

console.log(`WebGPU: ${gpuRows[0]?.adapter}\ncpu: ${cpuRows[0]?.adapter}\nbatch ${batch}\n`);
console.log(
  markdownTable(
    ['model', 'weights float32', 'weights packed', 'smaller', 'activations (peak)', 'WebGPU ms', 'cpu ms', 'cpu / WebGPU'],
    gpuRows.map((r, k) => [
      r.model,
      formatBytes(r.weightBytesFloat),
      formatBytes(r.weightBytesPacked),
      `${(r.weightBytesFloat / r.weightBytesPacked).toFixed(1)}x`,
      formatBytes(r.activationBytes!),
      r.medianMs.toFixed(1),
      cpuRows[k]!.medianMs.toFixed(1),
      `${(cpuRows[k]!.medianMs / r.medianMs).toFixed(2)}x`,
    ]),
  ),
);
if (values.json) writeFileSync(values.json, `${JSON.stringify([...gpuRows, ...cpuRows], null, 2)}\n`);

if (values.peers) {
  // The peers in a process of their own (their CPU rows must not share one with a GPU device).
  const peers = join(dirname(fileURLToPath(import.meta.url)), 'bench-peers.js');
  const json = values.json ? ['--json', values.json.replace(/(\.json)?$/, '-peers.json')] : [];
  console.log('\nPeers (bench:peers): the same networks in ONNX Runtime and TF.js\n');
  const run = spawnSync(process.execPath, [peers, ...(values.quick ? ['--quick'] : []), ...json], { stdio: 'inherit' });
  if (run.status !== 0) {
    console.error(`bench:models: the peers benchmark failed (${run.error?.message ?? `exit code ${run.status ?? run.signal}`})`);
    process.exit(1);
  }
}
