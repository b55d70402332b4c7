/**
 * The CPU versions of the lowered steps (../webgpu/lower.ts), in TypeScript over typed arrays,
 * with the arithmetic of the WebGPU kernels. The convolutions' sums come from src/cpu (the
 * packed-bit XNOR kernel, the blocked float conv); pooling and softmax reuse the reference.
 */
import { wordsFor } from '../../tensor/bits.js';
import type { Activation } from '../../webgpu/kernels/pointwise.js';
import type { Affine } from '../fold.js';
import { type WindowParams, poolOutputSize } from '../../ops/params.js';

type NCHW = readonly [number, number, number, number];

/**
 * Sign bits NHWC [N, H, W, words] of v = x * scale + shift (or x), and A = mean_c |v| when
 * asked. Channel by channel, so that x is read in order (per pixel, its channels lie a plane apart).
 */
export function packSigns(
  x: Float32Array,
  [n, c, h, w]: NCHW,
  affine: Affine | undefined,
  bits: Uint32Array,
  meanAbs: Float32Array | undefined,
): void {
  const words = wordsFor(c);
  const plane = h * w;
  const absSums = meanAbs && new Float64Array(plane);
  bits.fill(0, 0, n * plane * words);
  for (let b = 0; b < n; b++) {
    absSums?.fill(0);
    for (let ch = 0; ch < c; ch++) {
      const [scale, shift] = affine ? [affine.scale[ch]!, affine.shift[ch]!] : [1, 0];
      const [bit, word, from] = [1 << (ch & 31), b * plane * words + (ch >>> 5), (b * c + ch) * plane];
      for (let p = 0; p < plane; p++) {
        const v = affine ? x[from + p]! * scale + shift : x[from + p]!;
        if (v >= 0) bits[word + p * words]! |= bit;
        if (absSums) absSums[p]! += Math.abs(v);
      }
    }
    if (meanAbs && absSums) for (let p = 0; p < plane; p++) meanAbs[b * plane + p] = absSums[p]! / c;
  }
}

export interface ConvShape {
  input: NCHW;
  cout: number;
  window: WindowParams;
  ho: number;
  wo: number;
}

/** K of output pixel (b, i, j): mean |x| over its real taps, divided by all kh * kw taps (semantics.md). */
function boxMean(meanAbs: Float32Array, s: ConvShape, b: number, i: number, j: number): number {
  const [, , h, w] = s.input;
  const [kh, kw] = s.window.kernel;
  const y0 = i * s.window.stride[0] - s.window.padding[0];
  const x0 = j * s.window.stride[1] - s.window.padding[1];
  let k = 0;
  for (let y = Math.max(0, y0); y < Math.min(h, y0 + kh); y++) {
    for (let x = Math.max(0, x0); x < Math.min(w, x0 + kw); x++) k += meanAbs[(b * h + y) * w + x]!;
  }
  return k / (kh * kw);
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
  const { scale, shift } = epilogue;
  const plane = s.ho * s.wo;
  for (let b = 0, m = 0; b < s.input[0]; b++) {
    for (let p = 0; p < plane; p++, m++) {
      const k = meanAbs ? boxMean(meanAbs, s, b, Math.floor(p / s.wo), p % s.wo) : 1;
      const [row, at] = [m * s.cout, b * s.cout * plane + p];
      for (let o = 0; o < s.cout; o++) {
        const z = scale[o]! * (k * sums[row + o]!) + shift[o]!;
        out[at + o * plane] = relu && z < 0 ? 0 : z;
      }
    }
  }
}

/**
 * Max (padding -inf) or average (padded zeros counted: semantics.md) pooling of NCHW `x` into
 * [N, C, Ho, Wo], taps in the reference's order, so the same floats come out.
 */
export function pool(x: Float32Array, [n, c, h, w]: NCHW, kind: 'max' | 'avg', window: WindowParams, out: Float32Array): void {
  const [kh, kw] = window.kernel;
  const [sh, sw] = window.stride;
  const [ph, pw] = window.padding;
  const [ho, wo] = poolOutputSize([h, w], window, 'pool');
  for (let p = 0, at = 0; p < n * c; p++) {
    const plane = p * h * w;
    for (let i = 0; i < ho; i++) {
      const [y0, y1] = [Math.max(0, i * sh - ph), Math.min(h, i * sh - ph + kh)];
      for (let j = 0; j < wo; j++, at++) {
        const [x0, x1] = [Math.max(0, j * sw - pw), Math.min(w, j * sw - pw + kw)];
        let acc = kind === 'max' ? -Infinity : 0;
        for (let y = y0; y < y1; y++) {
          for (let xx = x0; xx < x1; xx++) {
            const v = x[plane + y * w + xx]!;
            acc = kind === 'max' ? Math.max(acc, v) : acc + v;
          }
        }
        out[at] = kind === 'max' ? acc : acc / (kh * kw);
      }
    }
  }
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
