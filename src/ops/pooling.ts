/** What the windowed pooling ops (maxpool2d, avgpool2d) share: attributes, shape rule, the reference loop. */
import { Tensor, nchwDims } from '../tensor/tensor.js';
import { type AttrReader, type OpDef, guarded, imageInput, weightlessOp } from './op.js';
import { type Floats, type OpTraining, zerosLike } from './training.js';
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

/**
 * Training passes of a pooling op. max: the gradient goes to the window's first maximum
 * (PyTorch's choice on ties); padded positions (-inf) never win. avg: each inside position
 * gets dy / (kh * kw), padded zeros counted in the divisor (count_include_pad).
 */
export function poolTraining<A>(kind: 'max' | 'avg', windowOf: (a: A, shape: readonly number[]) => WindowParams): OpTraining<A> {
  /**
   * Calls visit(out, y0, y1, x0, x1, plane) for each output element with its window's rows
   * [y0, y1) and columns [x0, x1) clipped to the input (the padding left out).
   */
  const windows = (
    shape: readonly number[],
    window: WindowParams,
    visit: (out: number, y0: number, y1: number, x0: number, x1: number, plane: number) => void,
  ) => {
    const [n, c, h, w] = shape as [number, number, number, number];
    const [ho, wo] = poolOutputSize([h, w], window, `${kind}pool training`);
    const { kernel, stride, padding } = window;
    for (let plane = 0, out = 0; plane < n * c; plane++) {
      for (let i = 0; i < ho; i++) {
        const top = i * stride[0] - padding[0];
        const [y0, y1] = [Math.max(0, top), Math.min(h, top + kernel[0])];
        for (let j = 0; j < wo; j++, out++) {
          const left = j * stride[1] - padding[1];
          visit(out, y0, y1, Math.max(0, left), Math.min(w, left + kernel[1]), plane * h * w);
        }
      }
    }
    return [n, c, ho, wo];
  };
  return {
    trainable: () => [],
    forward: ([x], a) => {
      const window = windowOf(a, x!.shape);
      const [n, c, h, w] = x!.shape as number[];
      const [ho, wo] = poolOutputSize([h!, w!], window, `${kind}pool training`);
      const data = x!.data;
      const out = zerosLike(data, n! * c! * ho * wo);
      const argmax = kind === 'max' ? new Int32Array(out.length) : undefined;
      const taps = window.kernel[0] * window.kernel[1];
      const shape = windows(x!.shape, window, (o, y0, y1, x0, x1, plane) => {
        if (argmax) {
          let best = plane + y0 * w! + x0;
          for (let y = y0; y < y1; y++)
            for (let k = plane + y * w! + x0, end = k + x1 - x0; k < end; k++) if (data[k]! > data[best]!) best = k;
          argmax[o] = best;
          out[o] = data[best]!;
        } else {
          let sum = 0;
          for (let y = y0; y < y1; y++) for (let k = plane + y * w! + x0, end = k + x1 - x0; k < end; k++) sum += data[k]!;
          out[o] = sum / taps;
        }
      });
      return { output: { data: out, shape }, saved: { shape: x!.shape, window, argmax } };
    },
    backward: (dy, saved) => {
      const { shape, window, argmax } = saved as { shape: readonly number[]; window: WindowParams; argmax: Int32Array | undefined };
      const dx: Floats = zerosLike(
        dy,
        shape.reduce((p, d) => p * d, 1),
      );
      const taps = window.kernel[0] * window.kernel[1];
      const w = shape[3]!;
      if (argmax) for (let o = 0; o < dy.length; o++) dx[argmax[o]!]! += dy[o]!;
      else {
        windows(shape, window, (o, y0, y1, x0, x1, plane) => {
          const share = dy[o]! / taps;
          for (let y = y0; y < y1; y++) for (let k = plane + y * w + x0, end = k + x1 - x0; k < end; k++) dx[k]! += share;
        });
      }
      return { inputs: [dx], params: {} };
    },
  };
}

/** The op definition of a windowed pooling op, given its reference. */
export function windowedPoolOp<Op extends string>(
  op: Op,
  reference: (x: Tensor<Float32Array>, window: WindowParams) => Tensor<Float32Array>,
  kind: 'max' | 'avg',
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
    train: poolTraining<PoolAttrs<Op>>(kind, (a) => a),
  });
}
