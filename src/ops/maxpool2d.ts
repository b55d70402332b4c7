/** maxpool2d: the maximum of each window, padding as -inf (PyTorch MaxPool2d). */
import type { Tensor } from '../tensor/tensor.js';
import { poolWindows, windowedPoolOp } from './pooling.js';
import type { WindowParams } from './window.js';

export function maxpool2d(x: Tensor<Float32Array>, window: WindowParams): Tensor<Float32Array> {
  return poolWindows(x, window, 'maxpool2d', -Infinity, (values) => Math.max(...values));
}

export const maxpool2dOp = windowedPoolOp('maxpool2d', maxpool2d, 'max');
export type Maxpool2dAttrs = ReturnType<typeof maxpool2dOp.parse>;
