/** Zoo models and random inputs for the whole-network tests. */
import { buildGraph } from '../../src/model/graph.js';
import { type Model, loadZooModel } from '../../src/model/model.js';
import { resolveWeights } from '../../src/model/weights.js';
import { Tensor } from '../../src/tensor/tensor.js';
import type { Rng } from '../../src/util/random.js';

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
