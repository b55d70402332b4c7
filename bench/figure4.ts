/**
 * `npm run bench:figure4`: the paper's Figure 4, measured. XNOR-Net (Rastegari et al., 2016)
 * plots the speedup of a binary convolution over a float one as the channels grow (c = 1..1024
 * at 3x3) and as the filter grows (1x1..7x7 at c = 256), against its count of operations
 * S = 64 c Nw / (c Nw + 64) (Nw = kh * kw taps; 62.27x at c = 256, 3x3). Here, on each device:
 * our XNOR conv over our float conv, and over the best peer's float conv. One conv, batch 1,
 * 14x14, stride 1, padding k/2, c in = c out.
 *   --quick          channels 1, 4, 16, 64, 256, 1024 only, fewer rounds, shorter GPU samples;
 *                    the WebGPU peer only up to the typical layer's size (c = 256, 3x3)
 *   --only DEVICE    cpu or webgpu (default: both, the cpu rows first; the GPU device is
 *                    created after them, so none is alive while the CPU is timed)
 *   --threads N      cpu backend threads, and ONNX Runtime's intraOpNumThreads (default: all cores)
 *   --json FILE      rows: each time measured ({row: 'time'}), then each shape's speedups
 *   --chart DIR      DIR/figure4-cpu.svg and DIR/figure4-webgpu-<adapter>.svg (-quick.svg with --quick)
 * What is timed (each entry's median over interleaved rounds, as bench:cpu and bench:kernels time):
 *   cpu      xnor: the cpu backend's XNOR layer as its executor runs it: the NCHW input's signs
 *            packed (a pool step), the wasm popcount GEMM on the thread pool, the epilogue (alpha)
 *            into NCHW. float: its float layer: the input zero-padded into NHWC, the wasm SIMD
 *            f32x4 GEMM on the pool, the epilogue. xnor_gemm, float_gemm: the GEMMs alone.
 *            peer: ONNX Runtime node, CPU execution provider, a one-node Conv model with the same
 *            weights (bench/peers/onnx-export.ts), NCHW in and out; checked against our float conv.
 *   webgpu   xnor: pack_signs + xnor_conv (its epilogue writes NCHW) in one submission; float:
 *            to_nhwc4 + conv2d; xnor_gemm, float_gemm: xnor_conv, conv2d alone (bench:kernels'
 *            launches and timing). peer: TF.js's webgpu backend on the same GPUDevice, tf.conv2d
 *            NHWC in and out (laid out before timing), timed after ours on each shape. prepare()
 *            gives both of our GPU convs alpha as their epilogue's scale (the float one's output is
 *            alpha * conv: the same work). Outputs are checked against the cpu rows' after timing.
 * Each XNOR bit-MAC and each float MAC counts as 2 ops.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type * as TfCore from '@tensorflow/tfjs-core';
import { markdownTable } from '../src/cli/table.js';
import { buildGraph } from '../src/model/graph.js';
import type { Model } from '../src/model/model.js';
import { type ConvGeometry, outputPixels } from '../src/ops/conv.js';
import type { Epilogue } from '../src/ops/epilogue.js';
import { paddedImage, paddedImageLength } from '../src/backends/cpu/float-conv.js';
import { createNodeThreadPool } from '../src/backends/cpu/node-thread-pool.js';
import { defaultPopcountPath } from '../src/backends/cpu/wasm-kernel.js';
import type { CpuThreadPool } from '../src/backends/cpu/thread-pool.js';
import { type GpuContext, createContext } from '../src/backends/webgpu/context.js';
import { submitLaunches } from '../src/backends/webgpu/dispatch.js';
import { convTile } from '../src/backends/webgpu/kernels/conv-geometry.js';
import { packSignsLaunch } from '../src/backends/webgpu/kernels/pack-signs.js';
import { toNhwc4Launch } from '../src/backends/webgpu/kernels/to-nhwc4.js';
import { computeAlpha, sign } from '../src/tensor/bits.js';
import { ohwiFromOihw } from '../src/tensor/layout.js';
import { Tensor } from '../src/tensor/tensor.js';
import { type Panel, type Series, chartSvg } from './chart.js';
import { type Entry, layerData, medians, timedEntry } from './cpu.js';
import { type Timed, medianMs } from './harness.js';
import { type ConvShape, prepare } from './kernel-rows.js';

type Backend = 'cpu' | 'webgpu';
type Impl = 'xnor' | 'xnor_gemm' | 'float' | 'float_gemm' | 'peer';
type Sweep = 'channels' | 'filter';

interface TimeRow {
  row: 'time';
  backend: Backend;
  device: string;
  implementation: Impl;
  /** Who ran it and what the time includes. */
  engine: string;
  threads?: number;
  shape: ConvShape;
  medianMs: number;
  gops: number;
}

