/**
 * The one description of a convolution (a linear layer is the 1x1 case on [N, F, 1, 1]):
 * what the reference, the WGSL bindings, the CPU kernels, the benchmarks and the tests all
 * take. Input NCHW [n, cin, h, w] (or its packed bits), weights [cout, cin, kh, kw], output
 * [n, cout, ho, wo]; padded taps contribute 0 (semantics.md).
 */
import { formatShape } from '../tensor/tensor.js';
import { type Pair, windowOutputSize } from './window.js';

export interface ConvGeometry {
  readonly n: number;
  readonly cin: number;
  readonly h: number;
  readonly w: number;
  readonly cout: number;
  readonly kh: number;
  readonly kw: number;
  readonly stride: Pair;
  readonly padding: Pair;
  /** Output extent: floor((h + 2 * padding - kh) / stride) + 1, and likewise for w. */
  readonly ho: number;
  readonly wo: number;
}

/** What a convolution is made from: the input, the filters and the window. */
export interface ConvSpec {
  n: number;
  cin: number;
  h: number;
  w: number;
  cout: number;
  kernel: Pair;
  stride?: Pair;
  padding?: Pair;
}

/** The geometry of a convolution, with its output size; throws a RangeError naming what does not fit. */
export function convGeometry({ n, cin, h, w, cout, kernel, stride = [1, 1], padding = [0, 0] }: ConvSpec, what = 'conv'): ConvGeometry {
  for (const [name, v] of [
    ['n', n],
    ['cin', cin],
    ['h', h],
    ['w', w],
    ['cout', cout],
  ] as const) {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`${what}: ${name} must be a positive integer, got ${v}`);
  }
  const [ho, wo] = windowOutputSize([h, w], { kernel, stride, padding }, what);
  return { n, cin, h, w, cout, kh: kernel[0], kw: kernel[1], stride: [stride[0], stride[1]], padding: [padding[0], padding[1]], ho, wo };
}

/** The geometry of an NCHW input shape convolved by [cout, cin, kh, kw] filters. */
export function convOf(input: readonly number[], cout: number, kernel: Pair, stride: Pair, padding: Pair, what = 'conv'): ConvGeometry {
  if (input.length !== 4) throw new RangeError(`${what}: expected an NCHW input, got ${formatShape(input)}`);
  const [n, cin, h, w] = input as [number, number, number, number];
  return convGeometry({ n, cin, h, w, cout, kernel, stride, padding }, what);
}

/** M = N * Ho * Wo: output pixels, the rows of the [M, Cout] GEMM every backend computes. */
export function outputPixels(g: ConvGeometry): number {
  return g.n * g.ho * g.wo;
}

export function describeConv(g: ConvGeometry): string {
  return `N${g.n} Cin${g.cin} ${g.h}x${g.w} -> Cout${g.cout} k${g.kh}x${g.kw} s${g.stride.join(',')} p${g.padding.join(',')}`;
}
