import type { OpCase } from './case.js';

export const binlinearCases: OpCase[] = [
  { name: 'bwn 33 -> 10', input: [33], batch: 3, node: { op: 'binlinear', name: 'fc', mode: 'bwn', outFeatures: 10 } },
  { name: 'xnor 64 -> 17', input: [64], batch: 2, node: { op: 'binlinear', name: 'fc', mode: 'xnor', outFeatures: 17 } },
  {
    name: 'xnor without K, 100 -> 3, no bias',
    input: [100],
    batch: 1,
    node: { op: 'binlinear', name: 'fc', mode: 'xnor', outFeatures: 3, scaleInput: false, bias: false },
  },
  { name: 'xnor 1 -> 5', input: [1], batch: 4, node: { op: 'binlinear', name: 'fc', mode: 'xnor', outFeatures: 5 } },
];
