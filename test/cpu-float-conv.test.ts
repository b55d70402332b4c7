/**
 * The CPU float convolution (src/backends/cpu/float-conv.ts) against the float reference conv2d, on the
 * shared conv grid; BWN weights (signs added or subtracted) exactly as float weights +-1.
 */
import { type ConvGeometry, convGeometry, describeConv, outputPixels } from '../src/ops/conv.js';
import { describe, expect, it } from 'vitest';
import * as ref from '../src/ops/reference.js';
import {
  type FloatConvKernel,
  createFloatConvKernel,
  createScalarFloatKernel,
  createWasmFloatKernel,
  floatConv,
  floatConvOperands,
  paddedImage,
} from '../src/backends/cpu/float-conv.js';
import { sign } from '../src/tensor/bits.js';
import { ohwiFromOihw } from '../src/tensor/layout.js';
import { Tensor } from '../src/tensor/tensor.js';
import { convCases } from './helpers/conv-cases.js';
import { pixelMajor } from './helpers/pixel-major.js';
import { maxToleranceViolation, randomTensor, testRng } from './helpers/random.js';

/** Besides the grid: the Cout remainders mod 8 it lacks (filters per panel of the wasm kernel), M of every remainder mod 4. */
const EXTRA_CASES: ConvGeometry[] = [
  convGeometry({ n: 1, cin: 8, h: 3, w: 3, cout: 2, kernel: [1, 1], stride: [1, 1], padding: [0, 0] }),
  convGeometry({ n: 2, cin: 5, h: 3, w: 5, cout: 3, kernel: [3, 3], stride: [1, 1], padding: [1, 1] }),
  convGeometry({ n: 1, cin: 40, h: 3, w: 5, cout: 7, kernel: [1, 1], stride: [1, 1], padding: [0, 0] }),
  convGeometry({ n: 3, cin: 17, h: 4, w: 4, cout: 10, kernel: [3, 3], stride: [1, 1], padding: [1, 1] }),
  convGeometry({ n: 1, cin: 64, h: 3, w: 5, cout: 15, kernel: [5, 5], stride: [1, 1], padding: [2, 2] }),
  convGeometry({ n: 1, cin: 32, h: 4, w: 4, cout: 16, kernel: [3, 3], stride: [1, 1], padding: [1, 1] }),
  convGeometry({ n: 1, cin: 300, h: 5, w: 5, cout: 17, kernel: [3, 3], stride: [1, 1], padding: [1, 1] }),
  convGeometry({ n: 2, cin: 9, h: 4, w: 3, cout: 23, kernel: [1, 3], stride: [1, 1], padding: [0, 1] }),
];

const cases = [...convCases(), ...EXTRA_CASES].map((c) => [describeConv(c), c] as const);

interface CaseData {
  seed: number;
  g: ConvGeometry;
  image: Float32Array;
  /** OHWI float weights, and their signs +-1. */
  weights: Float32Array;
  signs: Float32Array;
  /** ref.conv2d with the weights, and with their signs, as [M, Cout]. */
  expected: Float32Array;
  expectedSigns: Float32Array;
}

function makeCase(c: ConvGeometry): CaseData {
  const rng = testRng();
  const x = randomTensor(rng, [c.n, c.cin, c.h, c.w]);
  const w = randomTensor(rng, [c.cout, c.cin, c.kh, c.kw]);
  const signs = new Tensor(w.data.map(sign), w.shape);
  const g = c;
  const expected = (weights: Tensor<Float32Array>) =>
    pixelMajor(ref.conv2d(x, weights, undefined, c.stride, c.padding).data, g, Float32Array);
  return {
    seed: rng.seed,
    g,
    image: paddedImage(g, x.data),
    weights: ohwiFromOihw(w).data,
    signs: ohwiFromOihw(signs).data,
    expected: expected(w),
    expectedSigns: expected(signs),
  };
}

const data = new Map<string, CaseData>();
/** Each case's data is made once (with its own seed) and shared by the kernels. */
const caseData = (name: string, c: ConvGeometry) => data.get(name) ?? data.set(name, makeCase(c)).get(name)!;

function run(kernel: FloatConvKernel, { g, image, weights, signs }: CaseData, bwn: boolean): Float32Array {
  const out = new Float32Array(outputPixels(g) * g.cout);
  kernel.conv(g, image, bwn ? kernel.prepareSigns(g, signs) : kernel.prepare(g, weights), out);
  return out;
}

describe('float conv (the benchmark baseline)', () => {
  it.each(cases.filter((_, i) => i % 5 === 0))('matches the reference conv2d: %s', (_, c) => {
    const rng = testRng();
    const x = randomTensor(rng, [c.n, c.cin, c.h, c.w]);
    const w = randomTensor(rng, [c.cout, c.cin, c.kh, c.kw]);
    const g = c;
    const out = new Float32Array(outputPixels(g) * g.cout);
    floatConv(g, floatConvOperands(g, x, w), out);
    const expected = ref.conv2d(x, w, undefined, c.stride, c.padding);
    expect(maxToleranceViolation(out, pixelMajor(expected.data, g, Float32Array)), `seed ${rng.seed}`).toBeLessThanOrEqual(0);
  });
});

const KERNELS: [string, () => Promise<FloatConvKernel>][] = [
  ['wasm-simd', createWasmFloatKernel],
  ['scalar-ts', async () => createScalarFloatKernel()],
];

