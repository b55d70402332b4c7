import type { OpCase } from './case.js';

export const batchnormCases: OpCase[] = [
  { name: 'image, 5 channels', input: [5, 4, 3], batch: 2, node: { op: 'batchnorm', name: 'bn' } },
  { name: 'features, not affine, eps 1e-3', input: [33], batch: 3, node: { op: 'batchnorm', name: 'bn', affine: false, eps: 1e-3 } },
  { name: 'large values', input: [2, 5, 5], batch: 1, node: { op: 'batchnorm', name: 'bn' }, values: 'large' },
];
