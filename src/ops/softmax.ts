/** softmax over dimension 1 (the classes of [N, F]; the channels of [N, C, H, W]). */
import { Tensor } from '../tensor/tensor.js';
import { channelLayout } from './channels.js';
import { type OpDef, sameShape, weightlessOp } from './op.js';

export interface SoftmaxAttrs {
  op: 'softmax';
}

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

export const softmaxOp: OpDef<SoftmaxAttrs> = weightlessOp({
  op: 'softmax',
  attributes: [],
  inputs: 'one',
  parse: () => ({ op: 'softmax' }),
  outputShape: (_a, [x], fail) => sameShape('softmax', x!, fail),
  reference: ([x]) => softmax(x!),
});
