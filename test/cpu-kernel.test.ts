/**
 * The CPU XNOR convolution (src/backends/cpu/): both kernels and the thread pool give exactly the
 * integer dots of the float reference (binconv2d, mode xnor, K = 1, +-1 weights: alpha = 1).
 */
import { type ConvGeometry, convGeometry, describeConv, outputPixels } from '../src/ops/conv.js';
import { afterAll, describe, expect, it } from 'vitest';
import * as ref from '../src/ops/reference.js';
import { createFloatConvKernel, paddedImage } from '../src/backends/cpu/float-conv.js';
import { type XnorCpuKernel, createXnorKernel, defaultKernelName } from '../src/backends/cpu/kernel.js';
import { createNodeThreadPool } from '../src/backends/cpu/node-thread-pool.js';
import { type StepTask, runStepTask, unitsOf } from '../src/backends/cpu/steps.js';
import { type Rows, type RowsType, type StartWorker, createThreadPool, splitRange } from '../src/backends/cpu/thread-pool.js';
import { type ConvReply, type ConvRequest, createAnswerer } from '../src/backends/cpu/worker.js';
import { createWasmSimdKernel, defaultPopcountPath } from '../src/backends/cpu/wasm-kernel.js';
import { wasmSimdSupported } from '../src/backends/cpu/wasm-module.js';
import { packActivations, packWeights, sign } from '../src/tensor/bits.js';
import { Tensor, shapeSize } from '../src/tensor/tensor.js';
import type { Rng } from '../src/util/random.js';
import { convCases } from './helpers/conv-cases.js';
import { pixelMajor } from './helpers/pixel-major.js';
import { randomTensor, testRng } from './helpers/random.js';

/** Besides the kernel grid: Cin multiples of 128 (whole vectors); large Cin, whose K of over 31 vectors widens byte counters. */
const EXTRA_CASES: ConvGeometry[] = [
  convGeometry({ n: 2, cin: 128, h: 6, w: 7, cout: 9, kernel: [3, 3], stride: [1, 1], padding: [1, 1] }),
  convGeometry({ n: 1, cin: 256, h: 5, w: 5, cout: 16, kernel: [3, 3], stride: [2, 2], padding: [1, 1] }),
  convGeometry({ n: 1, cin: 384, h: 4, w: 6, cout: 7, kernel: [1, 1], stride: [1, 1], padding: [0, 0] }),
  convGeometry({ n: 1, cin: 1000, h: 5, w: 4, cout: 6, kernel: [3, 3], stride: [1, 1], padding: [1, 1] }),
  convGeometry({ n: 1, cin: 1500, h: 4, w: 4, cout: 3, kernel: [3, 3], stride: [1, 1], padding: [2, 2] }),
];

interface CaseData {
  seed: number;
  g: ConvGeometry;
  input: Uint32Array;
  weights: Uint32Array;
  /** The reference dots as [M, Cout], the kernels' order. */
  expected: Int32Array;
}

const filled = (shape: number[], value: number) => new Tensor(new Float32Array(shapeSize(shape)).fill(value), shape);

/** Random inputs and +-1 weights, or inputs all -1 and weights all +1: every real bit mismatches. */
function makeCase(c: ConvGeometry, values: 'random' | 'all-mismatch' = 'random'): CaseData {
  const rng = testRng();
  const [xShape, wShape] = [
    [c.n, c.cin, c.h, c.w],
    [c.cout, c.cin, c.kh, c.kw],
  ];
  const x = values === 'random' ? randomTensor(rng, xShape) : filled(xShape, -1);
  const w = values === 'random' ? new Tensor(randomTensor(rng, wShape).data.map(sign), wShape) : filled(wShape, 1);
  const g = c;
  const nchw = ref.binconv2d(x, ref.binarizeWeights(w), undefined, {
    mode: 'xnor',
    scaleInput: false,
    stride: c.stride,
    padding: c.padding,
  });
  return {
    seed: rng.seed,
    g,
    input: packActivations(x).data,
    weights: packWeights(w).bits.data,
    expected: pixelMajor(nchw.data, g, Int32Array),
  };
}

