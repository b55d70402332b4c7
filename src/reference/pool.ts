/** Float reference for pooling (PyTorch semantics, ceil_mode = false). */
import { Tensor, nchwDims } from '../tensor/tensor.js';
import { type WindowParams, poolOutputSize } from '../ops/window.js';

/** Runs `reduce` over each window's values; padded positions are passed as `padValue`. */
function pool(
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

/** Pads with -inf. */
export function maxpool2d(x: Tensor<Float32Array>, window: WindowParams): Tensor<Float32Array> {
  return pool(x, window, 'maxpool2d', -Infinity, (values) => Math.max(...values));
}

/** count_include_pad = true: padded zeros count in the divisor. */
export function avgpool2d(x: Tensor<Float32Array>, window: WindowParams): Tensor<Float32Array> {
  return pool(x, window, 'avgpool2d', 0, (values) => values.reduce((a, b) => a + b, 0) / values.length);
}

/** Mean over H and W: [N, C, H, W] -> [N, C, 1, 1] (PyTorch AdaptiveAvgPool2d(1)). */
export function globalavgpool(x: Tensor<Float32Array>): Tensor<Float32Array> {
  const [, , h, w] = nchwDims(x, 'globalavgpool');
  return avgpool2d(x, { kernel: [h, w], stride: [1, 1], padding: [0, 0] });
}
