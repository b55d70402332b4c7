/** flatten: keeps N and flattens C, H, W in that order; a view, no data moves. */
import { type Tensor, shapeSize } from '../tensor/tensor.js';
import { type OpDef, weightlessOp } from './op.js';
import { viewTraining } from './training.js';

export interface FlattenAttrs {
  op: 'flatten';
}

export function flatten(x: Tensor<Float32Array>): Tensor<Float32Array> {
  if (x.rank < 1) throw new RangeError('flatten: expected a tensor with a batch dimension');
  const n = x.shape[0]!;
  return x.reshape([n, n === 0 ? 0 : x.size / n]);
}

export const flattenOp: OpDef<FlattenAttrs> = weightlessOp({
  op: 'flatten',
  attributes: [],
  inputs: 'one',
  parse: () => ({ op: 'flatten' }),
  outputShape: (_a, [x]) => [shapeSize(x!)],
  reference: ([x]) => flatten(x!),
  train: viewTraining((x) => [x.shape[0]!, shapeSize(x.shape.slice(1))]),
});
