/**
 * `xnornet check <model>...`: the main job. Runs each model on WebGPU and on the CPU float
 * reference with the same random inputs, and reports agreement, latency and memory.
 */
import { type Agreement, agreement, mergeAgreement } from '../../executor/compare.js';
import { runReference } from '../../executor/reference.js';
import { WebGpuExecutor } from '../../executor/webgpu/executor.js';
import { layerCosts, totalCost } from '../../model/costs.js';
import { type Model, loadModel } from '../../model/model.js';
import { Tensor } from '../../tensor/tensor.js';
import { createRng } from '../../util/random.js';
import { type GpuContext, withContext } from '../../webgpu/context.js';
import { formatBytes, parseCommand, positiveInt } from '../args.js';

export const usage = `xnornet check <model.json | zoo:NAME>... [--batch N] [--samples S] [--seed K]

For each model: runs S random inputs (default 32) in batches of N (default 8) on WebGPU and
on the CPU float reference, then prints the argmax agreement, the largest output difference,
the GPU latency per batch, weight bytes as float32 vs packed and the activation memory.
Exits non-zero if fewer than 99.9% of the samples agree.`;

const REQUIRED_AGREEMENT = 0.999;

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function checkModel(ctx: GpuContext, model: Model, batch: number, samples: number, seed: number, log: (line: string) => void) {
  const rng = createRng(seed);
  const executor = new WebGpuExecutor(ctx, model.graph, model.weights);
  try {
    const randomBatch = (n: number) => {
      const t = Tensor.zeros([n, ...model.graph.inputShape]);
      for (let i = 0; i < t.size; i++) t.data[i] = rng.normal();
      return t;
    };
    const warmStart = performance.now();
    await executor.run(randomBatch(batch)); // compiles the pipelines for this batch size
    const warmMs = performance.now() - warmStart;
    let total: Agreement | undefined;
    const gpuMs: number[] = [];
    const referenceMs: number[] = [];
    for (let done = 0; done < samples; done += batch) {
      const input = randomBatch(Math.min(batch, samples - done));
      let started = performance.now();
      const gpu = await executor.run(input);
      gpuMs.push(performance.now() - started);
      started = performance.now();
      const reference = runReference(model.graph, model.weights, input);
      referenceMs.push(performance.now() - started);
      for (const [name, expected] of reference) {
        const a = agreement(expected, gpu.get(name)!);
        total = total ? mergeAgreement(total, a) : a;
      }
    }
    const t = totalCost(layerCosts(model.graph));
    const stats = await executor.stats(batch);
    const agree = total!.sameArgmax / total!.samples;
    log(`${model.source}`);
    log(
      `  agreement with the CPU reference: same argmax on ${total!.sameArgmax}/${total!.samples} (${(100 * agree).toFixed(1)}%), ` +
        `max |gpu - ref| ${total!.maxAbsDiff.toExponential(2)} (max |ref| ${total!.maxAbsReference.toFixed(3)})`,
    );
    log(
      `  latency, batch ${batch}: WebGPU ${median(gpuMs).toFixed(1)} ms (${(median(gpuMs) / batch).toFixed(2)} ms/sample; ` +
        `first run with compilation ${warmMs.toFixed(0)} ms), CPU reference ${median(referenceMs).toFixed(0)} ms`,
    );
    log(
      `  weights ${formatBytes(t.floatBytes)} as float32, ${formatBytes(t.packedBytes)} packed ` +
        `(${(t.floatBytes / t.packedBytes).toFixed(1)}x smaller); activations ${formatBytes(stats.activationBytes)} ` +
        `(${formatBytes(stats.unpooledActivationBytes)} without buffer reuse), ${stats.launches} launches per run`,
    );
    return agree >= REQUIRED_AGREEMENT;
  } finally {
    executor.destroy();
  }
}

export async function check(args: string[], log: (line: string) => void): Promise<number> {
  const { values, positionals } = parseCommand(
    args,
    { batch: { type: 'string' }, samples: { type: 'string' }, seed: { type: 'string' } },
    { oneOrMore: '<model>' },
  );
  const batch = positiveInt(values.batch, 8, '--batch');
  const samples = positiveInt(values.samples, 32, '--samples');
  const seed = positiveInt(values.seed, 1, '--seed');
  const models = await Promise.all(positionals.map((p) => loadModel(p)));
  return withContext(async (ctx) => {
    log(`adapter: ${ctx.adapterName}`);
    let ok = true;
    for (const model of models) ok = (await checkModel(ctx, model, batch, samples, seed, log)) && ok;
    return ok ? 0 : 1;
  });
}
