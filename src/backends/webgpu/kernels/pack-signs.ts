/**
 * GPU sign + pack of float NCHW activations into NHWC packed bits, optionally after a folded
 * batchnorm and with A = mean_c |x| for the XNOR conv's K factor (shaders/pack_signs.wgsl).
 */
import source from '../../../../shaders/pack_signs.wgsl?raw';
import { wordsFor } from '../../../tensor/bits.js';
import { formatShape } from '../../../tensor/tensor.js';
import type { GpuContext } from '../context.js';
import { type Launch, launch1d, submitLaunches } from '../dispatch.js';
import { GpuTensor } from '../gpu-tensor.js';
import type { Kernel } from '../pipelines.js';
import { expectDType, expectTensor } from './checks.js';

const KERNEL = {
  file: 'pack_signs.wgsl',
  source,
  interface: {
    storage: {
      x: { type: 'array<f32>', access: 'read' },
      packed: { type: 'array<u32>', access: 'read_write' },
      scale: { type: 'array<f32>', access: 'read', when: 'AFFINE' },
      shift: { type: 'array<f32>', access: 'read', when: 'AFFINE' },
      meanAbs: { type: 'array<f32>', access: 'read_write', when: 'MEAN_ABS' },
    },
    // pixels = H * W, words = ceil(C / 32)
    uniforms: { n: 'u32', c: 'u32', pixels: 'u32', words: 'u32' },
  },
} satisfies Kernel;
const WHAT = 'pack signs';

/** The packed shape [N, H, W, ceil(C/32)] of an NCHW float tensor. */
export function packedShape(shape: readonly number[]): [number, number, number, number] {
  if (shape.length !== 4) throw new RangeError(`${WHAT}: expected an NCHW input, got shape ${formatShape(shape)}`);
  const [n, c, h, w] = shape as [number, number, number, number];
  return [n, h, w, wordsFor(c)];
}

export interface PackSignsArgs {
  /** float32 NCHW. */
  input: GpuTensor;
  /** uint32 packedShape(input.shape). */
  output: GpuTensor;
  /** Per channel, applied before the sign: v = x * scale + shift (a folded batchnorm). */
  affine?: { scale: GpuTensor; shift: GpuTensor } | undefined;
  /** float32 [N, H, W]: receives mean_c |v|. */
  meanAbs?: GpuTensor | undefined;
}

export async function packSignsLaunch(ctx: GpuContext, { input, output, affine, meanAbs }: PackSignsArgs): Promise<Launch> {
  expectDType(input, 'float32', `${WHAT}: input`);
  const expected = packedShape(input.shape);
  if (input.size === 0) throw new RangeError(`${WHAT}: input ${formatShape(input.shape)} is empty`);
  expectTensor(output, 'uint32', expected, `${WHAT}: output for input ${formatShape(input.shape)}`);
  const [n, c, h, w] = input.shape as [number, number, number, number];
  if (affine) {
    expectTensor(affine.scale, 'float32', [c], `${WHAT}: scale`);
    expectTensor(affine.shift, 'float32', [c], `${WHAT}: shift`);
  }
  if (meanAbs) expectTensor(meanAbs, 'float32', [n, h, w], `${WHAT}: mean |x|`);
  return launch1d(ctx, {
    kernel: KERNEL,
    defines: { AFFINE: affine !== undefined, MEAN_ABS: meanAbs !== undefined },
    params: { n, c, pixels: h * w, words: wordsFor(c) },
    buffers: { x: input.buffer, packed: output.buffer, scale: affine?.scale.buffer, shift: affine?.shift.buffer, meanAbs: meanAbs?.buffer },
    invocations: n * h * w,
  });
}

/** Packs `x` on the GPU into a new tensor (the one-call form of packSignsLaunch). */
export async function packSigns(ctx: GpuContext, x: GpuTensor): Promise<GpuTensor<'uint32'>> {
  const output = GpuTensor.empty(ctx, 'uint32', packedShape(x.shape), 'packed signs');
  try {
    await submitLaunches(ctx, 'pack_signs', [await packSignsLaunch(ctx, { input: x, output })]);
  } catch (err) {
    output.destroy();
    throw err;
  }
  return output;
}
