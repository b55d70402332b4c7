/** add: the elementwise sum of two or more inputs of one shape (a residual shortcut). */
import { Tensor, formatShape } from '../tensor/tensor.js';
import { type OpDef, sameShape, weightlessOp } from './op.js';
import { zerosLike } from './training.js';

export interface AddAttrs {
  op: 'add';
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

export const addOp: OpDef<AddAttrs> = weightlessOp({
  op: 'add',
  attributes: [],
  inputs: 'many',
  parse: () => ({ op: 'add' }),
  outputShape: (_a, inputs, fail) => {
    if (inputs.length < 2) fail(`add needs at least two inputs in "in", got ${inputs.length}`);
    const [x] = inputs as [readonly number[]];
    if (inputs.some((other) => formatShape(other) !== formatShape(x)))
      fail(`add inputs differ in shape: ${inputs.map(formatShape).join(' vs ')}`);
    return sameShape('add', x, fail);
  },
  reference: ([x, ...rest]) => rest.reduce((sum, t) => add(sum, t), x!),
  train: {
    trainable: () => [],
    forward: (inputs) => {
      const [first] = inputs as [(typeof inputs)[0]];
      const sum = zerosLike(first.data, first.data.length);
      for (const { data } of inputs) for (let i = 0; i < sum.length; i++) sum[i]! += data[i]!;
      return { output: { data: sum, shape: first.shape }, saved: inputs.length };
    },
    // Every input receives the output's gradient.
    backward: (dy, count) => ({ inputs: Array.from({ length: count as number }, () => dy), params: {} }),
  },
});
