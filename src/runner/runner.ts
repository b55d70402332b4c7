/** One interface over the backends, for the CLI and the benchmarks: run a batch, get outputs. */
import type { Model } from '../model/model.js';
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
  run(input: Tensor<Float32Array>): Promise<Map<string, Tensor<Float32Array>>>;
  close(): void;
}

export interface RunnerOptions {
  /** cpu backend: threads that split each convolution (default: the available cores). */
  threads?: number;
}

async function cpuRunner(model: Model, threads: number | undefined): Promise<Runner> {
  const pool = await createCpuThreadPool(threads === undefined ? {} : { threads });
  const executor = new CpuExecutor(model.graph, model.weights, pool);
  const memory = pool.threads === 1 ? '' : pool.sharesMemory ? ', shared memory' : ', rows sent back (no shared memory)';
  return {
    description: `CPU, packed-bit ${pool.kernel} kernel on ${pool.threads} thread(s)${memory}`,
    run: (input) => executor.run(input),
    close: () => void pool.close(),
  };
}

export async function createRunner(model: Model, backend: Backend, options: RunnerOptions = {}): Promise<Runner> {
  if (backend === 'cpu') return cpuRunner(model, options.threads);
  if (backend === 'reference') {
    return {
      description: 'CPU float reference (plain TypeScript)',
      run: async (input) => runReference(model.graph, model.weights, input),
      close: () => undefined,
    };
  }
  const ctx = await createContext();
  const executor = new WebGpuExecutor(ctx, model.graph, model.weights);
  return {
    description: `WebGPU on ${ctx.adapterName}`,
    run: (input) => executor.run(input),
    close: () => {
      executor.destroy();
      ctx.destroy();
    },
  };
}

export function parseBackend(name: string): Backend {
  if ((BACKENDS as readonly string[]).includes(name)) return name as Backend;
  throw new Error(`unknown backend "${name}" (available: ${BACKENDS.join(', ')})`);
}
