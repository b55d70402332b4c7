/** Comparing packed sign bits from a kernel with the float values they should be the signs of. */
import { wordsFor } from '../../src/tensor/bits.js';
import type { Tensor } from '../../src/tensor/tensor.js';

/**
 * Positions where `bits` (NHWC packed [N, H, W, ceil(C/32)]) disagree with sign(values)
 * (NCHW float). A value within `nearZero` of 0 may take either sign (float rounding differs
 * between backends), and padding bits past C must be 0.
 */
export function signMismatches(bits: Uint32Array, values: Tensor<Float32Array>, nearZero: number): string[] {
  const [n, c, h, w] = values.shape as [number, number, number, number];
  const words = wordsFor(c);
  const problems: string[] = [];
  for (let b = 0; b < n; b++) {
    for (let p = 0; p < h * w; p++) {
      const base = (b * h * w + p) * words;
      for (let ch = 0; ch < words * 32; ch++) {
        const bit = (bits[base + (ch >> 5)]! >>> (ch & 31)) & 1;
        if (ch >= c) {
          if (bit !== 0) problems.push(`padding bit ${ch} of pixel ${b},${p} is set`);
          continue;
        }
        const v = values.data[(b * c + ch) * h * w + p]!;
        if (bit !== (v >= 0 ? 1 : 0) && Math.abs(v) > nearZero) problems.push(`(${b},${ch},${p}): value ${v}, bit ${bit}`);
      }
    }
  }
  return problems;
}
