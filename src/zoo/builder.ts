/**
 * Builds a model graph node by node and gives each node's tensors seeded random values as it
 * goes. Attributes, output shapes and the tensors a node needs come from its op's module
 * (src/ops), so a wrong architecture fails here instead of in a backend.
 */
import type { ModelNode, StoredTensor } from '../model/types.js';
import { AttrReader, type Shape, type TensorRole } from '../ops/op.js';
import { opOf } from '../ops/registry.js';
import { shapeSize } from '../tensor/tensor.js';
import type { Rng } from '../util/random.js';
import { fillNormal, fillUniform } from './sampling.js';

export class GraphBuilder {
  readonly nodes: ModelNode[] = [];
  readonly weights = new Map<string, StoredTensor>();
  /** Output shape ([C, H, W] or [F], no batch dimension) of "input" and every named node. */
  private readonly shapes = new Map<string, Shape>();
  private last: Shape;

  constructor(
    inputShape: Shape,
    private readonly rng: Rng,
  ) {
    this.shapes.set('input', inputShape);
    this.last = inputShape;
  }

  /** The output shape of a named node, or of the last node added. */
  shape(name?: string): Shape {
    if (name === undefined) return this.last;
    const shape = this.shapes.get(name);
    if (shape === undefined) throw new Error(`no node named "${name}" yet`);
    return shape;
  }

  add(node: ModelNode): void {
    if (node.name !== undefined && this.shapes.has(node.name)) throw new Error(`duplicate node name "${node.name}"`);
    const fail = (message: string): never => {
      throw new Error(`${node.op} "${node.name ?? ''}": ${message}`);
    };
    const def = opOf(node.op);
    const inputs = (Array.isArray(node.in) ? node.in : [node.in]).map((name) => this.shape(name));
    if (def.inputs === 'one' && inputs.length !== 1) fail('takes one input');
    const attrs = def.parse(new AttrReader(node as unknown as Record<string, unknown>, fail));
    const output = def.outputShape(attrs, inputs, fail);
    const specs = def.tensors(attrs, inputs[0]!);
    if (specs.length > 0 && node.name === undefined) fail('a node with tensors needs a name (their prefix)');
    for (const { suffix, shape, role } of specs) this.initialise(this.tensor(`${node.name}.${suffix}`, shape), role, shape);
    this.nodes.push(node);
    if (node.name !== undefined) this.shapes.set(node.name, output);
    this.last = output;
  }

  /**
   * Weights He-initialised, so activations keep their scale through ReLUs; batchnorm statistics
   * away from the identity, so a backend that skips a term gives visibly wrong outputs.
   */
  private initialise(data: Float32Array, role: TensorRole, shape: number[]): void {
    switch (role) {
      case 'weight':
        return fillNormal(this.rng, data, Math.sqrt(2 / shapeSize(shape.slice(1))));
      case 'bias':
        return fillNormal(this.rng, data, 0.01);
      case 'bn-weight':
      case 'running-var':
        return fillUniform(this.rng, data, 0.5, 1.5);
      case 'bn-bias':
      case 'running-mean':
        return fillNormal(this.rng, data, 0.1);
    }
  }

  /** Registers a zero F32 tensor and returns its data to fill. */
  private tensor(name: string, shape: number[]): Float32Array {
    const data = new Float32Array(shapeSize(shape));
    this.weights.set(name, { dtype: 'F32', shape, data });
    return data;
  }
}
