/**
 * What the four weighted layers (conv2d, binconv2d, linear, binlinear) share: their tensors,
 * how their weights are read (binary layers: float `weight`, packed at load, or `weight_bits`
 * + `alpha`, never both) and their cost. A linear layer is the 1x1 case: no taps.
 */
import { type PackedWeights, lastWordMask, packWeights, wordsFor } from '../tensor/bits.js';
import { Tensor, shapeSize } from '../tensor/tensor.js';
import { convGeometry } from './conv.js';
import {
  type BinaryMode,
  type Cost,
  type LayerWeights,
  type Shape,
  type TensorSource,
  type TensorSpec,
  guarded,
  imageInput,
} from './op.js';
import type { Pair } from './window.js';

/** The per-sample output [Cout, Ho, Wo] of a convolution of the image `x`. */
export function convOutputShape(
  op: string,
  { outChannels, kernel, stride, padding }: { outChannels: number; kernel: Pair; stride: Pair; padding: Pair },
  x: Shape,
  fail: (message: string) => never,
): Shape {
  const [cin, h, w] = imageInput(op, x, fail);
  const g = guarded(() => convGeometry({ n: 1, cin, h, w, cout: outChannels, kernel, stride, padding }, op), fail);
  return [outChannels, g.ho, g.wo];
}

/** [Cout, Cin, kh, kw], or [Cout, Cin] without taps. */
function weightShape(cout: number, cin: number, taps: Pair | undefined): number[] {
  return taps ? [cout, cin, ...taps] : [cout, cin];
}

export function layerTensors(cout: number, cin: number, taps: Pair | undefined, bias: boolean): TensorSpec[] {
  const specs: TensorSpec[] = [{ suffix: 'weight', shape: weightShape(cout, cin, taps), role: 'weight' }];
  if (bias) specs.push({ suffix: 'bias', shape: [cout], role: 'bias' });
  return specs;
}

function optionalBias(source: TensorSource, bias: boolean, cout: number): Float32Array | undefined {
  return bias ? source.float('bias', [cout]) : undefined;
}

export function floatLayerWeights(
  source: TensorSource,
  cout: number,
  cin: number,
  taps: Pair | undefined,
  bias: boolean,
): WeightsOf<'float'> {
  const shape = weightShape(cout, cin, taps);
  return { kind: 'float', weight: new Tensor(source.float('weight', shape), shape), bias: optionalBias(source, bias, cout) };
}

type WeightsOf<K extends LayerWeights['kind']> = Extract<LayerWeights, { kind: K }>;

export function binaryLayerWeights(
  source: TensorSource,
  cout: number,
  cin: number,
  taps: Pair | undefined,
  bias: boolean,
): WeightsOf<'binary'> {
  return { kind: 'binary', packed: packedWeights(source, cout, cin, taps), bias: optionalBias(source, bias, cout) };
}

function packedWeights(source: TensorSource, cout: number, cin: number, taps: Pair | undefined): PackedWeights {
  if (source.has('weight') && source.has('weight_bits'))
    source.fail(`has both "${source.name('weight')}" and "${source.name('weight_bits')}"; keep one`);
  if (!source.has('weight_bits')) {
    const shape = weightShape(cout, cin, taps);
    return packWeights(new Tensor(source.float('weight', shape), shape));
  }
  const words = wordsFor(cin);
  const shape = taps ? [cout, ...taps, words] : [cout, words];
  const bits = source.uint32('weight_bits', shape);
  const padding = ~lastWordMask(cin) >>> 0;
  for (let i = words - 1; i < bits.length; i += words) {
    if ((bits[i]! & padding) !== 0) source.fail(`bits are set for channels >= ${cin} (they must be 0)`, 'weight_bits');
  }
  return { bits: new Tensor(bits, shape), alpha: new Tensor(source.float('alpha', [cout]), [cout]), inChannels: cin };
}

/** Parameters, bytes (float32 vs packed) and multiply-adds of a layer producing `output`. */
export function layerCost(
  mode: 'float' | BinaryMode,
  cout: number,
  cin: number,
  taps: Pair | undefined,
  bias: boolean,
  output: Shape,
): Cost {
  const tapCount = taps ? taps[0] * taps[1] : 1;
  const weights = cout * cin * tapCount;
  const biasCount = bias ? cout : 0;
  const macs = shapeSize(output) * cin * tapCount;
  const floatBytes = 4 * (weights + biasCount);
  return {
    params: weights + biasCount,
    floatBytes,
    packedBytes: mode === 'float' ? floatBytes : 4 * (cout * tapCount * wordsFor(cin) + cout + biasCount),
    floatMacs: mode === 'float' ? macs : 0,
    xnorMacs: mode === 'xnor' ? macs : 0,
    bwnMacs: mode === 'bwn' ? macs : 0,
  };
}
