/**
 * model.json -> a validated graph: every node's attributes with defaults resolved, its inputs,
 * and the shape of its output (per sample: the batch dimension is free). Every problem is a
 * ModelFormatError naming the node.
 */
import { ModelFormatError } from './errors.js';
import { type Pair, poolOutputSize, windowOutputSize } from '../ops/window.js';
import type { ModelJson } from './types.js';

export type Shape = readonly number[];
export type BinaryMode = 'bwn' | 'xnor';

/** A node's attributes with the format's defaults applied. */
export type NodeAttrs =
  | { op: 'conv2d'; outChannels: number; kernel: Pair; stride: Pair; padding: Pair; bias: boolean }
  | {
      op: 'binconv2d';
      mode: BinaryMode;
      outChannels: number;
      kernel: Pair;
      stride: Pair;
      padding: Pair;
      bias: boolean;
      scaleInput: boolean;
    }
  | { op: 'linear'; outFeatures: number; bias: boolean }
  | { op: 'binlinear'; mode: BinaryMode; outFeatures: number; bias: boolean; scaleInput: boolean }
  | { op: 'batchnorm'; eps: number; affine: boolean }
  | { op: 'maxpool2d' | 'avgpool2d'; kernel: Pair; stride: Pair; padding: Pair }
  | { op: 'hardtanh'; min: number; max: number }
  | { op: 'relu' }
  | { op: 'globalavgpool' }
  | { op: 'flatten' }
  | { op: 'add' }
  | { op: 'dropout' }
  | { op: 'softmax' };

export type OpName = NodeAttrs['op'];

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

export const V1_OPS: readonly OpName[] = [
  'conv2d',
  'binconv2d',
  'linear',
  'binlinear',
  'batchnorm',
  'relu',
  'hardtanh',
  'maxpool2d',
  'avgpool2d',
  'globalavgpool',
  'flatten',
  'add',
  'dropout',
  'softmax',
];

const COMMON_KEYS = ['op', 'name', 'in'];
const ALLOWED_KEYS: Record<OpName, string[]> = {
  conv2d: ['outChannels', 'kernel', 'stride', 'padding', 'bias'],
  binconv2d: ['mode', 'outChannels', 'kernel', 'stride', 'padding', 'bias', 'scaleInput'],
  linear: ['outFeatures', 'bias'],
  binlinear: ['mode', 'outFeatures', 'bias', 'scaleInput'],
  batchnorm: ['eps', 'affine'],
  maxpool2d: ['kernel', 'stride', 'padding'],
  avgpool2d: ['kernel', 'stride', 'padding'],
  hardtanh: ['min', 'max'],
  relu: [],
  globalavgpool: [],
  flatten: [],
  add: [],
  dropout: [],
  softmax: [],
};

export const describeShape = (shape: Shape) => `[${shape.join(', ')}]`;

/** Reads the typed fields of one node, with errors that name it. */
class NodeReader {
  constructor(
    private readonly raw: Record<string, unknown>,
    readonly where: string,
    private readonly file: string,
  ) {}

  fail(message: string): never {
    throw new ModelFormatError(this.file, `${this.where}: ${message}`);
  }

  positiveInt(key: string): number {
    const v = this.raw[key];
    if (!Number.isInteger(v) || (v as number) < 1) this.fail(`"${key}" must be a positive integer, got ${JSON.stringify(v)}`);
    return v as number;
  }

  pair(key: string, fallback: number | undefined, min: number): Pair {
    const v = this.raw[key] ?? fallback;
    if (v === undefined) this.fail(`"${key}" is required`);
    const pair = typeof v === 'number' ? [v, v] : v;
    if (!Array.isArray(pair) || pair.length !== 2 || !pair.every((x) => Number.isInteger(x) && x >= min)) {
      this.fail(`"${key}" must be an integer >= ${min} or [h, w], got ${JSON.stringify(v)}`);
    }
    return [pair[0] as number, pair[1] as number];
  }

  bool(key: string, fallback: boolean): boolean {
    const v = this.raw[key] ?? fallback;
    if (typeof v !== 'boolean') this.fail(`"${key}" must be true or false, got ${JSON.stringify(v)}`);
    return v;
  }

  number(key: string, fallback: number, check: (v: number) => boolean, rule: string): number {
    const v = this.raw[key] ?? fallback;
    if (typeof v !== 'number' || !Number.isFinite(v) || !check(v)) this.fail(`"${key}" must be ${rule}, got ${JSON.stringify(v)}`);
    return v;
  }

  mode(): BinaryMode {
    const v = this.raw['mode'];
    if (v !== 'bwn' && v !== 'xnor') this.fail(`"mode" must be "bwn" or "xnor", got ${JSON.stringify(v)}`);
    return v;
  }
}

