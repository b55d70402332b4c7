import type { OpCase } from './case.js';

export const reluCases: OpCase[] = [
  { name: 'image', input: [3, 5, 7], batch: 2, node: { op: 'relu' } },
  { name: 'features', input: [17], batch: 3, node: { op: 'relu' } },
];

export const hardtanhCases: OpCase[] = [
  { name: 'default range', input: [3, 4, 4], batch: 2, node: { op: 'hardtanh' }, values: 'large' },
  { name: '[-0.5, 2] on features', input: [9], batch: 2, node: { op: 'hardtanh', min: -0.5, max: 2 } },
];

export const softmaxCases: OpCase[] = [
  { name: 'over classes', input: [10], batch: 4, node: { op: 'softmax' }, values: 'large' },
  { name: 'over channels of an image', input: [6, 3, 2], batch: 2, node: { op: 'softmax' } },
];

export const dropoutCases: OpCase[] = [{ name: 'identity', input: [4, 3, 3], batch: 2, node: { op: 'dropout' } }];

export const flattenCases: OpCase[] = [{ name: '[C, H, W] -> [C*H*W]', input: [3, 5, 2], batch: 3, node: { op: 'flatten' } }];
