/**
 * The plan of a graph for one batch size: its steps with every fusion the backends share, in
 * the model format's own layouts. No backend owns it; each adapts it to its kernels (the GPU
 * adds its NHWC4 copies and OHWI4 weights, the CPU lays out its blocked weights).
 * - a batchnorm read only by an XNOR layer goes into the sign-packing step (no float write);
 * - bias, alpha and a following batchnorm fold into a conv/linear epilogue, and a following
 *   relu fuses into it; K comes from the packing step's mean |x|;
 * - batchnorm / add followed by relu or hardtanh run as one pointwise step;
 * - flatten and dropout are views of their input, no step at all.
 * Values are numbered; a value is one buffer's worth of data, a Ref a view of it with a shape.
 */
import type { Graph, GraphNode } from '../model/graph.js';
import { type ModelWeights, nodeWeights } from '../model/weights.js';
import { batchnormAffine } from '../ops/batchnorm.js';
import { type ConvGeometry, convOf } from '../ops/conv.js';
import { type Activation, type Affine, type Epilogue, compose, layerAffine } from '../ops/epilogue.js';
import type { LayerWeights } from '../ops/op.js';
import { globalWindow } from '../ops/globalavgpool.js';
import type { WindowParams } from '../ops/window.js';
import { type PackedWeights, wordsFor } from '../tensor/bits.js';
import { shapeSize } from '../tensor/tensor.js';

export interface Ref {
  value: number;
  shape: number[];
}

export interface ValueInfo {
  dtype: 'float32' | 'uint32';
  elements: number;
}

interface StepBase {
  /** The graph nodes this step computes (several when fused; none for a step a fusion added). */
  nodes: string[];
}

/** Sign bits NHWC [N, H, W, ceil(C/32)] of NCHW floats (after `affine`), and A = mean_c |x| when K needs it. */
export type PackStep = StepBase & { kind: 'pack'; input: Ref; output: Ref; meanAbs: Ref | undefined; affine: Affine | undefined };

/** An XNOR conv or linear on packed bits; weights as the format packs them ([Cout, kh, kw, words] or [Cout, words]). */
export type XnorConvStep = StepBase & {
  kind: 'xnorConv';
  input: Ref;
  conv: ConvGeometry;
  weights: PackedWeights;
  meanAbs: Ref | undefined;
  epilogue: Epilogue;
  output: Ref;
};

/** A float-input conv or linear on NCHW: float weights [Cout, Cin, kh, kw] (or [Cout, Cin]), or a BWN layer's packed signs. */
export type ConvStep = StepBase & {
  kind: 'conv';
  input: Ref;
  conv: ConvGeometry;
  weights: Extract<LayerWeights, { kind: 'float' | 'binary' }>;
  epilogue: Epilogue;
  output: Ref;
};

export type Step =
  | PackStep
  | XnorConvStep
  | ConvStep
  | (StepBase & { kind: 'pointwise'; input: Ref; add: Ref | undefined; affine: Affine | undefined; activation: Activation; output: Ref })
  | (StepBase & { kind: 'pool'; pool: 'max' | 'avg'; window: WindowParams; input: Ref; output: Ref })
  | (StepBase & { kind: 'softmax'; input: Ref; output: Ref });

/** One step of a profiled run: what it computes and how long it took. */
export interface StepTime {
  kind: string;
  /** The graph nodes it computes (none for a step a backend added, e.g. a layout copy). */
  nodes: string[];
  /** The shape of what it writes. */
  output: number[];
  ms: number;
}

export interface Plan {
  steps: Step[];
  values: ValueInfo[];
  input: Ref;
  outputs: Map<string, Ref>;
}

const NO_ACTIVATION: Activation = { kind: 'none' };

/** The values a step reads and writes: what buffer lifetimes follow from. */
export function stepRefs(step: Step): { reads: Ref[]; writes: Ref[] } {
  const some = (...refs: (Ref | undefined)[]) => refs.filter((r): r is Ref => r !== undefined);
  switch (step.kind) {
    case 'pack':
      return { reads: [step.input], writes: some(step.output, step.meanAbs) };
    case 'xnorConv':
      return { reads: some(step.input, step.meanAbs), writes: [step.output] };
    case 'pointwise':
      return { reads: some(step.input, step.add), writes: [step.output] };
    default:
      return { reads: [step.input], writes: [step.output] };
  }
}

