/** What the windowed pooling ops (maxpool2d, avgpool2d) share: attributes, shape rule, the reference loop. */
import { Tensor, nchwDims } from '../tensor/tensor.js';
import { type AttrReader, type OpDef, guarded, imageInput, weightlessOp } from './op.js';
import { type WindowParams, poolOutputSize } from './window.js';

export interface PoolAttrs<Op extends string> extends WindowParams {
  op: Op;
}

/** Runs `reduce` over each window's values (PyTorch semantics, ceil_mode = false); padded positions are passed as `padValue`. */
export function poolWindows(
  x: Tensor<Float32Array>,
  window: WindowParams,
  what: string,
  padValue: number,
  reduce: (values: number[]) => number,
): Tensor<Float32Array> {
  const [n, c, h, w] = nchwDims(x, what);
  const { kernel, stride, padding } = window;
  const [ho, wo] = poolOutputSize([h, w], window, what);
  const out = new Float32Array(n * c * ho * wo);
  for (let plane = 0; plane < n * c; plane++) {
    for (let i = 0; i < ho; i++) {
      for (let j = 0; j < wo; j++) {
        const values: number[] = [];
        for (let u = 0; u < kernel[0]; u++) {
          for (let v = 0; v < kernel[1]; v++) {
            const y = i * stride[0] + u - padding[0];
            const xx = j * stride[1] + v - padding[1];
            const inside = y >= 0 && y < h && xx >= 0 && xx < w;
            values.push(inside ? x.data[(plane * h + y) * w + xx]! : padValue);
          }
        }
        out[(plane * ho + i) * wo + j] = reduce(values);
      }
    }
  }
  return new Tensor(out, [n, c, ho, wo]);
}

/** The op definition of a windowed pooling op, given its reference. */
export function windowedPoolOp<Op extends string>(
  op: Op,
  reference: (x: Tensor<Float32Array>, window: WindowParams) => Tensor<Float32Array>,
): OpDef<PoolAttrs<Op>> {
  return weightlessOp({
    op,
    attributes: ['kernel', 'stride', 'padding'],
    inputs: 'one',
    parse: (r: AttrReader) => ({
      op,
      kernel: r.pair('kernel', undefined, 1),
      stride: r.pair('stride', 1, 1),
      padding: r.pair('padding', 0, 0),
    }),
    outputShape: (a, [x], fail) => {
      const [c, h, w] = imageInput(op, x!, fail);
      return [c, ...guarded(() => poolOutputSize([h, w], a, op), fail)];
    },
    reference: ([x], a) => reference(x!, a),
  });
}
