/**
 * The one place the variants of an architecture differ: a layer in a binary position is
 * conv2d/linear at full precision and binconv2d/binlinear otherwise, and its batchnorm moves
 * in front of it in the binary variants (XNOR-Net's block order, so the input is centred
 * before it is binarized).
 */
import type { BatchNormNode, Conv2dNode, LinearNode, ModelNode } from '../model/types.js';
import type { ZooMode } from './architecture.js';
import type { GraphBuilder } from './builder.js';

export type Named<T> = T & { name: string };
export type WeightLayer = Named<Conv2dNode | LinearNode>;

/** The layer in the mode's precision. `scaleInput` (the paper's K factor) applies to xnor only. */
function binarize(layer: WeightLayer, mode: ZooMode, scaleInput?: boolean): ModelNode {
  if (mode === 'float') return layer;
  const k = mode === 'xnor' && scaleInput !== undefined ? { scaleInput } : {};
  return layer.op === 'conv2d' ? { ...layer, op: 'binconv2d', mode, ...k } : { ...layer, op: 'binlinear', mode, ...k };
}

/**
 * Adds the layer and its batchnorm (if any) in the mode's order, reading the previous node's
 * output; returns the name of the later of the two.
 */
export function withBatchNorm(
  b: GraphBuilder,
  mode: ZooMode,
  layer: WeightLayer,
  bn: Named<BatchNormNode> | undefined,
  scaleInput?: boolean,
): string {
  const node = binarize(layer, mode, scaleInput);
  if (bn === undefined) {
    b.add(node);
    return layer.name;
  }
  const [first, second] = mode === 'float' ? [node, bn] : [bn, node];
  b.add(first);
  b.add(second);
  return mode === 'float' ? bn.name : layer.name;
}

/** withBatchNorm followed by a relu: the usual unit of these networks. */
export function layerBlock(
  b: GraphBuilder,
  mode: ZooMode,
  layer: WeightLayer,
  bn: Named<BatchNormNode> | undefined,
  scaleInput?: boolean,
): void {
  withBatchNorm(b, mode, layer, bn, scaleInput);
  b.add({ op: 'relu' });
}
