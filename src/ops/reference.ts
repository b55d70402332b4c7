/** The CPU float reference of semantics.md, one function per op (each lives in its op's module): the oracle of the tests. */
export { add } from './add.js';
export { avgpool2d } from './avgpool2d.js';
export { type BatchNormParams, batchnorm } from './batchnorm.js';
export { type BinaryWeights, binarizeWeights, binconv2d } from './binconv2d.js';
export { binlinear } from './binlinear.js';
export { conv2d } from './conv2d.js';
export { correlate, inputScale } from './correlate.js';
export { dropout } from './dropout.js';
export { flatten } from './flatten.js';
export { globalavgpool } from './globalavgpool.js';
export { hardtanh } from './hardtanh.js';
export { linear } from './linear.js';
export { maxpool2d } from './maxpool2d.js';
export { relu } from './relu.js';
export { softmax } from './softmax.js';