const cases = [...convCases(), ...EXTRA_CASES].map((c) => [describeConv(c), c] as const);
const data = new Map<string, CaseData>();
/** Each case's data is made once (with its own seed) and shared by the kernels and pools. */
const caseData = (name: string, c: ConvGeometry) => data.get(name) ?? data.set(name, makeCase(c)).get(name)!;

const KERNELS: [string, () => Promise<XnorCpuKernel>][] = [
  ['wasm-simd, i8x16.popcnt', () => createWasmSimdKernel('i8x16')],
  ['wasm-simd, i64.popcnt', () => createWasmSimdKernel('i64')],
  ['scalar-ts', () => createXnorKernel('scalar-ts')],
];

describe.each(KERNELS)('%s kernel', (_, create) => {
  const kernel = create();

  it.each(cases)('integer dots equal the reference: %s', async (name, c) => {
    const { seed, g, input, weights, expected } = caseData(name, c);
    const out = new Int32Array(expected.length);
    (await kernel).conv(g, input, weights, out, 0, outputPixels(g));
    expect(out, `seed ${seed}`).toEqual(expected);
  });

  it.each(cases.filter((_, i) => i % 3 === 0))('partial pixel ranges: %s', async (name, c) => {
    const { seed, g, input, weights, expected } = caseData(name, c);
    const rng = testRng();
    for (let trial = 0; trial < 4; trial++) {
      const m0 = rng.int(0, outputPixels(g));
      const m1 = rng.int(m0, outputPixels(g));
      const out = new Int32Array((m1 - m0) * g.cout + 3).fill(-7);
      (await kernel).conv(g, input, weights, out, m0, m1);
      const where = `[${m0}, ${m1}) data seed ${seed}, range seed ${rng.seed}`;
      expect(out.subarray(0, (m1 - m0) * g.cout), where).toEqual(expected.subarray(m0 * g.cout, m1 * g.cout));
      expect([...out.subarray((m1 - m0) * g.cout)], `writes past its range: ${where}`).toEqual([-7, -7, -7]);
    }
  });

  it('counts every mismatch of a long K without byte overflow (all bits differ)', async () => {
    for (const c of EXTRA_CASES.slice(-2)) {
      const { g, input, weights, expected } = makeCase(c, 'all-mismatch');
      const out = new Int32Array(expected.length);
      (await kernel).conv(g, input, weights, out, 0, outputPixels(g));
      expect(out, describeConv(c)).toEqual(expected);
    }
  });

  it('rejects arguments that do not fit the geometry', async () => {
    const g = convGeometry({ n: 1, cin: 40, h: 5, w: 5, cout: 8, kernel: [3, 3], stride: [1, 1], padding: [1, 1] });
    const input = new Uint32Array(5 * 5 * 2);
    const weights = new Uint32Array(8 * 9 * 2);
    const conv = (await kernel).conv;
    expect(() => conv(g, input.subarray(1), weights, new Int32Array(200), 0, 25)).toThrow('input has 49 words, expected 50 ([1, 5, 5, 2])');
    expect(() => conv(g, input, weights.subarray(2), new Int32Array(200), 0, 25)).toThrow(
      'weights have 142 words, expected 144 ([8, 3, 3, 2])',
    );
    expect(() => conv(g, input, weights, new Int32Array(200), 3, 26)).toThrow('pixel range [3, 26) is not within [0, 25)');
    expect(() => conv(g, input, weights, new Int32Array(199), 0, 25)).toThrow('out holds 199 dots, needs 200');
    expect(() => conv({ ...g, wo: 4 }, input, weights, new Int32Array(200), 0, 20)).toThrow("output 5x4 does not match the window's 5x5");
  });
});

