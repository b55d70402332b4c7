/** XNOR convolution / linear on packed bits (shaders/xnor_conv.wgsl). */
import source from '../../../../shaders/xnor_conv.wgsl?raw';
import type { Pair } from '../../../ops/window.js';
import { wordsFor } from '../../../tensor/bits.js';
import { formatShape } from '../../../tensor/tensor.js';
import type { GpuContext } from '../context.js';
import type { Launch } from '../dispatch.js';
import type { GpuTensor } from '../gpu-tensor.js';
import { expectDType, expectTensor } from './checks.js';
import { CONV_TILE_SOURCE, type ConvTile, convGeometry, convParams, convWorkgroups } from './conv-geometry.js';

const KERNEL = { file: 'xnor_conv.wgsl', source, includes: [CONV_TILE_SOURCE] };
const WHAT = 'xnor conv';
/** Measured on SwiftShader: bench/RESULTS.md. TN must divide 32 (packed output words). */
export const XNOR_CONV_TILE: ConvTile = { WG_M: 16, WG_N: 4, TN: 16 };

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
  /** Applies max(z, 0) to a float output. */
  relu?: boolean;
  /** float32 [N, Cout, Ho, Wo], or uint32 [N, Ho, Wo, ceil(Cout/32)] for the sign bits of z. */
  output: GpuTensor;
}

/** `tile` is for benchmarks comparing variants; the default is the tuned one. */
export async function xnorConvLaunch(ctx: GpuContext, args: XnorConvArgs, tile = XNOR_CONV_TILE): Promise<Launch> {
  if (32 % tile.TN !== 0) throw new RangeError(`${WHAT}: TN = ${tile.TN} must divide 32`);
  const { input, inChannels, weights, scale, shift, meanAbs, output, relu = false } = args;
  expectDType(input, 'uint32', `${WHAT}: input bits`);
  expectDType(weights, 'uint32', `${WHAT}: weight bits`);
  if (input.rank !== 4) throw new RangeError(`${WHAT}: input bits must be [N, H, W, words], got ${formatShape(input.shape)}`);
  const [n, h, w, words] = input.shape as [number, number, number, number];
  if (!Number.isInteger(inChannels) || inChannels < 1 || words !== wordsFor(inChannels)) {
    throw new RangeError(`${WHAT}: input bits ${formatShape(input.shape)} do not hold ${inChannels} channels`);
  }
  const g = convGeometry(WHAT, { n, cin: inChannels, h, w }, weights, words, args.stride, args.padding);
  expectTensor(scale, 'float32', [g.cout], `${WHAT}: scale`);
  expectTensor(shift, 'float32', [g.cout], `${WHAT}: shift`);
  if (meanAbs) expectTensor(meanAbs, 'float32', [n, h, w], `${WHAT}: mean |x|`);
  const packedOutput = output.dtype === 'uint32';
  const outWords = wordsFor(g.cout);
  if (packedOutput) {
    expectTensor(output, 'uint32', [n, g.ho, g.wo, outWords], `${WHAT}: packed output`);
    if (relu) throw new RangeError(`${WHAT}: relu before a sign is always +1; it cannot feed packed output`);
  } else {
    expectTensor(output, 'float32', [n, g.cout, g.ho, g.wo], `${WHAT}: output`);
  }

  const pipeline = await ctx.pipelines.get({
    kernel: KERNEL,
    defines: {
      ...tile,
      PACKED_OUTPUT: packedOutput,
      FLOAT_OUTPUT: !packedOutput,
      INPUT_SCALE: meanAbs !== undefined,
      RELU: relu,
    },
  });
  const params = convParams(ctx, g, outWords, 'xnor_conv params');
  return {
    pipeline,
    buffers: [params, input.buffer, weights.buffer, scale.buffer, shift.buffer, output.buffer, meanAbs?.buffer],
    workgroups: convWorkgroups(ctx, g, tile, WHAT),
    transient: [params],
    clear: packedOutput ? [output.buffer] : [],
  };
}
