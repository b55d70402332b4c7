/**
 * `xnornet check <model>...`: the main job. Runs each model on WebGPU, on the CPU backend and
 * on the CPU float reference with the same random inputs; reports agreement, latency, memory.
 */
import { type Agreement, agreement, mergeAgreement } from '../../runner/compare.js';
import { createRunner } from '../../runner/runner.js';
import { runReference } from '../../backends/reference.js';
import { WebGpuExecutor } from '../../backends/webgpu/executor.js';
import { layerCosts, totalCost } from '../../model/costs.js';
import type { Model } from '../../model/model.js';
import { loadModel } from '../../runner/load.js';
import { Tensor } from '../../tensor/tensor.js';
import { createRng } from '../../util/random.js';
import { type GpuContext, withContext } from '../../backends/webgpu/context.js';
import { formatBytes, parseCommand, positiveInt } from '../args.js';

export const usage = `xnornet check <model.json | zoo:NAME>... [--batch N] [--samples S] [--seed K]

For each model: runs S random inputs (default 32) in batches of N (default 8) on WebGPU, on
the packed-bit CPU backend and on the CPU float reference, then prints each backend's argmax
agreement with the reference, the largest output difference, the latency per batch, weight
bytes as float32 vs packed and the GPU activation memory. Exits non-zero if fewer than
99.9% of the samples agree.`;

const REQUIRED_AGREEMENT = 0.999;

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

interface Backend {
  label: string;
  run(input: Tensor<Float32Array>): Promise<Map<string, Tensor<Float32Array>>>;
  ms: number[];
  agreement?: Agreement;
}

async function checkModel(ctx: GpuContext, model: Model, batch: number, samples: number, seed: number, log: (line: string) => void) {
  const rng = createRng(seed);
  const gpu = new WebGpuExecutor(ctx, model.graph, model.weights);
  const cpu = await createRunner(model, 'cpu');
  try {
    const backends: Backend[] = [
      { label: 'WebGPU', run: (x) => gpu.run(x), ms: [] },
      { label: cpu.description, run: (x) => cpu.run(x), ms: [] },
    ];
    const randomBatch = (n: number) => {
      const t = Tensor.zeros([n, ...model.graph.inputShape]);
      for (let i = 0; i < t.size; i++) t.data[i] = rng.normal();
      return t;
    };
    const warmStart = performance.now();
    for (const b of backends) await b.run(randomBatch(batch)); // compiles pipelines, fills caches
    const warmMs = performance.now() - warmStart;
    const referenceMs: number[] = [];
    for (let done = 0; done < samples; done += batch) {
      const input = randomBatch(Math.min(batch, samples - done));
      const outputs: Map<string, Tensor<Float32Array>>[] = [];
      for (const b of backends) {
        const started = performance.now();
        outputs.push(await b.run(input));
        b.ms.push(performance.now() - started);
      }
      const started = performance.now();
      const reference = runReference(model.graph, model.weights, input);
      referenceMs.push(performance.now() - started);
      backends.forEach((b, i) => {
        for (const [name, expected] of reference) {
          const a = agreement(expected, outputs[i]!.get(name)!);
          b.agreement = b.agreement ? mergeAgreement(b.agreement, a) : a;
        }
      });
    }
    const t = totalCost(layerCosts(model.graph));
    const stats = await gpu.stats(batch);
    log(`${model.source}`);
    let ok = true;
    for (const b of backends) {
      const a = b.agreement!;
      ok &&= a.sameArgmax / a.samples >= REQUIRED_AGREEMENT;
      log(
        `  ${b.label}: same argmax as the CPU reference on ${a.sameArgmax}/${a.samples}, max |diff| ${a.maxAbsDiff.toExponential(2)} ` +
          `(max |ref| ${a.maxAbsReference.toFixed(3)}); ${median(b.ms).toFixed(1)} ms per batch of ${batch} (${(median(b.ms) / batch).toFixed(2)} ms/sample)`,
      );
    }
    log(`  CPU float reference: ${median(referenceMs).toFixed(0)} ms per batch; first runs with compilation ${warmMs.toFixed(0)} ms`);
    log(
      `  weights ${formatBytes(t.floatBytes)} as float32, ${formatBytes(t.packedBytes)} packed ` +
        `(${(t.floatBytes / t.packedBytes).toFixed(1)}x smaller); WebGPU activations ${formatBytes(stats.activationBytes)} ` +
        `(${formatBytes(stats.unpooledActivationBytes)} without buffer reuse), ${stats.launches} launches per run`,
    );
    return ok;
  } finally {
    gpu.destroy();
    cpu.close();
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
