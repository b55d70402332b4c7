/**
 * linear and binlinear as the 1x1 case of the convolutions on [N, Cin, 1, 1] (semantics.md:
 * "binlinear: the 1x1 case"), so the two share one definition.
 */
import { Tensor, formatShape, matrixDims } from '../tensor/tensor.js';
import type { BinaryMode } from '../ops/window.js';
import { type BinaryWeights, binconv2d, conv2d } from './conv.js';

const ONE: readonly [number, number] = [1, 1];
const ZERO: readonly [number, number] = [0, 0];

function asColumns(t: Tensor<Float32Array>, what: string): Tensor<Float32Array> {
  const [rows, cols] = matrixDims(t, what);
  return t.reshape([rows, cols, 1, 1]);
}

function checkFeatures(x: Tensor, weight: Tensor, what: string): void {
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
