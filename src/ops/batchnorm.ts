/** batchnorm: per-channel normalisation with running statistics (inference; semantics.md). */
import { Tensor } from '../tensor/tensor.js';
import { channelLayout } from './channels.js';
import type { Affine } from './epilogue.js';
import { NO_COST, type OpDef, type WeightsOfKind, sameShape } from './op.js';
import { type Floats, type OpTraining, zerosLike } from './training.js';

/** PyTorch's BatchNorm momentum: running = (1 - m) * running + m * batch statistic. */
export const BATCHNORM_MOMENTUM = 0.1;

interface BatchnormSaved {
  /** x normalised: (x - mean) / sqrt(var + eps). */
  xhat: Floats;
  invStd: Float64Array;
  channels: number;
  inner: number;
}

/**
 * Training mode normalises with the batch's mean and biased variance over (N, H, W) and moves
 * the running statistics towards the mean and the unbiased variance; evaluation (ctx.training
 * false) is inference with the running statistics.
 */
const batchnormTraining: OpTraining<BatchnormAttrs> = {
  trainable: (a) => (a.affine ? ['weight', 'bias'] : []),
  forward: ([x], a, params, { training }) => {
    const { channels, inner } = channelLayout(x!, 'batchnorm');
    const n = x!.shape[0]!;
    const count = n * inner;
    const mean = params['running_mean']!;
    const variance = params['running_var']!;
    const at = (b: number, c: number) => (b * channels + c) * inner;
    const xhat = zerosLike(x!.data, x!.data.length);
    const y = zerosLike(x!.data, x!.data.length);
    const invStd = new Float64Array(channels);
    for (let c = 0; c < channels; c++) {
      let m = mean[c]!;
      let v = variance[c]!;
      if (training) {
        let sum = 0;
        for (let b = 0; b < n; b++) for (let k = at(b, c), end = k + inner; k < end; k++) sum += x!.data[k]!;
        m = sum / count;
        let squares = 0;
        for (let b = 0; b < n; b++) for (let k = at(b, c), end = k + inner; k < end; k++) squares += (x!.data[k]! - m) ** 2;
        v = squares / count;
        mean[c] = (1 - BATCHNORM_MOMENTUM) * mean[c]! + BATCHNORM_MOMENTUM * m;
        variance[c] = (1 - BATCHNORM_MOMENTUM) * variance[c]! + BATCHNORM_MOMENTUM * (count > 1 ? (v * count) / (count - 1) : v);
      }
      invStd[c] = 1 / Math.sqrt(v + a.eps);
      const scale = a.affine ? params['weight']![c]! : 1;
      const shift = a.affine ? params['bias']![c]! : 0;
      for (let b = 0; b < n; b++) {
        for (let k = at(b, c), end = k + inner; k < end; k++) {
          xhat[k] = (x!.data[k]! - m) * invStd[c]!;
          y[k] = xhat[k]! * scale + shift;
        }
      }
    }
    const saved: BatchnormSaved = { xhat, invStd, channels, inner };
    return { output: { data: y, shape: x!.shape }, saved };
  },
  // dx = invStd / count * (count * g - sum g - xhat * sum(g * xhat)), g = dy * weight.
  backward: (dy, savedValue, a, params) => {
    const { xhat, invStd, channels, inner } = savedValue as BatchnormSaved;
    const n = dy.length / (channels * inner);
    const count = n * inner;
    const dx = zerosLike(dy, dy.length);
    const dweight = zerosLike(dy, channels);
    const dbias = zerosLike(dy, channels);
    const at = (b: number, c: number) => (b * channels + c) * inner;
    for (let c = 0; c < channels; c++) {
      let sum = 0;
      let dot = 0;
      for (let b = 0; b < n; b++) {
        for (let k = at(b, c), end = k + inner; k < end; k++) {
          sum += dy[k]!;
          dot += dy[k]! * xhat[k]!;
        }
      }
      dweight[c] = dot;
      dbias[c] = sum;
      const scale = a.affine ? params['weight']![c]! : 1;
      const factor = (scale * invStd[c]!) / count;
      for (let b = 0; b < n; b++) {
        for (let k = at(b, c), end = k + inner; k < end; k++) dx[k] = factor * (count * dy[k]! - sum - xhat[k]! * dot);
      }
    }
    const grads: Record<string, Floats> = a.affine ? { weight: dweight, bias: dbias } : {};
    return { inputs: [dx], params: grads };
  },
};

export interface BatchnormAttrs {
  op: 'batchnorm';
  eps: number;
  affine: boolean;
}

export type BatchNormParams = Pick<WeightsOfKind<'batchnorm'>, 'runningMean' | 'runningVar' | 'eps'> & {
  weight?: Float32Array | undefined;
  bias?: Float32Array | undefined;
};

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

/** The batchnorm as y = s * x + t (s = weight / sqrt(var + eps), t = bias - mean * s), for folding into other passes. */
export function batchnormAffine(bn: BatchNormParams): Affine {
  const scale = bn.runningVar.map((v, c) => (bn.weight ? bn.weight[c]! : 1) / Math.sqrt(v + bn.eps));
  const shift = scale.map((s, c) => (bn.bias ? bn.bias[c]! : 0) - bn.runningMean[c]! * s);
  return { scale, shift };
}

export const batchnormOp: OpDef<BatchnormAttrs, WeightsOfKind<'batchnorm'>> = {
  op: 'batchnorm',
  attributes: ['eps', 'affine'],
  inputs: 'one',
  parse: (r) => ({ op: 'batchnorm', eps: r.number('eps', 1e-5, (v) => v > 0, 'a positive number'), affine: r.bool('affine', true) }),
  outputShape: (_a, [x], fail) => sameShape('batchnorm', x!, fail),
  tensors: (a, [c]) => [
    ...(a.affine
      ? [
          { suffix: 'weight', shape: [c!], role: 'bn-weight' as const },
          { suffix: 'bias', shape: [c!], role: 'bn-bias' as const },
        ]
      : []),
    { suffix: 'running_mean', shape: [c!], role: 'running-mean' },
    { suffix: 'running_var', shape: [c!], role: 'running-var' },
  ],
  weights: (a, [c], source) => {
    const runningVar = source.float('running_var', [c!]);
    const negative = runningVar.findIndex((v) => v < 0);
    if (negative >= 0) source.fail(`element ${negative} is negative`, 'running_var');
    return {
      kind: 'batchnorm',
      runningMean: source.float('running_mean', [c!]),
      runningVar,
      weight: a.affine ? source.float('weight', [c!]) : undefined,
      bias: a.affine ? source.float('bias', [c!]) : undefined,
      eps: a.eps,
    };
  },
  cost: (a, [c]) => ({
    ...NO_COST,
    params: a.affine ? 2 * c! : 0,
    floatBytes: 4 * c! * (a.affine ? 4 : 2),
    packedBytes: 4 * c! * (a.affine ? 4 : 2),
  }),
  reference: ([x], _a, w) => batchnorm(x!, w),
  train: batchnormTraining,
};