/** One task of each step kind, each large enough for the pool to split; arrays from `alloc`. */
function largeSteps(rng: Rng, alloc: <A extends Rows>(type: RowsType<A>, length: number) => A): StepTask[] {
  const floats = (length: number) => alloc(Float32Array, length).map(() => rng.normal());
  const affine = (c: number) => ({
    scale: Float32Array.from({ length: c }, () => rng.normal()),
    shift: Float32Array.from({ length: c }, () => rng.normal()),
  });
  const window = { kernel: [3, 3] as [number, number], stride: [2, 2] as [number, number], padding: [1, 1] as [number, number] };
  const conv = convGeometry({ n: 2, cin: 32, h: 16, w: 16, cout: 128, kernel: [3, 3], padding: [1, 1] });
  const dots = alloc(Int32Array, 2 * 256 * 128).map(() => rng.int(-288, 288));
  return [
    {
      op: 'pack',
      x: floats(2 * 64 * 32 * 32),
      shape: [2, 64, 32, 32],
      affine: affine(64),
      bits: alloc(Uint32Array, 2 * 32 * 32 * 2),
      meanAbs: alloc(Float32Array, 2 * 32 * 32),
    },
    { op: 'pool', x: floats(2 * 16 * 64 * 64), shape: [2, 16, 64, 64], kind: 'max', window, out: alloc(Float32Array, 2 * 16 * 32 * 32) },
    { op: 'pool', x: floats(2 * 16 * 64 * 64), shape: [2, 16, 64, 64], kind: 'avg', window, out: alloc(Float32Array, 2 * 16 * 32 * 32) },
    {
      op: 'pointwise',
      x: floats(65536),
      shape: [2, 8, 64, 64],
      affine: affine(8),
      add: floats(65536),
      activation: { kind: 'relu' },
      out: alloc(Float32Array, 65536),
    },
    {
      op: 'epilogue',
      sums: dots,
      meanAbs: floats(2 * 16 * 16).map(Math.abs),
      conv,
      epilogue: { ...affine(128), relu: true },
      out: alloc(Float32Array, 2 * 128 * 256),
    },
  ];
}

/** `task` writing into `writes` (in unitsOf's order) instead. */
function withWrites(task: StepTask, writes: (Float32Array | Uint32Array)[]): StepTask {
  if (task.op === 'pack') return { ...task, bits: writes[0] as Uint32Array, ...(task.meanAbs && { meanAbs: writes[1] as Float32Array }) };
  return { ...task, out: writes[0] as Float32Array };
}

describe.each([1, 2, 3])('thread pool of %i', (threads) => {
  const pool = createNodeThreadPool({ threads });
  afterAll(async () => (await pool).close());

  it.each(cases.filter((_, i) => i % 3 === threads % 3))('gathers the dots of every pixel: %s', async (name, c) => {
    const { seed, g, input, weights, expected } = caseData(name, c);
    expect(await (await pool).xnorConv(g, input, weights), `seed ${seed}`).toEqual(expected);
  });

  it.each(cases.filter((_, i) => i % 4 === threads % 4))('float and BWN convs: the sums of one float kernel exactly: %s', async (_, c) => {
    const p = await pool;
    const rng = testRng();
    const g = c;
    const image = paddedImage(g, randomTensor(rng, [c.n, c.cin, c.h, c.w]).data);
    const ohwi = randomTensor(rng, [c.cout, c.kh, c.kw, c.cin]).data;
    const single = await createFloatConvKernel();
    for (const [weights, signs] of [
      [ohwi, false],
      [ohwi.map(sign), true],
    ] as const) {
      const expected = new Float32Array(outputPixels(g) * g.cout);
      single.conv(g, image, signs ? single.prepareSigns(g, weights) : single.prepare(g, weights), expected);
      const out = p.sharedArray(Float32Array, expected.length);
      expect(await p.floatConv(g, image, p.prepareFloat(g, weights, signs), out), `signs ${signs}, seed ${rng.seed}`).toEqual(expected);
    }
  });

  it('writes into a given array, plain or shared, and runs concurrent calls one after another', async () => {
    const p = await pool;
    const picked = cases.slice(-6).map(([name, c]) => caseData(name, c));
    const outs = picked.map(({ expected }, k) =>
      (k % 2 ? new Int32Array(expected.length) : p.sharedArray(Int32Array, expected.length)).fill(-7),
    );
    const results = await Promise.all(picked.map(({ g, input, weights }, k) => p.xnorConv(g, input, weights, outs[k])));
    results.forEach((dots, k) => {
      expect(dots).toBe(outs[k]);
      expect(dots, `seed ${picked[k]!.seed}`).toEqual(picked[k]!.expected);
    });
  });

  it('steps between convolutions: the same values as on the calling thread alone', async () => {
    const p = await pool;
    const rng = testRng();
    for (const task of largeSteps(rng, (type, length) => p.sharedArray(type, length))) {
      const { count, writes } = unitsOf(task);
      const alone = writes.map((a) => a.slice().fill(0));
      runStepTask(withWrites(task, alone), 0, count);
      writes.forEach((a) => a.fill(7));
      await p.step(task);
      writes.forEach((a, k) => expect(a, `${task.op}, seed ${rng.seed}`).toEqual(alone[k]));
    }
  });

  it('uses the default kernel, and shared memory', async () => {
    expect((await pool).sharesMemory).toBe(true);
    expect((await pool).threads).toBe(threads);
    expect((await pool).kernel).toBe(defaultKernelName());
  });
});

