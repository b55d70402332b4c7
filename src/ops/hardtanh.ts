/** hardtanh: clamp(x, min, max), PyTorch's Hardtanh (default range [-1, 1]). */
import { Tensor } from '../tensor/tensor.js';
import { type OpDef, sameShape, weightlessOp } from './op.js';
import { elementwiseTraining } from './training.js';

export interface HardtanhAttrs {
  op: 'hardtanh';
  min: number;
  max: number;
}

export function hardtanh(x: Tensor<Float32Array>, min = -1, max = 1): Tensor<Float32Array> {
  if (!(min < max)) throw new RangeError(`hardtanh: min (${min}) must be below max (${max})`);
  return new Tensor(
    x.data.map((v) => Math.min(max, Math.max(min, v))),
    x.shape,
  );
}

export const hardtanhOp: OpDef<HardtanhAttrs> = weightlessOp({
  op: 'hardtanh',
  attributes: ['min', 'max'],
  inputs: 'one',
  parse: (r) => {
    const min = r.number('min', -1, () => true, 'a number');
    const max = r.number('max', 1, (v) => v > min, `a number above min (${min})`);
    return { op: 'hardtanh', min, max };
  },
  outputShape: (_a, [x], fail) => sameShape('hardtanh', x!, fail),
  reference: ([x], a) => hardtanh(x!, a.min, a.max),
  // PyTorch's gradient is 1 strictly inside (min, max), 0 at and beyond the bounds.
  train: elementwiseTraining<HardtanhAttrs>(
    (v, a) => Math.min(a.max, Math.max(a.min, v)),
    (v, a) => (v > a.min && v < a.max ? 1 : 0),
  ),
});
