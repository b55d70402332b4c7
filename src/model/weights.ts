/**
 * The safetensors tensors of a model, checked against its graph and turned into per-node
 * weights every backend uses: float weights in PyTorch order, binary weights packed (float
 * `weight` is packed at load; `weight_bits` + `alpha` are taken as they are), batchnorm
 * statistics. Problems are ModelFormatErrors naming the node, the tensor, expected and found.
 */
import { type PackedWeights, lastWordMask, packWeights, wordsFor } from '../tensor/bits.js';
import { Tensor } from '../tensor/tensor.js';
import { ModelFormatError } from './errors.js';
import { type Graph, type GraphNode, type Shape, describeShape } from './graph.js';
import type { StoredTensor } from './types.js';

export type LayerWeights =
  | { kind: 'float'; weight: Tensor<Float32Array>; bias: Float32Array | undefined }
  | { kind: 'binary'; packed: PackedWeights; bias: Float32Array | undefined }
  | {
      kind: 'batchnorm';
      runningMean: Float32Array;
      runningVar: Float32Array;
      weight: Float32Array | undefined;
      bias: Float32Array | undefined;
      eps: number;
    };

/** Weights by node name; nodes without tensors have no entry. */
export type ModelWeights = Map<string, LayerWeights>;

class TensorTaker {
  readonly used = new Set<string>();

  constructor(
    private readonly tensors: ReadonlyMap<string, StoredTensor>,
    private readonly file: string,
  ) {}

  has(name: string): boolean {
    return this.tensors.has(name);
  }

  /** The tensor, checked for dtype, shape and (F32) finite values. */
  take(node: GraphNode, name: string, dtype: 'F32' | 'U32', shape: Shape): StoredTensor {
    const where = `node "${node.name}", tensor "${name}"`;
    const t = this.tensors.get(name);
    if (!t) throw new ModelFormatError(this.file, `${where}: missing (expected ${dtype} ${describeShape(shape)})`);
    if (t.dtype !== dtype || describeShape(t.shape) !== describeShape(shape)) {
      throw new ModelFormatError(
        this.file,
        `${where}: expected ${dtype} ${describeShape(shape)}, found ${t.dtype} ${describeShape(t.shape)}`,
      );
    }
    if (dtype === 'F32') {
      const bad = t.data.findIndex((v) => !Number.isFinite(v));
      if (bad >= 0) throw new ModelFormatError(this.file, `${where}: element ${bad} is ${t.data[bad]} (weights must be finite)`);
    }
    this.used.add(name);
    return t;
  }

  takeFloat(node: GraphNode, name: string, shape: Shape): Float32Array {
    return this.take(node, name, 'F32', shape).data as Float32Array;
  }

  optionalBias(node: GraphNode, bias: boolean, channels: number): Float32Array | undefined {
    return bias ? this.takeFloat(node, `${node.name}.bias`, [channels]) : undefined;
  }
}

/** A binary layer: float `weight` (packed here) or `weight_bits` + `alpha`, never both. */
function binaryWeights(
  node: GraphNode,
  take: TensorTaker,
  cout: number,
  cin: number,
  taps: readonly [number, number] | undefined,
  file: string,
): PackedWeights {
  const floatName = `${node.name}.weight`;
  const bitsName = `${node.name}.weight_bits`;
  if (take.has(floatName) && take.has(bitsName)) {
    throw new ModelFormatError(file, `node "${node.name}": has both "${floatName}" and "${bitsName}"; keep one`);
  }
  if (!take.has(bitsName)) {
    const shape = taps ? [cout, cin, ...taps] : [cout, cin];
    return packWeights(new Tensor(take.takeFloat(node, floatName, shape), shape));
  }
  const words = wordsFor(cin);
  const shape = taps ? [cout, ...taps, words] : [cout, words];
  const bits = take.take(node, bitsName, 'U32', shape).data as Uint32Array;
  const padding = ~lastWordMask(cin) >>> 0;
  for (let i = words - 1; i < bits.length; i += words) {
    if ((bits[i]! & padding) !== 0) {
      throw new ModelFormatError(file, `node "${node.name}", tensor "${bitsName}": bits are set for channels >= ${cin} (they must be 0)`);
    }
  }
  const alpha = take.takeFloat(node, `${node.name}.alpha`, [cout]);
  return { bits: new Tensor(bits, shape), alpha: new Tensor(alpha, [cout]), inChannels: cin };
}

