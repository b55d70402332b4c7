/**
 * A float model as an ONNX ModelProto (opset 13, IR version 8), for running the zoo's float
 * networks in ONNX Runtime with the same weights. The protobuf encoding is onnx-proto's
 * (protobufjs code generated from onnx.proto): nothing here writes bytes by hand.
 *
 * Ops: conv2d -> Conv, linear -> Gemm (transB = 1), batchnorm -> BatchNormalization
 * (inference; affine: false as scale 1, bias 0), relu -> Relu, hardtanh -> Clip,
 * maxpool2d -> MaxPool, avgpool2d -> AveragePool (count_include_pad = 1), globalavgpool ->
 * GlobalAveragePool, flatten -> Flatten, add -> Add (a chain for more than two inputs),
 * softmax -> Softmax (axis 1), dropout -> Identity. The batch dimension is free ("N"); every
 * value keeps its node's name, and the graph's outputs are the model's.
 *
 * Binary layers (binconv2d, binlinear) have no float equivalent in these engines and throw.
 * bench-only: onnx-proto is a devDependency that neither the library nor the tests need.
 */
import onnxProto, { type onnx as Onnx } from 'onnx-proto';
import type { Model } from '../../src/model/model.js';
import type { GraphNode } from '../../src/model/graph.js';
import type { LayerWeights } from '../../src/ops/op.js';

const { onnx } = onnxProto;

/** The opset the exported graphs use: Softmax has single-axis semantics from 13 on. */
export const ONNX_OPSET = 13;
/** onnx-proto 8.0.1 is onnx.proto of ONNX 1.10: IR version 8. */
const IR_VERSION = 8;

type Attribute = { name: string } & ({ i: number } | { ints: readonly number[] } | { f: number });

function attribute(a: Attribute): Onnx.IAttributeProto {
  const { AttributeType } = onnx.AttributeProto;
  if ('i' in a) return { name: a.name, type: AttributeType.INT, i: a.i };
  if ('f' in a) return { name: a.name, type: AttributeType.FLOAT, f: a.f };
  return { name: a.name, type: AttributeType.INTS, ints: [...a.ints] };
}

function littleEndian(): boolean {
  return new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
}

function floatTensor(name: string, dims: readonly number[], data: Float32Array): Onnx.ITensorProto {
  if (!littleEndian()) throw new Error('onnx export: raw_data is little-endian; this machine is not');
  // raw_data is the little-endian bytes of the values: a view of the Float32Array, no copy.
  const rawData = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return { name, dims: [...dims], dataType: onnx.TensorProto.DataType.FLOAT, rawData };
}

function valueInfo(name: string, perSample: readonly number[]): Onnx.IValueInfoProto {
  const dim = [{ dimParam: 'N' }, ...perSample.map((d) => ({ dimValue: d }))];
  return { name, type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim } } } };
}

function weightsOf<K extends LayerWeights['kind']>(model: Model, node: GraphNode, kind: K): Extract<LayerWeights, { kind: K }> {
  const w = model.weights.get(node.name);
  if (!w || w.kind !== kind) throw new Error(`onnx export: node "${node.name}" has no ${kind} weights`);
  return w as Extract<LayerWeights, { kind: K }>;
}

/** Pads as ONNX lists them: [top, left, bottom, right]. */
function pads(padding: readonly [number, number]): number[] {
  return [padding[0], padding[1], padding[0], padding[1]];
}

