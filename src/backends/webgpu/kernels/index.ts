/** The kernel bindings: each checks its arguments and returns a Launch for submitLaunches(). */
export { type Conv2dArgs, conv2dLaunch } from './conv2d.js';
export { type ConvTile, convTile } from './conv-geometry.js';
export { type PackSignsArgs, packSigns, packSignsLaunch, packedShape } from './pack-signs.js';
export { type PointwiseArgs, pointwiseLaunch } from './pointwise.js';
export { type PoolKind, poolLaunch } from './pool.js';
export { softmaxLaunch } from './softmax.js';
export { nhwc4Shape, toNhwc4Launch } from './to-nhwc4.js';
export { type XnorConvArgs, xnorConvLaunch } from './xnor-conv.js';
