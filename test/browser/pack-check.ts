/** Runs in the page: the library's browser path (navigator.gpu, fetch) end to end. */
import { packActivations } from '../../src/tensor/bits.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { createRng } from '../../src/util/random.js';
import { withContext } from '../../src/backends/webgpu/context.js';
import { GpuTensor } from '../../src/backends/webgpu/gpu-tensor.js';
import { packSigns } from '../../src/backends/webgpu/kernels/pack-signs.js';
import { WebGpuExecutor } from '../../src/backends/webgpu/executor.js';
import { loadModel } from '../../src/runner/load.js';
import { createRunner } from '../../src/runner/runner.js';

export interface PackCheckResult {
  adapter: string;
  words: number;
  mismatches: number;
}

export async function packCheck(seed: number, shape: [number, number, number, number]): Promise<PackCheckResult> {
  return withContext(async (ctx) => {
    const rng = createRng(seed);
    const x = Tensor.zeros(shape);
    for (let i = 0; i < x.size; i++) x.data[i] = rng.normal();
    const packed = await packSigns(ctx, GpuTensor.upload(ctx, x));
    const gpu = (await packed.read()).data;
    const host = packActivations(x).data;
    return { adapter: ctx.adapterName, words: host.length, mismatches: host.filter((v, i) => v !== gpu[i]).length };
  });
}

/** Loads a model from a URL and runs `input` on WebGPU in the page; returns the first output. */
export async function runModelFromUrl(url: string, data: readonly number[], shape: readonly number[]): Promise<number[]> {
  const model = await loadModel(new URL(url, location.href));
  return withContext(async (ctx) => {
    const executor = new WebGpuExecutor(ctx, model.graph, model.weights);
    const outputs = await executor.run(new Tensor(Float32Array.from(data), shape));
    executor.destroy();
    return Array.from([...outputs.values()][0]!.data);
  });
}

/** Loads a model from a URL and runs `input` on the cpu backend in the page (the WebGPU-less fallback), on Web Workers. */
export async function runModelOnCpu(
  url: string,
  data: readonly number[],
  shape: readonly number[],
  threads: number | undefined,
): Promise<{ description: string; output: number[] }> {
  const runner = await createRunner(await loadModel(new URL(url, location.href)), 'cpu', threads === undefined ? {} : { threads });
  try {
    const outputs = await runner.run(new Tensor(Float32Array.from(data), shape));
    return { description: runner.description, output: Array.from([...outputs.values()][0]!.data) };
  } finally {
    runner.close();
  }
}

Object.assign(globalThis, { packCheck, runModelFromUrl, runModelOnCpu });