interface SpeedupRow {
  row: 'speedup';
  backend: Backend;
  device: string;
  sweeps: Sweep[];
  c: number;
  k: number;
  /** float / xnor, both whole layers (input packing or layout included). */
  xnorOverFloat: number;
  /** peer float / our xnor layer; null without a peer. */
  xnorOverPeer: number | null;
  /** float GEMM / XNOR GEMM, the kernels alone. */
  gemmRatio: number;
  /** The paper's 64 c Nw / (c Nw + 64). */
  paperS: number;
  /** 32 c Nw / (c Nw + 32): 32 bit-MACs per float MAC (128-bit SIMD on both sides; 32-bit words on the GPU). */
  s32: number;
}

const CHANNELS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];
const QUICK_CHANNELS = [1, 4, 16, 64, 256, 1024];
const FILTERS = [1, 3, 5, 7];

const shapeOf = (c: number, k: number): ConvShape => ({
  n: 1,
  cin: c,
  h: 14,
  w: 14,
  cout: c,
  kh: k,
  kw: k,
  stride: 1,
  padding: (k - 1) / 2,
});
const keyOf = (c: number, k: number) => `${c}/${k}`;
const ops = (s: ConvShape) => 2 * s.n * s.h * s.w * s.cout * s.cin * s.kh * s.kw;
const idealS = (bits: number, c: number, nw: number) => (bits * c * nw) / (c * nw + bits);

/** The shapes measured, each once (c = 256, 3x3 is on both sweeps), and the sweeps each is on. */
function shapes(quick: boolean): { c: number; k: number; sweeps: Sweep[] }[] {
  const list = new Map<string, { c: number; k: number; sweeps: Sweep[] }>();
  const add = (c: number, k: number, sweep: Sweep) => {
    const entry = list.get(keyOf(c, k)) ?? { c, k, sweeps: [] };
    entry.sweeps.push(sweep);
    list.set(keyOf(c, k), entry);
  };
  for (const c of quick ? QUICK_CHANNELS : CHANNELS) add(c, 3, 'channels');
  for (const k of FILTERS) add(256, k, 'filter');
  return [...list.values()];
}

/** Largest |a - b| over the largest |b|; throws naming `what` when over `tolerance`. */
function expectClose(what: string, a: ArrayLike<number>, b: ArrayLike<number>, tolerance: number): number {
  if (a.length !== b.length) throw new Error(`${what}: ${a.length} values against ${b.length}`);
  let [diff, scale] = [0, 0];
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  const relative = diff / Math.max(scale, 1e-30);
  if (!(relative <= tolerance)) throw new Error(`${what}: outputs differ by ${relative.toExponential(2)} of their largest value`);
  return relative;
}

/** Reference outputs of the cpu rows (NCHW), by shape, for checking the WebGPU ones. */
type References = Map<string, { x: Float32Array; float: Float32Array; xnor: Float32Array }>;

interface Measured {
  rows: TimeRow[];
  device: string;
  peer: string | undefined;
  notes: string[];
}

// ---------------------------------------------------------------------------------------------
// cpu backend

/** One float conv of `c` channels as an ONNX model (bench/peers/onnx-export.ts writes it). */
function convModel(s: ConvShape, w: Tensor<Float32Array>): Model {
  const json = {
    format: 'xnornet',
    version: 1,
    name: `figure4-conv-${s.cin}-${s.kh}x${s.kw}`,
    weights: 'none.safetensors',
    input: { shape: [s.cin, s.h, s.w] },
    nodes: [{ op: 'conv2d', name: 'conv', outChannels: s.cout, kernel: [s.kh, s.kw], padding: [s.padding, s.padding], bias: false }],
  };
  return {
    graph: buildGraph(json, 'figure4'),
    weights: new Map([['conv', { kind: 'float', weight: w, bias: undefined }]]),
    tensors: new Map(),
    source: 'figure4',
  };
}

