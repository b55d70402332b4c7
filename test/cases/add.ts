import type { OpCase } from './case.js';

export const addCases: OpCase[] = [
  { name: 'two inputs, image', input: [3, 4, 5], batch: 2, node: { op: 'add', in: ['input', 'input'] } },
  { name: 'three inputs, features', input: [11], batch: 3, node: { op: 'add', in: ['input', 'input', 'input'] } },
];
