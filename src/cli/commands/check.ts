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
import { UsageError, parseCommand, positiveInt, runOptions } from '../args.js';
import { formatBytes } from '../../util/format.js';
import type { Io } from '../io.js';

export const usage = `xnornet check <model.json | zoo:NAME>... [--backend all|webgpu|cpu] [--threads T] [--batch N]
       [--samples S] [--seed K] [--json]

For each model: runs S random inputs (default 32) in batches of N (default 8) on WebGPU and
on the packed-bit CPU backend (--backend: all, the default, or one of them) and on the CPU
float reference, then prints each backend's argmax agreement with the reference (on the
model's last output), the largest output difference, the first run (with compilation) and
the warm latency per batch, weight bytes as float32 vs packed and the GPU activation memory.
Exits non-zero if fewer than 99.9% of the samples agree. --json prints the results as JSON.`;

const REQUIRED_AGREEMENT = 0.999;

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

interface Backend {
  label: string;
  run(input: Tensor<Float32Array>): Promise<Map<string, Tensor<Float32Array>>>;
  /** The first run: pipelines compiled, weights uploaded or laid out, caches filled. */
  firstMs: number;
  ms: number[];
  agreement?: Agreement;
}

interface CheckOptions {
  batch: number;
  samples: number;
  seed: number;
  webgpu: boolean;
  threads: number | undefined;
}

interface ModelReport {
  model: string;
  agrees: boolean;
  backends: { backend: string; samples: number; sameArgmax: number; maxAbsDiff: number; firstRunMs: number; warmBatchMs: number }[];
  referenceBatchMs: number;
  weights: { float32Bytes: number; packedBytes: number };
  webgpu?: { activationBytes: number; unpooledActivationBytes: number; launches: number };
}

async function checkModel(ctx: GpuContext | undefined, model: Model, o: CheckOptions): Promise<ModelReport> {
  const { batch, samples } = o;
  const rng = createRng(o.seed);
  const gpu = ctx && new WebGpuExecutor(ctx, model.graph, model.weights);
  const cpu = await createRunner(model, 'cpu', o.threads === undefined ? {} : { threads: o.threads });
  try {
    const backends: Backend[] = [
      ...(gpu ? [{ label: `WebGPU on ${ctx!.adapterName}`, run: (x: Tensor<Float32Array>) => gpu.run(x), firstMs: 0, ms: [] }] : []),
      { label: cpu.description, run: (x) => cpu.run(x), firstMs: 0, ms: [] },
    ];
    const randomBatch = (n: number) => {
      const t = Tensor.zeros([n, ...model.graph.inputShape]);
      for (let i = 0; i < t.size; i++) t.data[i] = rng.normal();
      return t;
    };
    for (const b of backends) {
      const started = performance.now();
      await b.run(randomBatch(batch));
      b.firstMs = performance.now() - started;
    }
    // Argmax agreement on the model's last output, one count per sample however many outputs.
    const last = model.graph.outputs[model.graph.outputs.length - 1]!;
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
        let a = agreement(reference.get(last)!, outputs[i]!.get(last)!);
        for (const [name, expected] of reference) {
          const other = agreement(expected, outputs[i]!.get(name)!);
          a = {
            ...a,
            maxAbsDiff: Math.max(a.maxAbsDiff, other.maxAbsDiff),
            maxAbsReference: Math.max(a.maxAbsReference, other.maxAbsReference),
          };
        }
        b.agreement = b.agreement ? mergeAgreement(b.agreement, a) : a;
      });
    }
    const t = totalCost(layerCosts(model.graph));
    const stats = await gpu?.stats(batch);
    return {
      model: model.source,
      agrees: backends.every((b) => b.agreement!.sameArgmax / b.agreement!.samples >= REQUIRED_AGREEMENT),
      backends: backends.map((b) => ({
        backend: b.label,
        samples: b.agreement!.samples,
        sameArgmax: b.agreement!.sameArgmax,
        maxAbsDiff: b.agreement!.maxAbsDiff,
        maxAbsReference: b.agreement!.maxAbsReference,
        firstRunMs: b.firstMs,
        warmBatchMs: median(b.ms),
      })),
      referenceBatchMs: median(referenceMs),
      weights: { float32Bytes: t.floatBytes, packedBytes: t.packedBytes },
      ...(stats && {
        webgpu: {
          activationBytes: stats.activationBytes,
          unpooledActivationBytes: stats.unpooledActivationBytes,
          launches: stats.launches,
        },
      }),
    };
  } finally {
    gpu?.destroy();
    cpu.close();
  }
}

function printReport(r: ModelReport, batch: number, log: (line: string) => void): void {
  log(r.model);
  for (const b of r.backends) {
    log(
      `  ${b.backend}: same argmax as the CPU reference on ${b.sameArgmax}/${b.samples}, max |diff| ${b.maxAbsDiff.toExponential(2)}; ` +
        `first run ${b.firstRunMs.toFixed(0)} ms (with compilation), then ${b.warmBatchMs.toFixed(1)} ms per batch of ${batch} ` +
        `(${(b.warmBatchMs / batch).toFixed(2)} ms/sample)`,
    );
  }
  log(`  CPU float reference: ${r.referenceBatchMs.toFixed(0)} ms per batch`);
  const packing = `weights ${formatBytes(r.weights.float32Bytes)} as float32, ${formatBytes(r.weights.packedBytes)} packed (${(r.weights.float32Bytes / r.weights.packedBytes).toFixed(1)}x smaller)`;
  const gpu = r.webgpu
    ? `; WebGPU activations ${formatBytes(r.webgpu.activationBytes)} (${formatBytes(r.webgpu.unpooledActivationBytes)} without buffer reuse), ${r.webgpu.launches} launches per run`
    : '';
  log(`  ${packing}${gpu}`);
}

export async function check(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommand(
    args,
    {
      backend: { type: 'string' },
      threads: { type: 'string' },
      batch: { type: 'string' },
      samples: { type: 'string' },
      seed: { type: 'string' },
      json: { type: 'boolean' },
    },
    { oneOrMore: '<model>' },
  );
  const which = values.backend ?? 'all';
  if (which !== 'all' && which !== 'webgpu' && which !== 'cpu')
    throw new UsageError(`--backend must be all, webgpu or cpu, got "${which}"`);
  const threads = runOptions({ backend: which === 'all' ? 'cpu' : which, threads: values.threads }, io.error).options.threads;
  const options: CheckOptions = {
    batch: positiveInt(values.batch, 8, '--batch'),
    samples: positiveInt(values.samples, 32, '--samples'),
    seed: positiveInt(values.seed, 1, '--seed'),
    webgpu: which !== 'cpu',
    threads,
  };
  const models = await Promise.all(positionals.map((p) => loadModel(p)));
  const checkAll = async (ctx: GpuContext | undefined) => {
    if (ctx && !values.json) io.log(`adapter: ${ctx.adapterName}`);
    const reports: ModelReport[] = [];
    for (const model of models) {
      const report = await checkModel(ctx, model, options);
      if (!values.json) printReport(report, options.batch, io.log);
      reports.push(report);
    }
    if (values.json) io.log(JSON.stringify({ adapter: ctx?.adapterName ?? null, batch: options.batch, models: reports }, null, 2));
    return reports.every((r) => r.agrees) ? 0 : 1;
  };
  return options.webgpu ? withContext((ctx) => checkAll(ctx)) : checkAll(undefined);
}
