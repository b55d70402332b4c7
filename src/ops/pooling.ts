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
  /** Calls visit(outIndex, inputIndices) for each output element, its window's inside positions in order. */
  const windows = (shape: readonly number[], window: WindowParams, visit: (out: number, inside: number[]) => void) => {
    const [n, c, h, w] = shape as [number, number, number, number];
    const [ho, wo] = poolOutputSize([h, w], window, `${kind}pool training`);
    for (let plane = 0; plane < n * c; plane++) {
      for (let i = 0; i < ho; i++) {
        for (let j = 0; j < wo; j++) {
          const inside: number[] = [];
          for (let u = 0; u < window.kernel[0]; u++) {
            const y = i * window.stride[0] + u - window.padding[0];
            for (let v = 0; v < window.kernel[1]; v++) {
              const xx = j * window.stride[1] + v - window.padding[1];
              if (y >= 0 && y < h && xx >= 0 && xx < w) inside.push((plane * h + y) * w + xx);
            }
          }
          visit((plane * ho + i) * wo + j, inside);
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
      const out = zerosLike(x!.data, n! * c! * ho * wo);
      const argmax = kind === 'max' ? new Int32Array(out.length) : undefined;
      const taps = window.kernel[0] * window.kernel[1];
      const shape = windows(x!.shape, window, (o, inside) => {
        if (argmax) {
          let best = inside[0]!;
          for (const k of inside) if (x!.data[k]! > x!.data[best]!) best = k;
          argmax[o] = best;
          out[o] = x!.data[best]!;
        } else {
          let sum = 0;
          for (const k of inside) sum += x!.data[k]!;
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
      if (argmax) for (let o = 0; o < dy.length; o++) dx[argmax[o]!]! += dy[o]!;
      else windows(shape, window, (o, inside) => inside.forEach((k) => (dx[k]! += dy[o]! / taps)));
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
