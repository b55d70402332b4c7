/** One interface over the backends, for the CLI and the benchmarks: run a batch, get outputs. */
import type { Model } from '../model/model.js';
import type { Tensor } from '../tensor/tensor.js';
import { createContext } from '../webgpu/context.js';
import { runReference } from './reference.js';
import { WebGpuExecutor } from './webgpu/executor.js';

export const BACKENDS = ['webgpu', 'reference'] as const;
export type Backend = (typeof BACKENDS)[number];

export interface Runner {
  /** What runs it, e.g. the adapter. */
  readonly description: string;
  run(input: Tensor<Float32Array>): Promise<Map<string, Tensor<Float32Array>>>;
  close(): void;
}

export async function createRunner(model: Model, backend: Backend): Promise<Runner> {
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
  if (name === 'cpu') {
    throw new Error('the packed-bit CPU backend is not built yet; --backend reference runs the CPU float reference');
  }
  throw new Error(`unknown backend "${name}" (available: ${BACKENDS.join(', ')})`);
}
