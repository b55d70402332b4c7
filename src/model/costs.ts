/**
 * Per-layer parameter counts, weight bytes (float32 vs packed) and operation counts, for
 * `xnornet info` and the benchmarks. MACs are per input sample.
 */
import { wordsFor } from '../tensor/bits.js';
import type { Graph, GraphNode, Shape } from './graph.js';

export interface LayerCost {
  node: GraphNode;
  params: number;
  /** Bytes of the layer's tensors with every weight as float32. */
  floatBytes: number;
  /** Bytes with binary layers packed (weight_bits + alpha); other layers unchanged. */
  packedBytes: number;
  /** Full-precision multiply-adds. */
  floatMacs: number;
  /** XNOR + popcount bit operations (one per weight-input pair of an XNOR layer). */
  xnorMacs: number;
  /** Additions / subtractions of a BWN layer (one per weight-input pair). */
  bwnMacs: number;
}

const product = (shape: Shape) => shape.reduce((a, b) => a * b, 1);

export function layerCosts(graph: Graph): LayerCost[] {
  const shapes = new Map<string, Shape>([['input', graph.inputShape]]);
  return graph.nodes.map((node) => {
    const input = shapes.get(node.inputs[0]!)!;
    shapes.set(node.name, node.shape);
    const cost: LayerCost = { node, params: 0, floatBytes: 0, packedBytes: 0, floatMacs: 0, xnorMacs: 0, bwnMacs: 0 };
    const a = node.attrs;
    const outputs = product(node.shape);
    switch (a.op) {
      case 'conv2d':
      case 'binconv2d':
      case 'linear':
      case 'binlinear': {
        const cout = a.op === 'conv2d' || a.op === 'binconv2d' ? a.outChannels : a.outFeatures;
        const taps = a.op === 'conv2d' || a.op === 'binconv2d' ? a.kernel[0] * a.kernel[1] : 1;
        const cin = input[0]!;
        const weights = cout * cin * taps;
        const bias = a.bias ? cout : 0;
        const macs = outputs * cin * taps;
        cost.params = weights + bias;
        cost.floatBytes = 4 * (weights + bias);
        if (a.op === 'binconv2d' || a.op === 'binlinear') {
          cost.packedBytes = 4 * (cout * taps * wordsFor(cin) + cout + bias);
          if (a.mode === 'xnor') cost.xnorMacs = macs;
          else cost.bwnMacs = macs;
        } else {
          cost.packedBytes = cost.floatBytes;
          cost.floatMacs = macs;
        }
        break;
      }
      case 'batchnorm': {
        const c = input[0]!;
        cost.params = a.affine ? 2 * c : 0;
        cost.floatBytes = cost.packedBytes = 4 * c * (a.affine ? 4 : 2);
        break;
      }
      default:
        break;
    }
    return cost;
  });
}

export function totalCost(costs: LayerCost[]): Omit<LayerCost, 'node'> {
  const sum = (key: keyof Omit<LayerCost, 'node'>) => costs.reduce((s, c) => s + c[key], 0);
  return {
    params: sum('params'),
    floatBytes: sum('floatBytes'),
    packedBytes: sum('packedBytes'),
    floatMacs: sum('floatMacs'),
    xnorMacs: sum('xnorMacs'),
    bwnMacs: sum('bwnMacs'),
  };
}
