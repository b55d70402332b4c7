/**
 * Per-layer parameter counts, weight bytes (float32 vs packed) and operation counts, for
 * `xnornet info` and the benchmarks (each op's module counts its own). MACs are per input sample.
 */
import type { Cost } from '../ops/op.js';
import { opOf } from '../ops/registry.js';
import { type Graph, type GraphNode, firstInputShapes } from './graph.js';

export interface LayerCost extends Cost {
  node: GraphNode;
}

export function layerCosts(graph: Graph): LayerCost[] {
  const inputs = firstInputShapes(graph);
  return graph.nodes.map((node) => ({ node, ...opOf(node.attrs.op).cost(node.attrs, inputs.get(node.name)!, node.shape) }));
}

export function totalCost(costs: LayerCost[]): Cost {
  const sum = (key: keyof Cost) => costs.reduce((s, c) => s + c[key], 0);
  return {
    params: sum('params'),
    floatBytes: sum('floatBytes'),
    packedBytes: sum('packedBytes'),
    floatMacs: sum('floatMacs'),
    xnorMacs: sum('xnorMacs'),
    bwnMacs: sum('bwnMacs'),
  };
}
