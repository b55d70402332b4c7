import type { OpCase } from './case.js';

export const conv2dCases: OpCase[] = [
  { name: '3x3 pad 1, odd channels', input: [3, 7, 5], batch: 2, node: { op: 'conv2d', name: 'c', outChannels: 5, kernel: 3, padding: 1 } },
  {
    name: '5x5 stride 2, no bias',
    input: [1, 11, 9],
    batch: 1,
    node: { op: 'conv2d', name: 'c', outChannels: 4, kernel: 5, stride: 2, bias: false },
  },
  {
    name: '3x5 kernel, [1, 2] padding and stride',
    input: [6, 8, 9],
    batch: 3,
    node: { op: 'conv2d', name: 'c', outChannels: 7, kernel: [3, 5], stride: [1, 2], padding: [1, 2] },
  },
  {
    name: '7x7 stride 2 pad 3, 3 channels, 20 filters (an image stem: read as patches on WebGPU)',
    input: [3, 13, 12],
    batch: 2,
    node: { op: 'conv2d', name: 'c', outChannels: 20, kernel: 7, stride: 2, padding: 3 },
  },
  { name: '1x1, 33 channels', input: [33, 4, 4], batch: 2, node: { op: 'conv2d', name: 'c', outChannels: 13, kernel: 1 } },
  { name: 'window as large as the input', input: [2, 3, 3], batch: 2, node: { op: 'conv2d', name: 'c', outChannels: 3, kernel: 3 } },
  {
    name: 'large values',
    input: [4, 6, 6],
    batch: 1,
    node: { op: 'conv2d', name: 'c', outChannels: 4, kernel: 3, padding: 1 },
    values: 'large',
  },
];
