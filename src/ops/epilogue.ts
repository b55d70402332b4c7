/**
 * What follows a convolution's accumulation, the same on every backend (semantics.md):
 *   z = scale[o] * K * acc + shift[o], then relu if set,
 * where a layer's own alpha (binary) and bias, and a batchnorm after it, fold into scale and
 * shift, and K is the XNOR input scale: the box mean of A = mean_c |x| over the window's taps.
 * Also the per-channel affine maps and activations the elementwise passes apply.
 */
import type { ConvGeometry } from './conv.js';

/** A per-channel affine map y = scale[c] * x + shift[c]. */
export interface Affine {
  scale: Float32Array;
  shift: Float32Array;
}

export interface Epilogue extends Affine {
  relu: boolean;
}

export type Activation = { kind: 'none' } | { kind: 'relu' } | { kind: 'hardtanh'; min: number; max: number };

/** The affine map `then(first(x))`. */
export function compose(first: Affine, then: Affine): Affine {
  return {
    scale: first.scale.map((s, c) => s * then.scale[c]!),
    shift: first.shift.map((t, c) => t * then.scale[c]! + then.shift[c]!),
  };
}

/** A layer's own epilogue: scale = alpha (binary) or 1, shift = bias or 0. */
export function layerAffine(channels: number, alpha: Float32Array | undefined, bias: Float32Array | undefined): Affine {
  return {
    scale: alpha ? Float32Array.from(alpha) : new Float32Array(channels).fill(1),
    shift: bias ? Float32Array.from(bias) : new Float32Array(channels),
  };
}

/**
 * The epilogue of one output pixel: for every output channel o, z = scale[o] * (K * sums[row +
 * o]) + shift[o], relu'd when set, into out[at + o * stride]. A whole row per call, with no
 * call per value, since the CPU backend runs it for every output of every conv.
 */
export function epilogueRow(
  e: Epilogue,
  k: number,
  sums: ArrayLike<number>,
  row: number,
  out: Float32Array,
  at: number,
  stride: number,
): void {
  const { scale, shift } = e;
  if (e.relu) {
    for (let o = 0; o < scale.length; o++) out[at + o * stride] = relu(scale[o]! * (k * sums[row + o]!) + shift[o]!);
  } else {
    for (let o = 0; o < scale.length; o++) out[at + o * stride] = scale[o]! * (k * sums[row + o]!) + shift[o]!;
  }
}

/**
 * max(v, 0) as (v + |v|) / 2: exactly v for v >= 0 (2v and its half are exact in float64 for
 * any value from float32 arithmetic) and +0 below, with no branch on the value. A branch taken
 * on the sign of each value is mispredicted about half the time on a network's activations,
 * and cost 3x the whole loop (bench/RESULTS.md). -Infinity (only from a float32 overflow
 * upstream) gives NaN: non-finite values take different paths in each backend (semantics.md).
 */
export function relu(v: number): number {
  return (v + Math.abs(v)) * 0.5;
}

/**
 * K of output pixel (b, i, j): the sum of A [N, H, W] over the window's taps that fall inside
 * the input (padding contributes 0), divided by all kh * kw taps.
 */
export function inputScaleAt(meanAbs: ArrayLike<number>, g: ConvGeometry, b: number, i: number, j: number): number {
  const y0 = i * g.stride[0] - g.padding[0];
  const x0 = j * g.stride[1] - g.padding[1];
  let k = 0;
  for (let y = Math.max(0, y0); y < Math.min(g.h, y0 + g.kh); y++) {
    for (let x = Math.max(0, x0); x < Math.min(g.w, x0 + g.kw); x++) k += meanAbs[(b * g.h + y) * g.w + x]!;
  }
  return k / (g.kh * g.kw);
}

/** v after an activation. */
export function activate(a: Activation, v: number): number {
  if (a.kind === 'relu') return relu(v);
  if (a.kind === 'hardtanh') return Math.min(a.max, Math.max(a.min, v));
  return v;
}
