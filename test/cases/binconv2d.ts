import type { ModelNode } from '../../src/model/types.js';
import type { OpCase } from './case.js';

/** Every shape in both modes; XNOR with and without K. */
const SHAPES: [string, number[], number, Omit<Extract<ModelNode, { op: 'binconv2d' }>, 'op' | 'mode' | 'name'>][] = [
  ['3x3 pad 1, 31 channels', [31, 6, 5], 2, { outChannels: 5, kernel: 3, padding: 1 }],
  ['5x5 stride 2, 33 channels, no bias', [33, 9, 9], 1, { outChannels: 6, kernel: 5, stride: 2, bias: false }],
  [
    '3x5 kernel, [2, 1] stride, [1, 2] padding, 64 channels',
    [64, 7, 8],
    3,
    { outChannels: 33, kernel: [3, 5], stride: [2, 1], padding: [1, 2] },
  ],
  ['1x1, 3 channels', [3, 4, 4], 2, { outChannels: 40, kernel: 1 }],
  ['pad 2 on a small input, 100 channels', [100, 3, 3], 1, { outChannels: 4, kernel: 3, padding: 2 }],
];

export const binconv2dCases: OpCase[] = SHAPES.flatMap(([name, input, batch, attrs]) => [
  { name: `bwn, ${name}`, input, batch, node: { op: 'binconv2d', name: 'b', mode: 'bwn', ...attrs } },
  { name: `xnor with K, ${name}`, input, batch, node: { op: 'binconv2d', name: 'b', mode: 'xnor', ...attrs } },
  { name: `xnor without K, ${name}`, input, batch, node: { op: 'binconv2d', name: 'b', mode: 'xnor', scaleInput: false, ...attrs } },
]);
binconv2dCases.push({
  name: 'xnor, all-zero input (sign(0) = +1, K = 0)',
  input: [5, 4, 4],
  batch: 2,
  node: { op: 'binconv2d', name: 'b', mode: 'xnor', outChannels: 3, kernel: 3, padding: 1 },
  values: 'zeros',
});
