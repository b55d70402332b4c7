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
/** Invocations per workgroup, at most TN output channels each, at most WG_N channel tiles per workgroup. */
const WORKGROUP_INVOCATIONS = 64;
const MAX_TN = 16;
const MAX_WG_N = 4;
/** The smallest WG_M convTile gives: the executor sizes its largest dispatches with it. */
export const MIN_CONV_WG_M = WORKGROUP_INVOCATIONS / MAX_WG_N;

/**
 * The tile of both templates for a layer of `cout` filters: channel tiles of at most 16
 * (measured best on SwiftShader: bench/RESULTS.md), as even as they go, so that no invocation
 * computes filters past Cout (20 filters: 2 tiles of 10, not 16 + 16 for 4 real ones), up to
 * 4 tiles per workgroup of 64.
 */
export function convTile(cout: number): ConvTile {
  const tiles = Math.ceil(cout / MAX_TN);
  const WG_N = tiles >= MAX_WG_N ? MAX_WG_N : tiles >= 2 ? 2 : 1;
  return { WG_M: WORKGROUP_INVOCATIONS / WG_N, WG_N, TN: Math.ceil(cout / tiles) };
}

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
