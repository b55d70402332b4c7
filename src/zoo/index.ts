/**
 * The model zoo: architectures as model JSON plus seeded random weights, for benchmarks and
 * tests. Names are `${architecture}-${mode}`, e.g. 'resnet18-xnor'.
 */
import { buildGraph } from '../model/graph.js';
import type { Model } from '../model/model.js';
import type { ModelJson, StoredTensor } from '../model/types.js';
import { resolveWeights } from '../model/weights.js';
import { createRng } from '../util/random.js';
import { alexnet } from './alexnet.js';
import type { Architecture, ZooMode } from './architecture.js';
import { GraphBuilder } from './builder.js';
import { lenet5 } from './lenet5.js';
import { nin } from './nin.js';
import { resnet18 } from './resnet18.js';

export type { ZooMode } from './architecture.js';

export interface ZooModel {
  json: ModelJson;
  weights: Map<string, StoredTensor>;
}

const ARCHITECTURES = new Map<string, Architecture>([
  ['lenet5', lenet5],
  ['nin', nin],
  ['alexnet', alexnet],
  ['resnet18', resnet18],
]);
const MODES: readonly ZooMode[] = ['float', 'bwn', 'xnor'];

export function zooNames(): string[] {
  return [...ARCHITECTURES.keys()].flatMap((arch) => MODES.map((mode) => `${arch}-${mode}`));
}

/** Builds a zoo model; the same name and seed always give the same weights. */
export function zooModel(name: string, { seed = 1 }: { seed?: number } = {}): ZooModel {
  const split = name.lastIndexOf('-');
  const architecture = ARCHITECTURES.get(name.slice(0, split));
  const mode = MODES.find((m) => m === name.slice(split + 1));
  if (split < 0 || architecture === undefined || mode === undefined) {
    throw new Error(`unknown zoo model "${name}"; available: ${zooNames().join(', ')}`);
  }
  const builder = new GraphBuilder(architecture.input, createRng(seed));
  architecture.build(builder, mode);
  // Copies, so a caller editing one model's JSON cannot change the next one built.
  const json: ModelJson = {
    format: 'xnornet',
    version: 1,
    name,
    input: { shape: [...architecture.input] },
    preprocess: structuredClone(architecture.preprocess),
    labels: [...architecture.labels],
    weights: `${name}.safetensors`,
    nodes: builder.nodes,
  };
  return { json, weights: builder.weights };
}

export const ZOO_PREFIX = 'zoo:';

/** A zoo model (`zoo:resnet18-xnor`), checked like any loaded model. */
export function loadZooModel(name: string, seed?: number): Model {
  const zoo = zooModel(name, seed === undefined ? {} : { seed });
  const source = `${ZOO_PREFIX}${name}`;
  const graph = buildGraph(zoo.json, source);
  return { graph, weights: resolveWeights(graph, zoo.weights, source), tensors: zoo.weights, source };
}
