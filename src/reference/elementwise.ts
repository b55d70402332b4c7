/** Float reference for the per-element and per-channel ops (PyTorch semantics). */
import { Tensor, formatShape } from '../tensor/tensor.js';

export interface BatchNormParams {
  runningMean: Float32Array;
  runningVar: Float32Array;
  /** Absent when affine: false (weight = 1, bias = 0). */
  weight?: Float32Array | undefined;
  bias?: Float32Array | undefined;
  eps: number;
}

/** Channels are dimension 1 of [N, C] or [N, C, H, W]; `inner` is the elements per channel. */
function channelLayout(x: Tensor, what: string): { channels: number; inner: number } {
  if (x.rank < 2) throw new RangeError(`${what}: expected [N, C, ...], got shape ${formatShape(x.shape)}`);
  const channels = x.shape[1]!;
  return { channels, inner: x.shape.slice(2).reduce((a, b) => a * b, 1) };
}

/** y = (x - mean) / sqrt(var + eps) * weight + bias, per channel. */
export function batchnorm(x: Tensor<Float32Array>, p: BatchNormParams): Tensor<Float32Array> {
  const { channels, inner } = channelLayout(x, 'batchnorm');
  for (const [name, arr] of Object.entries({ running_mean: p.runningMean, running_var: p.runningVar, weight: p.weight, bias: p.bias })) {
    if (arr && arr.length !== channels) {
      throw new RangeError(`batchnorm: ${name} has ${arr.length} values but the input has ${channels} channels`);
    }
  }
  const out = new Float32Array(x.size);
  for (let k = 0; k < x.size; k++) {
    const c = Math.floor(k / inner) % channels;
    const normalized = (x.data[k]! - p.runningMean[c]!) / Math.sqrt(p.runningVar[c]! + p.eps);
    out[k] = normalized * (p.weight ? p.weight[c]! : 1) + (p.bias ? p.bias[c]! : 0);
  }
  return new Tensor(out, x.shape);
}

export function relu(x: Tensor<Float32Array>): Tensor<Float32Array> {
  return new Tensor(
    x.data.map((v) => (v > 0 ? v : 0)),
    x.shape,
  );
}

/** PyTorch Hardtanh, default range [-1, 1]. */
export function hardtanh(x: Tensor<Float32Array>, min = -1, max = 1): Tensor<Float32Array> {
  if (!(min < max)) throw new RangeError(`hardtanh: min (${min}) must be below max (${max})`);
  return new Tensor(
    x.data.map((v) => Math.min(max, Math.max(min, v))),
    x.shape,
  );
}

export function add(a: Tensor<Float32Array>, b: Tensor<Float32Array>): Tensor<Float32Array> {
  if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) {
    throw new RangeError(`add: shapes ${formatShape(a.shape)} and ${formatShape(b.shape)} differ`);
  }
  return new Tensor(
    a.data.map((v, i) => v + b.data[i]!),
    a.shape,
  );
}

/** Keeps N and flattens C, H, W in that order. */
export function flatten(x: Tensor<Float32Array>): Tensor<Float32Array> {
  if (x.rank < 1) throw new RangeError('flatten: expected a tensor with a batch dimension');
  const n = x.shape[0]!;
  return x.reshape([n, n === 0 ? 0 : x.size / n]);
}

/** Identity at inference. */
export function dropout(x: Tensor<Float32Array>): Tensor<Float32Array> {
  return x;
}

/** Softmax over dimension 1 (the classes of [N, F]; the channels of [N, C, H, W]). */
export function softmax(x: Tensor<Float32Array>): Tensor<Float32Array> {
  const { channels, inner } = channelLayout(x, 'softmax');
  const out = new Float32Array(x.size);
  const n = x.shape[0]!;
  for (let b = 0; b < n; b++) {
    for (let p = 0; p < inner; p++) {
      const at = (c: number) => (b * channels + c) * inner + p;
      let max = -Infinity;
      for (let c = 0; c < channels; c++) max = Math.max(max, x.data[at(c)]!);
      let sum = 0;
      for (let c = 0; c < channels; c++) sum += Math.exp(x.data[at(c)]! - max);
      for (let c = 0; c < channels; c++) out[at(c)] = Math.exp(x.data[at(c)]! - max) / sum;
    }
  }
  return new Tensor(out, x.shape);
}