async function measureCpu(quick: boolean, threads: number, references: References): Promise<Measured> {
  const device = cpus()[0]?.model.trim() ?? 'unknown CPU';
  const notes: string[] = [];
  const rows: TimeRow[] = [];
  type Ort = typeof import('onnxruntime-node');
  let ort: { ort: Ort; exportOnnx: (m: Model) => Uint8Array; description: string } | undefined;
  try {
    const module = await import('onnxruntime-node');
    const { exportOnnx, ONNX_OPSET } = await import('./peers/onnx-export.js');
    const description =
      `ONNX Runtime node ${module.env.versions.node ?? '?'}, CPU EP, intraOpNumThreads ${threads}, opset ${ONNX_OPSET}: ` +
      'a one-node Conv, NCHW in and out (session.run, its output allocated each run)';
    ort = { ort: module, exportOnnx, description };
  } catch (err) {
    notes.push(`cpu peer missing: ONNX Runtime did not load (${(err as Error).message})`);
  }
  const pool = await createNodeThreadPool({ threads, kernel: 'wasm-simd' });
  try {
    for (const { c, k } of shapes(quick)) {
      const s = shapeOf(c, k);
      const { g, x, w, input, weights } = layerData(s);
      const m = outputPixels(g);
      // As the executor holds them: values and scratch in shared memory, weights shared once.
      const xs = pool.shared(x.data);
      const [packed, bits, wbits] = [pool.shared(input), pool.sharedArray(Uint32Array, input.length), pool.shared(weights)];
      const dots = pool.sharedArray(Int32Array, m * c);
      const [image, sums] = [pool.sharedArray(Float32Array, paddedImageLength(g)), pool.sharedArray(Float32Array, m * c)];
      const [xnorOut, floatOut] = [pool.sharedArray(Float32Array, m * c), pool.sharedArray(Float32Array, m * c)];
      const floatWeights = pool.prepareFloat(g, ohwiFromOihw(w).data, false);
      const zeros = new Float32Array(c);
      const xnorEpilogue: Epilogue = { scale: computeAlpha(w), shift: zeros, relu: false };
      const floatEpilogue: Epilogue = { scale: new Float32Array(c).fill(1), shift: zeros, relu: false };
      const nchw = [g.n, g.cin, g.h, g.w] as const;
      const xnorLayer = async () => {
        await pool.step({ op: 'pack', x: xs, shape: nchw, bits });
        await pool.xnorConv(g, bits, wbits, dots);
        await pool.step({ op: 'epilogue', sums: dots, conv: g, epilogue: xnorEpilogue, out: xnorOut });
      };
      const floatLayer = async () => {
        paddedImage(g, xs, image);
        await pool.floatConv(g, image, floatWeights, sums);
        await pool.step({ op: 'epilogue', sums, conv: g, epilogue: floatEpilogue, out: floatOut });
      };
      await checkXnor(pool, g, x, w, xnorLayer, dots, () => pool.xnorConv(g, packed, wbits, dots));
      await floatLayer();
      references.set(keyOf(c, k), { x: x.data, float: Float32Array.from(floatOut), xnor: Float32Array.from(xnorOut) });

      const entries: { impl: Impl; engine: string; entry: Entry }[] = [
        {
          impl: 'xnor',
          engine: 'cpu backend XNOR layer: sign packing + wasm popcount GEMM + epilogue, NCHW in and out',
          entry: await timedEntry('xnor_conv', 'xnor layer', threads, xnorLayer),
        },
        {
          impl: 'xnor_gemm',
          engine: 'the wasm popcount GEMM alone, input packed',
          entry: await timedEntry('xnor_conv', 'xnor gemm', threads, () => pool.xnorConv(g, packed, wbits, dots)),
        },
        {
          impl: 'float',
          engine: 'cpu backend float layer: zero padding into NHWC + wasm SIMD f32x4 GEMM + epilogue, NCHW in and out',
          entry: await timedEntry('float_conv', 'float layer', threads, floatLayer),
        },
        {
          impl: 'float_gemm',
          engine: 'the wasm SIMD f32x4 GEMM alone, input padded',
          entry: await timedEntry('float_conv', 'float gemm', threads, () => pool.floatConv(g, image, floatWeights, sums)),
        },
      ];
      let session: Awaited<ReturnType<Ort['InferenceSession']['create']>> | undefined;
      if (ort) {
        session = await ort.ort.InferenceSession.create(ort.exportOnnx(convModel(s, w)), {
          executionProviders: ['cpu'],
          intraOpNumThreads: threads,
          interOpNumThreads: 1,
          executionMode: 'sequential',
          graphOptimizationLevel: 'all',
        });
        const feeds = { [session.inputNames[0]!]: new ort.ort.Tensor('float32', x.data, [1, c, s.h, s.w]) };
        const output = session.outputNames[0]!;
        const run = async () => (await session!.run(feeds))[output]!.data as Float32Array;
        expectClose(`ONNX Runtime against our float conv, c = ${c}, ${k}x${k}`, await run(), floatOut, 1e-4);
        entries.push({ impl: 'peer', engine: ort.description, entry: await timedEntry('float_conv', 'onnx runtime', threads, run) });
      }
      const ms = await medians(
        entries.map((e) => e.entry),
        quick ? 3 : 5,
      );
      await session?.release();
      for (const [i, { impl, engine }] of entries.entries()) {
        rows.push({
          row: 'time',
          backend: 'cpu',
          device,
          implementation: impl,
          engine,
          threads,
          shape: s,
          medianMs: ms[i]!,
          gops: ops(s) / ms[i]! / 1e6,
        });
      }
      process.stderr.write(`  cpu: measured c = ${c}, ${k}x${k}\n`);
    }
  } finally {
    await pool.close();
  }
  notes.push(
    'cpu: outputs checked before timing: the XNOR dots against a float conv of the signs (exact), ONNX Runtime against our float conv (1e-4 of the largest value)',
  );
  return { rows, device, peer: ort ? 'ONNX Runtime' : undefined, notes };
}

