/** The trainer's GEMM (src/backends/cpu/gemm.ts), both kernels, against a float64 triple loop. */
import { describe, expect, it } from 'vitest';
import { type Gemm, type GemmShape, createGemm } from '../src/backends/cpu/gemm.js';
import type { Rng } from '../src/util/random.js';
import { createCpuThreadPool } from '../src/backends/cpu/platform-thread-pool.js';
import { testRng } from './helpers/random.js';

const KERNELS = ['wasm-simd', 'scalar-ts'] as const;

function random(rng: Rng, length: number): Float32Array {
  return Float32Array.from({ length }, () => rng.uniform(-1, 1));
}

interface Operands {
  seed: number;
  a: Float32Array;
  b: Float32Array;
  c: Float32Array;
}

function operands({ m, n, k }: GemmShape): Operands {
  const rng = testRng();
  return { seed: rng.seed, a: random(rng, m * k), b: random(rng, k * n), c: random(rng, m * n) };
}

/**
 * How far `c` is outside the float64 product, worst element: each may differ from the exact
 * value by gamma(k + 1) * (|C| + sum over k of |a b|), the bound for float32 sums of k
 * float32 products and C (Higham, Accuracy and Stability of Numerical Algorithms, 3.1).
 */
function violation(c: Float32Array, { a, b, c: c0 }: Operands, { m, n, k, transA, transB, accumulate }: GemmShape): number {
  const u = 2 ** -24;
  const gamma = ((k + 1) * u) / (1 - (k + 1) * u);
  let worst = -Infinity;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let [sum, magnitude] = accumulate ? [c0[i * n + j]!, Math.abs(c0[i * n + j]!)] : [0, 0];
      for (let kk = 0; kk < k; kk++) {
        const product = (transA ? a[kk * m + i]! : a[i * k + kk]!) * (transB ? b[j * k + kk]! : b[kk * n + j]!);
        sum += product;
        magnitude += Math.abs(product);
      }
      worst = Math.max(worst, Math.abs(c[i * n + j]! - sum) - gamma * magnitude);
    }
  }
  return worst;
}

function describeShape({ m, n, k, transA, transB, accumulate }: GemmShape): string {
  return `${m} x ${n} x ${k}${transA ? ', A^T' : ''}${transB ? ', B^T' : ''}${accumulate ? ', +C' : ''}`;
}

/** Every transpose and accumulate combination of m x n x k. */
function variants(m: number, n: number, k: number): GemmShape[] {
  return [false, true].flatMap((transA) =>
    [false, true].flatMap((transB) => [false, true].map((accumulate) => ({ m, n, k, transA, transB, accumulate }))),
  );
}

/** Ones; sizes below, at and past the wasm register block (4 rows x 8 columns) and its 4 x 4 packing transposes. */
const SIZES: [number, number, number][] = [
  [1, 1, 1],
  [1, 9, 1],
  [7, 1, 3],
  [1, 1, 40],
  [3, 5, 7],
  [4, 8, 16],
  [5, 9, 33],
  [8, 16, 4],
  [9, 7, 2],
  [13, 17, 29],
  [64, 30, 50],
];

/** c = op(a) op(b) (+ c) by `gemm`, on copies. */
function product(gemm: Gemm, { a, b, c }: Operands, shape: GemmShape): Float32Array {
  const out = c.slice();
  gemm.run(a.slice(), b.slice(), out, shape);
  return out;
}

