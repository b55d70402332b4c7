/**
 * The kernel benchmark's rows, measured on a GPU context: XNOR, BWN and float convolution on
 * one layer shape each. No Node imports: `npm run bench:kernels` and the demo's benchmark page
 * (in a browser) measure with the same code.
 */
import { packActivations, packWeights } from '../src/tensor/bits.js';
import { ohwiFromOihw } from '../src/tensor/layout.js';
import { Tensor } from '../src/tensor/tensor.js';
import { createRng } from '../src/util/random.js';
import type { GpuContext } from '../src/backends/webgpu/context.js';
import { submitLaunches } from '../src/backends/webgpu/dispatch.js';
import { GpuTensor } from '../src/backends/webgpu/gpu-tensor.js';
import { type ConvTile, convTile } from '../src/backends/webgpu/kernels/conv-geometry.js';
import { conv2dLaunch } from '../src/backends/webgpu/kernels/conv2d.js';
import { nhwc4Shape, toNhwc4Launch } from '../src/backends/webgpu/kernels/to-nhwc4.js';
import { xnorConvLaunch } from '../src/backends/webgpu/kernels/xnor-conv.js';
import { type Timed, medianMs } from './harness.js';

export type KernelName = 'xnor_conv' | 'bwn_conv' | 'float_conv';

export interface ConvShape {
  n: number;
  cin: number;
  h: number;
  w: number;
  cout: number;
  kh: number;
  kw: number;
  stride: number;
  padding: number;
}

export interface KernelRow {
  kernel: KernelName;
  backend: 'webgpu';
  adapter: string;
  shape: ConvShape;
  medianMs: number;
  gops: number;
}

export const TYPICAL: ConvShape = { n: 8, cin: 256, h: 14, w: 14, cout: 256, kh: 3, kw: 3, stride: 1, padding: 1 };

/** The paper's sweep (Fig. 4): channels 32..512 and kernels 1x1, 3x3, 5x5, on 14x14, batch 8. */
export function sweep(): ConvShape[] {
  return [32, 64, 128, 256, 512].flatMap((c) =>
    [1, 3, 5].map((k) => ({ n: 8, cin: c, h: 14, w: 14, cout: c, kh: k, kw: k, stride: 1, padding: (k - 1) / 2 })),
  );
}

export const ops = (s: ConvShape) => {
  const ho = Math.floor((s.h + 2 * s.padding - s.kh) / s.stride) + 1;
  const wo = Math.floor((s.w + 2 * s.padding - s.kw) / s.stride) + 1;
  return 2 * s.n * ho * wo * s.cout * s.cin * s.kh * s.kw;
};

export const describe = (s: ConvShape) => `${s.cin}->${s.cout} ${s.kh}x${s.kw} ${s.h}x${s.w} N${s.n}`;

export interface Variants {
  xnor: ConvTile[];
  conv2d: ConvTile[];
}

/** Uploads random data for `shape` and builds one launch per kernel and tile variant (also bench/figure4.ts's). */
export async function prepare(ctx: GpuContext, s: ConvShape, variants: Variants) {
  const rng = createRng(7);
  const random = (shape: number[]) => {
    const t = Tensor.zeros(shape);
    for (let i = 0; i < t.size; i++) t.data[i] = rng.normal();
    return t;
  };
  const x = random([s.n, s.cin, s.h, s.w]);
  const w = random([s.cout, s.cin, s.kh, s.kw]);
  const packed = packWeights(w);
  const ho = Math.floor((s.h + 2 * s.padding - s.kh) / s.stride) + 1;
  const wo = Math.floor((s.w + 2 * s.padding - s.kw) / s.stride) + 1;
  const inputShape = [s.n, s.cin, s.h, s.w] as const;
  const t = {
    nchw: GpuTensor.upload(ctx, x),
    nhwc4: GpuTensor.empty(ctx, 'float32', nhwc4Shape(inputShape)),
    bits: GpuTensor.upload(ctx, packActivations(x)),
    weightBits: GpuTensor.upload(ctx, packed.bits),
    weightFloat: GpuTensor.upload(ctx, ohwiFromOihw(w, 4)),
    alpha: GpuTensor.upload(ctx, packed.alpha),
    zeros: GpuTensor.upload(ctx, Tensor.zeros([s.cout])),
    output: GpuTensor.empty(ctx, 'float32', [s.n, s.cout, ho, wo]),
  };
  await submitLaunches(ctx, 'to_nhwc4', [await toNhwc4Launch(ctx, t.nchw, t.nhwc4)]);
  const common = {
    scale: t.alpha,
    shift: t.zeros,
    stride: [s.stride, s.stride] as const,
    padding: [s.padding, s.padding] as const,
    output: t.output,
  };
  const entries: (Timed & { kernel: KernelName })[] = [];
  for (const tile of variants.xnor) {
    const launch = await xnorConvLaunch(ctx, { ...common, input: t.bits, inChannels: s.cin, weights: t.weightBits }, tile);
    entries.push({ kernel: 'xnor_conv', label: `xnor_conv ${JSON.stringify(tile)}`, launches: [launch] });
  }
  for (const tile of variants.conv2d) {
    const bwn = await conv2dLaunch(ctx, { ...common, input: t.nhwc4, inputShape, weights: t.weightBits }, tile);
    entries.push({ kernel: 'bwn_conv', label: `bwn_conv ${JSON.stringify(tile)}`, launches: [bwn] });
    const float = await conv2dLaunch(ctx, { ...common, input: t.nhwc4, inputShape, weights: t.weightFloat }, tile);
    entries.push({ kernel: 'float_conv', label: `float_conv ${JSON.stringify(tile)}`, launches: [float] });
  }
  const release = () => Object.values(t).forEach((tensor) => tensor.destroy());
  return { entries, tensors: t, release };
}

/** One row per kernel and shape; `progress` hears of each shape measured. */
export async function measureShapes(
  ctx: GpuContext,
  shapes: ConvShape[],
  rounds: number,
  progress: (line: string) => void = () => undefined,
): Promise<KernelRow[]> {
  const rows: KernelRow[] = [];
  for (const shape of shapes) {
    const { entries, release } = await prepare(ctx, shape, { xnor: [convTile(shape.cout)], conv2d: [convTile(shape.cout)] });
    const medians = await medianMs(ctx, entries, rounds);
    for (const entry of entries) {
      const ms = medians.get(entry.label)!;
      rows.push({ kernel: entry.kernel, backend: 'webgpu', adapter: ctx.adapterName, shape, medianMs: ms, gops: ops(shape) / ms / 1e6 });
    }
    release();
    progress(`measured ${describe(shape)}`);
  }
  return rows;
}