/** The XNOR layer's dots must equal a float (BWN) conv of sign(x) with sign(w), and the GEMM on packActivations' bits the same. */
async function checkXnor(
  pool: CpuThreadPool,
  g: ConvGeometry,
  x: Tensor<Float32Array>,
  w: Tensor<Float32Array>,
  xnorLayer: () => Promise<void>,
  dots: Int32Array,
  xnorGemm: () => Promise<unknown>,
): Promise<void> {
  await xnorLayer();
  const layerDots = Float32Array.from(dots);
  await xnorGemm();
  expectClose(`XNOR GEMM on packActivations' bits, c = ${g.cin}, ${g.kh}x${g.kw}`, dots, layerDots, 0);
  const signs = pool.prepareFloat(g, ohwiFromOihw(new Tensor(w.data.map(sign), w.shape)).data, true);
  const expected = await pool.floatConv(g, paddedImage(g, x.data.map(sign)), signs);
  expectClose(`XNOR dots against a float conv of the signs, c = ${g.cin}, ${g.kh}x${g.kw}`, layerDots, expected, 0);
}

// ---------------------------------------------------------------------------------------------
// WebGPU

type Tf = typeof TfCore;

/** What TF.js's WebGPU backend exposes beyond its types: its command encoder, flushed before waiting. */
interface WebGpuBackendInternals {
  commandEncoder: GPUCommandEncoder | null;
  endComputePassEncoder(): void;
  submitQueue(): void;
}

/** TF.js's webgpu backend on our GPUDevice (Dawn in Node has no navigator.gpu: we lend it ours). */
async function startTfjsWebGpu(ctx: GpuContext): Promise<{ tf: Tf; description: string; flush: () => Promise<void> }> {
  const nav = (globalThis as { navigator?: object }).navigator ?? {};
  Object.defineProperty(globalThis, 'navigator', { value: { ...nav, gpu: ctx.gpu }, configurable: true, writable: true });
  const tf: Tf = await import('@tensorflow/tfjs-core');
  const webgpu = await import('@tensorflow/tfjs-backend-webgpu');
  // The package registers a 'webgpu' backend that asks navigator.gpu for an adapter and device
  // of its own; this one takes ours (the kernels are registered under the name 'webgpu').
  if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
  const info = { vendor: ctx.adapter.vendor, architecture: ctx.adapter.architecture } as GPUAdapterInfo;
  tf.registerBackend('webgpu', () => new webgpu.WebGPUBackend(ctx.device, info));
  if (!(await tf.setBackend('webgpu'))) throw new Error('TF.js: the webgpu backend did not start');
  await tf.ready();
  const backend = tf.backend() as unknown as WebGpuBackendInternals;
  const flush = async () => {
    backend.endComputePassEncoder();
    if (backend.commandEncoder) backend.submitQueue();
    await ctx.device.queue.onSubmittedWorkDone();
  };
  const description = `TF.js ${tf.version_core} webgpu backend on the same GPUDevice: tf.conv2d, NHWC in and out (laid out before timing)`;
  return { tf, description, flush };
}