describe.each(KERNELS)('%s float kernel', (name, create) => {
  const kernel = create();

  it('is the kernel asked for', async () => {
    expect((await kernel).name).toBe(name);
  });

  it.each(cases)('float weights match the reference conv2d: %s', async (caseName, c) => {
    const d = caseData(caseName, c);
    expect(maxToleranceViolation(run(await kernel, d, false), d.expected), `seed ${d.seed}`).toBeLessThanOrEqual(0);
  });

  it.each(cases)('BWN signs match the reference, and equal float weights +-1 exactly: %s', async (caseName, c) => {
    const d = caseData(caseName, c);
    const bwn = run(await kernel, d, true);
    expect(maxToleranceViolation(bwn, d.expectedSigns), `seed ${d.seed}`).toBeLessThanOrEqual(0);
    expect(bwn, `seed ${d.seed}`).toEqual(run(await kernel, { ...d, weights: d.signs }, false));
  });

  it.each(cases.filter((_, i) => i % 3 === 0))('partial pixel ranges give the same rows as the whole: %s', async (caseName, c) => {
    const k = await kernel;
    const d = caseData(caseName, c);
    const [whole, weights] = [run(k, d, false), k.prepare(d.g, d.weights)];
    const rng = testRng();
    for (let trial = 0; trial < 4; trial++) {
      const m0 = rng.int(0, outputPixels(d.g));
      const m1 = rng.int(m0, outputPixels(d.g));
      const out = new Float32Array((m1 - m0) * d.g.cout + 1).fill(-7);
      k.conv(d.g, d.image, weights, out, m0, m1);
      const range = `[${m0}, ${m1}), seeds ${d.seed} ${rng.seed}`;
      expect(out.subarray(0, (m1 - m0) * d.g.cout), range).toEqual(whole.subarray(m0 * d.g.cout, m1 * d.g.cout));
      expect(out.at(-1), `writes past the range ${range}`).toBe(-7);
    }
  });

  it('serves prepared weights to inputs of any batch, writing nothing past M x Cout', async () => {
    const k = await kernel;
    const rng = testRng();
    const c = convGeometry({ n: 1, cin: 19, h: 6, w: 5, cout: 11, kernel: [3, 3], stride: [1, 1], padding: [1, 1] });
    const w = randomTensor(rng, [c.cout, c.cin, c.kh, c.kw]);
    const weights = k.prepare(c, ohwiFromOihw(w).data);
    for (const n of [3, 1, 2]) {
      const x = randomTensor(rng, [n, c.cin, c.h, c.w]);
      const g = convGeometry({ ...c, kernel: [c.kh, c.kw], n });
      const out = new Float32Array(outputPixels(g) * g.cout + 3).fill(-7);
      k.conv(g, paddedImage(g, x.data), weights, out);
      const expected = pixelMajor(ref.conv2d(x, w, undefined, c.stride, c.padding).data, g, Float32Array);
      const size = outputPixels(g) * g.cout;
      expect(maxToleranceViolation(out.subarray(0, size), expected), `batch ${n}, seed ${rng.seed}`).toBeLessThanOrEqual(0);
      expect([...out.subarray(size)], `writes past M x Cout: batch ${n}`).toEqual([-7, -7, -7]);
    }
  });

  it('rejects arguments that do not fit the geometry', async () => {
    const k = await kernel;
    const g = convGeometry({ n: 2, cin: 3, h: 5, w: 5, cout: 4, kernel: [3, 3], stride: [1, 1], padding: [1, 1] });
    const image = new Float32Array(2 * 7 * 7 * 3);
    const weights = k.prepare(g, new Float32Array(4 * 27));
    const out = new Float32Array(2 * 25 * 4);
    expect(() => k.prepare(g, new Float32Array(107))).toThrow('weights have 107 floats, expected 108 ([4, 3, 3, 3])');
    expect(() => k.prepareSigns(g, new Float32Array(108).fill(1).fill(0.5, 7, 8))).toThrow('signs must be +-1, got 0.5 at 7');
    expect(() => k.conv(g, image.subarray(1), weights, out)).toThrow('image has 293 floats, expected 294');
    expect(() => k.conv(g, image, weights, out.subarray(1))).toThrow('out holds 199 floats, needs 200');
    expect(() => k.conv(g, image, weights, out, 40, 51)).toThrow('pixel range [40, 51) is not within [0, 50)');
    expect(() => k.conv({ ...g, cout: 5 }, image, weights, new Float32Array(250))).toThrow('weights prepared for 4 filters of 27');
    const other = name === 'wasm-simd' ? createScalarFloatKernel() : await createWasmFloatKernel();
    expect(() => k.conv(g, image, other.prepare(g, new Float32Array(108)), out)).toThrow(`prepared for the ${other.name} kernel`);
  });
});

describe('float kernel choice', () => {
  it('defaults to wasm-simd where WebAssembly SIMD validates (Node 20 has SIMD)', async () => {
    expect((await createFloatConvKernel()).name).toBe('wasm-simd');
  });

  it('serves weights prepared by one wasm-simd kernel to another (each has its own instance, e.g. one per thread)', async () => {
    const [name, c] = cases[5]!;
    const d = caseData(name, c);
    const [a, b] = [await createWasmFloatKernel(), await createWasmFloatKernel()];
    const out = new Float32Array(d.expected.length);
    b.conv(d.g, d.image, a.prepare(d.g, d.weights), out);
    expect(out, `seed ${d.seed}`).toEqual(run(a, d, false));
  });
});
