/** The CPU float reference: one function per v1 op of semantics.md. */
export { type BinaryWeights, binarizeWeights, binconv2d, conv2d, correlate, inputScale } from './conv.js';
export { binlinear, linear } from './linear.js';
export { type BatchNormParams, add, batchnorm, dropout, flatten, hardtanh, relu, softmax } from './elementwise.js';
export { avgpool2d, globalavgpool, maxpool2d } from './pool.js';
