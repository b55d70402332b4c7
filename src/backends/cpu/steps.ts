/**
 * The CPU versions of the plan's steps between convolutions (src/plan/plan.ts),
 * in TypeScript over typed arrays, with the arithmetic of the WebGPU kernels. Each computes a
 * range of its output (pixels, planes or elements; all by default), so that the thread pool
 * can split it.
 */
import type { ConvGeometry } from '../../ops/conv.js';
import { type Activation, type Affine, type Epilogue, activate, epilogueRow, inputScaleAt } from '../../ops/epilogue.js';
import { type WindowParams, poolOutputSize } from '../../ops/window.js';
import { wordsFor } from '../../tensor/bits.js';
import { shapeSize } from '../../tensor/tensor.js';

type NCHW = readonly [number, number, number, number];

/**
 * Sign bits NHWC [N, H, W, words] of v = x * scale + shift (or x), and A = mean_c |v| when
 * asked, for pixels [m0, m1) of the N * H * W. Channel by channel, so that x is read in order
 * (per pixel, its channels lie a plane apart).
 */
export function packSigns(
  x: Float32Array,
  [n, c, h, w]: NCHW,
  affine: Affine | undefined,
  bits: Uint32Array,
  meanAbs: Float32Array | undefined,
  m0 = 0,
  m1 = n * h * w,
): void {
  const words = wordsFor(c);
  const plane = h * w;
  bits.fill(0, m0 * words, m1 * words);
  // No affine is scale 1, shift 0 (exact for finite x; -0 becomes +0, the same sign bit and |v|),
  // and |v| is summed even when A is not asked for: the inner loop then has no branch to take.
  const absSums = new Float64Array(Math.min(m1 - m0, plane));
  for (let b = Math.floor(m0 / plane); b * plane < m1; b++) {
    const [p0, p1] = [Math.max(m0 - b * plane, 0), Math.min(m1 - b * plane, plane)];
    absSums.fill(0);
    for (let ch = 0; ch < c; ch++) {
      const scale = affine ? affine.scale[ch]! : 1;
      const shift = affine ? affine.shift[ch]! : 0;
      const bit = 1 << (ch & 31);
      const word = b * plane * words + (ch >>> 5);
      const from = (b * c + ch) * plane;
      for (let p = p0; p < p1; p++) {
        const v = x[from + p]! * scale + shift;
        // No branch on the sign: one taken on each value is mispredicted half the time.
        bits[word + p * words]! |= bit & -(v >= 0);
        absSums[p - p0]! += Math.abs(v);
      }
    }
    if (meanAbs) for (let p = p0; p < p1; p++) meanAbs[b * plane + p] = absSums[p - p0]! / c;
  }
}

/**
 * A conv's epilogue (src/ops/epilogue.ts) from its sums [M, Cout] into NCHW, with K from mean
 * |x| for an XNOR layer with K, else 1; output pixels [m0, m1).
 */
export function convEpilogue(
  sums: ArrayLike<number>,
  meanAbs: Float32Array | undefined,
  g: ConvGeometry,
  epilogue: Epilogue,
  out: Float32Array,
  m0 = 0,
  m1 = g.n * g.ho * g.wo,
): void {
  const plane = g.ho * g.wo;
  for (let m = m0; m < m1; m++) {
    const b = Math.floor(m / plane);
    const p = m - b * plane;
    const k = meanAbs ? inputScaleAt(meanAbs, g, b, Math.floor(p / g.wo), p % g.wo) : 1;
    epilogueRow(epilogue, k, sums, m * g.cout, out, b * g.cout * plane + p, plane);
  }
}

/**
 * Max (padding -inf) or average (padded zeros counted: semantics.md) pooling of NCHW `x` into
 * [N, C, Ho, Wo], planes [planes0, planes1) of the N * C, taps in the reference's order, so
 * the same floats come out.
 */
export function pool(
  x: Float32Array,
  [n, c, h, w]: NCHW,
  kind: 'max' | 'avg',
  window: WindowParams,
  out: Float32Array,
  planes0 = 0,
  planes1 = n * c,
): void {
  const [kh, kw] = window.kernel;
  const [sh, sw] = window.stride;
  const [ph, pw] = window.padding;
  const [ho, wo] = poolOutputSize([h, w], window, 'pool');
  // One loop per kind, so that the inner loop tests nothing but its bounds.
  const max = kind === 'max';
  for (let p = planes0, at = planes0 * ho * wo; p < planes1; p++) {
    const plane = p * h * w;
    for (let i = 0; i < ho; i++) {
      const [y0, y1] = [Math.max(0, i * sh - ph), Math.min(h, i * sh - ph + kh)];
      for (let j = 0; j < wo; j++, at++) {
        const [x0, x1] = [Math.max(0, j * sw - pw), Math.min(w, j * sw - pw + kw)];
        out[at] = max ? windowMax(x, plane, w, y0, y1, x0, x1) : windowSum(x, plane, w, y0, y1, x0, x1) / (kh * kw);
      }
    }
  }
}

