/**
 * Lowering a graph to GPU steps for one batch size, with the fusions the kernels allow:
 * - a batchnorm read only by an XNOR layer goes into the sign-packing pass (no float write);
 * - bias, alpha and a following batchnorm fold into a conv/linear epilogue, a following relu
 *   fuses into it; K comes from the packing pass's mean |x|;
 * - batchnorm / add followed by relu or hardtanh run as one pointwise pass;
 * - flatten and dropout are views of their input, no pass at all.
 * Values are numbered; a value is one buffer's worth of data, a Ref a view of it with a shape.
 */
import type { Graph, GraphNode } from '../model/graph.js';
import { type ModelWeights, nodeWeights } from '../model/weights.js';
import type { WindowParams } from '../ops/window.js';
import { type PackedWeights, wordsFor } from '../tensor/bits.js';
import { ohwiFromOihw } from '../tensor/layout.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Activation } from '../backends/webgpu/kernels/pointwise.js';
import { nhwc4Shape } from '../backends/webgpu/kernels/to-nhwc4.js';
import { type Affine, batchnormAffine, compose, layerAffine } from './affine.js';

export interface Ref {
  value: number;
  shape: number[];
}

export interface ValueInfo {
  dtype: 'float32' | 'uint32';
  elements: number;
}

interface StepBase {
  /** The graph nodes this step computes (several when fused). */
  nodes: string[];
}

export type Step = StepBase &
  (
    | { kind: 'pack'; input: Ref; output: Ref; meanAbs: Ref | undefined; affine: Affine | undefined }
    | { kind: 'nhwc4'; input: Ref; output: Ref }
    | {
        kind: 'xnorConv';
        input: Ref;
        inChannels: number;
        meanAbs: Ref | undefined;
        weights: PackedWeights;
        window: WindowParams;
        epilogue: Affine;
        relu: boolean;
        output: Ref;
      }
    | {
        kind: 'conv';
        input: Ref;
        inputShape: [number, number, number, number];
        /** float32 OHWI4, or packed bits (BWN) [Cout, kh, kw, words]. */
        weights: Tensor;
        window: WindowParams;
        epilogue: Affine;
        relu: boolean;
        output: Ref;
      }
    | { kind: 'pointwise'; input: Ref; add: Ref | undefined; affine: Affine | undefined; activation: Activation; output: Ref }
    | { kind: 'pool'; pool: 'max' | 'avg'; window: WindowParams; input: Ref; output: Ref }
    | { kind: 'softmax'; input: Ref; output: Ref }
  );

export interface Lowered {
  steps: Step[];
  values: ValueInfo[];
  input: Ref;
  outputs: Map<string, Ref>;
}

