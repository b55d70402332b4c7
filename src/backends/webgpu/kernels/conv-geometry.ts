/**
 * What the two convolution templates (xnor_conv.wgsl, conv2d.wgsl) share: conv_tile.wgsl
 * (their uniform block and pixel tile), the geometry of a launch and its workgroup grid.
 */
import convTileSource from '../../../../shaders/conv_tile.wgsl?raw';
import { type Pair, windowOutputSize } from '../../../ops/window.js';
import { wordsFor } from '../../../tensor/bits.js';
import { formatShape } from '../../../tensor/tensor.js';
import type { GpuContext } from '../context.js';
import { uniformBuffer } from '../dispatch.js';
import type { GpuTensor } from '../gpu-tensor.js';
import { groupsAlong } from './checks.js';

export const CONV_TILE_SOURCE = { file: 'conv_tile.wgsl', source: convTileSource };

export interface ConvGeometry {
  n: number;
  cin: number;
  h: number;
  w: number;
  cout: number;
  kh: number;
  kw: number;
  stride: Pair;
  padding: Pair;
  ho: number;
  wo: number;
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
export function convGeometry(
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
  const [ho, wo] = windowOutputSize([input.h, input.w], { kernel: [kh, kw], stride, padding }, what);
  return { ...input, cout, kh, kw, stride, padding, ho, wo };
}

/** conv_tile.wgsl's Params block; `extra` is xnor_conv's output words, conv2d's ceil(Cin/4). */
export function convParams(ctx: GpuContext, g: ConvGeometry, extra: number, label: string): GPUBuffer {
  const { n, cin, h, w, cout, kh, kw, stride, padding, ho, wo } = g;
  return uniformBuffer(ctx, [n, cin, h, w, cout, kh, kw, wordsFor(cin), ...stride, ...padding, ho, wo, extra, 0], label);
}

export function convWorkgroups(ctx: GpuContext, g: ConvGeometry, tile: ConvTile, what: string): [number, number] {
  const limit = ctx.limits.maxComputeWorkgroupsPerDimension;
  return [
    groupsAlong(g.n * g.ho * g.wo, PIXELS_PER_INVOCATION * tile.WG_M, limit, what),
    groupsAlong(g.cout, tile.TN * tile.WG_N, limit, what),
  ];
}
