/** One interface over the backends, for the CLI and the benchmarks: run a batch, get outputs. */
import type { Model } from '../model/model.js';
import type { Tensor } from '../tensor/tensor.js';
import { createContext } from '../webgpu/context.js';
import { defaultKernelName } from '../cpu/kernel.js';
import { type XnorThreadPool, createThreadPool } from '../cpu/thread-pool.js';
import { CpuExecutor, xnorGeometry } from './cpu/executor.js';
import { runReference } from './reference.js';
import { WebGpuExecutor } from './webgpu/executor.js';

export const BACKENDS = ['webgpu', 'cpu', 'reference'] as const;
export type Backend = (typeof BACKENDS)[number];

export interface Runner {
  /** What runs it, e.g. the adapter. */
  readonly description: string;
  run(input: Tensor<Float32Array>): Promise<Map<string, Tensor<Float32Array>>>;
  close(): void;
}

export interface RunnerOptions {
  /** cpu backend: worker threads for the XNOR layers (default: the available cores). */
  threads?: number;
}

/** The CPU backend: the packed-bit XNOR kernel split over a thread pool, the rest in TypeScript. */
/** Worker threads in Node; in a browser (no Web Worker pool yet) the calling thread alone. */
async function threadPool(threads: number | undefined): Promise<XnorThreadPool> {
  if (typeof process !== 'undefined' && process.versions?.node) {
    const { createNodeThreadPool } = await import('../cpu/node-thread-pool.js');
    return createNodeThreadPool(threads === undefined ? {} : { threads });
  }
  if (threads !== undefined && threads > 1) throw new Error('the cpu backend runs on one thread in browsers (no Web Worker pool yet)');
  return createThreadPool(1, defaultKernelName(), () => {
    throw new Error('a pool of one thread starts no worker');
  });
}

async function cpuRunner(model: Model, threads: number | undefined): Promise<Runner> {
  const pool = await threadPool(threads);
  const executor = new CpuExecutor(model.graph, model.weights, {
    dots: (shape, input, weights) => pool.conv(xnorGeometry(shape), input, weights),
  });
  return {
    description: `CPU, packed-bit ${pool.kernel} kernel on ${pool.threads} thread(s)`,
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
