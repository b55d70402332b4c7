/** Runs in the page: the library's browser path (navigator.gpu) end to end. */
import { packActivations } from '../../src/tensor/bits.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { createRng } from '../../src/util/random.js';
import { withContext } from '../../src/webgpu/context.js';
import { GpuTensor } from '../../src/webgpu/gpu-tensor.js';
import { packSigns } from '../../src/webgpu/kernels/pack-signs.js';

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

(globalThis as { packCheck?: typeof packCheck }).packCheck = packCheck;