export function planGraph(graph: Graph, weights: ModelWeights, batch: number): Plan {
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
    values.push({ dtype, elements: shapeSize(shape) });
    return { value: values.length - 1, shape };
  };
  const full = (node: GraphNode) => [batch, ...node.shape];
  const refOf = (name: string) => refs.get(name)!;
  /** An [N, F] value seen as the NCHW [N, F, 1, 1] the convolutions take. */
  const asImage = (ref: Ref): Ref => (ref.shape.length === 2 ? { value: ref.value, shape: [...ref.shape, 1, 1] } : ref);

  /** Fuses a following batchnorm and relu into a layer's epilogue; returns the last node it covers. */
  const fuseEpilogue = (node: GraphNode, base: Affine) => {
    let end = node;
    let affine = base;
    let relu = false;
    const nodes = [node.name];
    const bn = soleReader(end.name);
    if (bn?.attrs.op === 'batchnorm') {
      affine = compose(affine, batchnormAffine(nodeWeights(weights, bn, 'batchnorm')));
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
    return { end, epilogue: { ...affine, relu }, nodes };
  };

  /** Fuses a following relu / hardtanh into a pointwise step. */
  const fuseActivation = (node: GraphNode) => {
    const act = soleReader(node.name);
    if (act?.attrs.op === 'relu' || act?.attrs.op === 'hardtanh') {
      fused.add(act.name);
      const activation: Activation =
        act.attrs.op === 'relu' ? { kind: 'relu' } : { kind: 'hardtanh', min: act.attrs.min, max: act.attrs.max };
      return { end: act, activation, nodes: [node.name, act.name] };
    }
    return { end: node, activation: NO_ACTIVATION, nodes: [node.name] };
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
          const [nodes, activation] = last ? [f.nodes, f.activation] : [[node.name], NO_ACTIVATION];
          steps.push({ kind: 'pointwise', nodes, input: sum, add: refOf(other), affine: undefined, activation, output });
          sum = output;
        });
        refs.set(f.end.name, sum);
        break;
      }
      case 'maxpool2d':
      case 'avgpool2d':
      case 'globalavgpool': {
        const output = newValue('float32', full(node));
        const window = a.op === 'globalavgpool' ? globalWindow(x().shape) : { kernel: a.kernel, stride: a.stride, padding: a.padding };
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
        const isConv = a.op === 'conv2d' || a.op === 'binconv2d';
        const [cout, kernel, stride, padding] = isConv
          ? [a.outChannels, a.kernel, a.stride, a.padding]
          : [a.outFeatures, [1, 1] as const, [1, 1] as const, [0, 0] as const];
        const w = weights.get(node.name);
        if (w?.kind !== 'float' && w?.kind !== 'binary') throw new Error(`node "${node.name}": no conv weights were resolved for it`);
        const f = fuseEpilogue(node, layerAffine(cout, w.kind === 'binary' ? w.packed.alpha.data : undefined, w.bias));
        const output = newValue('float32', full(f.end));
        const isXnor = (a.op === 'binconv2d' || a.op === 'binlinear') && a.mode === 'xnor';
        const folded = isXnor ? intoPacking.get(node.inputs[0]!) : undefined;
        const source = asImage(folded?.source ?? x());
        const conv = convOf(source.shape, cout, kernel, stride, padding, node.name);
        if (isXnor && w.kind === 'binary') {
          const bits = newValue('uint32', [conv.n, conv.h, conv.w, wordsFor(conv.cin)]);
          const meanAbs = a.scaleInput ? newValue('float32', [conv.n, conv.h, conv.w]) : undefined;
          const packNodes = folded ? [node.inputs[0]!] : [];
          steps.push({ kind: 'pack', nodes: packNodes, input: source, output: bits, meanAbs, affine: folded?.affine });
          steps.push({
            kind: 'xnorConv',
            nodes: f.nodes,
            input: bits,
            conv,
            weights: w.packed,
            meanAbs,
            epilogue: f.epilogue,
            output: asImage(output),
          });
        } else {
          steps.push({ kind: 'conv', nodes: f.nodes, input: source, conv, weights: w, epilogue: f.epilogue, output: asImage(output) });
        }
        refs.set(f.end.name, output);
        break;
      }
    }
  }
  return { steps, values, input, outputs: new Map(graph.outputs.map((name) => [name, refOf(name)])) };
}
