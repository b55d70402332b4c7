/**
 * What the two convolution templates (xnor_conv.wgsl, conv2d.wgsl) share: conv_tile.wgsl
 * (their pixel tile and epilogue), the interface it uses, the geometry of a launch and its
 * workgroup grid.
 */
import convTileSource from '../../../../shaders/conv_tile.wgsl?raw';
import { type ConvGeometry, convGeometry, outputPixels } from '../../../ops/conv.js';
import type { Pair } from '../../../ops/window.js';
import { wordsFor } from '../../../tensor/bits.js';
import { formatShape } from '../../../tensor/tensor.js';
import type { GpuContext } from '../context.js';
import { type ParamsOf, foldGroups } from '../dispatch.js';
import type { GpuTensor } from '../gpu-tensor.js';
import type { StorageDecls, UniformDecls } from '../pipelines.js';
import { groupsAlong } from './checks.js';

export const CONV_TILE_SOURCE = { file: 'conv_tile.wgsl', source: convTileSource };

/** The uniform fields conv_tile.wgsl reads; words = ceil(Cin / 32), stride (sh, sw), padding (ph, pw). */
export const CONV_UNIFORMS = {
  n: 'u32',
  cin: 'u32',
  h: 'u32',
  w: 'u32',
  cout: 'u32',
  kh: 'u32',
  kw: 'u32',
  words: 'u32',
  sh: 'u32',
  sw: 'u32',
  ph: 'u32',
  pw: 'u32',
  ho: 'u32',
  wo: 'u32',
} as const satisfies UniformDecls;

/** The bindings of conv_tile.wgsl's epilogue, y = scale[o] * sum + shift[o], float NCHW. */
export const CONV_EPILOGUE = {
  scale: { type: 'array<f32>', access: 'read' },
  shift: { type: 'array<f32>', access: 'read' },
  y: { type: 'array<f32>', access: 'read_write' },
} as const satisfies StorageDecls;

/** The values of CONV_UNIFORMS for a geometry. */
export function convParams(g: ConvGeometry): ParamsOf<typeof CONV_UNIFORMS> {
  const { n, cin, h, w, cout, kh, kw, stride, padding, ho, wo } = g;
  return { n, cin, h, w, cout, kh, kw, words: wordsFor(cin), sh: stride[0], sw: stride[1], ph: padding[0], pw: padding[1], ho, wo };
}

/**
 * Tiling of both templates: workgroups of WG_M x WG_N invocations, each computing 4 output
 * pixels x TN output channels.
 */
export interface ConvTile {
  WG_M: number;
  WG_N: number;
  TN: number;
}
const PIXELS_PER_INVOCATION = 4;

/**
 * Geometry from the input dims and a weight tensor laid out [Cout, kh, kw, last], where
 * `last` must be `expectedLast` (Cin for float OHWI weights, ceil(Cin/32) for bits).
 */
export function weightsGeometry(
  what: string,
  input: { n: number; cin: number; h: number; w: number },
  weights: GpuTensor,
  expectedLast: number,
  stride: Pair,
  padding: Pair,
): ConvGeometry {
  if (weights.rank !== 4) {
    throw new RangeError(`${what}: weights must be [Cout, kh, kw, ${expectedLast}], got ${formatShape(weights.shape)}`);
  }
  const [cout, kh, kw, last] = weights.shape as [number, number, number, number];
  if (last !== expectedLast) {
    throw new RangeError(
      `${what}: weights ${formatShape(weights.shape)} do not match the input's ${input.cin} channels ` +
        `(last dimension must be ${expectedLast})`,
    );
  }
  if (weights.size === 0) throw new RangeError(`${what}: weights ${formatShape(weights.shape)} are empty`);
  if (input.n * input.cin * input.h * input.w === 0) throw new RangeError(`${what}: the input is empty`);
  return convGeometry({ ...input, cout, kernel: [kh, kw], stride, padding }, what);
}

/**
 * The grid of both templates: the pixel tiles along x, folded into z past the per-dimension
 * limit (conv_tile.wgsl's firstPixel undoes it), the output channel tiles along y.
 */
export function convWorkgroups(ctx: GpuContext, g: ConvGeometry, tile: ConvTile, what: string): [number, number, number] {
  const pixels = outputPixels(g);
  const [x, z] = foldGroups(ctx, Math.ceil(pixels / (PIXELS_PER_INVOCATION * tile.WG_M)), `${what}: ${pixels} output pixels`);
  return [x, groupsAlong(g.cout, tile.TN * tile.WG_N, ctx.limits.maxComputeWorkgroupsPerDimension, what), z];
}
