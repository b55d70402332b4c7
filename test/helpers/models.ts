/** Zoo models and random inputs for the whole-network tests. */
import { buildGraph } from '../../src/model/graph.js';
import type { Model } from '../../src/model/model.js';
import { loadZooModel } from '../../src/zoo/index.js';
import { resolveWeights } from '../../src/model/weights.js';
import { Tensor } from '../../src/tensor/tensor.js';
import type { ModelNode } from '../../src/model/types.js';
import { type Rng, createRng } from '../../src/util/random.js';
import { GraphBuilder } from '../../src/zoo/builder.js';

/** A batch of standard-normal inputs for `model`. */
export function randomInput(rng: Rng, model: Model, batch: number): Tensor<Float32Array> {
  const t = Tensor.zeros([batch, ...model.graph.inputShape]);
  for (let i = 0; i < t.size; i++) t.data[i] = rng.normal();
  return t;
}

/** The same zoo model at another input size (ResNet's global pooling makes its weights size-free). */
export function atInputSize(name: string, shape: number[]): Model {
  const zoo = loadZooModel(name);
  const graph = buildGraph({ ...zoo.graph.json, input: { shape } }, `${name}@${shape.join('x')}`);
  return { ...zoo, graph, weights: resolveWeights(graph, zoo.tensors, zoo.source) };
}

/** A model of `nodes` on `inputShape`, its tensors seeded random as the zoo makes them. */
export function tinyModel(
  inputShape: number[],
  nodes: ModelNode[],
  { seed = 7, outputs }: { seed?: number; outputs?: string[] } = {},
): Model {
  const builder = new GraphBuilder(inputShape, createRng(seed));
  for (const node of nodes) builder.add(node);
  const json = { format: 'xnornet', version: 1, name: 'tiny', input: { shape: inputShape }, weights: 'tiny.safetensors', nodes, outputs };
  const graph = buildGraph(json, 'tiny.json');
  return { graph, weights: resolveWeights(graph, builder.weights, 'tiny.safetensors'), tensors: builder.weights, source: 'tiny.json' };
}
