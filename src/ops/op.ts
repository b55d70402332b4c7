/**
 * What an op is, in one place: the contract every op module (src/ops/<op>.ts) fulfils and the
 * registry (registry.ts) lists. Graph validation, weight resolution, costs, the reference
 * executor and the zoo loop over these definitions; none of them switches on an op's name.
 */
import type { PackedWeights } from '../tensor/bits.js';
import { type Tensor, formatShape } from '../tensor/tensor.js';
import type { OpTraining } from './training.js';
import type { Pair } from './window.js';

export type Shape = readonly number[];
export type BinaryMode = 'bwn' | 'xnor';

/** A layer's weights as every backend uses them, resolved from the model file's tensors. */
export type LayerWeights =
  | { kind: 'float'; weight: Tensor<Float32Array>; bias: Float32Array | undefined }
  | { kind: 'binary'; packed: PackedWeights; bias: Float32Array | undefined }
  | {
      kind: 'batchnorm';
      runningMean: Float32Array;
      runningVar: Float32Array;
      /** Absent when affine: false (weight = 1, bias = 0). */
      weight: Float32Array | undefined;
      bias: Float32Array | undefined;
      eps: number;
    };

export type WeightsOfKind<K extends LayerWeights['kind']> = Extract<LayerWeights, { kind: K }>;

/** How a zoo model initialises a tensor (src/zoo/builder.ts gives each role its distribution). */
export type TensorRole = 'weight' | 'bias' | 'bn-weight' | 'bn-bias' | 'running-mean' | 'running-var';

/** A float tensor a node holds in a model file: `<node name>.<suffix>`, PyTorch's state_dict names. */
export interface TensorSpec {
  suffix: string;
  shape: number[];
  role: TensorRole;
}

/** The model file's tensors as an op reads them: each read checks dtype, shape and finite values. */
export interface TensorSource {
  /** The tensor's full name in the file, `<node name>.<suffix>`. */
  name(suffix: string): string;
  has(suffix: string): boolean;
  float(suffix: string, shape: Shape): Float32Array;
  uint32(suffix: string, shape: Shape): Uint32Array;
  /** Throws the model-format error for this node (and tensor, when given). */
  fail(message: string, suffix?: string): never;
}

/** Per-sample parameter, byte and operation counts of one node. */
export interface Cost {
  params: number;
  /** Bytes of the layer's tensors with every weight as float32. */
  floatBytes: number;
  /** Bytes with binary layers packed (weight_bits + alpha); other layers unchanged. */
  packedBytes: number;
  /** Full-precision multiply-adds. */
  floatMacs: number;
  /** XNOR + popcount bit operations (one per weight-input pair of an XNOR layer). */
  xnorMacs: number;
  /** Additions / subtractions of a BWN layer (one per weight-input pair). */
  bwnMacs: number;
}

export const NO_COST: Cost = { params: 0, floatBytes: 0, packedBytes: 0, floatMacs: 0, xnorMacs: 0, bwnMacs: 0 };

/** Everything an op is. `A` is its attributes with defaults applied, `W` its resolved weights. */
export interface OpDef<A extends { op: string }, W extends LayerWeights | undefined = undefined> {
  readonly op: A['op'];
  /** Attribute keys of model.json besides op, name and in. */
  readonly attributes: readonly string[];
  /** 'many' for add; every other op reads one input. */
  readonly inputs: 'one' | 'many';
  /** The attributes with model-format.md's defaults; errors name the node. */
  parse(r: AttrReader): A;
  /** The per-sample output shape ([C, H, W] or [F]) from the inputs' shapes; `fail` names the node. */
  outputShape(attrs: A, inputs: readonly Shape[], fail: (message: string) => never): Shape;
  /** The float tensors a model file holds for the node, in the zoo's initialisation order. */
  tensors(attrs: A, input: Shape): TensorSpec[];
  /** The node's weights, read and checked from the model file. */
  weights(attrs: A, input: Shape, source: TensorSource): W;
  cost(attrs: A, input: Shape, output: Shape): Cost;
  /** The float reference of semantics.md: batched inputs [N, ...] to the batched output. */
  reference(inputs: readonly Tensor<Float32Array>[], attrs: A, weights: W): Tensor<Float32Array>;
  /** Its forward pass in training mode and its backward pass (semantics.md, training). */
  readonly train: OpTraining<A>;
}

/** An op without tensors (elementwise, pooling, views): no weights, no cost of its own. */
export function weightlessOp<A extends { op: string }>(
  def: Pick<OpDef<A>, 'op' | 'attributes' | 'inputs' | 'parse' | 'outputShape' | 'reference' | 'train'>,
): OpDef<A> {
  return { ...def, tensors: () => [], weights: () => undefined, cost: () => NO_COST };
}

/** Reads the typed attributes of one node of model.json, with errors that name it. */
export class AttrReader {
  constructor(
    private readonly raw: Readonly<Record<string, unknown>>,
    /** Throws the model-format error naming the node. */
    readonly fail: (message: string) => never,
  ) {}

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

/** Shape checks the op modules share. */
export function imageInput(op: string, x: Shape, fail: (message: string) => never): [number, number, number] {
  if (x.length !== 3) fail(`${op} needs an input [C, H, W], got ${formatShape(x)}`);
  return x as [number, number, number];
}

export function vectorInput(op: string, x: Shape, fail: (message: string) => never): number {
  if (x.length !== 1) fail(`${op} needs an input [F], got ${formatShape(x)} (add a flatten before it)`);
  return x[0]!;
}

/** Ops that keep their input's shape (elementwise) still need channels. */
export function sameShape(op: string, x: Shape, fail: (message: string) => never): Shape {
  if (x.length === 0) fail(`${op} needs an input with channels, got a scalar`);
  return x;
}

/** Runs a shape rule that throws RangeErrors, turning them into the node's error. */
export function guarded<T>(compute: () => T, fail: (message: string) => never): T {
  try {
    return compute();
  } catch (err) {
    return fail((err as Error).message);
  }
}