function windowMax(x: Float32Array, plane: number, w: number, y0: number, y1: number, x0: number, x1: number): number {
  let acc = -Infinity;
  for (let y = y0; y < y1; y++) {
    for (let i = plane + y * w + x0, end = plane + y * w + x1; i < end; i++) acc = Math.max(acc, x[i]!);
  }
  return acc;
}

function windowSum(x: Float32Array, plane: number, w: number, y0: number, y1: number, x0: number, x1: number): number {
  let acc = 0;
  for (let y = y0; y < y1; y++) {
    for (let i = plane + y * w + x0, end = plane + y * w + x1; i < end; i++) acc += x[i]!;
  }
  return acc;
}

/** v = x (* scale[c] + shift[c]) (+ other), then the activation, elements [i0, i1); channels are dimension 1. */
export function pointwise(
  x: Float32Array,
  shape: readonly number[],
  affine: Affine | undefined,
  add: Float32Array | undefined,
  activation: Activation,
  out: Float32Array,
  i0 = 0,
  i1 = shapeSize(shape),
): void {
  const channels = shape[1]!;
  const inner = shapeSize(shape.slice(2));
  // Runs of one channel (one scale and shift), each in a loop with nothing to decide per value.
  for (let run = i0; run < i1;) {
    const plane = Math.floor(run / inner);
    const end = Math.min(i1, (plane + 1) * inner);
    if (affine) {
      const [scale, shift] = [affine.scale[plane % channels]!, affine.shift[plane % channels]!];
      if (add) for (let i = run; i < end; i++) out[i] = activate(activation, x[i]! * scale + shift + add[i]!);
      else for (let i = run; i < end; i++) out[i] = activate(activation, x[i]! * scale + shift);
    } else if (add) {
      for (let i = run; i < end; i++) out[i] = activate(activation, x[i]! + add[i]!);
    } else {
      for (let i = run; i < end; i++) out[i] = activate(activation, x[i]!);
    }
    run = end;
  }
}

/** One step as the thread pool sends it: its arguments, its output on shared memory; split by `rangeOf` units. */
export type StepTask =
  | { op: 'epilogue'; sums: Int32Array | Float32Array; meanAbs?: Float32Array; conv: ConvGeometry; epilogue: Epilogue; out: Float32Array }
  | { op: 'pack'; x: Float32Array; shape: NCHW; affine?: Affine; bits: Uint32Array; meanAbs?: Float32Array }
  | { op: 'pool'; x: Float32Array; shape: NCHW; kind: 'max' | 'avg'; window: WindowParams; out: Float32Array }
  | { op: 'pointwise'; x: Float32Array; shape: number[]; affine?: Affine; add?: Float32Array; activation: Activation; out: Float32Array };

/**
 * How many units a task splits into (output pixels, input pixels, planes, elements), about how
 * many values it reads per unit (to tell whether splitting pays), and the arrays it writes.
 */
export function unitsOf(t: StepTask): { count: number; perUnit: number; writes: (Float32Array | Uint32Array)[] } {
  switch (t.op) {
    case 'epilogue':
      return { count: t.conv.n * t.conv.ho * t.conv.wo, perUnit: t.conv.cout, writes: [t.out] };
    case 'pack': {
      const [n, c, h, w] = t.shape;
      return { count: n * h * w, perUnit: c, writes: t.meanAbs ? [t.bits, t.meanAbs] : [t.bits] };
    }
    case 'pool': {
      const [n, c, h, w] = t.shape;
      return { count: n * c, perUnit: h * w, writes: [t.out] };
    }
    case 'pointwise':
      return { count: shapeSize(t.shape), perUnit: 1, writes: [t.out] };
  }
}

/** Units [from, to) of a task. */
export function runStepTask(t: StepTask, from: number, to: number): void {
  switch (t.op) {
    case 'epilogue':
      return convEpilogue(t.sums, t.meanAbs, t.conv, t.epilogue, t.out, from, to);
    case 'pack':
      return packSigns(t.x, t.shape, t.affine, t.bits, t.meanAbs, from, to);
    case 'pool':
      return pool(t.x, t.shape, t.kind, t.window, t.out, from, to);
    case 'pointwise':
      return pointwise(t.x, t.shape, t.affine, t.add, t.activation, t.out, from, to);
  }
}
