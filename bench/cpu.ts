/**
 * `npm run bench:cpu`: the CPU XNOR convolution on the typical binary layer (256 -> 256, 3x3,
 * 14x14, pad 1, batch 8), against the machine's native ceiling and the CPU's float conv.
 *   --json FILE    rows {kernel, implementation, backend: 'cpu', threads, shape, medianMs, gops}
 *   --rounds N     interleaved rounds (default 7); each sample lasts at least 300 ms
 * Kernels: xnor_conv (the wasm kernel with each popcount GEMM on 1 thread, and the default
 * one on all cores), xnor_conv_scalar_ts (plain TypeScript), native_ceiling (C, cc -O3
 * -march=native, 1 thread; skipped without a compiler), float_conv (float32 implicit GEMM on
 * 1 thread: the wasm SIMD kernel, plain TypeScript, and the wasm kernel on BWN weights, signs
 * added or subtracted: printed as bwn_conv, in the JSON a float_conv row told apart by its
 * implementation, as the xnor_conv rows are). Each bit-MAC and each float MAC counts as 2 ops.
 * No WebGPU device is created: a live Dawn device disturbs CPU timings.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { markdownTable } from '../src/cli/table.js';
import { type ConvGeometry, outputPixels, convGeometry } from '../src/ops/conv.js';
import { createWasmFloatKernel, floatConv, floatConvOperands } from '../src/backends/cpu/float-conv.js';
import { type XnorCpuKernel, createXnorKernel } from '../src/backends/cpu/kernel.js';
import { createNodeThreadPool } from '../src/backends/cpu/node-thread-pool.js';
import { createWasmSimdKernel, defaultPopcountPath } from '../src/backends/cpu/wasm-kernel.js';
import { packActivations, packWeights, sign } from '../src/tensor/bits.js';
import { ohwiFromOihw } from '../src/tensor/layout.js';
import { Tensor, shapeSize } from '../src/tensor/tensor.js';
import { createRng } from '../src/util/random.js';
import type { ConvShape } from './kernel-rows.js';

type CpuKernelName = 'xnor_conv' | 'float_conv' | 'xnor_conv_scalar_ts' | 'native_ceiling';

interface CpuRow {
  kernel: CpuKernelName;
  implementation: string;
  backend: 'cpu';
  threads: number;
  shape: ConvShape;
  medianMs: number;
  gops: number;
}

const TYPICAL: ConvShape = { n: 8, cin: 256, h: 14, w: 14, cout: 256, kh: 3, kw: 3, stride: 1, padding: 1 };
const MIN_SAMPLE_MS = 300;

export interface Entry {
  kernel: CpuKernelName;
  /** The kernel in the printed table, where it is not `kernel`. */
  shown?: string;
  label: string;
  threads: number;
  /** Milliseconds per run, over one sample of at least MIN_SAMPLE_MS. */
  sample(): Promise<number>;
}

/** Warm-up before calibrating: long enough for V8 to tier WebAssembly up to TurboFan. */
const WARM_UP_MS = 300;

/** An entry timed here: `reps` runs per sample, calibrated from the last warm-up run. */
export async function timedEntry(kernel: CpuKernelName, label: string, threads: number, run: () => unknown): Promise<Entry> {
  const timeRuns = async (reps: number) => {
    const started = performance.now();
    for (let r = 0; r < reps; r++) await run();
    return (performance.now() - started) / reps;
  };
  const warmUntil = performance.now() + WARM_UP_MS;
  let warm = await timeRuns(1);
  while (performance.now() < warmUntil) warm = await timeRuns(1);
  const reps = Math.max(1, Math.ceil(MIN_SAMPLE_MS / Math.max(warm, 0.01)));
  return { kernel, label, threads, sample: () => timeRuns(reps) };
}

/**
 * The native ceiling: the same convolution in C, xnor + hardware popcount on 64-bit words: an
 * im2col of the packed input, then 8 pixels x 16 filters per register block, the filters laid
 * out so the compiler vectorizes across them (vpopcntq with AVX-512 VPOPCNTDQ); built for the
 * layer's K. It times its own runs after a warm-up one, prints their milliseconds, then a
 * checksum of its dots, which must equal ours.
 */
