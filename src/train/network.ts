/**
 * A model as the trainer sees it: its graph, and each node's tensors as mutable arrays in the
 * trainer's precision (binary layers hold latent float weights). Forward runs every node's
 * training pass in order and keeps a tape; backward walks it in reverse and returns every
 * trainable tensor's gradient. The logits are the last node's output, or the input of a final
 * softmax (the loss is softmax cross-entropy of logits, semantics.md).
 */
import type { Graph, GraphNode } from '../model/graph.js';
import type { Model } from '../model/model.js';
import type { ModelJson, StoredTensor } from '../model/types.js';
import { opOf } from '../ops/registry.js';
import type { NodeAttrs } from '../ops/registry.js';
import { type FTensor, type Floats, type OpTraining, type TrainContext, type TrainParams, zerosLike } from '../ops/training.js';
import { unpackWeights } from '../tensor/bits.js';
import { firstInputShapes } from '../model/graph.js';

export type Precision = 'float32' | 'float64';

export interface TrainNode {
  node: GraphNode;
  train: OpTraining<NodeAttrs>;
  /** Every tensor of the node by suffix (weight, bias, running_mean, running_var). */
  params: TrainParams;
  /** The suffixes the optimiser updates. */
  trainable: string[];
  /** A binary layer: its latent weights are clipped after each update. */
  binary: boolean;
}

/** What forward keeps for backward. */
export interface Tape {
  logits: FTensor;
  saved: Map<string, unknown>;
}

/** Gradients by node name, then suffix. */
export type Gradients = Map<string, TrainParams>;

function allocate(precision: Precision, data: ArrayLike<number>): Floats {
  return precision === 'float64' ? Float64Array.from(data) : Float32Array.from(data);
}

/** A node's latent float tensors from the model file; a packed binary layer starts from alpha * sign. */
function nodeParams(model: Model, node: GraphNode, precision: Precision): TrainParams {
  const params: TrainParams = {};
  const input = firstInputShapes(model.graph).get(node.name)!;
  for (const spec of opOf(node.attrs.op).tensors(node.attrs, input)) {
    const stored = model.tensors.get(`${node.name}.${spec.suffix}`);
    if (stored) {
      params[spec.suffix] = allocate(precision, stored.data);
      continue;
    }
    const layer = model.weights.get(node.name);
    if (spec.suffix !== 'weight' || layer?.kind !== 'binary') throw new Error(`node "${node.name}": no tensor "${spec.suffix}" to train`);
    const signs = unpackWeights(layer.packed);
    const per = signs.size / layer.packed.alpha.size;
    params['weight'] = allocate(
      precision,
      signs.data.map((s, i) => s * layer.packed.alpha.data[Math.floor(i / per)]!),
    );
  }
  return params;
}

export class Network {
  readonly nodes: TrainNode[];
  /** The node whose output is the logits. */
  readonly logitsNode: string;

  constructor(
    readonly model: Model,
    readonly precision: Precision,
  ) {
    const graph = model.graph;
    const last = graph.nodes[graph.nodes.length - 1]!;
    const trained = last.attrs.op === 'softmax' ? graph.nodes.slice(0, -1) : graph.nodes;
    if (trained.length === 0) throw new Error(`${model.source}: a model of a single softmax has nothing to train`);
    this.logitsNode = trained[trained.length - 1]!.name;
    this.nodes = trained.map((node) => {
      const train = opOf(node.attrs.op).train;
      return {
        node,
        train,
        params: nodeParams(model, node, precision),
        trainable: train.trainable(node.attrs),
        binary: node.attrs.op === 'binconv2d' || node.attrs.op === 'binlinear',
      };
    });
  }

  get graph(): Graph {
    return this.model.graph;
  }

  async forward(input: FTensor, ctx: TrainContext): Promise<Tape> {
    const values = new Map<string, FTensor>([['input', input]]);
    const saved = new Map<string, unknown>();
    for (const { node, train, params } of this.nodes) {
      const inputs = node.inputs.map((name) => values.get(name)!);
      const result = await train.forward(inputs, node.attrs, params, ctx);
      values.set(node.name, result.output);
      saved.set(node.name, result.saved);
    }
    return { logits: values.get(this.logitsNode)!, saved };
  }

  /** Every trainable tensor's gradient, given dC/d(logits). */
  async backward(tape: Tape, gradLogits: Floats, ctx: TrainContext): Promise<Gradients> {
    const grads = new Map<string, Floats>([[this.logitsNode, gradLogits]]);
    const paramGrads: Gradients = new Map();
    for (let i = this.nodes.length - 1; i >= 0; i--) {
      const { node, train, params } = this.nodes[i]!;
      const dy = grads.get(node.name);
      if (!dy) continue; // nothing after it reads it
      const inputGradUnused = node.inputs.every((name) => name === 'input');
      const result = await train.backward(
        dy,
        tape.saved.get(node.name),
        node.attrs,
        params,
        inputGradUnused ? { ...ctx, inputGradUnused } : ctx,
      );
      paramGrads.set(node.name, result.params);
      node.inputs.forEach((name, k) => {
        if (name === 'input') return;
        const dx = result.inputs[k]!;
        const sum = grads.get(name);
        if (!sum) grads.set(name, dx);
        else {
          // A value read twice (a residual shortcut): its gradients add up.
          const total = zerosLike(sum, sum.length);
          for (let j = 0; j < total.length; j++) total[j] = sum[j]! + dx[j]!;
          grads.set(name, total);
        }
      });
      grads.delete(node.name);
    }
    return paramGrads;
  }

  /** The current tensors under their PyTorch names, as float32 (the model file's tensors). */
  tensors(): Map<string, StoredTensor> {
    const out = new Map<string, StoredTensor>();
    const inputs = firstInputShapes(this.graph);
    for (const { node, params } of this.nodes) {
      for (const spec of opOf(node.attrs.op).tensors(node.attrs, inputs.get(node.name)!)) {
        out.set(`${node.name}.${spec.suffix}`, { dtype: 'F32', shape: spec.shape, data: Float32Array.from(params[spec.suffix]!) });
      }
    }
    return out;
  }

  /** model.json of the network as trained (the same graph). */
  json(): ModelJson {
    return this.graph.json;
  }
}