/** The ONNX ModelProto of a float model, encoded. */
export function exportOnnx(model: Model): Uint8Array {
  const nodes: Onnx.INodeProto[] = [];
  const initializers: Onnx.ITensorProto[] = [];
  const add = (opType: string, name: string, inputs: string[], output: string, attrs: Attribute[] = []) =>
    nodes.push({ name, opType, input: inputs, output: [output], attribute: attrs.map(attribute) });
  const constant = (name: string, dims: readonly number[], data: Float32Array) => {
    initializers.push(floatTensor(name, dims, data));
    return name;
  };

  for (const node of model.graph.nodes) {
    const a = node.attrs;
    const x = node.inputs;
    const out = node.name;
    switch (a.op) {
      case 'conv2d': {
        const w = weightsOf(model, node, 'float');
        const inputs = [x[0]!, constant(`${out}.weight`, w.weight.shape, w.weight.data)];
        if (w.bias) inputs.push(constant(`${out}.bias`, [w.bias.length], w.bias));
        add('Conv', out, inputs, out, [
          { name: 'kernel_shape', ints: a.kernel },
          { name: 'strides', ints: a.stride },
          { name: 'pads', ints: pads(a.padding) },
        ]);
        break;
      }
      case 'linear': {
        const w = weightsOf(model, node, 'float');
        const inputs = [x[0]!, constant(`${out}.weight`, w.weight.shape, w.weight.data)];
        if (w.bias) inputs.push(constant(`${out}.bias`, [w.bias.length], w.bias));
        add('Gemm', out, inputs, out, [{ name: 'transB', i: 1 }]);
        break;
      }
      case 'batchnorm': {
        const w = weightsOf(model, node, 'batchnorm');
        const c = w.runningMean.length;
        const scale = w.weight ?? new Float32Array(c).fill(1);
        const bias = w.bias ?? new Float32Array(c);
        add(
          'BatchNormalization',
          out,
          [
            x[0]!,
            constant(`${out}.weight`, [c], scale),
            constant(`${out}.bias`, [c], bias),
            constant(`${out}.running_mean`, [c], w.runningMean),
            constant(`${out}.running_var`, [c], w.runningVar),
          ],
          out,
          [{ name: 'epsilon', f: w.eps }],
        );
        break;
      }
      case 'relu':
        add('Relu', out, [x[0]!], out);
        break;
      case 'hardtanh': {
        const min = constant(`${out}.min`, [], new Float32Array([a.min]));
        const max = constant(`${out}.max`, [], new Float32Array([a.max]));
        add('Clip', out, [x[0]!, min, max], out);
        break;
      }
      case 'maxpool2d':
        add('MaxPool', out, [x[0]!], out, [
          { name: 'kernel_shape', ints: a.kernel },
          { name: 'strides', ints: a.stride },
          { name: 'pads', ints: pads(a.padding) },
        ]);
        break;
      case 'avgpool2d':
        add('AveragePool', out, [x[0]!], out, [
          { name: 'kernel_shape', ints: a.kernel },
          { name: 'strides', ints: a.stride },
          { name: 'pads', ints: pads(a.padding) },
          { name: 'count_include_pad', i: 1 },
        ]);
        break;
      case 'globalavgpool':
        add('GlobalAveragePool', out, [x[0]!], out);
        break;
      case 'flatten':
        add('Flatten', out, [x[0]!], out, [{ name: 'axis', i: 1 }]);
        break;
      case 'add': {
        // Add takes two inputs: a chain for more, the last step writing the node's value.
        let sum = x[0]!;
        for (let k = 1; k < x.length; k++) {
          const to = k === x.length - 1 ? out : `${out}#partial${k}`;
          add('Add', `${out}#${k}`, [sum, x[k]!], to);
          sum = to;
        }
        break;
      }
      case 'softmax':
        add('Softmax', out, [x[0]!], out, [{ name: 'axis', i: 1 }]);
        break;
      case 'dropout':
        add('Identity', out, [x[0]!], out);
        break;
      case 'binconv2d':
      case 'binlinear':
        throw new Error(
          `onnx export: node "${node.name}" is a binary layer (${a.op}, ${a.mode}); only float models export (the peers are float engines)`,
        );
      default: {
        const unknown: never = a;
        throw new Error(`onnx export: no ONNX mapping for op ${(unknown as { op: string }).op}`);
      }
    }
  }

  const shapes = new Map(model.graph.nodes.map((n) => [n.name, n.shape] as const));
  const proto = onnx.ModelProto.create({
    irVersion: IR_VERSION,
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    producerName: 'xnornet bench/peers/onnx-export.ts',
    graph: {
      name: model.graph.name,
      node: nodes,
      initializer: initializers,
      input: [valueInfo('input', model.graph.inputShape)],
      output: model.graph.outputs.map((name) => valueInfo(name, shapes.get(name)!)),
    },
  });
  return onnx.ModelProto.encode(proto).finish();
}

/** Bytes of the initializers (the float32 weights) of an encoded ONNX model. */
export function initializerBytes(encoded: Uint8Array): number {
  const model = onnx.ModelProto.decode(encoded);
  return (model.graph?.initializer ?? []).reduce((sum, t) => sum + (t.rawData?.length ?? 4 * (t.floatData?.length ?? 0)), 0);
}