/** Workers in this thread, to see what the pool does when they end, fail or cannot share memory. */
function inThreadWorkers(fate: 'compute' | 'error reply' | 'death') {
  const terminated: number[] = [];
  const requests: ConvRequest[] = [];
  let started = 0;
  const start: StartWorker = (kind) => {
    const index = started++;
    const answerer = createAnswerer(kind);
    return {
      post: (r) => () => {
        requests.push(r);
        return answerer.then((answer): ConvReply => {
          if (fate === 'death') throw new Error(`worker ${index} died`);
          if (fate === 'error reply') return { id: r.id, error: 'out of memory' };
          return answer(r);
        });
      },
      terminate: async () => void terminated.push(index),
    };
  };
  return { start, terminated, requests };
}

describe('thread pool', () => {
  const small = convGeometry({ n: 1, cin: 8, h: 3, w: 3, cout: 2, kernel: [1, 1], stride: [1, 1], padding: [0, 0] });

  it('splits units into contiguous ranges of whole aligned blocks', () => {
    expect(splitRange(1568, 2, 4)).toEqual([
      [0, 784],
      [784, 1568],
    ]);
    expect(splitRange(10, 3, 4)).toEqual([
      [0, 4],
      [4, 8],
      [8, 10],
    ]);
    expect(splitRange(3, 4, 4)).toEqual([[0, 3]]);
    expect(splitRange(40, 2, 16)).toEqual([
      [0, 32],
      [32, 40],
    ]);
  });

  it('checks the arguments before any worker runs, and rejects after close', async () => {
    const pool = await createNodeThreadPool({ threads: 2, kernel: 'scalar-ts' });
    await expect(pool.xnorConv(small, new Uint32Array(8), new Uint32Array(2))).rejects.toThrow('xnor conv: input has 8 words, expected 9');
    await expect(pool.xnorConv(small, new Uint32Array(9), new Uint32Array(2))).resolves.toHaveLength(18);
    await pool.close();
    await expect(pool.xnorConv(small, new Uint32Array(9), new Uint32Array(2))).rejects.toThrow('conv after close()');
  });

  it('terminates every worker on close', async () => {
    const workers = inThreadWorkers('compute');
    const pool = await createThreadPool(4, 'scalar-ts', workers.start);
    await expect(pool.xnorConv(small, new Uint32Array(9), new Uint32Array(2))).resolves.toEqual(new Int32Array(18).fill(8));
    await pool.close();
    expect(workers.terminated.sort()).toEqual([0, 1, 2]);
  });

  it('without shared memory (a page that is not cross-origin isolated), the rows come back in the replies', async () => {
    const [name, c] = cases.find(([, c]) => c.n > 1 && c.stride[0] > 1)!;
    const { seed, g, input, weights, expected } = caseData(name, c);
    const global = globalThis as { crossOriginIsolated?: boolean };
    global.crossOriginIsolated = false;
    try {
      const workers = inThreadWorkers('compute');
      const pool = await createThreadPool(3, 'wasm-simd', workers.start);
      expect(pool.sharesMemory).toBe(false);
      expect(pool.sharedArray(Int32Array, 4).buffer).toBeInstanceOf(ArrayBuffer);
      expect(await pool.xnorConv(g, input, weights), `seed ${seed}`).toEqual(expected);
      expect(workers.requests.map((r) => ('out' in r ? r.out : undefined))).toEqual([undefined, undefined]);
      // Float convs stay on the calling thread: their weights would travel with every call.
      const image = paddedImage(g, new Float32Array(g.n * g.cin * g.h * g.w).fill(1));
      const sums = await pool.floatConv(g, image, pool.prepareFloat(g, new Float32Array(g.cout * g.kh * g.kw * g.cin).fill(1), true));
      expect(sums).toHaveLength(expected.length);
      expect(workers.requests).toHaveLength(2);
    } finally {
      delete global.crossOriginIsolated;
    }
  });

  it("with shared memory, workers write straight into a shared `out`, else into the pool's buffer", async () => {
    const [name, c] = cases.find(([, c]) => c.n > 1 && c.stride[0] > 1)!;
    const { seed, g, input, weights, expected } = caseData(name, c);
    const workers = inThreadWorkers('compute');
    const pool = await createThreadPool(2, 'wasm-simd', workers.start);
    const shared = pool.sharedArray(Int32Array, expected.length);
    expect(await pool.xnorConv(g, input, weights, shared), `seed ${seed}`).toEqual(expected);
    expect(await pool.xnorConv(g, input, weights), `seed ${seed}`).toEqual(expected);
    const [direct, staged] = workers.requests.map((r) => ('out' in r ? r.out : undefined));
    expect(direct).toBe(shared);
    expect(staged?.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(staged?.buffer).not.toBe(shared.buffer);
  });

  it('splits a large step over the workers, and leaves a small one, or one on unshared memory, to the calling thread', async () => {
    const workers = inThreadWorkers('compute');
    const pool = await createThreadPool(3, 'scalar-ts', workers.start);
    const rng = testRng();
    const [pack] = largeSteps(rng, (type, length) => pool.sharedArray(type, length));
    await pool.step(pack!);
    expect(workers.requests.map((r) => [r.op, r.m0, r.m1])).toEqual([
      ['pack', 688, 1376],
      ['pack', 1376, 2048],
    ]);
    const small = {
      op: 'pointwise',
      x: new Float32Array(64),
      shape: [1, 4, 4, 4],
      activation: { kind: 'relu' },
      out: pool.sharedArray(Float32Array, 64),
    } as const;
    await pool.step({ ...small, shape: [...small.shape] });
    const [unshared] = largeSteps(rng, (type, length) => new type(length));
    await pool.step(unshared!);
    expect(workers.requests).toHaveLength(2);
  });

  it('rejects with the error a worker replies', async () => {
    const pool = await createThreadPool(2, 'scalar-ts', inThreadWorkers('error reply').start);
    await expect(pool.xnorConv(small, new Uint32Array(9), new Uint32Array(2))).rejects.toThrow('thread pool worker: out of memory');
  });

  it('fails the calls of a worker that died, and every call after', async () => {
    const pool = await createThreadPool(2, 'scalar-ts', inThreadWorkers('death').start);
    await expect(pool.xnorConv(small, new Uint32Array(9), new Uint32Array(2))).rejects.toThrow('worker 0 died');
    await expect(pool.xnorConv(small, new Uint32Array(9), new Uint32Array(2))).rejects.toThrow(
      'thread pool: a worker died (worker 0 died)',
    );
  });

  it('rejects a thread count that is not a positive integer', async () => {
    await expect(createNodeThreadPool({ threads: 0 })).rejects.toThrow('threads must be a positive integer, got 0');
  });
});

describe('kernel choice', () => {
  it('defaults to wasm-simd where WebAssembly SIMD validates', async () => {
    expect(wasmSimdSupported()).toBe(true); // Node 20 has SIMD
    expect((await createXnorKernel()).name).toBe('wasm-simd');
  });

  it('counts with i64.popcnt on x86-64 and i8x16.popcnt elsewhere', async () => {
    expect(defaultPopcountPath()).toBe(process.arch === 'x64' ? 'i64' : 'i8x16');
    expect((await createWasmSimdKernel()).popcount).toBe(defaultPopcountPath());
  });
});
