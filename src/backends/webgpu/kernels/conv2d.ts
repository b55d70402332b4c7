/** Convolution / linear on float input, with float or binary (BWN) weights (shaders/conv2d.wgsl). */
import source from '../../../../shaders/conv2d.wgsl?raw';
import type { Pair } from '../../../ops/window.js';
import { wordsFor } from '../../../tensor/bits.js';
import { formatShape } from '../../../tensor/tensor.js';
import type { GpuContext } from '../context.js';
import { type Launch, kernelLaunch } from '../dispatch.js';
import type { GpuTensor } from '../gpu-tensor.js';
import type { Kernel } from '../pipelines.js';
import { expectTensor } from './checks.js';
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
import { nhwc4Shape } from './to-nhwc4.js';

const KERNEL = {
  file: 'conv2d.wgsl',
  source,
  includes: [CONV_TILE_SOURCE],
  interface: {
    storage: {
      x: { type: 'array<vec4f>', access: 'read' },
      wbits: { type: 'array<u32>', access: 'read', when: 'BINARY_WEIGHTS' },
      weight: { type: 'array<vec4f>', access: 'read', when: '!BINARY_WEIGHTS' },
      ...CONV_EPILOGUE,
    },
    // c4 = ceil(Cin / 4): vec4s per NHWC4 pixel
    uniforms: { ...CONV_UNIFORMS, c4: 'u32' },
  },
} satisfies Kernel;
/** Measured on SwiftShader: bench/RESULTS.md. */
export const CONV2D_TILE: ConvTile = { WG_M: 64, WG_N: 1, TN: 16 };

export interface Conv2dArgs {
  /** The NCHW input [N, Cin, H, W] as to_nhwc4 wrote it: float32 nhwc4Shape([N, Cin, H, W]). */
  input: GpuTensor;
  inputShape: readonly [number, number, number, number];
  /**
   * float32 OHWI [Cout, kh, kw, 4*ceil(Cin/4)] (ohwiFromOihw(w, 4)), or, for a BWN layer,
   * packed sign bits uint32 [Cout, kh, kw, ceil(Cin/32)] as in the model file.
   */
  weights: GpuTensor;
  /** Per output channel: y = scale * sum + shift (bias, alpha, a following batchnorm folded in). */
  scale: GpuTensor;
  shift: GpuTensor;
  stride: Pair;
  padding: Pair;
  relu?: boolean;
  /** float32 [N, Cout, Ho, Wo]. */
  output: GpuTensor;
}

/** `tile` is for benchmarks comparing variants; the default is convTile(Cout). */
export async function conv2dLaunch(ctx: GpuContext, args: Conv2dArgs, tile?: ConvTile): Promise<Launch> {
  const { input, inputShape, weights, scale, shift, output, relu = false } = args;
  const binary = weights.dtype === 'uint32';
  const what = binary ? 'bwn conv' : 'conv2d';
  if (weights.dtype === 'int32') throw new RangeError(`${what}: weights must be float32 or uint32 (packed bits), got int32`);
  expectTensor(input, 'float32', nhwc4Shape(inputShape), `${what}: NHWC4 input of ${formatShape(inputShape)}`);
  const [n, cin, h, w] = inputShape;
  const c4 = Math.ceil(cin / 4);
  const g = weightsGeometry(what, { n, cin, h, w }, weights, binary ? wordsFor(cin) : 4 * c4, args.stride, args.padding);
  expectTensor(scale, 'float32', [g.cout], `${what}: scale`);
  expectTensor(shift, 'float32', [g.cout], `${what}: shift`);
  expectTensor(output, 'float32', [n, g.cout, g.ho, g.wo], `${what}: output`);
  const grid = tile ?? convTile(g.cout);
  return kernelLaunch(
    ctx,
    {
      kernel: KERNEL,
      defines: { ...grid, BINARY_WEIGHTS: binary, RELU: relu },
      buffers: {
        x: input.buffer,
        wbits: binary ? weights.buffer : undefined,
        weight: binary ? undefined : weights.buffer,
        scale: scale.buffer,
        shift: shift.buffer,
        y: output.buffer,
      },
      params: { ...convParams(g), c4 },
    },
    convWorkgroups(ctx, g, grid, what),
  );
}
