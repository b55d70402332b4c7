/**
 * Runs a whole model with the CPU float reference of each op (src/ops): slow and plain, the
 * oracle the GPU and CPU backends are compared with.
 */
import type { Graph } from '../model/graph.js';
import { checkInput } from '../model/input.js';
import type { ModelWeights } from '../model/weights.js';
import { opOf } from '../ops/registry.js';
import type { Tensor } from '../tensor/tensor.js';

/** The model's outputs (by node name) for a batch `input` of shape [N, ...input.shape]. */
export function runReference(graph: Graph, weights: ModelWeights, input: Tensor<Float32Array>): Map<string, Tensor<Float32Array>> {
  checkInput(graph, input);
  const values = new Map<string, Tensor<Float32Array>>([['input', input]]);
  for (const node of graph.nodes) {
    const inputs = node.inputs.map((i) => values.get(i)!);
    values.set(node.name, opOf(node.attrs.op).reference(inputs, node.attrs, weights.get(node.name)));
  }
  return new Map(graph.outputs.map((name) => [name, values.get(name)!]));
}
