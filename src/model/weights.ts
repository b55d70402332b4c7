/**
 * The safetensors tensors of a model, checked against its graph and turned into per-node
 * weights every backend uses (each op's module says which tensors it reads: src/ops). Problems
 * are ModelFormatErrors naming the node, the tensor, expected and found.
 */
import type { LayerWeights, Shape, TensorSource, WeightsOfKind } from '../ops/op.js';
import { opOf } from '../ops/registry.js';
import { formatShape } from '../tensor/tensor.js';
import { ModelFormatError } from './errors.js';
import { type Graph, type GraphNode, firstInputShapes } from './graph.js';
import type { StoredTensor } from './types.js';

export type { LayerWeights, WeightsOfKind } from '../ops/op.js';

/** Weights by node name; nodes without tensors have no entry. */
export type ModelWeights = Map<string, LayerWeights>;

/** One node's view of the file's tensors: `<node>.<suffix>`, each checked for dtype, shape and (F32) finite values. */
function tensorSource(tensors: ReadonlyMap<string, StoredTensor>, used: Set<string>, node: GraphNode, file: string): TensorSource {
  const fail = (message: string, suffix?: string): never => {
    throw new ModelFormatError(file, `node "${node.name}"${suffix ? `, tensor "${node.name}.${suffix}"` : ''}: ${message}`);
  };
  const take = (suffix: string, dtype: 'F32' | 'U32', shape: Shape): StoredTensor => {
    const t = tensors.get(`${node.name}.${suffix}`);
    if (!t) return fail(`missing (expected ${dtype} ${formatShape(shape)})`, suffix);
    if (t.dtype !== dtype || formatShape(t.shape) !== formatShape(shape)) {
      fail(`expected ${dtype} ${formatShape(shape)}, found ${t.dtype} ${formatShape(t.shape)}`, suffix);
    }
    if (dtype === 'F32') {
      const bad = t.data.findIndex((v) => !Number.isFinite(v));
      if (bad >= 0) fail(`element ${bad} is ${t.data[bad]} (weights must be finite)`, suffix);
    }
    used.add(`${node.name}.${suffix}`);
    return t;
  };
  return {
    name: (suffix) => `${node.name}.${suffix}`,
    has: (suffix) => tensors.has(`${node.name}.${suffix}`),
    float: (suffix, shape) => take(suffix, 'F32', shape).data as Float32Array,
    uint32: (suffix, shape) => take(suffix, 'U32', shape).data as Uint32Array,
    fail,
  };
}

/**
 * Checks every tensor against the graph (missing, extra, dtype, shape, finite) and resolves them.
 * (`*.num_batches_tracked` never gets here: safetensors.ts drops it while reading.)
 */
export function resolveWeights(graph: Graph, tensors: ReadonlyMap<string, StoredTensor>, file: string): ModelWeights {
  const used = new Set<string>();
  const inputs = firstInputShapes(graph);
  const weights: ModelWeights = new Map();
  for (const node of graph.nodes) {
    const layer = opOf(node.attrs.op).weights(node.attrs, inputs.get(node.name)!, tensorSource(tensors, used, node, file));
    if (layer) weights.set(node.name, layer);
  }
  const extra = [...tensors.keys()].filter((name) => !used.has(name));
  if (extra.length > 0) {
    const shown = extra
      .slice(0, 5)
      .map((n) => `"${n}"`)
      .join(', ');
    throw new ModelFormatError(file, `tensor(s) not used by any node: ${shown}${extra.length > 5 ? ` and ${extra.length - 5} more` : ''}`);
  }
  return weights;
}

/** A node's resolved weights of the kind its op needs (resolveWeights guarantees they exist). */
export function nodeWeights<K extends LayerWeights['kind']>(weights: ModelWeights, node: GraphNode, kind: K): WeightsOfKind<K> {
  const w = weights.get(node.name);
  if (!w || w.kind !== kind) throw new Error(`node "${node.name}": no ${kind} weights were resolved for it`);
  return w as WeightsOfKind<K>;
}
