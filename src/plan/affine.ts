/**
 * Folding per-channel affine maps (bias, alpha, batchnorm) into the scale/shift pairs the
 * kernels take: y = scale * x + shift.
 */
import type { LayerWeights } from '../model/weights.js';

export interface Affine {
  scale: Float32Array;
  shift: Float32Array;
}

type BatchNorm = Extract<LayerWeights, { kind: 'batchnorm' }>;

/** batchnorm as y = s * x + t: s = weight / sqrt(var + eps), t = bias - mean * s. */
export function batchnormAffine(bn: BatchNorm): Affine {
  const scale = bn.runningVar.map((v, c) => (bn.weight ? bn.weight[c]! : 1) / Math.sqrt(v + bn.eps));
  const shift = scale.map((s, c) => (bn.bias ? bn.bias[c]! : 0) - bn.runningMean[c]! * s);
  return { scale, shift };
}

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