/** Median ms of `run` (a tf.conv2d), in samples of at least `minSampleMs` of back-to-back runs (one flush and wait each), as medianMs times a launch. */
async function peerMedianMs(run: () => TfCore.Tensor, flush: () => Promise<void>, rounds: number, minSampleMs: number): Promise<number> {
  const sample = async (reps: number) => {
    const started = performance.now();
    for (let r = 0; r < reps; r++) run().dispose();
    await flush();
    return (performance.now() - started) / reps;
  };
  const warm = await sample(1);
  const reps = Math.max(1, Math.ceil(minSampleMs / Math.max(warm, 0.01)));
  const samples: number[] = [];
  // Runs of over a second (SwiftShader at c >= 512): 3 samples are enough for a median.
  for (let round = 0; round < (warm > 1000 ? Math.min(rounds, 3) : rounds); round++) samples.push(await sample(reps));
  return samples.sort((a, b) => a - b)[Math.floor(samples.length / 2)]!;
}

async function measureWebGpu(quick: boolean, references: References): Promise<Measured> {
  const ctx = await createContext();
  const device = ctx.adapterName;
  const notes: string[] = [];
  const rows: TimeRow[] = [];
  let peer: Awaited<ReturnType<typeof startTfjsWebGpu>> | undefined;
  try {
    peer = await startTfjsWebGpu(ctx);
  } catch (err) {
    notes.push(`webgpu peer missing: TF.js webgpu did not start (${(err as Error).message})`);
  }
  const [rounds, minSampleMs] = quick ? [3, 100] : [5, 250];
  try {
    for (const { c, k } of shapes(quick)) {
      const s = shapeOf(c, k);
      const { entries, tensors: t, release } = await prepare(ctx, s, { xnor: [convTile(c)], conv2d: [convTile(c)] });
      try {
        const kernel = (name: string) => entries.find((e) => e.kernel === name)!.launches;
        const pack = await packSignsLaunch(ctx, { input: t.nchw, output: t.bits });
        const layout = await toNhwc4Launch(ctx, t.nchw, t.nhwc4);
        const timed: (Timed & { impl: Impl; engine: string })[] = [
          {
            impl: 'xnor',
            engine: 'pack_signs + xnor_conv (epilogue into NCHW), one submission',
            label: 'xnor',
            launches: [pack, ...kernel('xnor_conv')],
          },
          { impl: 'xnor_gemm', engine: 'xnor_conv alone, input packed', label: 'xnor_gemm', launches: kernel('xnor_conv') },
          {
            impl: 'float',
            engine: 'to_nhwc4 + conv2d (epilogue into NCHW), one submission',
            label: 'float',
            launches: [layout, ...kernel('float_conv')],
          },
          { impl: 'float_gemm', engine: 'conv2d alone, input in NHWC4', label: 'float_gemm', launches: kernel('float_conv') },
        ];
        const medians = await medianMs(ctx, timed, rounds, minSampleMs);
        const measured = timed.map((e) => ({ impl: e.impl, engine: e.engine, ms: medians.get(e.label)! }));
        // Checks, on the launches just timed (submitLaunches then frees their uniforms, so not
        // before): the same input as the cpu rows', then each layer's output against theirs.
        // prepare() gives the float conv alpha as its scale too: its outputs are alpha * conv.
        const w = layerData(s).w;
        const alpha = computeAlpha(w);
        const reference = references.get(keyOf(c, k));
        const [input, ours] = [await t.nchw.read(), new Map<string, Float32Array>()];
        for (const entry of [timed[2]!, timed[0]!]) {
          await submitLaunches(ctx, `check ${entry.label}`, entry.launches);
          ours.set(entry.label, (await t.output.read()).data as Float32Array);
        }
        if (reference) {
          expectClose(`WebGPU input against the cpu rows', c = ${c}, ${k}x${k}`, input.data, reference.x, 0);
          const expected = scaleChannels(reference.float, alpha);
          expectClose(`WebGPU float conv against the cpu backend's, c = ${c}, ${k}x${k}`, ours.get('float')!, expected, 1e-4);
          expectClose(`WebGPU XNOR conv against the cpu backend's, c = ${c}, ${k}x${k}`, ours.get('xnor')!, reference.xnor, 1e-6);
        }
        // The peer is slow on SwiftShader (~0.7 s a run at c = 256, 3x3): --quick stops at that size.
        if (peer && !(quick && ops(s) > ops(shapeOf(256, 3)))) {
          const { tf, flush } = peer;
          // NCHW -> NHWC and OIHW -> HWIO once, on the GPU, before timing.
          const x = tf.tidy(() => tf.transpose(tf.tensor4d(input.data as Float32Array, [1, c, s.h, s.w]), [0, 2, 3, 1]));
          const filter = tf.tidy(() => tf.transpose(tf.tensor4d(w.data, [c, c, k, k]), [2, 3, 1, 0]));
          const run = () => tf.conv2d(x, filter, 1, s.padding);
          const y = tf.tidy(() => tf.transpose(run(), [0, 3, 1, 2]));
          expectClose(
            `TF.js webgpu against our WebGPU float conv, c = ${c}, ${k}x${k}`,
            scaleChannels(await y.data<'float32'>(), alpha),
            ours.get('float')!,
            1e-4,
          );
          y.dispose();
          measured.push({ impl: 'peer', engine: peer.description, ms: await peerMedianMs(run, flush, rounds, minSampleMs) });
          tf.dispose([x, filter]);
        }
        for (const { impl, engine, ms } of measured) {
          rows.push({
            row: 'time',
            backend: 'webgpu',
            device,
            implementation: impl,
            engine,
            shape: s,
            medianMs: ms,
            gops: ops(s) / ms / 1e6,
          });
        }
      } finally {
        release();
      }
      process.stderr.write(`  webgpu: measured c = ${c}, ${k}x${k}\n`);
    }
  } finally {
    if (peer) peer.tf.removeBackend('webgpu');
    ctx.destroy();
  }
  notes.push(
    references.size > 0
      ? 'webgpu: outputs checked after timing, on the launches timed, against the cpu backend rows (float 1e-4, XNOR 1e-6 of the largest value), TF.js against our float conv (1e-4)'
      : 'webgpu: outputs not checked against the cpu backend (--only webgpu); TF.js checked against our float conv (1e-4)',
  );
  if (quick && peer)
    notes.push('webgpu --quick: the TF.js peer only up to c = 256, 3x3 (on SwiftShader ~0.7 s a run there, ~11 s at c = 1024)');
  return { rows, device, peer: peer ? 'TF.js webgpu' : undefined, notes };
}

