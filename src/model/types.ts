/**
 * The model graph of model-format.md (v1), as TypeScript types. Parsing and validation live
 * in graph.ts; these are the shapes a valid model.json has.
 */

import type { BinaryMode } from '../ops/op.js';

export type Size2 = number | [number, number];

interface NodeBase {
  /** Required for nodes with tensors (their state_dict prefix) and for nodes others name in `in`. */
  name?: string;
  /** Input node name(s); defaults to the previous node (the model input is "input"). */
  in?: string | string[];
}

export interface Conv2dNode extends NodeBase {
  op: 'conv2d';
  outChannels: number;
  kernel: Size2;
  stride?: Size2;
  padding?: Size2;
  bias?: boolean;
}

export interface BinConv2dNode extends NodeBase {
  op: 'binconv2d';
  mode: BinaryMode;
  outChannels: number;
  kernel: Size2;
  stride?: Size2;
  padding?: Size2;
  bias?: boolean;
  /** xnor only: the paper's K factor (default true). */
  scaleInput?: boolean;
}

export interface LinearNode extends NodeBase {
  op: 'linear';
  outFeatures: number;
  bias?: boolean;
}

export interface BinLinearNode extends NodeBase {
  op: 'binlinear';
  mode: BinaryMode;
  outFeatures: number;
  bias?: boolean;
  scaleInput?: boolean;
}

export interface BatchNormNode extends NodeBase {
  op: 'batchnorm';
  eps?: number;
  affine?: boolean;
}

export interface PoolNode extends NodeBase {
  op: 'maxpool2d' | 'avgpool2d';
  kernel: Size2;
  stride?: Size2;
  padding?: Size2;
}

export interface HardtanhNode extends NodeBase {
  op: 'hardtanh';
  min?: number;
  max?: number;
}

export interface SimpleNode extends NodeBase {
  op: 'relu' | 'globalavgpool' | 'flatten' | 'add' | 'dropout' | 'softmax';
}

export type ModelNode = Conv2dNode | BinConv2dNode | LinearNode | BinLinearNode | BatchNormNode | PoolNode | HardtanhNode | SimpleNode;

export interface ModelJson {
  format: 'xnornet';
  version: 1;
  name?: string;
  /** [C, H, W] or [F]; the batch dimension is free. */
  input: { shape: number[] };
  preprocess?: { scale?: number; mean?: number[]; std?: number[] };
  labels?: string[];
  /** The safetensors file, relative to the model.json. */
  weights: string;
  nodes: ModelNode[];
  /** Node names whose outputs the model returns; default: the last node's. */
  outputs?: string[];
}

/** A weight tensor as stored in safetensors. */
export interface StoredTensor {
  dtype: 'F32' | 'U32';
  shape: number[];
  data: Float32Array | Uint32Array;
}
