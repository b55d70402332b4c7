/**
 * The trainer's GEMM on WebGPU: operands uploaded, shaders/gemm.wgsl, C read back. The layout
 * steps around it (im2col, col2im) and the other ops of a training step run on the CPU
 * (src/backends/train-kernels.ts), so each convolution pays an upload and a readback.
 */
import { Tensor } from '../../tensor/tensor.js';
import { type GemmRunner, checkGemmOperands } from '../train-kernels.js';
import type { GpuContext } from './context.js';
import { submitLaunches } from './dispatch.js';
import { GpuTensor } from './gpu-tensor.js';
import { gemmLaunch } from './kernels/gemm.js';

export function createGpuGemm(ctx: GpuContext): GemmRunner {
  return {
    description: `WebGPU on ${ctx.adapterName}, float32 WGSL GEMM (other steps on the CPU)`,
    async run(a, b, c, shape) {
      checkGemmOperands(a, b, c, shape);
      const { m, n, k, transA = false, transB = false } = shape;
      const tensors = [
        GpuTensor.upload(ctx, new Tensor(a, transA ? [k, m] : [m, k]), 'gemm A'),
        GpuTensor.upload(ctx, new Tensor(b, transB ? [n, k] : [k, n]), 'gemm B'),
        GpuTensor.upload(ctx, new Tensor(c, [m, n]), 'gemm C'),
      ] as const;
      try {
        await submitLaunches(ctx, 'gemm', [await gemmLaunch(ctx, ...tensors, shape)]);
        c.set((await tensors[2].read()).data);
      } finally {
        for (const t of tensors) t.destroy();
      }
    },
  };
}
