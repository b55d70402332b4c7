/**
 * binconv2d: a binary convolution (semantics.md). Weights are alpha * sign(W); "bwn" keeps the
 * input float, "xnor" takes its sign too and (scaleInput) multiplies by the input scale K.
 */
import { computeAlpha, sign, unpackWeights } from '../tensor/bits.js';
import { Tensor, nchwDims } from '../tensor/tensor.js';
import { convGeometry } from './conv.js';
import { checkBias } from './conv2d.js';
import { correlate, inputScale } from './correlate.js';
import { binaryLayerWeights, convOutputShape, layerCost, layerTensors } from './layer.js';
import { layerTraining } from './layer-training.js';
import { type BinaryMode, type OpDef, type WeightsOfKind } from './op.js';
import type { Pair } from './window.js';

export interface Binconv2dAttrs {
  op: 'binconv2d';
  mode: BinaryMode;
  outChannels: number;
  kernel: Pair;
  stride: Pair;
  padding: Pair;
  bias: boolean;
  /** xnor only: false sets the paper's K factor to 1. */
  scaleInput: boolean;
}

/** A binary layer's weights as the semantics define them: Wb = sign(W) and alpha. */
export interface BinaryWeights {
  /** +1/-1 in PyTorch order: [Cout, Cin, kh, kw] (conv) or [Cout, Cin] (linear). */
  signs: Tensor<Float32Array>;
  /** alpha[o] = mean |W[o, ...]|. */
  alpha: Float32Array;
}

export function binarizeWeights(weight: Tensor<Float32Array>): BinaryWeights {
  return { signs: new Tensor(weight.data.map(sign), weight.shape), alpha: computeAlpha(weight) };
}

/**
 * y = alpha[o] * (K) * sum Wb * X + bias[o], where X is x itself for "bwn" and sign(x) for
 * "xnor". Padded positions contribute 0 in both modes.
 */
export function binconv2d(
  x: Tensor<Float32Array>,
  weights: BinaryWeights,
  bias: Float32Array | undefined,
  { mode, scaleInput, stride, padding }: Pick<Binconv2dAttrs, 'mode' | 'scaleInput' | 'stride' | 'padding'>,
): Tensor<Float32Array> {
  const [n, , h, w] = nchwDims(x, 'binconv2d input');
  const [cout, cin, kh, kw] = nchwDims(weights.signs, 'binconv2d weight');
  checkBias(bias, cout, 'binconv2d');
  if (weights.alpha.length !== cout) throw new RangeError(`binconv2d: alpha has ${weights.alpha.length} values, expected ${cout}`);
  const input = mode === 'xnor' ? new Tensor(x.data.map(sign), x.shape) : x;
  const dots = correlate(input, weights.signs, stride, padding);
  const { ho, wo } = convGeometry({ n, cin, h, w, cout, kernel: [kh, kw], stride, padding }, 'binconv2d');
  const k = mode === 'xnor' && scaleInput ? inputScale(x, [kh, kw], stride, padding) : undefined;
  const plane = ho * wo;
  const out = new Float32Array(dots.length);
  for (let idx = 0; idx < dots.length; idx++) {
    const o = Math.floor(idx / plane) % cout;
    const b = Math.floor(idx / (plane * cout));
    const scale = k ? k.data[b * plane + (idx % plane)]! : 1;
    out[idx] = weights.alpha[o]! * scale * dots[idx]! + (bias ? bias[o]! : 0);
  }
  return new Tensor(out, [n, cout, ho, wo]);
}

export const binconv2dOp: OpDef<Binconv2dAttrs, WeightsOfKind<'binary'>> = {
  op: 'binconv2d',
  attributes: ['mode', 'outChannels', 'kernel', 'stride', 'padding', 'bias', 'scaleInput'],
  inputs: 'one',
  parse: (r) => ({
    op: 'binconv2d',
    mode: r.mode(),
    outChannels: r.positiveInt('outChannels'),
    kernel: r.pair('kernel', undefined, 1),
    stride: r.pair('stride', 1, 1),
    padding: r.pair('padding', 0, 0),
    bias: r.bool('bias', true),
    scaleInput: r.bool('scaleInput', true),
  }),
  outputShape: (a, [x], fail) => convOutputShape('binconv2d', a, x!, fail),
  tensors: (a, input) => layerTensors(a.outChannels, input[0]!, a.kernel, a.bias),
  weights: (a, input, source) => binaryLayerWeights(source, a.outChannels, input[0]!, a.kernel, a.bias),
  cost: (a, input, output) => layerCost(a.mode, a.outChannels, input[0]!, a.kernel, a.bias, output),
  reference: ([x], a, w) => binconv2d(x!, { signs: unpackWeights(w.packed), alpha: w.packed.alpha.data }, w.bias, a),
  train: layerTraining((a) => ({ mode: a.mode, outChannels: a.outChannels, window: a, bias: a.bias, scaleInput: a.scaleInput })),
};
