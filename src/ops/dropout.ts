/**
 * dropout: the identity at inference; in training it zeroes each value with probability p and
 * scales the kept ones by 1 / (1 - p) (semantics.md), with the trainer's seeded generator.
 * `p` (default 0.5, PyTorch's) is an xnornet attribute that only training reads.
 */
import type { Tensor } from '../tensor/tensor.js';
import { type OpDef, sameShape, weightlessOp } from './op.js';
import { zerosLike } from './training.js';

export interface DropoutAttrs {
  op: 'dropout';
  p: number;
}

export function dropout(x: Tensor<Float32Array>): Tensor<Float32Array> {
  return x;
}

export const dropoutOp: OpDef<DropoutAttrs> = weightlessOp({
  op: 'dropout',
  attributes: ['p'],
  inputs: 'one',
  parse: (r) => ({ op: 'dropout', p: r.number('p', 0.5, (v) => v >= 0 && v < 1, 'a probability in [0, 1)') }),
  outputShape: (_a, [x], fail) => sameShape('dropout', x!, fail),
  reference: ([x]) => dropout(x!),
  train: {
    trainable: () => [],
    forward: ([x], a, _params, { rng, training }) => {
      if (!training || a.p === 0) return { output: x!, saved: undefined };
      const keep = 1 / (1 - a.p);
      const mask = zerosLike(x!.data, x!.data.length);
      for (let i = 0; i < mask.length; i++) mask[i] = rng.next() < a.p ? 0 : keep;
      return { output: { data: x!.data.map((v, i) => v * mask[i]!), shape: x!.shape }, saved: mask };
    },
    backward: (dy, mask) => ({ inputs: [mask ? dy.map((v, i) => v * (mask as Float32Array)[i]!) : dy], params: {} }),
  },
});