/** NCHW values times a factor per channel. */
function scaleChannels(nchw: Float32Array, scale: Float32Array): Float32Array {
  const plane = nchw.length / scale.length; // batch 1
  return nchw.map((v, i) => v * scale[Math.floor(i / plane)]!);
}

// ---------------------------------------------------------------------------------------------
// Report

function speedups(backend: Backend, m: Measured, quick: boolean): SpeedupRow[] {
  const out: SpeedupRow[] = [];
  for (const { c, k, sweeps } of shapes(quick)) {
    const at = (impl: Impl) => m.rows.find((r) => r.implementation === impl && r.shape.cin === c && r.shape.kh === k)?.medianMs;
    const [xnor, xnorGemm, float, floatGemm, peer] = (['xnor', 'xnor_gemm', 'float', 'float_gemm', 'peer'] as const).map(at);
    if (xnor === undefined || xnorGemm === undefined || float === undefined || floatGemm === undefined) continue;
    out.push({
      row: 'speedup',
      backend,
      device: m.device,
      sweeps,
      c,
      k,
      xnorOverFloat: float / xnor,
      xnorOverPeer: peer === undefined ? null : peer / xnor,
      gemmRatio: floatGemm / xnorGemm,
      paperS: idealS(64, c, k * k),
      s32: idealS(32, c, k * k),
    });
  }
  return out;
}

