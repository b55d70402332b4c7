/** C = (accumulate ? C : 0) + op(A) . op(B) on the GPU (shaders/gemm.wgsl): the trainer's GEMM on WebGPU. */
import source from '../../../../shaders/gemm.wgsl?raw';
import type { GemmShape } from '../../train-kernels.js';
import type { GpuContext } from '../context.js';
import { type Launch, kernelLaunch } from '../dispatch.js';
import type { GpuTensor } from '../gpu-tensor.js';
import type { Kernel } from '../pipelines.js';
import { expectTensor } from './checks.js';

/** The block of C one workgroup computes, TILE x TILE. */
const TILE = 16;

const KERNEL = {
  file: 'gemm.wgsl',
  source,
  interface: {
    storage: {
      a: { type: 'array<f32>', access: 'read' },
      b: { type: 'array<f32>', access: 'read' },
      c: { type: 'array<f32>', access: 'read_write' },
    },
    uniforms: { m: 'u32', n: 'u32', k: 'u32' },
  },
} satisfies Kernel;

export async function gemmLaunch(ctx: GpuContext, a: GpuTensor, b: GpuTensor, c: GpuTensor, shape: GemmShape): Promise<Launch> {
  const { m, n, k, transA = false, transB = false, accumulate = false } = shape;
  for (const [name, v] of Object.entries({ m, n, k })) {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`gemm: ${name} must be a positive integer, got ${v}`);
  }
  expectTensor(a, 'float32', transA ? [k, m] : [m, k], 'gemm: A');
  expectTensor(b, 'float32', transB ? [n, k] : [k, n], 'gemm: B');
  expectTensor(c, 'float32', [m, n], 'gemm: C');
  const workgroups = [Math.ceil(n / TILE), Math.ceil(m / TILE)] as const;
  const limit = ctx.limits.maxComputeWorkgroupsPerDimension;
  if (workgroups[0] > limit || workgroups[1] > limit) {
    throw new RangeError(`gemm: ${m} x ${n} needs ${workgroups.join(' x ')} workgroups, more than this device's ${limit} per dimension`);
  }
  return kernelLaunch(
    ctx,
    {
      kernel: KERNEL,
      defines: { TILE, TRANS_A: transA, TRANS_B: transB, ACCUMULATE: accumulate },
      buffers: { a: a.buffer, b: b.buffer, c: c.buffer },
      params: { m, n, k },
    },
    workgroups,
  );
}