export function lower(graph: Graph, weights: ModelWeights, batch: number): Lowered {
  const values: ValueInfo[] = [];
  const steps: Step[] = [];
  const refs = new Map<string, Ref>();
  /** Batchnorms folded into the packing of the XNOR layer that reads them. */
  const intoPacking = new Map<string, { source: Ref; affine: Affine }>();
  const fused = new Set<string>();

  const readers = new Map<string, GraphNode[]>();
  for (const node of graph.nodes) for (const i of node.inputs) readers.set(i, [...(readers.get(i) ?? []), node]);
  /** The one node reading `name`, when nothing else needs its value. */
  const soleReader = (name: string) => {
    const r = readers.get(name) ?? [];
    return r.length === 1 && !graph.outputs.includes(name) ? r[0] : undefined;
  };
  const newValue = (dtype: ValueInfo['dtype'], shape: number[]): Ref => {
    values.push({ dtype, elements: shape.reduce((a, b) => a * b, 1) });
    return { value: values.length - 1, shape };
  };
  const full = (node: GraphNode) => [batch, ...node.shape];
  const refOf = (name: string) => refs.get(name)!;
  /** An [N, F] value seen as the NCHW [N, F, 1, 1] the conv kernels take. */
  const asImage = (ref: Ref): Ref => (ref.shape.length === 2 ? { value: ref.value, shape: [...ref.shape, 1, 1] } : ref);

  /** Fuses a following batchnorm and relu into a layer's epilogue; returns the last node it covers. */
  const fuseEpilogue = (node: GraphNode, base: Affine) => {
    let end = node;
    let epilogue = base;
    let relu = false;
    const nodes = [node.name];
    const bn = soleReader(end.name);
    if (bn?.attrs.op === 'batchnorm') {
      epilogue = compose(epilogue, batchnormAffine(nodeWeights(weights, bn, 'batchnorm')));
      end = bn;
      nodes.push(bn.name);
    }
    const act = soleReader(end.name);
    if (act?.attrs.op === 'relu') {
      relu = true;
      end = act;
      nodes.push(act.name);
    }
    for (const n of nodes.slice(1)) fused.add(n);
    return { end, epilogue, relu, nodes };
  };

  /** Fuses a following relu / hardtanh into a pointwise pass. */
  const fuseActivation = (node: GraphNode) => {
    const act = soleReader(node.name);
    if (act?.attrs.op === 'relu' || act?.attrs.op === 'hardtanh') {
      fused.add(act.name);
      const activation: Activation =
        act.attrs.op === 'relu' ? { kind: 'relu' } : { kind: 'hardtanh', min: act.attrs.min, max: act.attrs.max };
      return { end: act, activation, nodes: [node.name, act.name] };
    }
    return { end: node, activation: { kind: 'none' } as Activation, nodes: [node.name] };
  };

  const input = newValue('float32', [batch, ...graph.inputShape]);
  refs.set('input', input);

  for (const node of graph.nodes) {
    if (fused.has(node.name)) continue;
    const a = node.attrs;
    const x = () => refOf(node.inputs[0]!);
    switch (a.op) {
      case 'flatten':
      case 'dropout':
        refs.set(node.name, { value: x().value, shape: full(node) });
        break;
      case 'batchnorm': {
        const reader = soleReader(node.name);
        const affine = batchnormAffine(nodeWeights(weights, node, 'batchnorm'));
        if ((reader?.attrs.op === 'binconv2d' || reader?.attrs.op === 'binlinear') && reader.attrs.mode === 'xnor') {
          intoPacking.set(node.name, { source: x(), affine });
          break;
        }
        const f = fuseActivation(node);
        const output = newValue('float32', full(f.end));
        steps.push({ kind: 'pointwise', nodes: f.nodes, input: x(), add: undefined, affine, activation: f.activation, output });
        refs.set(f.end.name, output);
        break;
      }
      case 'relu':
      case 'hardtanh': {
        const activation: Activation = a.op === 'relu' ? { kind: 'relu' } : { kind: 'hardtanh', min: a.min, max: a.max };
        const output = newValue('float32', full(node));
        steps.push({ kind: 'pointwise', nodes: [node.name], input: x(), add: undefined, affine: undefined, activation, output });
        refs.set(node.name, output);
        break;
      }
      case 'add': {
        // a + b + c ... as a chain of pairwise adds; the activation fuses into the last.
        const f = fuseActivation(node);
        let sum = refOf(node.inputs[0]!);
        node.inputs.slice(1).forEach((other, i) => {
          const last = i === node.inputs.length - 2;
          const output = newValue('float32', full(node));
          const activation = last ? f.activation : ({ kind: 'none' } as Activation);
          steps.push({
            kind: 'pointwise',
            nodes: last ? f.nodes : [node.name],
            input: sum,
            add: refOf(other),
            affine: undefined,
            activation,
            output,
          });
          sum = output;
        });
        refs.set(f.end.name, sum);
        break;
      }
      case 'maxpool2d':
      case 'avgpool2d':
      case 'globalavgpool': {
        const output = newValue('float32', full(node));
        const inShape = x().shape;
        const window: WindowParams =
          a.op === 'globalavgpool'
            ? { kernel: [inShape[2]!, inShape[3]!], stride: [1, 1], padding: [0, 0] }
            : { kernel: a.kernel, stride: a.stride, padding: a.padding };
        steps.push({ kind: 'pool', nodes: [node.name], pool: a.op === 'maxpool2d' ? 'max' : 'avg', window, input: x(), output });
        refs.set(node.name, output);
        break;
      }
      case 'softmax': {
        const output = newValue('float32', full(node));
        steps.push({ kind: 'softmax', nodes: [node.name], input: x(), output });
        refs.set(node.name, output);
        break;
      }
      case 'conv2d':
      case 'linear':
      case 'binconv2d':
      case 'binlinear': {
        const window: WindowParams =
          a.op === 'conv2d' || a.op === 'binconv2d'
            ? { kernel: a.kernel, stride: a.stride, padding: a.padding }
            : { kernel: [1, 1], stride: [1, 1], padding: [0, 0] };
        const cout = a.op === 'conv2d' || a.op === 'binconv2d' ? a.outChannels : a.outFeatures;
        const isXnor = (a.op === 'binconv2d' || a.op === 'binlinear') && a.mode === 'xnor';
        const w = weights.get(node.name)!;
        const base = layerAffine(
          cout,
          w.kind === 'binary' ? w.packed.alpha.data : undefined,
          w.kind === 'float' || w.kind === 'binary' ? w.bias : undefined,
        );
        const f = fuseEpilogue(node, base);
        const output = newValue('float32', full(f.end));
        const outImage = asImage(output);

        if (isXnor) {
          const packed = nodeWeights(weights, node, 'binary').packed;
          const folded = intoPacking.get(node.inputs[0]!);
          const source = asImage(folded?.source ?? x());
          const [n, c, h, wd] = source.shape as [number, number, number, number];
          const bits = newValue('uint32', [n, h, wd, wordsFor(c)]);
          const meanAbs = a.scaleInput ? newValue('float32', [n, h, wd]) : undefined;
          steps.push({
            kind: 'pack',
            nodes: folded ? [node.inputs[0]!] : [],
            input: source,
            output: bits,
            meanAbs,
            affine: folded?.affine,
          });
          const wbits = packed.bits.rank === 2 ? packed.bits.reshape([cout, 1, 1, packed.bits.shape[1]!]) : packed.bits;
          steps.push({
            kind: 'xnorConv',
            nodes: f.nodes,
            input: bits,
            inChannels: c,
            meanAbs,
            weights: { ...packed, bits: wbits },
            window,
            epilogue: f.epilogue,
            relu: f.relu,
            output: outImage,
          });
        } else {
          const source = asImage(x());
          const inputShape = source.shape as [number, number, number, number];
          const nhwc4 = newValue('float32', nhwc4Shape(inputShape));
          steps.push({ kind: 'nhwc4', nodes: [], input: source, output: nhwc4 });
          const weightTensor =
            w.kind === 'binary'
              ? w.packed.bits.rank === 2
                ? w.packed.bits.reshape([cout, 1, 1, w.packed.bits.shape[1]!])
                : w.packed.bits
              : ohwiFromOihw(nodeWeights(weights, node, 'float').weight, 4);
          steps.push({
            kind: 'conv',
            nodes: f.nodes,
            input: nhwc4,
            inputShape,
            weights: weightTensor,
            window,
            epilogue: f.epilogue,
            relu: f.relu,
            output: outImage,
          });
        }
        refs.set(f.end.name, output);
        break;
      }
    }
  }
  return { steps, values, input, outputs: new Map(graph.outputs.map((name) => [name, refOf(name)])) };
}
