/** binlinear: a binary fully connected layer, the 1x1 case of binconv2d on [N, F, 1, 1] (semantics.md). */
import { unpackWeights } from '../tensor/bits.js';
import type { Tensor } from '../tensor/tensor.js';
import { type BinaryWeights, binconv2d } from './binconv2d.js';
import { binaryLayerWeights, layerCost, layerTensors } from './layer.js';
import { layerTraining } from './layer-training.js';
import { ONE, ZERO, asColumns, checkFeatures } from './linear.js';
import { type BinaryMode, type OpDef, type WeightsOfKind, vectorInput } from './op.js';

export interface BinlinearAttrs {
  op: 'binlinear';
  mode: BinaryMode;
  outFeatures: number;
  bias: boolean;
  scaleInput: boolean;
}

export function binlinear(
  x: Tensor<Float32Array>,
  weights: BinaryWeights,
  bias: Float32Array | undefined,
  mode: BinaryMode,
  scaleInput: boolean,
): Tensor<Float32Array> {
  checkFeatures(x, weights.signs, 'binlinear');
  const signs = asColumns(weights.signs, 'binlinear weight');
  const y = binconv2d(asColumns(x, 'binlinear input'), { signs, alpha: weights.alpha }, bias, {
    mode,
    scaleInput,
    stride: ONE,
    padding: ZERO,
  });
  return y.reshape([x.shape[0]!, weights.signs.shape[0]!]);
}

export const binlinearOp: OpDef<BinlinearAttrs, WeightsOfKind<'binary'>> = {
  op: 'binlinear',
  attributes: ['mode', 'outFeatures', 'bias', 'scaleInput'],
  inputs: 'one',
  parse: (r) => ({
    op: 'binlinear',
    mode: r.mode(),
    outFeatures: r.positiveInt('outFeatures'),
    bias: r.bool('bias', true),
    scaleInput: r.bool('scaleInput', true),
  }),
  outputShape: (a, [x], fail) => (vectorInput('binlinear', x!, fail), [a.outFeatures]),
  tensors: (a, input) => layerTensors(a.outFeatures, input[0]!, undefined, a.bias),
  weights: (a, input, source) => binaryLayerWeights(source, a.outFeatures, input[0]!, undefined, a.bias),
  cost: (a, input, output) => layerCost(a.mode, a.outFeatures, input[0]!, undefined, a.bias, output),
  reference: ([x], a, w) => binlinear(x!, { signs: unpackWeights(w.packed), alpha: w.packed.alpha.data }, w.bias, a.mode, a.scaleInput),
  train: layerTraining((a) => ({ mode: a.mode, outChannels: a.outFeatures, window: undefined, bias: a.bias, scaleInput: a.scaleInput })),
};
