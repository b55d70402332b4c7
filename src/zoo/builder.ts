/**
 * Builds a model graph node by node and gives each node's tensors seeded random values as it
 * goes. Every output shape is tracked, so a layer's weight shape follows from its input and a
 * wrong architecture fails here instead of in a backend.
 */
import type { ModelNode, StoredTensor } from '../model/types.js';
import { type Pair, poolOutputSize, toPair, windowOutputSize } from '../ops/window.js';
import type { Rng } from '../util/random.js';
import { fillNormal, fillUniform } from './sampling.js';

const product = (dims: readonly number[]): number => dims.reduce((a, b) => a * b, 1);

export class GraphBuilder {
  readonly nodes: ModelNode[] = [];
  readonly weights = new Map<string, StoredTensor>();
  /** Output shape ([C, H, W] or [F], no batch dimension) of "input" and every named node. */
  private readonly shapes = new Map<string, readonly number[]>();
  private last: readonly number[];

  constructor(
    inputShape: readonly number[],
    private readonly rng: Rng,
  ) {
    this.shapes.set('input', inputShape);
    this.last = inputShape;
  }

  /** The output shape of a named node, or of the last node added. */
  shape(name?: string): readonly number[] {
    if (name === undefined) return this.last;
    const shape = this.shapes.get(name);
    if (shape === undefined) throw new Error(`no node named "${name}" yet`);
    return shape;
  }

  add(node: ModelNode): void {
    if (node.name !== undefined && this.shapes.has(node.name)) throw new Error(`duplicate node name "${node.name}"`);
    const output = this.addTensors(node, this.inputShape(node));
    this.nodes.push(node);
    if (node.name !== undefined) this.shapes.set(node.name, output);
    this.last = output;
  }

  private inputShape(node: ModelNode): readonly number[] {
    if (!Array.isArray(node.in)) return this.shape(node.in);
    if (node.op !== 'add') throw new Error(`${node.op}: only add takes a list of inputs`);
    const [first, ...rest] = node.in.map((name) => this.shape(name));
    if (first === undefined || rest.some((s) => s.join() !== first.join())) {
      throw new Error(`add "${node.name ?? ''}": inputs ${node.in.join(', ')} must have one shape`);
    }
    return first;
  }

  /** Creates the node's tensors and returns its output shape. */
  private addTensors(node: ModelNode, input: readonly number[]): readonly number[] {
    const what = `${node.op} "${node.name ?? ''}"`;
    switch (node.op) {
      case 'conv2d':
      case 'binconv2d': {
        const [channels, h, w] = dims(input, 3, what);
        const kernel = toPair(node.kernel, `${what} kernel`);
        this.weightLayer(node.name, [node.outChannels, channels, ...kernel], node.bias ?? true);
        const window = { kernel, stride: toPair(node.stride ?? 1, what), padding: toPair(node.padding ?? 0, what) };
        return [node.outChannels, ...windowOutputSize([h, w], window, what)];
      }
      case 'linear':
      case 'binlinear': {
        const [features] = dims(input, 1, what);
        this.weightLayer(node.name, [node.outFeatures, features], node.bias ?? true);
        return [node.outFeatures];
      }
      case 'batchnorm':
        this.batchnorm(node.name, input[0] ?? 0, node.affine ?? true);
        return input;
      case 'maxpool2d':
      case 'avgpool2d': {
        const [channels, h, w] = dims(input, 3, what);
        const window = {
          kernel: toPair(node.kernel, what),
          stride: toPair(node.stride ?? 1, what),
          padding: toPair(node.padding ?? 0, what),
        };
        return [channels, ...poolOutputSize([h, w], window, what)];
      }
      case 'globalavgpool':
        return [dims(input, 3, what)[0], 1, 1];
      case 'flatten':
        return [product(input)];
      case 'relu':
      case 'hardtanh':
      case 'add':
      case 'dropout':
      case 'softmax':
        return input;
    }
  }

  /** conv/linear: He-initialized weight [Cout, ...fan-in dims], so activations keep their scale through ReLUs. */
  private weightLayer(name: string | undefined, shape: number[], bias: boolean): void {
    const prefix = required(name, 'a layer with weights');
    const std = Math.sqrt(2 / product(shape.slice(1)));
    fillNormal(this.rng, this.tensor(`${prefix}.weight`, shape), std);
    if (bias) fillNormal(this.rng, this.tensor(`${prefix}.bias`, shape.slice(0, 1)), 0.01);
  }

  /** Statistics away from the identity, so a backend that skips a term gives visibly wrong outputs. */
  private batchnorm(name: string | undefined, channels: number, affine: boolean): void {
    const prefix = required(name, 'a batchnorm');
    if (affine) {
      fillUniform(this.rng, this.tensor(`${prefix}.weight`, [channels]), 0.5, 1.5);
      fillNormal(this.rng, this.tensor(`${prefix}.bias`, [channels]), 0.1);
    }
    fillNormal(this.rng, this.tensor(`${prefix}.running_mean`, [channels]), 0.1);
    fillUniform(this.rng, this.tensor(`${prefix}.running_var`, [channels]), 0.5, 1.5);
  }

  /** Registers a zero F32 tensor and returns its data to fill. */
  private tensor(name: string, shape: number[]): Float32Array {
    const data = new Float32Array(product(shape));
    this.weights.set(name, { dtype: 'F32', shape, data });
    return data;
  }
}

function dims(shape: readonly number[], rank: 1, what: string): [number];
function dims(shape: readonly number[], rank: 3, what: string): [number, ...Pair];
function dims(shape: readonly number[], rank: number, what: string): number[] {
  if (shape.length !== rank) throw new Error(`${what}: needs a rank-${rank} input, got [${shape.join(', ')}]`);
  return [...shape];
}

function required(name: string | undefined, what: string): string {
  if (name === undefined) throw new Error(`${what} needs a name (its tensors' prefix)`);
  return name;
}