function layerWeights(node: GraphNode, input: Shape, take: TensorTaker, file: string): LayerWeights | undefined {
  const a = node.attrs;
  switch (a.op) {
    case 'conv2d': {
      const shape = [a.outChannels, input[0]!, ...a.kernel];
      return {
        kind: 'float',
        weight: new Tensor(take.takeFloat(node, `${node.name}.weight`, shape), shape),
        bias: take.optionalBias(node, a.bias, a.outChannels),
      };
    }
    case 'linear': {
      const shape = [a.outFeatures, input[0]!];
      return {
        kind: 'float',
        weight: new Tensor(take.takeFloat(node, `${node.name}.weight`, shape), shape),
        bias: take.optionalBias(node, a.bias, a.outFeatures),
      };
    }
    case 'binconv2d':
      return {
        kind: 'binary',
        packed: binaryWeights(node, take, a.outChannels, input[0]!, a.kernel, file),
        bias: take.optionalBias(node, a.bias, a.outChannels),
      };
    case 'binlinear':
      return {
        kind: 'binary',
        packed: binaryWeights(node, take, a.outFeatures, input[0]!, undefined, file),
        bias: take.optionalBias(node, a.bias, a.outFeatures),
      };
    case 'batchnorm': {
      const c = input[0]!;
      const runningVar = take.takeFloat(node, `${node.name}.running_var`, [c]);
      const negative = runningVar.findIndex((v) => v < 0);
      if (negative >= 0)
        throw new ModelFormatError(file, `node "${node.name}", tensor "${node.name}.running_var": element ${negative} is negative`);
      return {
        kind: 'batchnorm',
        runningMean: take.takeFloat(node, `${node.name}.running_mean`, [c]),
        runningVar,
        weight: a.affine ? take.takeFloat(node, `${node.name}.weight`, [c]) : undefined,
        bias: a.affine ? take.takeFloat(node, `${node.name}.bias`, [c]) : undefined,
        eps: a.eps,
      };
    }
    default:
      return undefined;
  }
}

/** Checks every tensor against the graph (missing, extra, dtype, shape, finite) and resolves them. */
export function resolveWeights(graph: Graph, tensors: ReadonlyMap<string, StoredTensor>, file: string): ModelWeights {
  const take = new TensorTaker(tensors, file);
  const shapes = new Map<string, Shape>([['input', graph.inputShape]]);
  const weights: ModelWeights = new Map();
  for (const node of graph.nodes) {
    const layer = layerWeights(node, shapes.get(node.inputs[0]!)!, take, file);
    if (layer) weights.set(node.name, layer);
    shapes.set(node.name, node.shape);
  }
  const extra = [...tensors.keys()].filter((name) => !take.used.has(name));
  if (extra.length > 0) {
    const shown = extra
      .slice(0, 5)
      .map((n) => `"${n}"`)
      .join(', ');
    throw new ModelFormatError(file, `tensor(s) not used by any node: ${shown}${extra.length > 5 ? ` and ${extra.length - 5} more` : ''}`);
  }
  return weights;
}

export type WeightsOfKind<K extends LayerWeights['kind']> = Extract<LayerWeights, { kind: K }>;

/** A node's resolved weights of the kind its op needs (resolveWeights guarantees they exist). */
export function nodeWeights<K extends LayerWeights['kind']>(weights: ModelWeights, node: GraphNode, kind: K): WeightsOfKind<K> {
  const w = weights.get(node.name);
  if (!w || w.kind !== kind) throw new Error(`node "${node.name}": no ${kind} weights were resolved for it`);
  return w as WeightsOfKind<K>;
}