describe.each(KERNELS)('gemm, %s kernel', (kernel) => {
  // One instance for the whole suite: products of every size run one after another in its memory.
  const created = createGemm({ kernel });

  it('is the kernel asked for', async () => {
    expect((await created).kernel).toBe(kernel);
  });

  it.each(SIZES.flatMap(([m, n, k]) => variants(m, n, k)).map((shape) => [describeShape(shape), shape] as const))(
    'matches the float64 product: %s',
    async (_, shape) => {
      const data = operands(shape);
      expect(violation(product(await created, data, shape), data, shape), `seed ${data.seed}`).toBeLessThanOrEqual(0);
    },
  );

  it.each(variants(64, 300, 500).map((shape) => [describeShape(shape), shape] as const))(
    'matches the float64 product, larger: %s',
    async (_, shape) => {
      const data = operands(shape);
      expect(violation(product(await created, data, shape), data, shape), `seed ${data.seed}`).toBeLessThanOrEqual(0);
    },
  );

  it.each([{ transA: false }, { transA: true }])(
    'rows [m0, m1) are those of the whole product, other rows untouched (%o)',
    async ({ transA }) => {
      const gemm = await created;
      const shape = { m: 23, n: 19, k: 37, transA, transB: true, accumulate: true };
      const data = operands(shape);
      const whole = product(gemm, data, shape);
      const pieces = data.c.slice();
      for (const [m0, m1] of [
        [0, 6],
        [6, 6],
        [6, 17],
        [17, 23],
      ] as const) {
        const c = data.c.slice();
        gemm.runRows(data.a, data.b, c, shape, m0, m1);
        expect(c.subarray(0, m0 * 19), `seed ${data.seed}: rows before ${m0}`).toEqual(data.c.subarray(0, m0 * 19));
        expect(c.subarray(m1 * 19), `seed ${data.seed}: rows from ${m1}`).toEqual(data.c.subarray(m1 * 19));
        pieces.set(c.subarray(m0 * 19, m1 * 19), m0 * 19);
      }
      expect(new Uint32Array(pieces.buffer), `seed ${data.seed}`).toEqual(new Uint32Array(whole.buffer));
    },
  );

  it('names the operand whose length does not fit', async () => {
    const gemm = await created;
    const f = (length: number) => new Float32Array(length);
    expect(() => gemm.run(f(6), f(12), f(8), { m: 2, n: 4, k: 3 })).not.toThrow();
    expect(() => gemm.run(f(5), f(12), f(8), { m: 2, n: 4, k: 3 })).toThrow(RangeError);
    expect(() => gemm.run(f(5), f(12), f(8), { m: 2, n: 4, k: 3 })).toThrow(
      new RangeError('gemm: A has 5 floats, expected 6 (m 2, n 4, k 3)'),
    );
    expect(() => gemm.run(f(6), f(11), f(8), { m: 2, n: 4, k: 3, transB: true })).toThrow(/^gemm: B has 11 floats, expected 12 /);
    expect(() => gemm.run(f(6), f(12), f(9), { m: 2, n: 4, k: 3, transA: true })).toThrow(/^gemm: C has 9 floats, expected 8 /);
    expect(() => gemm.run(f(0), f(0), f(0), { m: 0, n: 4, k: 3 })).toThrow(new RangeError('gemm: m must be a positive integer, got 0'));
    expect(() => gemm.run(f(6), f(12), f(8), { m: 2, n: 4, k: 1.5 })).toThrow(
      new RangeError('gemm: k must be a positive integer, got 1.5'),
    );
  });

  it('refuses row ranges outside [0, m)', async () => {
    const gemm = await created;
    const [a, b, c] = [new Float32Array(6), new Float32Array(12), new Float32Array(8)];
    const shape = { m: 2, n: 4, k: 3 };
    expect(() => gemm.runRows(a, b, c, shape, 0, 2)).not.toThrow();
    for (const [m0, m1] of [
      [0, 3],
      [2, 1],
      [-1, 1],
      [0.5, 1],
    ]) {
      expect(() => gemm.runRows(a, b, c, shape, m0!, m1!), `[${m0}, ${m1})`).toThrow(
        new RangeError(`gemm: rows [${m0}, ${m1}) are not within [0, 2)`),
      );
    }
  });
});

describe('the wasm-simd and scalar-ts kernels', () => {
  it('are the same bit for bit (same sums in the same order)', async () => {
    const [wasm, scalar] = await Promise.all([createGemm({ kernel: 'wasm-simd' }), createGemm({ kernel: 'scalar-ts' })]);
    for (const shape of [...variants(37, 41, 123), ...variants(5, 3, 9)]) {
      const data = operands(shape);
      const [x, y] = [product(wasm, data, shape), product(scalar, data, shape)];
      expect(new Uint32Array(x.buffer), `seed ${data.seed}, ${describeShape(shape)}`).toEqual(new Uint32Array(y.buffer));
    }
  });

  it('default to wasm-simd where WebAssembly SIMD exists (Node 20)', async () => {
    expect((await createGemm()).kernel).toBe('wasm-simd');
  });
});

describe("the thread pool's GEMM", () => {
  // 800 rows split over 3 threads (at least 256 rows each); 40 rows stay on one thread.
  it.each([
    { m: 800, n: 37, k: 29, transA: false, transB: false },
    { m: 800, n: 21, k: 45, transA: true, transB: true },
    { m: 40, n: 300, k: 17, transA: false, transB: true },
  ])('gives the single-threaded product bit for bit on 3 threads (%o)', async (shape) => {
    const pool = await createCpuThreadPool({ threads: 3 });
    try {
      const gemm = await createGemm({ kernel: pool.kernel });
      const data = operands(shape);
      const whole = product(gemm, data, shape);
      const a = pool.sharedArray(Float32Array, data.a.length);
      a.set(data.a);
      const c = pool.sharedArray(Float32Array, data.c.length);
      c.set(data.c);
      await pool.gemm(a, data.b, c, shape);
      expect(new Uint32Array(c.buffer, c.byteOffset, c.length), `seed ${data.seed}`).toEqual(new Uint32Array(whole.buffer));
    } finally {
      await pool.close();
    }
  });
});
