/** The trainer's GEMM (src/backends/cpu/gemm.ts), both kernels, against a float64 triple loop. */
import { describe, expect, it } from 'vitest';
import { createGemm } from '../src/backends/cpu/gemm.js';
import type { GemmShape } from '../src/backends/train-kernels.js';
import { createRng } from '../src/util/random.js';

function random(seed: number, length: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length }, () => rng.uniform(-1, 1));
}

function reference(a: Float32Array, b: Float32Array, c: Float32Array, { m, n, k, transA, transB, accumulate }: GemmShape): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = accumulate ? c[i * n + j]! : 0;
      for (let kk = 0; kk < k; kk++) sum += (transA ? a[kk * m + i]! : a[i * k + kk]!) * (transB ? b[j * k + kk]! : b[kk * n + j]!);
      out[i * n + j] = sum;
    }
  }
  return out;
}

const SHAPES: [number, number, number][] = [
  [1, 1, 1],
  [3, 5, 7],
  [4, 8, 1],
  [13, 17, 29],
  [5, 9, 33],
  [64, 30, 50],
];

describe.each(['wasm-simd', 'scalar-ts'] as const)('gemm, %s kernel', (kernel) => {
  for (const [m, n, k] of SHAPES) {
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        for (const accumulate of [false, true]) {
          const shape = { m, n, k, transA, transB, accumulate };
          it(`m ${m} n ${n} k ${k}${transA ? ' A^T' : ''}${transB ? ' B^T' : ''}${accumulate ? ' +C' : ''}`, async () => {
            const gemm = await createGemm({ kernel });
            const a = random(m * 7 + k, m * k);
            const b = random(n * 3 + k, k * n);
            const c = random(m + n, m * n);
            const expected = reference(a, b, c, shape);
            gemm.run(a, b, c, shape);
            for (let i = 0; i < c.length; i++) expect(Math.abs(c[i]! - expected[i]!), `element ${i}`).toBeLessThan(1e-5 * (1 + k));
          });
        }
      }
    }
  }

  it('a larger product: 64 x 300 x 500', async () => {
    const gemm = await createGemm({ kernel });
    const shape = { m: 64, n: 300, k: 500, transB: true };
    const [a, b, c] = [random(1, 64 * 500), random(2, 500 * 300), new Float32Array(64 * 300)];
    const expected = reference(a, b, c, shape);
    gemm.run(a, b, c, shape);
    for (let i = 0; i < c.length; i++) expect(Math.abs(c[i]! - expected[i]!)).toBeLessThan(1e-4);
  });

  it('names the operand whose length does not fit', async () => {
    const gemm = await createGemm({ kernel });
    expect(() => gemm.run(new Float32Array(6), new Float32Array(12), new Float32Array(8), { m: 2, n: 4, k: 3 })).not.toThrow();
    expect(() => gemm.run(new Float32Array(6), new Float32Array(11), new Float32Array(8), { m: 2, n: 4, k: 3, transB: true })).toThrow(
      'gemm: B has 11 floats, expected 12',
    );
    expect(() => gemm.run(new Float32Array(0), new Float32Array(0), new Float32Array(0), { m: 0, n: 4, k: 3 })).toThrow(
      'gemm: m must be a positive integer, got 0',
    );
    expect(() => gemm.run(new Float32Array(5), new Float32Array(12), new Float32Array(8), { m: 2, n: 4, k: 3 })).toThrow(
      'gemm: A has 5 floats, expected 6 (m 2, n 4, k 3)',
    );
    expect(() => gemm.run(new Float32Array(6), new Float32Array(12), new Float32Array(7), { m: 2, n: 4, k: 3 })).toThrow(
      'gemm: C has 7 floats, expected 8',
    );
  });
});

it('the wasm and scalar kernels agree to float rounding', async () => {
  const [wasm, scalar] = await Promise.all([createGemm({ kernel: 'wasm-simd' }), createGemm({ kernel: 'scalar-ts' })]);
  const shape = { m: 37, n: 41, k: 123, transA: true };
  const a = random(9, 37 * 123);
  const b = random(10, 123 * 41);
  const [c1, c2] = [new Float32Array(37 * 41), new Float32Array(37 * 41)];
  wasm.run(a, b, c1, shape);
  scalar.run(a, b, c2, shape);
  for (let i = 0; i < c1.length; i++) expect(c1[i]).toBeCloseTo(c2[i]!, 5);
});
