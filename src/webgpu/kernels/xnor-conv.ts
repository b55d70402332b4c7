/** XNOR convolution / linear on packed bits (shaders/xnor_conv.wgsl). */
import source from '../../../shaders/xnor_conv.wgsl?raw';
import { type Pair, windowOutputSize } from '../../ops/params.js';
import { wordsFor } from '../../tensor/bits.js';
import { formatShape } from '../../tensor/tensor.js';
import type { GpuContext } from '../context.js';
import { type Launch, uniformBuffer } from '../dispatch.js';
import type { GpuTensor } from '../gpu-tensor.js';
import { expectNonEmpty, expectTensor, groupsAlong } from './checks.js';

const KERNEL = { file: 'xnor_conv.wgsl', source };
/** Invocations per workgroup along pixels and channels; each invocation does 4 x 4 outputs. */
export const XNOR_TILE = { WG_M: 16, WG_N: 4 };

export interface XnorConvArgs {
  /** Packed input bits, uint32 [N, H, W, ceil(Cin/32)]. */
  input: GpuTensor;
  inChannels: number;
  /** Packed weight bits, uint32 [Cout, kh, kw, ceil(Cin/32)]. */
  weights: GpuTensor;
  /** Per output channel: z = scale * K * dot + shift (alpha, bias, a following batchnorm folded in). */
  scale: GpuTensor;
  shift: GpuTensor;
  /** A = mean_c |x|, float32 [N, H, W]: turns on the K factor. */
  meanAbs?: GpuTensor | undefined;
  stride: Pair;
  padding: Pair;
  /** float32 [N, Cout, Ho, Wo], or uint32 [N, Ho, Wo, ceil(Cout/32)] for sign bits of z. */
  output: GpuTensor;
}

export interface XnorConvShape {
  n: number;
  h: number;
  w: number;
  cout: number;
  kh: number;
  kw: number;
  ho: number;
  wo: number;
}

export function xnorConvShape(args: Pick<XnorConvArgs, 'input' | 'inChannels' | 'weights' | 'stride' | 'padding'>): XnorConvShape {
  const what = 'xnor conv';
  const { input, weights, inChannels } = args;
  if (input.rank !== 4) throw new RangeError(`${what}: input bits must be [N, H, W, words], got ${formatShape(input.shape)}`);
  if (weights.rank !== 4) throw new RangeError(`${what}: weight bits must be [Cout, kh, kw, words], got ${formatShape(weights.shape)}`);
  const [n, h, w, words] = input.shape as [number, number, number, number];
  const [cout, kh, kw, wWords] = weights.shape as [number, number, number, number];
  if (!Number.isInteger(inChannels) || inChannels < 1 || words !== wordsFor(inChannels)) {
    throw new RangeError(`${what}: input bits ${formatShape(input.shape)} do not hold ${inChannels} channels`);
  }
  if (wWords !== words) {
    throw new RangeError(
      `${what}: weight bits ${formatShape(weights.shape)} have ${wWords} words per tap, the input has ${words} (Cin ${inChannels})`,
    );
  }
  const [ho, wo] = windowOutputSize([h, w], { kernel: [kh, kw], stride: args.stride, padding: args.padding }, what);
  return { n, h, w, cout, kh, kw, ho, wo };
}

export async function xnorConvLaunch(ctx: GpuContext, args: XnorConvArgs): Promise<Launch> {
  const what = 'xnor conv';
  const s = xnorConvShape(args);
  const { input, weights, scale, shift, meanAbs, output } = args;
  expectTensor(input, 'uint32', input.shape, `${what}: input bits`);
  expectTensor(weights, 'uint32', weights.shape, `${what}: weight bits`);
  expectNonEmpty(input, `${what}: input bits`);
  expectNonEmpty(weights, `${what}: weight bits`);
  expectTensor(scale, 'float32', [s.cout], `${what}: scale`);
  expectTensor(shift, 'float32', [s.cout], `${what}: shift`);
  if (meanAbs) expectTensor(meanAbs, 'float32', [s.n, s.h, s.w], `${what}: mean |x|`);
  const packedOutput = output.dtype === 'uint32';
  const outWords = wordsFor(s.cout);
  expectTensor(
    output,
    output.dtype,
    packedOutput ? [s.n, s.ho, s.wo, outWords] : [s.n, s.cout, s.ho, s.wo],
    `${what}: output`,
  );
  if (output.dtype === 'int32') throw new RangeError(`${what}: output must be float32 or uint32 (packed bits), got int32`);

  const pipeline = await ctx.pipelines.get({
    kernel: KERNEL,
    defines: { ...XNOR_TILE, PACKED_OUTPUT: packedOutput, INPUT_SCALE: meanAbs !== undefined },
  });
  const [sh, sw] = args.stride;
  const [ph, pw] = args.padding;
  const params = uniformBuffer(
    ctx,
    [s.n, args.inChannels, s.h, s.w, s.cout, s.kh, s.kw, wordsFor(args.inChannels), sh, sw, ph, pw, s.ho, s.wo, outWords, 0],
    'xnor_conv params',
  );
  const limit = ctx.limits.maxComputeWorkgroupsPerDimension;
  return {
    pipeline,
    buffers: [params, input.buffer, weights.buffer, scale.buffer, shift.buffer, output.buffer, meanAbs?.buffer],
    workgroups: [
      groupsAlong(s.n * s.ho * s.wo, 4 * XNOR_TILE.WG_M, limit, what),
      groupsAlong(s.cout, 4 * XNOR_TILE.WG_N, limit, what),
    ],
    transient: [params],
    clear: packedOutput ? [output.buffer] : [],
  };
}