function parseAttrs(op: OpName, r: NodeReader): NodeAttrs {
  switch (op) {
    case 'conv2d':
      return {
        op,
        outChannels: r.positiveInt('outChannels'),
        kernel: r.pair('kernel', undefined, 1),
        stride: r.pair('stride', 1, 1),
        padding: r.pair('padding', 0, 0),
        bias: r.bool('bias', true),
      };
    case 'binconv2d':
      return {
        op,
        mode: r.mode(),
        outChannels: r.positiveInt('outChannels'),
        kernel: r.pair('kernel', undefined, 1),
        stride: r.pair('stride', 1, 1),
        padding: r.pair('padding', 0, 0),
        bias: r.bool('bias', true),
        scaleInput: r.bool('scaleInput', true),
      };
    case 'linear':
      return { op, outFeatures: r.positiveInt('outFeatures'), bias: r.bool('bias', true) };
    case 'binlinear':
      return {
        op,
        mode: r.mode(),
        outFeatures: r.positiveInt('outFeatures'),
        bias: r.bool('bias', true),
        scaleInput: r.bool('scaleInput', true),
      };
    case 'batchnorm':
      return { op, eps: r.number('eps', 1e-5, (v) => v > 0, 'a positive number'), affine: r.bool('affine', true) };
    case 'maxpool2d':
    case 'avgpool2d':
      return { op, kernel: r.pair('kernel', undefined, 1), stride: r.pair('stride', 1, 1), padding: r.pair('padding', 0, 0) };
    case 'hardtanh': {
      const min = r.number('min', -1, () => true, 'a number');
      const max = r.number('max', 1, (v) => v > min, `a number above min (${min})`);
      return { op, min, max };
    }
    default:
      return { op } as NodeAttrs;
  }
}

/** The per-sample output shape of a node, given its inputs' shapes. */
function inferShape(attrs: NodeAttrs, inputs: Shape[], r: NodeReader): Shape {
  const [x] = inputs as [Shape];
  const needImage = () => {
    if (x.length !== 3) r.fail(`${attrs.op} needs an input [C, H, W], got ${describeShape(x)}`);
    return x as [number, number, number];
  };
  const needVector = () => {
    if (x.length !== 1) r.fail(`${attrs.op} needs an input [F], got ${describeShape(x)} (add a flatten before it)`);
    return x[0]!;
  };
  const guard = <T>(compute: () => T): T => {
    try {
      return compute();
    } catch (err) {
      return r.fail((err as Error).message);
    }
  };
  switch (attrs.op) {
    case 'conv2d':
    case 'binconv2d': {
      const [, h, w] = needImage();
      const [ho, wo] = guard(() => windowOutputSize([h, w], attrs, attrs.op));
      return [attrs.outChannels, ho, wo];
    }
    case 'linear':
    case 'binlinear':
      needVector();
      return [attrs.outFeatures];
    case 'maxpool2d':
    case 'avgpool2d': {
      const [c, h, w] = needImage();
      const [ho, wo] = guard(() => poolOutputSize([h, w], attrs, attrs.op));
      return [c, ho, wo];
    }
    case 'globalavgpool':
      return [needImage()[0], 1, 1];
    case 'flatten':
      return [x.reduce((a, b) => a * b, 1)];
    case 'add':
      if (inputs.length < 2) r.fail(`add needs at least two inputs in "in", got ${inputs.length}`);
      for (const other of inputs) {
        if (describeShape(other) !== describeShape(x)) r.fail(`add inputs differ in shape: ${inputs.map(describeShape).join(' vs ')}`);
      }
      return x;
    default:
      if (x.length === 0) r.fail(`${attrs.op} needs an input with channels, got a scalar`);
      return x;
  }
}

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
    if (typeof op !== 'string' || !(V1_OPS as string[]).includes(op)) {
      throw new ModelFormatError(file, `${label}: unknown op ${JSON.stringify(op)} (version 1 ops: ${V1_OPS.join(', ')})`);
    }
    const r: NodeReader = new NodeReader(raw, label, file);
    const allowed = [...COMMON_KEYS, ...ALLOWED_KEYS[op as OpName]];
    const unknown = Object.keys(raw).filter((k) => !allowed.includes(k));
    if (unknown.length > 0)
      r.fail(`unknown attribute(s) ${unknown.map((k) => `"${k}"`).join(', ')} for ${op} (allowed: ${allowed.join(', ')})`);
    const name = raw['name'] ?? `${op}#${index}`;
    if (typeof name !== 'string' || name === '' || name === 'input') r.fail(`"name" must be a non-empty string other than "input"`);
    if (shapes.has(name)) r.fail(`the name "${name}" is used twice`);
    const inputs = readInputs(raw['in'], previous, r, shapes, rawNodes);
    const attrs = parseAttrs(op as OpName, r);
    if (attrs.op !== 'add' && inputs.length !== 1) r.fail(`${op} takes one input, "in" names ${inputs.length}`);
    const shape = inferShape(
      attrs,
      inputs.map((i) => shapes.get(i)!),
      r,
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

function readInputs(raw: unknown, previous: string, r: NodeReader, known: Map<string, Shape>, all: unknown[]): string[] {
  if (raw === undefined) return [previous];
  const names = typeof raw === 'string' ? [raw] : raw;
  if (!Array.isArray(names) || names.length === 0 || !names.every((n) => typeof n === 'string')) {
    r.fail(`"in" must be a node name or a list of names, got ${JSON.stringify(raw)}`);
  }
  for (const n of names as string[]) {
    if (known.has(n)) continue;
    const later = all.some((node) => isRecord(node) && node['name'] === n);
    r.fail(later ? `"in" names "${n}", which comes later in the graph` : `"in" names "${n}", which is not a node (nor "input")`);
  }
  return names as string[];
}
