/** softmax over dimension 1 (the classes of [N, F]; the channels of [N, C, H, W]). */
import { Tensor } from '../tensor/tensor.js';
import { channelLayout } from './channels.js';
import { type OpDef, sameShape, weightlessOp } from './op.js';
import { type Floats, zerosLike } from './training.js';

export interface SoftmaxAttrs {
  op: 'softmax';
}

export function softmax(x: Tensor<Float32Array>): Tensor<Float32Array> {
  return new Tensor(softmaxOf(x.data, x.shape) as Float32Array, x.shape);
}

/** softmax over dimension 1 in the precision of `data`. */
export function softmaxOf(data: Floats, shape: readonly number[]): Floats {
  const { channels, inner } = channelLayout({ shape }, 'softmax');
  const out = zerosLike(data, data.length);
  const n = shape[0]!;
  for (let b = 0; b < n; b++) {
    for (let p = 0; p < inner; p++) {
      const at = (c: number) => (b * channels + c) * inner + p;
      let max = -Infinity;
      for (let c = 0; c < channels; c++) max = Math.max(max, data[at(c)]!);
      let sum = 0;
      for (let c = 0; c < channels; c++) sum += Math.exp(data[at(c)]! - max);
      for (let c = 0; c < channels; c++) out[at(c)] = Math.exp(data[at(c)]! - max) / sum;
    }
  }
  return out;
}

export const softmaxOp: OpDef<SoftmaxAttrs> = weightlessOp({
  op: 'softmax',
  attributes: [],
  inputs: 'one',
  parse: () => ({ op: 'softmax' }),
  outputShape: (_a, [x], fail) => sameShape('softmax', x!, fail),
  reference: ([x]) => softmax(x!),
  train: {
    trainable: () => [],
    forward: ([x]) => {
      const y = softmaxOf(x!.data, x!.shape);
      return { output: { data: y, shape: x!.shape }, saved: { y, shape: x!.shape } };
    },
    // dx = y * (dy - sum_c dy * y) along the classes.
    backward: (dy, saved) => {
      const { y, shape } = saved as { y: Floats; shape: readonly number[] };
      const channels = shape[1]!;
      const inner = dy.length / (shape[0]! * channels);
      const dx = zerosLike(dy, dy.length);
      for (let b = 0; b < shape[0]!; b++) {
        for (let p = 0; p < inner; p++) {
          const at = (c: number) => (b * channels + c) * inner + p;
          let dot = 0;
          for (let c = 0; c < channels; c++) dot += dy[at(c)]! * y[at(c)]!;
          for (let c = 0; c < channels; c++) dx[at(c)] = y[at(c)]! * (dy[at(c)]! - dot);
        }
      }
      return { inputs: [dx], params: {} };
    },
  },
});
