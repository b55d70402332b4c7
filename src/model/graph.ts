/**
 * model.json -> a validated graph: every node's attributes with defaults resolved, its inputs,
 * and the shape of its output (per sample: the batch dimension is free). Each op's attributes
 * and shape rule come from its module (src/ops); every problem is a ModelFormatError naming
 * the node.
 */
import { AttrReader, type Shape } from '../ops/op.js';
import { type NodeAttrs, OP_NAMES, isOpName, opOf } from '../ops/registry.js';
import { ModelFormatError } from './errors.js';
import type { ModelJson } from './types.js';

export type { Shape } from '../ops/op.js';
export type { NodeAttrs, OpName } from '../ops/registry.js';

export interface GraphNode {
  /** Position in model.json's nodes. */
  index: number;
  /** The node's name, or `op#index` for an unnamed node. */
  name: string;
  /** Names of the nodes (or "input") it reads. */
  inputs: string[];
  attrs: NodeAttrs;
  /** Per-sample output shape: [C, H, W] or [F]. */
  shape: Shape;
}

export interface Graph {
  name: string;
  inputShape: Shape;
  nodes: GraphNode[];
  /** Names of the nodes whose outputs the model returns. */
  outputs: string[];
  json: ModelJson;
}

const COMMON_KEYS = ['op', 'name', 'in'];

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseInputShape(json: Record<string, unknown>, file: string): Shape {
  const input = json['input'];
  const shape = isRecord(input) ? input['shape'] : undefined;
  if (!Array.isArray(shape) || (shape.length !== 1 && shape.length !== 3) || !shape.every((d) => Number.isInteger(d) && d >= 1)) {
    throw new ModelFormatError(file, `"input.shape" must be [C, H, W] or [F] of positive integers, got ${JSON.stringify(shape)}`);
  }
  return shape as number[];
}

/** Checks model.json's structure and infers every node's output shape. */
export function buildGraph(json: unknown, file: string): Graph {
  if (!isRecord(json)) throw new ModelFormatError(file, 'a model must be a JSON object');
  if (json['format'] !== 'xnornet') throw new ModelFormatError(file, `"format" must be "xnornet", got ${JSON.stringify(json['format'])}`);
  if (json['version'] !== 1) {
    throw new ModelFormatError(file, `format version ${JSON.stringify(json['version'])} is not supported (this reader knows version 1)`);
  }
  if (typeof json['weights'] !== 'string' || json['weights'] === '') {
    throw new ModelFormatError(file, '"weights" must name the safetensors file');
  }
  const inputShape = parseInputShape(json, file);
  const rawNodes = json['nodes'];
  if (!Array.isArray(rawNodes) || rawNodes.length === 0) throw new ModelFormatError(file, '"nodes" must be a non-empty array');

  const shapes = new Map<string, Shape>([['input', inputShape]]);
  const nodes: GraphNode[] = [];
  let previous = 'input';
  rawNodes.forEach((raw, index) => {
    if (!isRecord(raw)) throw new ModelFormatError(file, `node ${index}: must be an object`);
    const op = raw['op'];
    const label = typeof raw['name'] === 'string' ? `node ${index} "${raw['name']}"` : `node ${index} (${String(op)})`;
    if (!isOpName(op)) {
      throw new ModelFormatError(file, `${label}: unknown op ${JSON.stringify(op)} (version 1 ops: ${OP_NAMES.join(', ')})`);
    }
    const fail: (message: string) => never = (message) => {
      throw new ModelFormatError(file, `${label}: ${message}`);
    };
    const def = opOf(op);
    const allowed = [...COMMON_KEYS, ...def.attributes];
    const unknown = Object.keys(raw).filter((k) => !allowed.includes(k));
    if (unknown.length > 0)
      fail(`unknown attribute(s) ${unknown.map((k) => `"${k}"`).join(', ')} for ${op} (allowed: ${allowed.join(', ')})`);
    const name = raw['name'] ?? `${op}#${index}`;
    if (typeof name !== 'string' || name === '' || name === 'input') fail(`"name" must be a non-empty string other than "input"`);
    if (shapes.has(name)) fail(`the name "${name}" is used twice`);
    const inputs = readInputs(raw['in'], previous, fail, shapes, rawNodes);
    const attrs = def.parse(new AttrReader(raw, fail));
    if (def.inputs === 'one' && inputs.length !== 1) fail(`${op} takes one input, "in" names ${inputs.length}`);
    const shape = def.outputShape(
      attrs,
      inputs.map((i) => shapes.get(i)!),
      fail,
    );
    shapes.set(name, shape);
    nodes.push({ index, name, inputs, attrs, shape });
    previous = name;
  });

  const outputs = json['outputs'] ?? [previous];
  if (!Array.isArray(outputs) || outputs.length === 0 || !outputs.every((o) => typeof o === 'string')) {
    throw new ModelFormatError(file, '"outputs" must be a non-empty list of node names');
  }
  for (const o of outputs as string[]) {
    if (!nodes.some((n) => n.name === o)) throw new ModelFormatError(file, `"outputs" names "${o}", which is not a node`);
  }
  const name = typeof json['name'] === 'string' ? json['name'] : file;
  return { name, inputShape, nodes, outputs: outputs as string[], json: json as unknown as ModelJson };
}

/** The per-sample shape of each node's first input, by node name: what its weights and cost follow from. */
export function firstInputShapes(graph: Graph): Map<string, Shape> {
  const shapes = new Map<string, Shape>([['input', graph.inputShape], ...graph.nodes.map((n) => [n.name, n.shape] as const)]);
  return new Map(graph.nodes.map((n) => [n.name, shapes.get(n.inputs[0]!)!]));
}

function readInputs(raw: unknown, previous: string, fail: (message: string) => never, known: Map<string, Shape>, all: unknown[]): string[] {
  if (raw === undefined) return [previous];
  const names = typeof raw === 'string' ? [raw] : raw;
  if (!Array.isArray(names) || names.length === 0 || !names.every((n) => typeof n === 'string')) {
    fail(`"in" must be a node name or a list of names, got ${JSON.stringify(raw)}`);
  }
  for (const n of names as string[]) {
    if (known.has(n)) continue;
    const later = all.some((node) => isRecord(node) && node['name'] === n);
    fail(later ? `"in" names "${n}", which comes later in the graph` : `"in" names "${n}", which is not a node (nor "input")`);
  }
  return names as string[];
}