const NATIVE_SOURCE = String.raw`
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#define PB 8
#define FB 16
/* K, the 64-bit words per (pixel, filter), comes from -DK=...: with a known trip count GCC
   vectorizes across the 16 filters; with a run-time one it gathers across pixels, 5x slower. */

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static uint32_t *read_words(const char *path, size_t count) {
  uint32_t *data = calloc(count, 4);
  FILE *f = fopen(path, "rb");
  if (!f || fread(data, 4, count, f) != count) { fprintf(stderr, "cannot read %s\n", path); exit(1); }
  fclose(f);
  return data;
}

int main(int argc, char **argv) {
  if (argc != 13) { fprintf(stderr, "usage: n h w cin cout kh kw stride pad reps input weights\n"); return 2; }
  int n = atoi(argv[1]), h = atoi(argv[2]), w = atoi(argv[3]), cin = atoi(argv[4]), cout = atoi(argv[5]);
  int kh = atoi(argv[6]), kw = atoi(argv[7]), s = atoi(argv[8]), p = atoi(argv[9]), reps = atoi(argv[10]);
  int words32 = (cin + 31) / 32, words64 = (words32 + 1) / 2, taps = kh * kw;
  if (K != taps * words64) { fprintf(stderr, "built for K = %d words, the shape needs %d\n", K, taps * words64); return 2; }
  int ho = (h + 2 * p - kh) / s + 1, wo = (w + 2 * p - kw) / s + 1, M = n * ho * wo;
  int blocks = (cout + FB - 1) / FB;
  uint32_t *input = read_words(argv[11], (size_t)n * h * w * words32);
  uint32_t *weights = read_words(argv[12], (size_t)cout * taps * words32);
  /* Filter panels [cout / FB][K][FB]; filters past cout are zero and never stored. */
  uint64_t *panels = calloc((size_t)blocks * K * FB, 8);
  int *tap_pop = calloc((size_t)blocks * FB * taps, sizeof(int));
  for (int o = 0; o < cout; o++)
    for (int t = 0; t < taps; t++)
      for (int k = 0; k < words32; k++) {
        uint32_t word = weights[((size_t)o * taps + t) * words32 + k];
        panels[((size_t)(o / FB) * K + t * words64 + k / 2) * FB + o % FB] |= (uint64_t)word << (32 * (k % 2));
        tap_pop[t * cout + o] += __builtin_popcount(word);
      }
  uint64_t *cols = calloc((size_t)(M + PB) * K, 8); /* rows past M stay 0: computed, never stored */
  int *real = calloc(M, sizeof(int)), *padded = calloc((size_t)M * (taps + 1), sizeof(int)); /* count, taps */
  int32_t *dots = calloc((size_t)M * cout, 4);
  int32_t *raw = calloc((size_t)(M + PB) * blocks * FB, 4); /* mismatches, whole blocks */
  double *times = calloc(reps, sizeof(double));
  for (int rep = -1; rep < reps; rep++) {
    double started = now_ms();
    for (int m = 0; m < M; m++) { /* padded taps are 0: they mismatch popcount(w), subtracted below */
      int b = m / (ho * wo), i = m / wo % ho, j = m % wo, *pads = &padded[(size_t)m * (taps + 1)];
      real[m] = pads[0] = 0;
      for (int u = 0; u < kh; u++)
        for (int v = 0; v < kw; v++) {
          int y = i * s + u - p, x = j * s + v - p;
          uint64_t *dst = &cols[(size_t)m * K + (u * kw + v) * words64];
          dst[words64 - 1] = 0;
          if (y < 0 || y >= h || x < 0 || x >= w) {
            memset(dst, 0, words64 * 8);
            pads[++pads[0]] = u * kw + v;
          } else {
            memcpy(dst, &input[(((size_t)b * h + y) * w + x) * words32], words32 * 4);
            real[m]++;
          }
        }
    }
    for (int mb = 0; mb < M; mb += PB) {
      const uint64_t *a = &cols[(size_t)mb * K];
      for (int ob = 0; ob < cout; ob += FB) {
        const uint64_t *f = &panels[(size_t)(ob / FB) * K * FB];
        int64_t acc[PB][FB] = {{0}};
        for (int k = 0; k < K; k++)
          for (int q = 0; q < PB; q++) {
            uint64_t x = a[q * K + k];
            for (int o = 0; o < FB; o++) acc[q][o] += __builtin_popcountll(x ^ f[k * FB + o]);
          }
        for (int q = 0; q < PB; q++)
          for (int o = 0; o < FB; o++) raw[(size_t)(mb + q) * blocks * FB + ob + o] = (int32_t)acc[q][o];
      }
    }
    for (int m = 0; m < M; m++) { /* mismatches -> dots, less the padded taps' */
      int32_t *row = &raw[(size_t)m * blocks * FB];
      const int *pads = &padded[(size_t)m * (taps + 1)];
      for (int t = 1; t <= pads[0]; t++)
        for (int o = 0; o < cout; o++) row[o] -= tap_pop[pads[t] * cout + o];
      for (int o = 0; o < cout; o++) dots[(size_t)m * cout + o] = cin * real[m] - 2 * row[o];
    }
    if (rep >= 0) times[rep] = now_ms() - started;
  }
  for (int rep = 0; rep < reps; rep++) printf("%f\n", times[rep]);
  uint32_t checksum = 0;
  for (size_t k = 0; k < (size_t)M * cout; k++) checksum += (uint32_t)dots[k] * (uint32_t)(k % 1000 + 1);
  printf("checksum %u\n", checksum);
  return 0;
}
`;

