/**
 * The convolution shape grid of the kernel suites: every Cin of the issue with every kernel
 * shape, while stride, padding, batch, Cout and odd spatial sizes rotate through their values.
 * Each case is the one conv description of src/ops/conv.ts.
 */
import { type ConvGeometry, convGeometry } from '../../src/ops/conv.js';

const CIN = [1, 3, 31, 32, 33, 64, 100, 257];
const KERNELS: [number, number][] = [
  [1, 1],
  [3, 3],
  [5, 5],
  [3, 5],
];
const COUT = [5, 13, 33, 4, 1, 40];

export function convCases(): ConvGeometry[] {
  const cases: ConvGeometry[] = [];
  let i = 0;
  for (const cin of CIN) {
    for (const kernel of KERNELS) {
      const stride = i % 2 === 0 ? 1 : 2;
      const pad = i % 3;
      cases.push(
        convGeometry({
          n: i % 4 === 1 ? 3 : 1,
          cin,
          h: 5 + (i % 5) * 2,
          w: 7 + (i % 3) * 2,
          cout: COUT[i % COUT.length]!,
          kernel,
          stride: [stride, stride],
          padding: [pad, pad],
        }),
      );
      i++;
    }
  }
  return cases;
}
