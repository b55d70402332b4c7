/**
 * Runs a whole model with the CPU float reference (src/reference): slow and plain, the oracle
 * the GPU and CPU backends are compared with.
 */
import type { Graph, GraphNode } from '../model/graph.js';
import { type ModelWeights, nodeWeights } from '../model/weights.js';
import * as ref from '../reference/index.js';
import { unpackWeights } from '../tensor/bits.js';
import { Tensor } from '../tensor/tensor.js';
import { batchOf } from '../model/input.js';

function binaryOf(weights: ModelWeights, node: GraphNode): { weights: ref.BinaryWeights; bias: Float32Array | undefined } {
  const w = nodeWeights(weights, node, 'binary');
  return { weights: { signs: unpackWeights(w.packed), alpha: w.packed.alpha.data }, bias: w.bias };
}

function runNode(node: GraphNode, inputs: Tensor<Float32Array>[], weights: ModelWeights): Tensor<Float32Array> {
  const [x] = inputs as [Tensor<Float32Array>];
  const a = node.attrs;
  switch (a.op) {
    case 'conv2d': {
      const w = nodeWeights(weights, node, 'float');
      return ref.conv2d(x, w.weight, w.bias, a.stride, a.padding);
    }
    case 'binconv2d': {
      const b = binaryOf(weights, node);
      return ref.binconv2d(x, b.weights, b.bias, { mode: a.mode, scaleInput: a.scaleInput, stride: a.stride, padding: a.padding });
    }
    case 'linear': {
      const w = nodeWeights(weights, node, 'float');
      return ref.linear(x, w.weight, w.bias);
    }
    case 'binlinear': {
      const b = binaryOf(weights, node);
      return ref.binlinear(x, b.weights, b.bias, a.mode, a.scaleInput);
    }
    case 'batchnorm':
      return ref.batchnorm(x, nodeWeights(weights, node, 'batchnorm'));
    case 'relu':
      return ref.relu(x);
    case 'hardtanh':
      return ref.hardtanh(x, a.min, a.max);
    case 'maxpool2d':
      return ref.maxpool2d(x, a);
    case 'avgpool2d':
      return ref.avgpool2d(x, a);
    case 'globalavgpool':
      return ref.globalavgpool(x);
    case 'flatten':
      return ref.flatten(x);
    case 'add':
      return inputs.slice(1).reduce((sum, t) => ref.add(sum, t), x);
    case 'dropout':
      return ref.dropout(x);
    case 'softmax':
      return ref.softmax(x);
  }
}

/** The model's outputs (by node name) for a batch `input` of shape [N, ...input.shape]. */
export function runReference(graph: Graph, weights: ModelWeights, input: Tensor<Float32Array>): Map<string, Tensor<Float32Array>> {
  batchOf(graph, input.shape);
  const values = new Map<string, Tensor<Float32Array>>([['input', input]]);
  for (const node of graph.nodes)
    values.set(
      node.name,
      runNode(
        node,
        node.inputs.map((i) => values.get(i)!),
        weights,
      ),
    );
  return new Map(graph.outputs.map((name) => [name, values.get(name)!]));
}
