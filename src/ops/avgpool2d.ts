/** avgpool2d: the mean of each window, padded zeros counted in the divisor (count_include_pad = true). */
import type { Tensor } from '../tensor/tensor.js';
import { poolWindows, windowedPoolOp } from './pooling.js';
import type { WindowParams } from './window.js';

export function avgpool2d(x: Tensor<Float32Array>, window: WindowParams): Tensor<Float32Array> {
  return poolWindows(x, window, 'avgpool2d', 0, (values) => values.reduce((a, b) => a + b, 0) / values.length);
}

export const avgpool2dOp = windowedPoolOp('avgpool2d', avgpool2d, 'avg');
export type Avgpool2dAttrs = ReturnType<typeof avgpool2dOp.parse>;
