/** Every op of model-format.md v1, by name: the one list the graph, weights, costs, reference and zoo loop over. */
import { type AddAttrs, addOp } from './add.js';
import { type Avgpool2dAttrs, avgpool2dOp } from './avgpool2d.js';
import { type BatchnormAttrs, batchnormOp } from './batchnorm.js';
import { type Binconv2dAttrs, binconv2dOp } from './binconv2d.js';
import { type BinlinearAttrs, binlinearOp } from './binlinear.js';
import { type Conv2dAttrs, conv2dOp } from './conv2d.js';
import { type DropoutAttrs, dropoutOp } from './dropout.js';
import { type FlattenAttrs, flattenOp } from './flatten.js';
import { type GlobalavgpoolAttrs, globalavgpoolOp } from './globalavgpool.js';
import { type HardtanhAttrs, hardtanhOp } from './hardtanh.js';
import { type LinearAttrs, linearOp } from './linear.js';
import { type Maxpool2dAttrs, maxpool2dOp } from './maxpool2d.js';
import type { LayerWeights, OpDef } from './op.js';
import { type ReluAttrs, reluOp } from './relu.js';
import { type SoftmaxAttrs, softmaxOp } from './softmax.js';

/** A node's attributes with the format's defaults applied. */
export type NodeAttrs =
  | Conv2dAttrs
  | Binconv2dAttrs
  | LinearAttrs
  | BinlinearAttrs
  | BatchnormAttrs
  | ReluAttrs
  | HardtanhAttrs
  | Maxpool2dAttrs
  | Avgpool2dAttrs
  | GlobalavgpoolAttrs
  | FlattenAttrs
  | AddAttrs
  | DropoutAttrs
  | SoftmaxAttrs;

export type OpName = NodeAttrs['op'];

const OPS: { readonly [K in OpName]: OpDef<Extract<NodeAttrs, { op: K }>, LayerWeights | undefined> } = {
  conv2d: conv2dOp,
  binconv2d: binconv2dOp,
  linear: linearOp,
  binlinear: binlinearOp,
  batchnorm: batchnormOp,
  relu: reluOp,
  hardtanh: hardtanhOp,
  maxpool2d: maxpool2dOp,
  avgpool2d: avgpool2dOp,
  globalavgpool: globalavgpoolOp,
  flatten: flattenOp,
  add: addOp,
  dropout: dropoutOp,
  softmax: softmaxOp,
};

export const OP_NAMES = Object.keys(OPS) as OpName[];

export function isOpName(name: unknown): name is OpName {
  return typeof name === 'string' && Object.hasOwn(OPS, name);
}

/** The definition of an op; callers pass it the node's attributes and its resolved weights. */
export function opOf(op: OpName): OpDef<NodeAttrs, LayerWeights | undefined> {
  return OPS[op] as unknown as OpDef<NodeAttrs, LayerWeights | undefined>;
}
