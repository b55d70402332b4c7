import type { OpCase } from './case.js';

export const linearCases: OpCase[] = [
  { name: '31 -> 7', input: [31], batch: 3, node: { op: 'linear', name: 'fc', outFeatures: 7 } },
  { name: '1 -> 33, no bias', input: [1], batch: 2, node: { op: 'linear', name: 'fc', outFeatures: 33, bias: false } },
  { name: '100 -> 1', input: [100], batch: 1, node: { op: 'linear', name: 'fc', outFeatures: 1 } },
];
