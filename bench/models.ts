/**
 * `npm run bench:models`: for every zoo model on WebGPU, weight bytes as float32 vs packed,
 * activation memory of the executor's plan, and latency per batch.
 *   --batch N      batch size (default 1)
 *   --json FILE    rows {model, backend, adapter, batch, weightBytesFloat, weightBytesPacked, activationBytes, medianMs}
 *   --only a,b     only these zoo names
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { formatBytes } from '../src/cli/args.js';
import { markdownTable } from '../src/cli/table.js';
import { WebGpuExecutor } from '../src/executor/webgpu/executor.js';
import { layerCosts, totalCost } from '../src/model/costs.js';
import { loadZooModel } from '../src/model/model.js';
import { Tensor } from '../src/tensor/tensor.js';
import { createRng } from '../src/util/random.js';
import { withContext } from '../src/webgpu/context.js';
import { zooNames } from '../src/zoo/index.js';

const { values } = parseArgs({ options: { batch: { type: 'string' }, json: { type: 'string' }, only: { type: 'string' } } });
const batch = Number(values.batch ?? 1);
const names = values.only ? values.only.split(',') : zooNames();

await withContext(async (ctx) => {
  console.log(`adapter: ${ctx.adapterName}, batch ${batch}\n`);
  const rows = [];
  for (const name of names) {
    const model = loadZooModel(name);
    const executor = new WebGpuExecutor(ctx, model.graph, model.weights);
    const input = Tensor.zeros([batch, ...model.graph.inputShape]);
    const rng = createRng(5);
    for (let i = 0; i < input.size; i++) input.data[i] = rng.normal();
    await executor.run(input); // compile and warm up
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const started = performance.now();
      await executor.run(input);
      times.push(performance.now() - started);
    }
    const stats = await executor.stats(batch);
    const cost = totalCost(layerCosts(model.graph));
    executor.destroy();
    rows.push({
      model: name,
      backend: 'webgpu',
      adapter: ctx.adapterName,
      batch,
      weightBytesFloat: cost.floatBytes,
      weightBytesPacked: cost.packedBytes,
      activationBytes: stats.activationBytes,
      medianMs: times.sort((a, b) => a - b)[2]!,
    });
    process.stderr.write(`  measured ${name}\n`);
  }
  console.log(
    markdownTable(
      ['model', 'weights float32', 'weights packed', 'smaller', 'activations (peak)', 'latency ms'],
      rows.map((r) => [
        r.model,
        formatBytes(r.weightBytesFloat),
        formatBytes(r.weightBytesPacked),
        `${(r.weightBytesFloat / r.weightBytesPacked).toFixed(1)}x`,
        formatBytes(r.activationBytes),
        r.medianMs.toFixed(1),
      ]),
    ),
  );
  if (values.json) writeFileSync(values.json, `${JSON.stringify(rows, null, 2)}\n`);
});
