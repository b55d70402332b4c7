/** GPU sign + pack of float NCHW activations into NHWC packed bits (shaders/pack_signs.wgsl). */
import source from '../../../shaders/pack_signs.wgsl?raw';
import { wordsFor } from '../../tensor/bits.js';
import { formatShape } from '../../tensor/tensor.js';
import type { GpuContext } from '../context.js';
import { type Launch, grid1d, submitLaunches, uniformBuffer } from '../dispatch.js';
import { GpuTensor } from '../gpu-tensor.js';

const KERNEL = { file: 'pack_signs.wgsl', source };
const WORKGROUP_SIZE = 64;

/** The packed shape [N, H, W, ceil(C/32)] of an NCHW float tensor. */
export function packedShape(shape: readonly number[]): [number, number, number, number] {
  if (shape.length !== 4) throw new RangeError(`packSigns: expected an NCHW input, got shape ${formatShape(shape)}`);
  const [n, c, h, w] = shape as [number, number, number, number];
  return [n, h, w, wordsFor(c)];
}

function validate(x: GpuTensor, out: GpuTensor): void {
  if (x.dtype !== 'float32') throw new TypeError(`packSigns: input must be float32, got ${x.dtype}`);
  if (x.size === 0) throw new RangeError(`packSigns: input ${formatShape(x.shape)} is empty`);
  const expected = packedShape(x.shape);
  if (out.dtype !== 'uint32' || formatShape(out.shape) !== formatShape(expected)) {
    throw new RangeError(
      `packSigns: output must be uint32 ${formatShape(expected)} for input ${formatShape(x.shape)}, got ${out.dtype} ${formatShape(out.shape)}`,
    );
  }
}

export async function packSignsLaunch(ctx: GpuContext, x: GpuTensor, out: GpuTensor): Promise<Launch> {
  validate(x, out);
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const words = wordsFor(c);
  const pipeline = await ctx.pipelines.get({ kernel: KERNEL, defines: { WORKGROUP_SIZE } });
  const shape = uniformBuffer(ctx, [n, c, h * w, words], 'pack_signs shape');
  return {
    pipeline,
    buffers: [x.buffer, out.buffer, shape],
    workgroups: grid1d(ctx, n * words * h * w, WORKGROUP_SIZE),
    transient: [shape],
  };
}

/** Packs `x` on the GPU; writes into `out` when given (its shape must be packedShape(x)). */
export async function packSigns(ctx: GpuContext, x: GpuTensor<'float32'>, out?: GpuTensor<'uint32'>): Promise<GpuTensor<'uint32'>> {
  const target = out ?? GpuTensor.empty(ctx, 'uint32', packedShape(x.shape), 'packed signs');
  await submitLaunches(ctx, 'pack_signs', [await packSignsLaunch(ctx, x, target)]);
  return target;
}
