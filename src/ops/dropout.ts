/** dropout: the identity at inference. */
import type { Tensor } from '../tensor/tensor.js';
import { type OpDef, sameShape, weightlessOp } from './op.js';

export interface DropoutAttrs {
  op: 'dropout';
}

export function dropout(x: Tensor<Float32Array>): Tensor<Float32Array> {
  return x;
}

export const dropoutOp: OpDef<DropoutAttrs> = weightlessOp({
  op: 'dropout',
  attributes: [],
  inputs: 'one',
  parse: () => ({ op: 'dropout' }),
  outputShape: (_a, [x], fail) => sameShape('dropout', x!, fail),
  reference: ([x]) => dropout(x!),
});
