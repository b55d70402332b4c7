/**
 * Where a model's time goes: each step of a backend's plan timed over several runs, with the
 * graph nodes it computes, their ops and the shape it writes. The cpu backend times steps on
 * the calling thread; WebGPU uses GPU timestamps where the device has them, else the wall time
 * of each launch submitted alone.
 */
import { CpuExecutor } from '../backends/cpu/executor.js';
import { createCpuThreadPool } from '../backends/cpu/platform-thread-pool.js';
import { createContext } from '../backends/webgpu/context.js';
import { WebGpuExecutor } from '../backends/webgpu/executor.js';
import type { Model } from '../model/model.js';
import type { StepTime } from '../plan/plan.js';
import { Tensor } from '../tensor/tensor.js';

export interface ProfiledStep {
  kind: string;
  /** The graph nodes it computes (none for a step a backend added). */
  nodes: string[];
  /** The nodes it computes, e.g. "conv2 (binconv2d xnor), relu#6 (relu)"; a step a backend added says what it is. */
  what: string;
  output: number[];
  /** Median over the runs. */
  ms: number;
}

export interface Profile {
  model: string;
  backend: string;
  /** How steps were timed. */
  timing: 'cpu wall time per step' | 'GPU timestamps' | 'wall time per launch, each submitted alone';
  batch: number;
  runs: number;
  steps: ProfiledStep[];
  /** Median time of the same batch run normally (one submission, no timing in between). */
  runMs: number;
}

export interface ProfileOptions {
  batch?: number;
  runs?: number;
  /** cpu backend: threads (default all cores). */
  threads?: number;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

const ADDED_STEPS: Record<string, string> = {
  nhwc4: 'layout copy NCHW -> NHWC4, of the pixels or of the patches (for the float conv that follows)',
  pack: 'sign packing (for the XNOR layer that follows)',
};

interface Timed {
  description: string;
  timing: Profile['timing'];
  run(x: Tensor<Float32Array>): Promise<unknown>;
  profile(x: Tensor<Float32Array>): Promise<StepTime[]>;
  close(): void;
}

async function timedBackend(model: Model, backend: 'cpu' | 'webgpu', threads: number | undefined): Promise<Timed> {
  if (backend === 'cpu') {
    const pool = await createCpuThreadPool(threads === undefined ? {} : { threads });
    const executor = new CpuExecutor(model.graph, model.weights, pool);
    return {
      description: `CPU, ${pool.kernel} on ${pool.threads} thread(s)`,
      timing: 'cpu wall time per step',
      run: (x) => executor.run(x),
      profile: (x) => executor.profile(x),
      close: () => void pool.close(),
    };
  }
  const ctx = await createContext();
  const executor = new WebGpuExecutor(ctx, model.graph, model.weights);
  return {
    description: `WebGPU on ${ctx.adapterName}`,
    timing: ctx.timestamps ? 'GPU timestamps' : 'wall time per launch, each submitted alone',
    run: (x) => executor.run(x),
    profile: (x) => executor.profile(x),
    close: () => {
      executor.destroy();
      ctx.destroy();
    },
  };
}

/** Profiles `model` on a backend: `runs` timed runs (default 10) of a batch of random inputs (default 1), after one warm-up. */
export async function profileModel(model: Model, backend: 'cpu' | 'webgpu', options: ProfileOptions = {}): Promise<Profile> {
  const { batch = 1, runs = 10 } = options;
  if (options.threads !== undefined && backend !== 'cpu') throw new RangeError('threads applies to the cpu backend only');
  const input = Tensor.zeros([batch, ...model.graph.inputShape]);
  for (let i = 0; i < input.size; i++) input.data[i] = Math.sin(i * 12.9898) * 2;
  const timed = await timedBackend(model, backend, options.threads);
  try {
    await timed.run(input); // compiles, uploads and lays out weights once
    const runMs: number[] = [];
    const profiles: StepTime[][] = [];
    for (let r = 0; r < runs; r++) {
      const started = performance.now();
      await timed.run(input);
      runMs.push(performance.now() - started);
      profiles.push(await timed.profile(input));
    }
    const ops = new Map(model.graph.nodes.map((n) => [n.name, n.attrs.op + ('mode' in n.attrs ? ` ${n.attrs.mode}` : '')]));
    const steps = profiles[0]!.map((step, i) => ({
      kind: step.kind,
      nodes: step.nodes,
      what: step.nodes.length > 0 ? step.nodes.map((n) => `${n} (${ops.get(n)})`).join(', ') : (ADDED_STEPS[step.kind] ?? step.kind),
      output: step.output,
      ms: median(profiles.map((p) => p[i]!.ms)),
    }));
    return { model: model.source, backend: timed.description, timing: timed.timing, batch, runs, steps, runMs: median(runMs) };
  } finally {
    timed.close();
  }
}
