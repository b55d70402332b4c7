/**
 * The trainer's GEMM on WebGPU: operands laid out in fours (transposed as asked) and uploaded,
 * shaders/gemm.wgsl, C read back. The layout
 * steps around it (im2col, col2im) and the other ops of a training step run on the CPU
 * (src/backends/train-kernels.ts), so each convolution pays an upload and a readback.
 */
import { Tensor } from '../../tensor/tensor.js';
import { type GemmRunner, checkGemmOperands } from '../train-kernels.js';
import type { GpuContext } from './context.js';
import { submitLaunches } from './dispatch.js';
import { GpuTensor } from './gpu-tensor.js';
import { gemmLaunch, paddedRows, rowPanels } from './kernels/gemm.js';

export function createGpuGemm(ctx: GpuContext): GemmRunner {
  return {
    description: `WebGPU on ${ctx.adapterName}, float32 WGSL GEMM (other steps on the CPU)`,
    async run(a, b, c, shape) {
      checkGemmOperands(a, b, c, shape);
      const { m, n, k, transA = false, transB = false, accumulate = false } = shape;
      const aPanels = rowPanels(m, k, transA ? (r, col) => a[col * m + r]! : (r, col) => a[r * k + col]!);
      // B untransposed with whole fours per row is already the layout.
      const bRows = !transB && n % 4 === 0 ? b : paddedRows(k, n, transB ? (r, col) => b[col * k + r]! : (r, col) => b[r * n + col]!);
      const tensors = [
        GpuTensor.upload(ctx, new Tensor(aPanels, [Math.ceil(m / 4), k, 4]), 'gemm A'),
        GpuTensor.upload(ctx, new Tensor(bRows, [k, Math.ceil(n / 4), 4]), 'gemm B'),
        GpuTensor.upload(ctx, new Tensor(c, [m, n]), 'gemm C'),
      ] as const;
      try {
        await submitLaunches(ctx, 'gemm', [await gemmLaunch(ctx, ...tensors, { m, n, k, accumulate })]);
        c.set((await tensors[2].read()).data);
      } finally {
        for (const t of tensors) t.destroy();
      }
    },
  };
}
