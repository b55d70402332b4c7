/** One interface over the backends, for the CLI and the benchmarks: run a batch, get outputs. */
import { type Model, withOutputs } from '../model/model.js';
import type { Tensor } from '../tensor/tensor.js';
import { createContext } from '../backends/webgpu/context.js';
import { createCpuThreadPool } from '../backends/cpu/platform-thread-pool.js';
import { CpuExecutor } from '../backends/cpu/executor.js';
import { runReference } from '../backends/reference.js';
import { WebGpuExecutor } from '../backends/webgpu/executor.js';

export const BACKENDS = ['webgpu', 'cpu', 'reference'] as const;
export type Backend = (typeof BACKENDS)[number];

export interface Runner {
  /** What runs it, e.g. the adapter. */
  readonly description: string;
  /** WebGPU on an adapter that emulates a GPU on the CPU (SwiftShader): the cpu backend is faster there. */
  readonly cpuEmulated: boolean;
  run(input: Tensor<Float32Array>): Promise<Map<string, Tensor<Float32Array>>>;
  close(): void;
}

export interface RunnerOptions {
  /** cpu backend only: threads that split each convolution (default: the available cores). */
  threads?: number;
  /** Nodes whose outputs to return, instead of the model's outputs (per-layer outputs: e.g. ['conv1', 'fc1']). */
  outputs?: string[];
}

async function cpuRunner(model: Model, threads: number | undefined): Promise<Runner> {
  const pool = await createCpuThreadPool(threads === undefined ? {} : { threads });
  const executor = new CpuExecutor(model.graph, model.weights, pool);
  const memory = pool.threads === 1 ? '' : pool.sharesMemory ? ', shared memory' : ', rows sent back (no shared memory)';
  return {
    description: `CPU, packed-bit ${pool.kernel} kernel on ${pool.threads} thread(s)${memory}`,
    cpuEmulated: false,
    run: (input) => executor.run(input),
    close: () => void pool.close(),
  };
}

/**
 * A runner of `model` on `backend` ('webgpu', 'cpu' or 'reference'; anything else throws).
 * `options.outputs` names the nodes to return.
 */
export async function createRunner(source: Model, backend: Backend, options: RunnerOptions = {}): Promise<Runner> {
  parseBackend(backend);
  if (options.threads !== undefined && backend !== 'cpu') {
    throw new RangeError(`threads applies to the cpu backend only; the ${backend} backend was asked for ${options.threads}`);
  }
  const model = options.outputs ? withOutputs(source, options.outputs) : source;
  if (backend === 'cpu') return cpuRunner(model, options.threads);
  if (backend === 'reference') {
    return {
      description: 'CPU float reference (plain TypeScript)',
      cpuEmulated: false,
      run: async (input) => runReference(model.graph, model.weights, input),
      close: () => undefined,
    };
  }
  const ctx = await createContext();
  const executor = new WebGpuExecutor(ctx, model.graph, model.weights);
  return {
    description: `WebGPU on ${ctx.adapterName}`,
    cpuEmulated: ctx.adapter.isFallbackAdapter || /swiftshader/i.test(ctx.adapterName),
    run: (input) => executor.run(input),
    close: () => {
      executor.destroy();
      ctx.destroy();
    },
  };
}

/** `name` as a Backend; anything else (another case, '', undefined) throws, listing the backends. */
export function parseBackend(name: unknown): Backend {
  if ((BACKENDS as readonly unknown[]).includes(name)) return name as Backend;
  throw new RangeError(`unknown backend ${JSON.stringify(name) ?? String(name)} (the backends: ${BACKENDS.join(', ')})`);
}
