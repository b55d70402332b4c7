/** relu: max(x, 0). */
import { Tensor } from '../tensor/tensor.js';
import { type OpDef, sameShape, weightlessOp } from './op.js';
import { elementwiseTraining } from './training.js';

export interface ReluAttrs {
  op: 'relu';
}

export function relu(x: Tensor<Float32Array>): Tensor<Float32Array> {
  return new Tensor(
    x.data.map((v) => (v > 0 ? v : 0)),
    x.shape,
  );
}

export const reluOp: OpDef<ReluAttrs> = weightlessOp({
  op: 'relu',
  attributes: [],
  inputs: 'one',
  parse: () => ({ op: 'relu' }),
  outputShape: (_a, [x], fail) => sameShape('relu', x!, fail),
  reference: ([x]) => relu(x!),
  // PyTorch's gradient at 0 is 0.
  train: elementwiseTraining(
    (v) => (v > 0 ? v : 0),
    (v) => (v > 0 ? 1 : 0),
  ),
});