function printTable(backend: Backend, m: Measured, rows: SpeedupRow[], threads: number): void {
  const ms = (c: number, k: number, impl: Impl) => {
    const row = m.rows.find((r) => r.implementation === impl && r.shape.cin === c && r.shape.kh === k);
    return row ? (row.medianMs < 1 ? row.medianMs.toFixed(3) : row.medianMs.toFixed(2)) : '-';
  };
  const x = (v: number | null) => (v === null ? '-' : `${v.toFixed(v < 10 ? 2 : 1)}x`);
  const peer = m.peer ?? 'peer (missing)';
  console.log(
    `\n### ${backend === 'cpu' ? `cpu backend (Wasm SIMD), ${threads} thread${threads === 1 ? '' : 's'}` : 'WebGPU'}: ${m.device}\n`,
  );
  for (const sweep of ['channels', 'filter'] as const) {
    console.log(
      markdownTable(
        [
          sweep === 'channels' ? 'c (3x3)' : 'filter (c = 256)',
          'XNOR ms',
          'float ms',
          `${peer} ms`,
          'XNOR GEMM ms',
          'float GEMM ms',
          'XNOR / float',
          `XNOR / ${peer}`,
          'GEMMs: XNOR / float',
          'paper S',
          'S at 32 bit-MACs per float MAC',
        ],
        rows
          .filter((r) => r.sweeps.includes(sweep))
          .map((r) => [
            sweep === 'channels' ? r.c : `${r.k}x${r.k}`,
            ms(r.c, r.k, 'xnor'),
            ms(r.c, r.k, 'float'),
            ms(r.c, r.k, 'peer'),
            ms(r.c, r.k, 'xnor_gemm'),
            ms(r.c, r.k, 'float_gemm'),
            x(r.xnorOverFloat),
            x(r.xnorOverPeer),
            x(r.gemmRatio),
            x(r.paperS),
            x(r.s32),
          ]),
      ),
    );
    console.log('');
  }
  console.log('What each time includes:');
  for (const impl of ['xnor', 'float', 'peer', 'xnor_gemm', 'float_gemm'] as const) {
    const engine = m.rows.find((r) => r.implementation === impl)?.engine;
    if (engine) console.log(`- ${impl}: ${engine}`);
  }
  for (const note of m.notes) console.log(`- ${note}`);
}

/** The theoretical note printed after the tables. */
function theory(): string {
  const path = defaultPopcountPath();
  return [
    'Theory: S = r c Nw / (c Nw + r), r = the bit-MACs of one binary instruction over the float MACs of one float',
    'instruction (the + r: one non-binary op per output, the scaling). The paper takes r = 64, a 64-bit xnor +',
    'popcount against a scalar float MAC: its S = 64 c Nw / (c Nw + 64), 62.3x at c = 256, 3x3. Here:',
    '- cpu (Wasm SIMD, 128-bit): the float GEMM is vectorized too (f32x4: 4 MACs per multiply and add; no FMA in',
    '  Wasm SIMD); the binary one xors 128 bits per v128.xor and counts them with i8x16.popcnt (128 bits, ~8 SSE',
    `  instructions on x86) or i64.popcnt (64 bits, one POPCNT; the default on x64 Node; here: ${path}): r = 128 / 4`,
    '  = 32 at most, 32 c Nw / (c Nw + 32) = 31.6x at c = 256, 3x3; r = 64 / 4 = 16 counting 64-bit popcounts (15.9x).',
    '- WebGPU (WGSL, 32-bit lanes): countOneBits on a u32 covers 32 bit-MACs, an f32 fma one MAC: r = 32 (31.6x),',
    '  before the xor and the add each word also needs (3 ops against 1 fma).',
    'The measured speedups also pay for packing the input, the epilogue and memory traffic, and at small c for',
    'the fixed costs of each call (thread pool hand-offs, dispatches).',
  ].join('\n');
}

const COLORS = { float: '#c0392b', peer: '#2471a3', gemm: '#e67e22', paper: '#333333', s32: '#999999' };

