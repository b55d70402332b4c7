/** XNOR convolution / linear on packed bits (shaders/xnor_conv.wgsl). */
import source from '../../../../shaders/xnor_conv.wgsl?raw';
import type { Pair } from '../../../ops/window.js';
import { wordsFor } from '../../../tensor/bits.js';
import { formatShape } from '../../../tensor/tensor.js';
import type { GpuContext } from '../context.js';
import { type Launch, kernelLaunch } from '../dispatch.js';
import type { GpuTensor } from '../gpu-tensor.js';
import type { Kernel } from '../pipelines.js';
import { expectDType, expectTensor } from './checks.js';
import {
  CONV_EPILOGUE,
  CONV_TILE_SOURCE,
  CONV_UNIFORMS,
  type ConvTile,
  convParams,
  convTile,
  convWorkgroups,
  weightsGeometry,
} from './conv-geometry.js';

const KERNEL = {
  file: 'xnor_conv.wgsl',
  source,
  includes: [CONV_TILE_SOURCE],
  interface: {
    storage: {
      x: { type: 'array<u32>', access: 'read' },
      wbits: { type: 'array<u32>', access: 'read' },
      ...CONV_EPILOGUE,
      meanAbs: { type: 'array<f32>', access: 'read', when: 'INPUT_SCALE' },
    },
    uniforms: CONV_UNIFORMS,
  },
} satisfies Kernel;
const WHAT = 'xnor conv';

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
  /** Applies max(z, 0). */
  relu?: boolean;
  /** float32 [N, Cout, Ho, Wo]. */
  output: GpuTensor;
}

/** `tile` is for benchmarks comparing variants; the default is convTile(Cout). */
export async function xnorConvLaunch(ctx: GpuContext, args: XnorConvArgs, tile?: ConvTile): Promise<Launch> {
  const { input, inChannels, weights, scale, shift, meanAbs, output, relu = false } = args;
  expectDType(input, 'uint32', `${WHAT}: input bits`);
  expectDType(weights, 'uint32', `${WHAT}: weight bits`);
  if (input.rank !== 4) throw new RangeError(`${WHAT}: input bits must be [N, H, W, words], got ${formatShape(input.shape)}`);
  const [n, h, w, words] = input.shape as [number, number, number, number];
  if (!Number.isInteger(inChannels) || inChannels < 1 || words !== wordsFor(inChannels)) {
    throw new RangeError(`${WHAT}: input bits ${formatShape(input.shape)} do not hold ${inChannels} channels`);
  }
  const g = weightsGeometry(WHAT, { n, cin: inChannels, h, w }, weights, words, args.stride, args.padding);
  expectTensor(scale, 'float32', [g.cout], `${WHAT}: scale`);
  expectTensor(shift, 'float32', [g.cout], `${WHAT}: shift`);
  if (meanAbs) expectTensor(meanAbs, 'float32', [n, h, w], `${WHAT}: mean |x|`);
  expectTensor(output, 'float32', [n, g.cout, g.ho, g.wo], `${WHAT}: output`);
  const grid = tile ?? convTile(g.cout);
  return kernelLaunch(
    ctx,
    {
      kernel: KERNEL,
      defines: { ...grid, INPUT_SCALE: meanAbs !== undefined, RELU: relu },
      buffers: {
        x: input.buffer,
        wbits: weights.buffer,
        scale: scale.buffer,
        shift: shift.buffer,
        y: output.buffer,
        meanAbs: meanAbs?.buffer,
      },
      params: convParams(g),
    },
    convWorkgroups(ctx, g, grid, WHAT),
  );
}
