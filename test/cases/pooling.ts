import type { OpCase } from './case.js';

const WINDOWS: [
  string,
  number[],
  { kernel: number | [number, number]; stride?: number | [number, number]; padding?: number | [number, number] },
][] = [
  ['2x2 stride 2', [3, 8, 8], { kernel: 2, stride: 2 }],
  ['3x3 stride 2 pad 1, odd size', [5, 9, 7], { kernel: 3, stride: 2, padding: 1 }],
  ['3x2 kernel, [1, 2] stride, [1, 0] padding', [4, 6, 11], { kernel: [3, 2], stride: [1, 2], padding: [1, 0] }],
  ['window as large as the input', [2, 5, 5], { kernel: 5 }],
];

export const maxpool2dCases: OpCase[] = WINDOWS.map(([name, input, w]) => ({ name, input, batch: 2, node: { op: 'maxpool2d', ...w } }));
export const avgpool2dCases: OpCase[] = WINDOWS.map(([name, input, w]) => ({ name, input, batch: 2, node: { op: 'avgpool2d', ...w } }));
export const globalavgpoolCases: OpCase[] = [
  { name: '7x5 planes', input: [6, 7, 5], batch: 2, node: { op: 'globalavgpool' } },
  { name: '1x1 planes', input: [3, 1, 1], batch: 3, node: { op: 'globalavgpool' } },
];
