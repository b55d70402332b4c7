/** One interface over the backends, for the CLI and the benchmarks: run a batch, get outputs. */
import type { Model } from '../model/model.js';
import type { Tensor } from '../tensor/tensor.js';
import { createContext } from '../webgpu/context.js';
import { outputPixels } from '../cpu/geometry.js';
import type { XnorThreadPool } from '../cpu/thread-pool.js';
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

/** The CPU backend's XNOR layers: worker threads in Node, Web Workers in a browser. */
async function threadPool(threads: number | undefined): Promise<XnorThreadPool> {
  const options = threads === undefined ? {} : { threads };
  if (typeof process !== 'undefined' && process.versions?.node) {
    const { createNodeThreadPool } = await import('../cpu/node-thread-pool.js');
    return createNodeThreadPool(options);
  }
  const { createWebThreadPool } = await import('../cpu/web-thread-pool.js');
  return createWebThreadPool(options);
}

async function cpuRunner(model: Model, threads: number | undefined): Promise<Runner> {
  const pool = await threadPool(threads);
  // One dots array for every XNOR layer (runs are serialised): shared, so workers write into it.
  let dots: Int32Array = new Int32Array(0);
  const executor = new CpuExecutor(model.graph, model.weights, {
    dots: (shape, input, weights) => {
      const g = xnorGeometry(shape);
      const size = outputPixels(g) * g.cout;
      if (dots.length < size) dots = pool.sharedArray(size);
      return pool.conv(g, input, weights, dots.subarray(0, size));
    },
  });
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
