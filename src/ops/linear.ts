/** linear: a float fully connected layer, the 1x1 case of conv2d on [N, F, 1, 1] (semantics.md). */
import { Tensor, formatShape, matrixDims } from '../tensor/tensor.js';
import { conv2d } from './conv2d.js';
import { floatLayerWeights, layerCost, layerTensors } from './layer.js';
import { layerTraining } from './layer-training.js';
import { type OpDef, type WeightsOfKind, vectorInput } from './op.js';
import type { Pair } from './window.js';

export interface LinearAttrs {
  op: 'linear';
  outFeatures: number;
  bias: boolean;
}

export const ONE: Pair = [1, 1];
export const ZERO: Pair = [0, 0];

/** [rows, cols] as the NCHW [rows, cols, 1, 1] the convolutions take. */
export function asColumns(t: Tensor<Float32Array>, what: string): Tensor<Float32Array> {
  const [rows, cols] = matrixDims(t, what);
  return t.reshape([rows, cols, 1, 1]);
}

export function checkFeatures(x: Tensor, weight: Tensor, what: string): void {
  if (x.shape[1] !== weight.shape[1]) {
    throw new RangeError(
      `${what}: weight ${formatShape(weight.shape)} expects ${weight.shape[1]} input features, input ${formatShape(x.shape)} has ${x.shape[1]}`,
    );
  }
}

export function linear(x: Tensor<Float32Array>, weight: Tensor<Float32Array>, bias: Float32Array | undefined): Tensor<Float32Array> {
  checkFeatures(x, weight, 'linear');
  const y = conv2d(asColumns(x, 'linear input'), asColumns(weight, 'linear weight'), bias, ONE, ZERO);
  return y.reshape([x.shape[0]!, weight.shape[0]!]);
}

export const linearOp: OpDef<LinearAttrs, WeightsOfKind<'float'>> = {
  op: 'linear',
  attributes: ['outFeatures', 'bias'],
  inputs: 'one',
  parse: (r) => ({ op: 'linear', outFeatures: r.positiveInt('outFeatures'), bias: r.bool('bias', true) }),
  outputShape: (a, [x], fail) => (vectorInput('linear', x!, fail), [a.outFeatures]),
  tensors: (a, input) => layerTensors(a.outFeatures, input[0]!, undefined, a.bias),
  weights: (a, input, source) => floatLayerWeights(source, a.outFeatures, input[0]!, undefined, a.bias),
  cost: (a, input, output) => layerCost('float', a.outFeatures, input[0]!, undefined, a.bias, output),
  reference: ([x], _a, w) => linear(x!, w.weight, w.bias),
  train: layerTraining((a) => ({ mode: 'float', outChannels: a.outFeatures, window: undefined, bias: a.bias, scaleInput: false })),
};