/** Same formula as the C program's. */
function checksum(dots: Int32Array): number {
  let sum = 0;
  for (let k = 0; k < dots.length; k++) sum = (sum + Math.imul(dots[k]!, (k % 1000) + 1)) >>> 0;
  return sum;
}

function findCompiler(): string | undefined {
  for (const cc of ['cc', 'gcc', 'clang']) {
    if (spawnSync(cc, ['--version'], { stdio: 'ignore' }).status === 0) return cc;
  }
  return undefined;
}

/** Compiles the native ceiling in a temp dir; undefined (with a notice) without a C compiler. */
function nativeEntry(s: ConvShape, input: Uint32Array, weights: Uint32Array, expected: number, dir: string): Entry | undefined {
  const cc = findCompiler();
  if (!cc) {
    console.log('native ceiling: SKIPPED, no C compiler (cc, gcc or clang) on PATH\n');
    return undefined;
  }
  const binary = join(dir, 'xnor-native');
  writeFileSync(join(dir, 'xnor-native.c'), NATIVE_SOURCE);
  // 512-bit vectors where the compiler takes the flag (x86): GCC's default for -march=native is 256.
  const k = s.kh * s.kw * Math.ceil(s.cin / 64);
  const flags = [
    ['-O3', '-march=native', '-mprefer-vector-width=512'],
    ['-O3', '-march=native'],
  ].find((f) => spawnSync(cc, [...f, `-DK=${k}`, '-o', binary, join(dir, 'xnor-native.c')], { stdio: 'ignore' }).status === 0);
  if (!flags) throw new Error(`native ceiling: ${cc} cannot compile ${join(dir, 'xnor-native.c')}`);
  writeFileSync(join(dir, 'input.bin'), input);
  writeFileSync(join(dir, 'weights.bin'), weights);
  const run = (reps: number) => {
    const args = [s.n, s.h, s.w, s.cin, s.cout, s.kh, s.kw, s.stride, s.padding, reps].map(String);
    const lines = execFileSync(binary, [...args, join(dir, 'input.bin'), join(dir, 'weights.bin')], { encoding: 'utf8' })
      .trim()
      .split('\n');
    const sum = Number(lines.pop()!.split(' ')[1]);
    if (sum !== expected) throw new Error(`native ceiling: checksum ${sum} differs from the wasm kernel's ${expected}`);
    return lines.map(Number).reduce((a, b) => a + b) / reps;
  };
  const reps = Math.max(1, Math.ceil(MIN_SAMPLE_MS / run(1)));
  return { kernel: 'native_ceiling', label: `native C (${cc} ${flags.join(' ')})`, threads: 1, sample: async () => run(reps) };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Median ms per run of each entry, measured in interleaved rounds so drifts hit all alike. */
export async function medians(entries: Entry[], rounds: number): Promise<number[]> {
  const samples = entries.map((): number[] => []);
  for (let round = 0; round < rounds; round++) {
    for (const [k, entry] of entries.entries()) samples[k]!.push(await entry.sample());
    process.stderr.write(`  round ${round + 1}/${rounds}\n`);
  }
  return samples.map(median);
}

const ops = (g: ConvGeometry) => 2 * outputPixels(g) * g.cout * g.cin * g.kh * g.kw;

/** Random float data of the layer, and its packed bits. */
export function layerData(s: ConvShape) {
  const g = convGeometry({ ...s, kernel: [s.kh, s.kw], stride: [s.stride, s.stride], padding: [s.padding, s.padding] });
  const rng = createRng(7);
  const random = (shape: number[]) =>
    new Tensor(
      Float32Array.from({ length: shapeSize(shape) }, () => rng.normal()),
      shape,
    );
  const x = random([s.n, s.cin, s.h, s.w]);
  const w = random([s.cout, s.cin, s.kh, s.kw]);
  return { g, x, w, input: packActivations(x).data, weights: packWeights(w).bits.data };
}

type Entries = Record<'i64' | 'i8x16' | 'pool' | 'scalar' | 'float' | 'floatTs' | 'bwn', Entry> & { native: Entry | undefined };

function printReport(s: ConvShape, entries: Entries, rows: Map<Entry, CpuRow>, threads: number): void {
  console.log(
    markdownTable(
      ['kernel', 'implementation', 'threads', 'median ms', 'GOPS'],
      [...rows].map(([e, r]) => [e.shown ?? r.kernel, r.implementation, r.threads, r.medianMs.toFixed(2), r.gops.toFixed(1)]),
    ),
  );
  const ratio = (label: string, a: Entry, b: Entry | undefined) => {
    const [x, y] = [rows.get(a)!.gops, b && rows.get(b)?.gops];
    return y === undefined ? [] : [`- ${label}: ${(x / y).toFixed(2)}`];
  };
  const path = defaultPopcountPath();
  console.log(
    [
      `\nlayer: ${s.cin} -> ${s.cout}, ${s.kh}x${s.kw}, ${s.h}x${s.w}, pad ${s.padding}, batch ${s.n}; default GEMM here: ${path}.popcnt`,
      ...ratio('wasm i64 1 thread / native ceiling', entries.i64, entries.native),
      ...ratio('wasm SIMD i8x16 1 thread / native ceiling', entries.i8x16, entries.native),
      ...ratio('wasm i64 1 thread / scalar TypeScript', entries.i64, entries.scalar),
      ...ratio('wasm SIMD i8x16 1 thread / scalar TypeScript', entries.i8x16, entries.scalar),
      ...ratio(`wasm ${threads} threads / 1 thread (${path})`, entries.pool, entries[path]),
      ...ratio('binary / float on this CPU: wasm i64 / wasm SIMD float32', entries.i64, entries.float),
      ...ratio('binary / float on this CPU: wasm SIMD i8x16 / wasm SIMD float32', entries.i8x16, entries.float),
      ...ratio('wasm SIMD float32 / float32 TypeScript', entries.float, entries.floatTs),
      ...ratio('BWN add/sub / float32 mul-add (wasm SIMD)', entries.bwn, entries.float),
    ].join('\n'),
  );
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { json: { type: 'string' }, rounds: { type: 'string' }, help: { type: 'boolean' } } });
  if (values.help) {
    console.log('usage: bench-cpu [--json FILE] [--rounds N]');
    return;
  }
  const s = TYPICAL;
  const { g, x, w, input, weights } = layerData(s);
  const m = outputPixels(g);
  const threads = availableParallelism();
  console.log(`CPU: ${cpus()[0]?.model ?? 'unknown'}, ${threads} threads; Node ${process.versions.node} (${process.arch})\n`);

  const wasm = { i64: await createWasmSimdKernel('i64'), i8x16: await createWasmSimdKernel('i8x16') };
  const scalar = await createXnorKernel('scalar-ts');
  const pool = await createNodeThreadPool({ threads, kernel: 'wasm-simd' });
  const dots = new Int32Array(m * g.cout);
  // As the cpu backend does: workers read input and weights and write their rows in shared memory.
  const pooledDots = pool.sharedArray(Int32Array, m * g.cout);
  const [pooledInput, pooledWeights] = [pool.shared(input), pool.shared(weights)];
  const floats = new Float32Array(m * g.cout);
  const floatOperands = floatConvOperands(g, x, w);
  const floatKernel = await createWasmFloatKernel();
  const floatWeights = floatKernel.prepare(g, floatOperands.weights);
  const signs = floatKernel.prepareSigns(g, ohwiFromOihw(new Tensor(w.data.map(sign), w.shape)).data);
  const dir = mkdtempSync(join(tmpdir(), 'xnornet-bench-cpu-'));
  try {
    wasm.i64.conv(g, input, weights, dots, 0, m);
    const conv = (kernel: XnorCpuKernel) => () => kernel.conv(g, input, weights, dots, 0, m);
    const poolLabel = `wasm, ${defaultPopcountPath()}.popcnt GEMM, caller + ${threads - 1} worker${threads === 2 ? '' : 's'}, shared memory`;
    const entries: Entries = {
      i64: await timedEntry('xnor_conv', 'wasm, i64.popcnt GEMM', 1, conv(wasm.i64)),
      i8x16: await timedEntry('xnor_conv', 'wasm SIMD, i8x16.popcnt GEMM', 1, conv(wasm.i8x16)),
      pool: await timedEntry('xnor_conv', poolLabel, threads, () => pool.xnorConv(g, pooledInput, pooledWeights, pooledDots)),
      scalar: await timedEntry('xnor_conv_scalar_ts', 'scalar TypeScript', 1, conv(scalar)),
      native: nativeEntry(s, input, weights, checksum(dots), dir),
      float: await timedEntry('float_conv', 'wasm SIMD f32x4 GEMM', 1, () =>
        floatKernel.conv(g, floatOperands.image, floatWeights, floats),
      ),
      floatTs: await timedEntry('float_conv', 'float32 TypeScript', 1, () => floatConv(g, floatOperands, floats)),
      bwn: {
        ...(await timedEntry('float_conv', 'wasm SIMD add/sub (BWN weights)', 1, () =>
          floatKernel.conv(g, floatOperands.image, signs, floats),
        )),
        shown: 'bwn_conv',
      },
    };
    const measured = Object.values(entries).filter((e): e is Entry => e !== undefined);
    const ms = await medians(measured, Number(values.rounds ?? 7));
    const rows = new Map(
      measured.map((e, k): [Entry, CpuRow] => [
        e,
        {
          kernel: e.kernel,
          implementation: e.label,
          backend: 'cpu',
          threads: e.threads,
          shape: s,
          medianMs: ms[k]!,
          gops: ops(g) / ms[k]! / 1e6,
        },
      ]),
    );
    printReport(s, entries, rows, threads);
    if (values.json) writeFileSync(values.json, `${JSON.stringify([...rows.values()], null, 2)}\n`);
  } finally {
    await pool.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

// Only as the program bench-cpu.js, not when bench/figure4.ts imports its helpers (the build then moves this
// module into a shared chunk, so import.meta.url cannot tell).
if (basename(process.argv[1] ?? '') === 'bench-cpu.js') await main();
