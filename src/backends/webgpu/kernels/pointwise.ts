/** batchnorm, relu, hardtanh and add, alone or fused in one pass (shaders/pointwise.wgsl). */
import source from '../../../../shaders/pointwise.wgsl?raw';
import type { Activation } from '../../../ops/epilogue.js';
import { formatShape } from '../../../tensor/tensor.js';
import type { GpuContext } from '../context.js';
import { type Launch, launch1d } from '../dispatch.js';
import type { GpuTensor } from '../gpu-tensor.js';
import type { Kernel } from '../pipelines.js';
import { expectDType, expectTensor } from './checks.js';

const KERNEL = {
  file: 'pointwise.wgsl',
  source,
  interface: {
    storage: {
      x: { type: 'array<f32>', access: 'read' },
      y: { type: 'array<f32>', access: 'read_write' },
      scale: { type: 'array<f32>', access: 'read', when: 'AFFINE' },
      shift: { type: 'array<f32>', access: 'read', when: 'AFFINE' },
      other: { type: 'array<f32>', access: 'read', when: 'ADD' },
    },
    // inner = H * W (1 for [N, F]); lo, hi: HARDTANH's bounds
    uniforms: { size: 'u32', channels: 'u32', inner: 'u32', lo: 'f32', hi: 'f32' },
  },
} satisfies Kernel;
const WHAT = 'pointwise';

export interface PointwiseArgs {
  /** float32 [N, C, ...]. */
  input: GpuTensor;
  /** Same dtype and shape as the input, another buffer. */
  output: GpuTensor;
  /** v = x * scale[c] + shift[c] (batchnorm folded by the host). */
  affine?: { scale: GpuTensor; shift: GpuTensor } | undefined;
  /** v += other (same shape): a residual shortcut. */
  add?: GpuTensor | undefined;
  activation?: Activation;
}

export async function pointwiseLaunch(ctx: GpuContext, args: PointwiseArgs): Promise<Launch> {
  const { input, output, affine, add, activation = { kind: 'none' } } = args;
  expectDType(input, 'float32', `${WHAT}: input`);
  if (input.rank < 2 || input.size === 0) {
    throw new RangeError(`${WHAT}: input must be a non-empty [N, C, ...] tensor, got ${formatShape(input.shape)}`);
  }
  expectTensor(output, 'float32', input.shape, `${WHAT}: output`);
  if (output.buffer === input.buffer) throw new RangeError(`${WHAT}: output must be another buffer than the input`);
  const channels = input.shape[1]!;
  if (affine) {
    expectTensor(affine.scale, 'float32', [channels], `${WHAT}: scale`);
    expectTensor(affine.shift, 'float32', [channels], `${WHAT}: shift`);
  }
  if (add) expectTensor(add, 'float32', input.shape, `${WHAT}: the tensor to add`);
  const [lo, hi] = activation.kind === 'hardtanh' ? [activation.min, activation.max] : [0, 0];
  if (activation.kind === 'hardtanh' && !(lo < hi)) throw new RangeError(`${WHAT}: hardtanh min (${lo}) must be below max (${hi})`);
  return launch1d(ctx, {
    kernel: KERNEL,
    defines: {
      AFFINE: affine !== undefined,
      ADD: add !== undefined,
      RELU: activation.kind === 'relu',
      HARDTANH: activation.kind === 'hardtanh',
    },
    params: { size: input.size, channels, inner: input.size / (input.shape[0]! * channels), lo, hi },
    buffers: { x: input.buffer, y: output.buffer, scale: affine?.scale.buffer, shift: affine?.shift.buffer, other: add?.buffer },
    invocations: input.size,
  });
}
