/** The cpu backend's training convolutions (im2col + GEMM) against the float64 reference loops, on many geometries. */
import { describe, expect, it } from 'vitest';
import { createGemm } from '../src/backends/cpu/gemm.js';
import { gemmConvKernels } from '../src/backends/train-kernels.js';
import { convGeometry } from '../src/ops/conv.js';
import { referenceConvKernels } from '../src/ops/conv-kernels-reference.js';
import { createRng } from '../src/util/random.js';

const GEOMETRIES = [
  { n: 2, cin: 3, h: 7, w: 6, cout: 5, kernel: [3, 3], stride: [1, 1], padding: [1, 1] },
  { n: 1, cin: 1, h: 28, w: 28, cout: 20, kernel: [5, 5], stride: [1, 1], padding: [0, 0] },
  { n: 3, cin: 5, h: 9, w: 11, cout: 7, kernel: [3, 2], stride: [2, 3], padding: [1, 0] },
  { n: 2, cin: 4, h: 8, w: 8, cout: 6, kernel: [7, 7], stride: [2, 2], padding: [3, 3] },
  { n: 4, cin: 33, h: 1, w: 1, cout: 9, kernel: [1, 1], stride: [1, 1], padding: [0, 0] },
  { n: 2, cin: 6, h: 5, w: 5, cout: 3, kernel: [1, 1], stride: [2, 2], padding: [0, 0] },
] as const;

function random(seed: number, length: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length }, () => rng.uniform(-1, 1));
}

describe.each(['wasm-simd', 'scalar-ts'] as const)('cpu training convolutions, %s GEMM', (kernel) => {
  for (const spec of GEOMETRIES) {
    it(`${JSON.stringify(spec)}`, async () => {
      const kernels = gemmConvKernels(await createGemm({ kernel }));
      const g = convGeometry({ ...spec, kernel: [...spec.kernel], stride: [...spec.stride], padding: [...spec.padding] });
      const x = random(1, g.n * g.cin * g.h * g.w);
      const w = random(2, g.cout * g.cin * g.kh * g.kw);
      const dy = random(3, g.n * g.cout * g.ho * g.wo);
      const pairs = [
        [await kernels.forward(x, w, g), await referenceConvKernels.forward(x, w, g), 'forward'],
        [await kernels.inputGrad(dy, w, g), await referenceConvKernels.inputGrad(dy, w, g), 'input gradient'],
        [await kernels.weightGrad(dy, x, g), await referenceConvKernels.weightGrad(dy, x, g), 'weight gradient'],
      ] as const;
      for (const [actual, expected, what] of pairs) {
        expect(actual.length, what).toBe(expected.length);
        const scale = 1 + Math.max(...Array.from(expected, Math.abs));
        for (let i = 0; i < expected.length; i++) expect(Math.abs(actual[i]! - expected[i]!), `${what} ${i}`).toBeLessThan(1e-5 * scale);
      }
    });
  }
});
