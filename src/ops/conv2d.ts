/** conv2d: a float convolution (semantics.md), the usual first layer of a binary network. */
import { Tensor, nchwDims } from '../tensor/tensor.js';
import { convGeometry } from './conv.js';
import { correlate } from './correlate.js';
import { convOutputShape, floatLayerWeights, layerCost, layerTensors } from './layer.js';
import { layerTraining } from './layer-training.js';
import { type OpDef, type WeightsOfKind } from './op.js';
import type { Pair } from './window.js';

export interface Conv2dAttrs {
  op: 'conv2d';
  outChannels: number;
  kernel: Pair;
  stride: Pair;
  padding: Pair;
  bias: boolean;
}

export function checkBias(bias: Float32Array | undefined, cout: number, what: string): void {
  if (bias && bias.length !== cout) throw new RangeError(`${what}: bias has ${bias.length} values, expected ${cout}`);
}

/** y[n,o,i,j] = sum_{c,u,v} w[o,c,u,v] * xpad[n,c,i*s+u-p,j*s+v-p] + bias[o]. */
export function conv2d(
  x: Tensor<Float32Array>,
  weight: Tensor<Float32Array>,
  bias: Float32Array | undefined,
  stride: Pair,
  padding: Pair,
): Tensor<Float32Array> {
  const [n, cin, h, w] = nchwDims(x, 'conv2d input');
  const [cout, , kh, kw] = nchwDims(weight, 'conv2d weight');
  checkBias(bias, cout, 'conv2d');
  const { ho, wo } = convGeometry({ n, cin, h, w, cout, kernel: [kh, kw], stride, padding }, 'conv2d');
  const sums = correlate(x, weight, stride, padding);
  const plane = ho * wo;
  const out = new Float32Array(sums.length);
  for (let k = 0; k < sums.length; k++) out[k] = sums[k]! + (bias ? bias[Math.floor(k / plane) % cout]! : 0);
  return new Tensor(out, [n, cout, ho, wo]);
}

export const conv2dOp: OpDef<Conv2dAttrs, WeightsOfKind<'float'>> = {
  op: 'conv2d',
  attributes: ['outChannels', 'kernel', 'stride', 'padding', 'bias'],
  inputs: 'one',
  parse: (r) => ({
    op: 'conv2d',
    outChannels: r.positiveInt('outChannels'),
    kernel: r.pair('kernel', undefined, 1),
    stride: r.pair('stride', 1, 1),
    padding: r.pair('padding', 0, 0),
    bias: r.bool('bias', true),
  }),
  outputShape: (a, [x], fail) => convOutputShape('conv2d', a, x!, fail),
  tensors: (a, input) => layerTensors(a.outChannels, input[0]!, a.kernel, a.bias),
  weights: (a, input, source) => floatLayerWeights(source, a.outChannels, input[0]!, a.kernel, a.bias),
  cost: (a, input, output) => layerCost('float', a.outChannels, input[0]!, a.kernel, a.bias, output),
  reference: ([x], a, w) => conv2d(x!, w.weight, w.bias, a.stride, a.padding),
  train: layerTraining((a) => ({ mode: 'float', outChannels: a.outChannels, window: a, bias: a.bias, scaleInput: false })),
};
