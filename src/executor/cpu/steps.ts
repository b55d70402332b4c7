/**
 * The CPU versions of the lowered steps (../webgpu/lower.ts), in TypeScript over typed arrays,
 * with the arithmetic of the WebGPU kernels. The convolutions' sums come from src/cpu (the
 * packed-bit XNOR kernel, the blocked float conv); pooling and softmax reuse the reference.
 */
import { wordsFor } from '../../tensor/bits.js';
import type { Activation } from '../../webgpu/kernels/pointwise.js';
import type { Affine } from '../fold.js';
import type { WindowParams } from '../../ops/params.js';

type NCHW = readonly [number, number, number, number];

/** Sign bits NHWC [N, H, W, words] of v = x * scale + shift (or x), and A = mean_c |v| when asked. */
export function packSigns(
  x: Float32Array,
  [n, c, h, w]: NCHW,
  affine: Affine | undefined,
  bits: Uint32Array,
  meanAbs: Float32Array | undefined,
): void {
  const words = wordsFor(c);
  const plane = h * w;
  bits.fill(0, 0, n * plane * words);
  for (let b = 0; b < n; b++) {
    for (let p = 0; p < plane; p++) {
      const pixel = b * plane + p;
      let absSum = 0;
      for (let ch = 0; ch < c; ch++) {
        const raw = x[(b * c + ch) * plane + p]!;
        const v = affine ? raw * affine.scale[ch]! + affine.shift[ch]! : raw;
        if (v >= 0) bits[pixel * words + (ch >>> 5)]! |= 1 << (ch & 31);
        absSum += Math.abs(v);
      }
      if (meanAbs) meanAbs[pixel] = absSum / c;
    }
  }
}

export interface ConvShape {
  input: NCHW;
  cout: number;
  window: WindowParams;
  ho: number;
  wo: number;
}

/** Calls `visit(m, b, i, j)` for every output pixel m = (b * Ho + i) * Wo + j. */
function forEachPixel(s: ConvShape, visit: (m: number, b: number, i: number, j: number) => void): void {
  const [n] = s.input;
  for (let b = 0; b < n; b++) for (let i = 0; i < s.ho; i++) for (let j = 0; j < s.wo; j++) visit((b * s.ho + i) * s.wo + j, b, i, j);
}

/** Input pixel index of tap (u, v) of output (b, i, j), or -1 in the zero padding. */
function tapPixel(s: ConvShape, b: number, i: number, j: number, u: number, v: number): number {
  const [, , h, w] = s.input;
  const y = i * s.window.stride[0] + u - s.window.padding[0];
  const x = j * s.window.stride[1] + v - s.window.padding[1];
  return y < 0 || y >= h || x < 0 || x >= w ? -1 : (b * h + y) * w + x;
}

/** Writes the epilogue y = scale * value + shift (+ relu) of output channel o of pixel m into NCHW `out`. */
function store(out: Float32Array, s: ConvShape, m: number, o: number, value: number, epilogue: Affine, relu: boolean): void {
  const pixels = s.ho * s.wo;
  const y = epilogue.scale[o]! * value + epilogue.shift[o]!;
  out[(Math.floor(m / pixels) * s.cout + o) * pixels + (m % pixels)] = relu && y < 0 ? 0 : y;
}

/**
 * A conv's epilogue from its sums [M, Cout]: z = scale * K * sum + shift (+ relu) into NCHW,
 * with K = the box filter of mean |x| over the real taps for an XNOR layer with K, else 1.
 */
export function convEpilogue(
  sums: ArrayLike<number>,
  meanAbs: Float32Array | undefined,
  s: ConvShape,
  epilogue: Affine,
  relu: boolean,
  out: Float32Array,
): void {
  const [kh, kw] = s.window.kernel;
  forEachPixel(s, (m, b, i, j) => {
    let k = 1;
    if (meanAbs) {
      k = 0;
      for (let u = 0; u < kh; u++) {
        for (let v = 0; v < kw; v++) {
          const pixel = tapPixel(s, b, i, j, u, v);
          if (pixel >= 0) k += meanAbs[pixel]!;
        }
      }
      k /= kh * kw;
    }
    for (let o = 0; o < s.cout; o++) store(out, s, m, o, k * sums[m * s.cout + o]!, epilogue, relu);
  });
}

/** v = x (* scale[c] + shift[c]) (+ other), then the activation; channels are dimension 1. */
export function pointwise(
  x: Float32Array,
  shape: readonly number[],
  affine: Affine | undefined,
  add: Float32Array | undefined,
  activation: Activation,
  out: Float32Array,
): void {
  const channels = shape[1]!;
  const inner = shape.slice(2).reduce((a, b) => a * b, 1);
  const size = shape.reduce((a, b) => a * b, 1);
  for (let i = 0; i < size; i++) {
    let v = x[i]!;
    if (affine) {
      const c = Math.floor(i / inner) % channels;
      v = v * affine.scale[c]! + affine.shift[c]!;
    }
    if (add) v += add[i]!;
    if (activation.kind === 'relu') v = v > 0 ? v : 0;
    else if (activation.kind === 'hardtanh') v = Math.min(activation.max, Math.max(activation.min, v));
    out[i] = v;
  }
}
