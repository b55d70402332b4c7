/** globalavgpool: the mean over H and W, [N, C, H, W] -> [N, C, 1, 1] (PyTorch AdaptiveAvgPool2d(1)). */
import { type Tensor, nchwDims } from '../tensor/tensor.js';
import { avgpool2d } from './avgpool2d.js';
import { type OpDef, imageInput, weightlessOp } from './op.js';
import { poolTraining } from './pooling.js';
import type { WindowParams } from './window.js';

export interface GlobalavgpoolAttrs {
  op: 'globalavgpool';
}

/** A window covering a whole [.., H, W] plane: global average pooling as an avgpool2d. */
export function globalWindow(shape: readonly number[]): WindowParams {
  return { kernel: [shape[shape.length - 2]!, shape[shape.length - 1]!], stride: [1, 1], padding: [0, 0] };
}

export function globalavgpool(x: Tensor<Float32Array>): Tensor<Float32Array> {
  nchwDims(x, 'globalavgpool');
  return avgpool2d(x, globalWindow(x.shape));
}

export const globalavgpoolOp: OpDef<GlobalavgpoolAttrs> = weightlessOp({
  op: 'globalavgpool',
  attributes: [],
  inputs: 'one',
  parse: () => ({ op: 'globalavgpool' }),
  outputShape: (_a, [x], fail) => [imageInput('globalavgpool', x!, fail)[0], 1, 1],
  reference: ([x]) => globalavgpool(x!),
  train: poolTraining('avg', (_a, shape) => globalWindow(shape)),
});
