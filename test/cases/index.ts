/** Every op's cases, by op: the table the op harness (test/helpers/op-cases.ts) runs on every backend. */
import type { OpName } from '../../src/ops/registry.js';
import { hardtanhCases, dropoutCases, flattenCases, reluCases, softmaxCases } from './activations.js';
import { addCases } from './add.js';
import { batchnormCases } from './batchnorm.js';
import { binconv2dCases } from './binconv2d.js';
import { binlinearCases } from './binlinear.js';
import type { OpCase } from './case.js';
import { conv2dCases } from './conv2d.js';
import { linearCases } from './linear.js';
import { avgpool2dCases, globalavgpoolCases, maxpool2dCases } from './pooling.js';

export type { OpCase } from './case.js';

export const OP_CASES: Record<OpName, OpCase[]> = {
  conv2d: conv2dCases,
  binconv2d: binconv2dCases,
  linear: linearCases,
  binlinear: binlinearCases,
  batchnorm: batchnormCases,
  relu: reluCases,
  hardtanh: hardtanhCases,
  maxpool2d: maxpool2dCases,
  avgpool2d: avgpool2dCases,
  globalavgpool: globalavgpoolCases,
  flatten: flattenCases,
  add: addCases,
  dropout: dropoutCases,
  softmax: softmaxCases,
};