function chart(backend: Backend, m: Measured, rows: SpeedupRow[], threads: number): Promise<string> {
  const peer = m.peer ?? 'peer (missing)';
  const panel = (sweep: Sweep): Panel => {
    const mine = rows.filter((r) => r.sweeps.includes(sweep)).sort((a, b) => a.c - b.c || a.k - b.k);
    const xOf = (r: SpeedupRow) => (sweep === 'channels' ? r.c : r.k);
    const measured = (label: string, color: string, y: (r: SpeedupRow) => number | null, dash?: string): Series => ({
      label,
      color,
      dash,
      points: mine.filter((r) => y(r) !== null).map((r) => ({ x: xOf(r), y: y(r)! })),
    });
    // The model curves, smooth between the measured points.
    const xs = sweep === 'channels' ? Array.from({ length: 41 }, (_, i) => 2 ** (i / 4)) : Array.from({ length: 25 }, (_, i) => 1 + i / 4);
    const curve = (label: string, color: string, bits: number, dash: string): Series => ({
      label,
      color,
      dash,
      dots: false,
      points: xs.map((v) => ({ x: v, y: sweep === 'channels' ? idealS(bits, v, 9) : idealS(bits, 256, v * v) })),
    });
    return {
      title: sweep === 'channels' ? 'channels c, 3x3 filter' : 'filter size, c = 256',
      x:
        sweep === 'channels'
          ? { title: 'channels c (in = out)', scale: 'log2', ticks: CHANNELS }
          : { title: 'filter size', ticks: FILTERS, labelExpr: "datum.value + 'x' + datum.value" },
      y: { title: 'speedup of XNOR (x)', scale: 'log10' },
      series: [
        measured('XNOR / our float conv (layers)', COLORS.float, (r) => r.xnorOverFloat),
        measured(`XNOR / ${peer} float conv`, COLORS.peer, (r) => r.xnorOverPeer),
        measured('XNOR GEMM / float GEMM (kernels alone)', COLORS.gemm, (r) => r.gemmRatio, '5 3'),
        curve("paper's S = 64 c Nw / (c Nw + 64)", COLORS.paper, 64, '8 4'),
        curve('32 bit-MACs per float MAC: 32 c Nw / (c Nw + 32)', COLORS.s32, 32, '2 3'),
      ],
    };
  };
  const where =
    backend === 'cpu' ? `cpu backend (Wasm SIMD, ${threads} thread${threads === 1 ? '' : 's'}): ${m.device}` : `WebGPU: ${m.device}`;
  return chartSvg(`XNOR-Net Figure 4, measured on the ${where}`, [panel('channels'), panel('filter')], {
    subtitle: 'one conv, batch 1, 14x14, stride 1, pad k/2, c in = c out; XNOR and float layers NCHW in and out, input packing included',
    sharedY: true,
  });
}

function slug(adapter: string): string {
  if (/swiftshader/i.test(adapter)) return 'swiftshader';
  return (
    adapter
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '')
      .slice(0, 40) || 'gpu'
  );
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean' },
      only: { type: 'string' },
      threads: { type: 'string' },
      json: { type: 'string' },
      chart: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    console.log('usage: bench-figure4 [--quick] [--only cpu|webgpu] [--threads N] [--json FILE] [--chart DIR]');
    return;
  }
  if (values.only && values.only !== 'cpu' && values.only !== 'webgpu') throw new Error(`--only: cpu or webgpu, got ${values.only}`);
  const quick = values.quick ?? false;
  const threads = values.threads ? Number(values.threads) : availableParallelism();
  if (!Number.isInteger(threads) || threads < 1) throw new Error(`--threads: a positive integer, got ${values.threads}`);
  console.log(`Node ${process.versions.node} (${process.arch}); ${shapes(quick).length} shapes${quick ? ' (--quick)' : ''}`);
  const references: References = new Map();
  const results: [Backend, Measured][] = [];
  if (values.only !== 'webgpu') results.push(['cpu', await measureCpu(quick, threads, references)]);
  if (values.only !== 'cpu') results.push(['webgpu', await measureWebGpu(quick, references)]);
  const json: (TimeRow | SpeedupRow)[] = [];
  if (values.chart) mkdirSync(values.chart, { recursive: true });
  for (const [backend, m] of results) {
    const rows = speedups(backend, m, quick);
    printTable(backend, m, rows, threads);
    json.push(...m.rows, ...rows);
    if (values.chart) {
      const file = join(values.chart, `figure4-${backend === 'cpu' ? 'cpu' : `webgpu-${slug(m.device)}`}${quick ? '-quick' : ''}.svg`);
      writeFileSync(file, await chart(backend, m, rows, threads));
      console.log(`\nchart: ${file}`);
    }
  }
  console.log(`\n${theory()}`);
  console.log(
    '\nTimes: medians over interleaved rounds (cpu: samples of >= 300 ms after a 300 ms warm-up, as bench:cpu; WebGPU: one submission of back-to-back copies per sample, as bench:kernels; TF.js right after ours on each shape).',
  );
  if (values.json) writeFileSync(values.json, `${JSON.stringify(json, null, 2)}\n`);
}

await main();
