/**
 * C = (accumulate ? C : 0) + A' . B' on the GPU (shaders/gemm.wgsl), the operands laid out in
 * fours (`rowPanels`, `paddedRows`): the trainer's GEMM on WebGPU.
 */
import source from '../../../../shaders/gemm.wgsl?raw';
import type { GpuContext } from '../context.js';
import { type Launch, kernelLaunch } from '../dispatch.js';
import type { GpuTensor } from '../gpu-tensor.js';
import type { Kernel } from '../pipelines.js';
import { expectTensor } from './checks.js';

/** A workgroup is WG_N x WG_M invocations, each computing 4 x 4 elements of C. */
const WG_N = 16;
const WG_M = 4;

const KERNEL = {
  file: 'gemm.wgsl',
  source,
  interface: {
    storage: {
      a: { type: 'array<vec4f>', access: 'read' },
      b: { type: 'array<vec4f>', access: 'read' },
      c: { type: 'array<f32>', access: 'read_write' },
    },
    uniforms: { m: 'u32', n: 'u32', k: 'u32', m4: 'u32', n4: 'u32' },
  },
} satisfies Kernel;

export interface PackedGemmShape {
  m: number;
  n: number;
  k: number;
  accumulate?: boolean;
}

/**
 * The left operand as the kernel reads it: `rows` x `cols` values `at(r, c)` in panels of 4
 * rows, each panel column by column ([ceil(rows / 4), cols, 4]), zero past the last row.
 */
export function rowPanels(rows: number, cols: number, at: (r: number, c: number) => number): Float32Array {
  const out = new Float32Array(Math.ceil(rows / 4) * cols * 4);
  for (let r = 0; r < rows; r++) {
    const base = (r >> 2) * cols * 4 + (r & 3);
    for (let c = 0; c < cols; c++) out[base + c * 4] = at(r, c);
  }
  return out;
}

/** The right operand as the kernel reads it: row-major with each row padded with zeros to a multiple of 4 ([rows, ceil(cols / 4), 4]). */
export function paddedRows(rows: number, cols: number, at: (r: number, c: number) => number): Float32Array {
  const stride = Math.ceil(cols / 4) * 4;
  const out = new Float32Array(rows * stride);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[r * stride + c] = at(r, c);
  return out;
}

/** C [m, n] from A (`rowPanels` of A', [ceil(m/4), k, 4]) and B (`paddedRows` of B', [k, ceil(n/4), 4]). */
export async function gemmLaunch(ctx: GpuContext, a: GpuTensor, b: GpuTensor, c: GpuTensor, shape: PackedGemmShape): Promise<Launch> {
  const { m, n, k, accumulate = false } = shape;
  for (const [name, v] of Object.entries({ m, n, k })) {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`gemm: ${name} must be a positive integer, got ${v}`);
  }
  const m4 = Math.ceil(m / 4);
  const n4 = Math.ceil(n / 4);
  expectTensor(a, 'float32', [m4, k, 4], 'gemm: A panels');
  expectTensor(b, 'float32', [k, n4, 4], 'gemm: B panels');
  expectTensor(c, 'float32', [m, n], 'gemm: C');
  const workgroups = [Math.ceil(n4 / WG_N), Math.ceil(m4 / WG_M)] as const;
  const limit = ctx.limits.maxComputeWorkgroupsPerDimension;
  if (workgroups[0] > limit || workgroups[1] > limit) {
    throw new RangeError(`gemm: ${m} x ${n} needs ${workgroups.join(' x ')} workgroups, more than this device's ${limit} per dimension`);
  }
  return kernelLaunch(
    ctx,
    {
      kernel: KERNEL,
      defines: { WG_N, WG_M, ACCUMULATE: accumulate },
      buffers: { a: a.buffer, b: b.buffer, c: c.buffer },
      params: { m, n, k, m4, n4 },
    },
    workgroups,
  );
}
