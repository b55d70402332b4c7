/**
 * The same float network in TensorFlow.js, on its WebAssembly backend (XNNPACK) or on its
 * WebGPU backend (on a GPUDevice the caller hands over: bench/peers/gpu-child.ts gives it
 * xnornet's own), built from the model's own tensors, for bench/peers.ts. One builder serves
 * both backends: it only calls TF.js's backend-agnostic ops.
 *
 * TF.js convolves NHWC, so everything is laid out for it once, when the network is built:
 * filters OIHW -> HWIO, and the input is handed over as NHWC (`prepare`, outside the timed
 * run). A batchnorm right after a conv or linear layer is folded into its weights and bias and
 * a following relu fused (tf.fused.conv2d / tf.fused.matMul), as TF.js's converter does for a
 * graph model; other batchnorms run as tf.batchNorm. Pooling keeps PyTorch's semantics:
 * maxpool pads count as -inf (XNNPACK's own padding), avgpool pads count as zeros in the
 * divisor (count_include_pad), so a padded avgpool pads explicitly with tf.pad and pools
 * 'valid' (TF.js would leave the pads out of the divisor). A flatten of a C x H x W image
 * reads NHWC in H, W, C order: the layer after it gets its weight columns (or batchnorm
 * parameters) permuted once to match, instead of a transpose per run. A run computes step by
 * step, each in its own tf.tidy, and disposes a value after its last reader, as TF.js's
 * GraphModel executor does (one tidy around the whole run would keep every intermediate alive
 * to the end); `runMeasured` reads TF.js's own count of tensor bytes (tf.memory())
 * after each step of such a run.
 *
 * Threads: TF.js turns threads off in Node (WASM_HAS_MULTITHREAD_SUPPORT is false there,
 * tensorflow/tfjs#3830), and its XNNPACK pool is capped at navigator.hardwareConcurrency / 2
 * (os.cpus().length / 2 in Node) whatever setThreadsCount asks: one thread on a 2-core machine,
 * in a browser too. `forceNodeThreads` starts its threaded-SIMD build in Node anyway (see
 * enableNodeThreads): for a measurement of what 2 threads would give, never as a default.
 * bench-only: the TF.js packages are devDependencies that neither the library nor the tests need.
 */
import { createRequire } from 'node:module';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type * as TfCore from '@tensorflow/tfjs-core';
import type { Model } from '../../src/model/model.js';
import type { GraphNode } from '../../src/model/graph.js';
import type { LayerWeights } from '../../src/ops/op.js';
import { batchnormAffine } from '../../src/ops/batchnorm.js';
import type { Tensor } from '../../src/tensor/tensor.js';

type Tf = typeof TfCore;

export interface TfjsWasmOptions {
  /** Threads asked of setThreadsCount (TF.js caps them: see the file comment). */
  threads: number;
  /** Start the threaded-SIMD build in Node, which TF.js does not support (enableNodeThreads). */
  forceNodeThreads?: boolean;
}

/** TF.js started on one backend. */
export interface TfjsEngine {
  /** What actually ran: backend, versions (and for wasm: SIMD, threads). */
  readonly description: string;
  readonly backend: string;
  readonly version: string;
  build(model: Model): TfjsNetwork;
}

export interface TfjsWasm extends TfjsEngine {
  readonly simd: boolean;
  readonly multithread: boolean;
  readonly threads: number;
}

export interface TfjsNetwork {
  /** Bytes of the tensors the network holds (float32 weights and biases, batchnorms folded). */
  readonly weightBytes: number;
  /** The NCHW input as the NHWC tensor TF.js takes, made once before timing. */
  prepare(input: Tensor<Float32Array>): TfCore.Tensor;
  /** The model's outputs, as the reference lays them out ([N, F], or NCHW images). */
  run(prepared: TfCore.Tensor): Promise<Float32Array[]>;
  /**
   * A run that also reads tf.memory().numBytes after each step: `peakActivationBytes`, the most
   * bytes of tensors alive at once beyond what was alive before the run, plus the input's (a
   * value a step makes and drops inside its tidy, e.g. a pad, is not seen).
   */
  runMeasured(prepared: TfCore.Tensor): Promise<{ outputs: Float32Array[]; peakActivationBytes: number }>;
  dispose(): void;
}

/**
 * What TF.js's threaded build needs in Node and does not do there: its pthread workers are
 * created from a blob: URL (Node's Worker wants a file) and load the Emscripten module from a
 * Blob (Node's importScripts shim reads files). The worker script and the module are written
 * to a temporary folder and a Worker subclass that swaps blob: URLs for that file is put where
 * Emscripten looks for `Worker`; os.cpus() is doubled while the backend starts, so the
 * hardwareConcurrency / 2 cap allows `threads`. Undone with the returned function.
 */
function enableNodeThreads(threads: number): () => void {
  const require = createRequire(import.meta.url);
  const wasmOut = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'wasm-out');
  const dir = mkdtempSync(join(tmpdir(), 'xnornet-tfjs-threads-'));
  const moduleFile = join(dir, 'tfjs-backend-wasm-threaded-simd.cjs');
  writeFileSync(moduleFile, readFileSync(join(wasmOut, 'tfjs-backend-wasm-threaded-simd.js')));
  const { wasmWorkerContents } = require(join(wasmOut, 'tfjs-backend-wasm-threaded-simd.worker.js')) as { wasmWorkerContents: string };
  const workerFile = join(dir, 'worker.cjs');
  // As TF.js itself does before making its Blob: the source's newlines inside strings stay escaped.
  const worker = wasmWorkerContents.replace(/\n/g, '\\n');
  writeFileSync(workerFile, `URL.createObjectURL = () => ${JSON.stringify(moduleFile)};\nURL.revokeObjectURL = () => {};\n${worker}`);
  const { Worker: NodeWorker } = require('node:worker_threads') as typeof import('node:worker_threads');
  class FileWorker extends NodeWorker {
    constructor(url: string | URL, options?: import('node:worker_threads').WorkerOptions) {
      super(String(url).startsWith('blob:') ? workerFile : url, options);
    }
  }
  const previous = Object.getOwnPropertyDescriptor(globalThis, 'Worker');
  Object.defineProperty(globalThis, 'Worker', { configurable: true, get: () => FileWorker, set: () => undefined });
  const cpus = os.cpus;
  os.cpus = () => {
    const real = cpus();
    return Array.from({ length: Math.max(real.length, 2 * threads) }, (_, i) => real[i % real.length]!);
  };
  return () => {
    os.cpus = cpus;
    if (previous) Object.defineProperty(globalThis, 'Worker', previous);
    // Emscripten keeps its pool of workers; one it would add later gets the plain Node Worker.
    else Object.defineProperty(globalThis, 'Worker', { configurable: true, writable: true, value: NodeWorker });
  };
}

/** TF.js on its wasm backend, started once per process (TF.js allows one wasm module). */
export async function createTfjsWasm({ threads, forceNodeThreads = false }: TfjsWasmOptions): Promise<TfjsWasm> {
  const tf: Tf = await import('@tensorflow/tfjs-core');
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const restore = forceNodeThreads ? enableNodeThreads(threads) : () => undefined;
  try {
    if (forceNodeThreads) tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
    wasm.setThreadsCount(threads);
    if (!(await tf.setBackend('wasm'))) throw new Error('TF.js: the wasm backend did not start');
    await tf.ready();
  } finally {
    restore();
  }
  const simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
  const multithread = Boolean(await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT'));
  const actual = wasm.getThreadsCount();
  const version = `tfjs-core ${tf.version_core}, tfjs-backend-wasm ${wasm.version_wasm}`;
  const build = multithread ? (simd ? 'threaded-SIMD' : 'threaded') : simd ? 'SIMD' : 'plain';
  const forced = forceNodeThreads ? ', threads forced on in Node' : '';
  return {
    description: `TF.js ${tf.getBackend()} backend (${version}), ${build} build, XNNPACK on ${actual} thread(s)${forced}`,
    backend: tf.getBackend(),
    simd,
    multithread,
    threads: actual,
    version,
    build: (model) => buildNetwork(tf, model),
  };
}

/** How a value is laid out in TF.js: an NHWC image, or [N, F] features, maybe in NHWC-flatten order. */
type Layout = { kind: 'image'; shape: readonly number[] } | { kind: 'vector'; perm: Int32Array | undefined };

/** perm[k]: the C, H, W feature index of position k of an NHWC image [C, H, W] flattened. */
function flattenPerm([c, h, w]: readonly number[]): Int32Array | undefined {
  if (h! * w! === 1) return undefined;
  const perm = new Int32Array(c! * h! * w!);
  for (let y = 0; y < h!; y++)
    for (let x = 0; x < w!; x++) for (let ch = 0; ch < c!; ch++) perm[(y * w! + x) * c! + ch] = (ch * h! + y) * w! + x;
  return perm;
}

function permute(values: Float32Array, perm: Int32Array | undefined): Float32Array {
  return perm ? Float32Array.from(perm, (p) => values[p]!) : values;
}

function weightsOf<K extends LayerWeights['kind']>(model: Model, node: GraphNode, kind: K): Extract<LayerWeights, { kind: K }> {
  const w = model.weights.get(node.name);
  if (!w || w.kind !== kind) throw new Error(`tfjs: node "${node.name}" has no ${kind} weights`);
  return w as Extract<LayerWeights, { kind: K }>;
}

/** TF.js's WebGPU backend on a device the caller made (and keeps: it destroys it, not TF.js). */
export interface TfjsWebGpuOptions {
  /** The GPU object the device came from: TF.js looks for navigator.gpu, which Node lacks. */
  gpu: GPU;
  device: GPUDevice;
  /** The adapter's vendor and architecture: TF.js tunes some workgroup sizes by them. */
  adapterInfo: Pick<GPUAdapterInfo, 'vendor' | 'architecture' | 'device' | 'description'>;
  /** Says what the device is, for the description. */
  adapterName: string;
}

/**
 * TF.js on its WebGPU backend, on the caller's device. The package registers a backend that
 * asks navigator.gpu for an adapter and a device of its own, and only when navigator.gpu is
 * there as it loads: it is imported first (Node has no navigator.gpu, so it registers
 * nothing), then navigator.gpu is set (its WebGPUBackend checks for it) and the backend is
 * registered on `device`.
 */
export async function createTfjsWebGpu({ gpu, device, adapterInfo, adapterName }: TfjsWebGpuOptions): Promise<TfjsEngine> {
  const tf: Tf = await import('@tensorflow/tfjs-core');
  const webgpu = await import('@tensorflow/tfjs-backend-webgpu');
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (!nav?.gpu) Object.defineProperty(globalThis, 'navigator', { value: { ...nav, gpu }, configurable: true, writable: true });
  if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
  tf.registerBackend('webgpu', () => new webgpu.WebGPUBackend(device, adapterInfo as GPUAdapterInfo));
  if (!(await tf.setBackend('webgpu'))) throw new Error('TF.js: the webgpu backend did not start');
  await tf.ready();
  const { version: webgpuVersion } = createRequire(import.meta.url)('@tensorflow/tfjs-backend-webgpu/package.json') as { version: string };
  const version = `tfjs-core ${tf.version_core}, tfjs-backend-webgpu ${webgpuVersion}`;
  return {
    description: `TF.js ${tf.getBackend()} backend (${version}) on the same GPUDevice as xnornet's WebGPU rows (${adapterName})`,
    backend: tf.getBackend(),
    version,
    build: (model) => buildNetwork(tf, model),
  };
}

/** A window size as TF.js takes it (a mutable pair). */
const pair = (p: readonly [number, number]): [number, number] => [p[0], p[1]];

type Step = (values: Map<string, TfCore.Tensor>) => TfCore.Tensor;

const tensorBytes = (t: TfCore.Tensor) => t.size * 4;

function buildNetwork(tf: Tf, model: Model): TfjsNetwork {
  const { graph } = model;
  const consumers = new Map<string, GraphNode[]>();
  for (const node of graph.nodes) for (const i of node.inputs) consumers.set(i, [...(consumers.get(i) ?? []), node]);
  const onlyConsumer = (name: string, op: string): GraphNode | undefined => {
    const users = consumers.get(name) ?? [];
    return users.length === 1 && users[0]!.attrs.op === op && !graph.outputs.includes(name) ? users[0] : undefined;
  };

  const owned: TfCore.Tensor[] = [];
  const keep = <T extends TfCore.Tensor>(t: T): T => (owned.push(t), t);
  const layouts = new Map<string, Layout>([
    ['input', graph.inputShape.length === 3 ? { kind: 'image', shape: graph.inputShape } : { kind: 'vector', perm: undefined }],
  ]);
  /** Nodes computed by an earlier step (a folded batchnorm, a fused relu): name -> the step's value. */
  const alias = new Map<string, string>();
  const steps: { name: string; step: Step; reads: string[] }[] = [];
  const input = (node: GraphNode, k = 0) => alias.get(node.inputs[k]!) ?? node.inputs[k]!;
  const layoutOf = (name: string) => layouts.get(alias.get(name) ?? name)!;

  for (const node of graph.nodes) {
    if (alias.has(node.name)) continue;
    const a = node.attrs;
    const x = input(node);
    const inLayout = layoutOf(node.inputs[0]!);
    let layout: Layout = inLayout;
    let step: Step;
    let reads = [x];
    switch (a.op) {
      case 'conv2d':
      case 'linear': {
        const w = weightsOf(model, node, 'float');
        const cout = w.weight.shape[0]!;
        const perOut = w.weight.size / cout;
        const weight = Float32Array.from(w.weight.data);
        const bias = w.bias ? Float32Array.from(w.bias) : new Float32Array(cout);
        let last = node.name;
        const bn = onlyConsumer(last, 'batchnorm');
        if (bn) {
          const { scale, shift } = batchnormAffine(weightsOf(model, bn, 'batchnorm'));
          for (let o = 0; o < cout; o++) {
            for (let k = 0; k < perOut; k++) weight[o * perOut + k]! *= scale[o]!;
            bias[o] = bias[o]! * scale[o]! + shift[o]!;
          }
          alias.set(bn.name, node.name);
          last = bn.name;
        }
        const relu = onlyConsumer(last, 'relu');
        if (relu) alias.set(relu.name, node.name);
        const activation = relu ? 'relu' : 'linear';
        const biasT = keep(tf.tensor1d(bias));
        if (a.op === 'conv2d') {
          const [, cin, kh, kw] = w.weight.shape as [number, number, number, number];
          const hwio = new Float32Array(weight.length);
          for (let o = 0; o < cout; o++)
            for (let c = 0; c < cin; c++)
              for (let u = 0; u < kh; u++)
                for (let v = 0; v < kw; v++) hwio[((u * kw + v) * cin + c) * cout + o] = weight[((o * cin + c) * kh + u) * kw + v]!;
          const filter = keep(tf.tensor4d(hwio, [kh, kw, cin, cout]));
          const [ph, pw] = a.padding;
          const pad: [[number, number], [number, number], [number, number], [number, number]] = [
            [0, 0],
            [ph, ph],
            [pw, pw],
            [0, 0],
          ];
          step = (v) => tf.fused.conv2d({ x: v.get(x) as TfCore.Tensor4D, filter, strides: pair(a.stride), pad, bias: biasT, activation });
          layout = { kind: 'image', shape: node.shape };
        } else {
          if (inLayout.kind !== 'vector') throw new Error(`tfjs: linear "${node.name}" needs a vector input`);
          // [in, out], the columns in the input's feature order. (Not [out, in] with transposeB:
          // tfjs-backend-wasm 4.22's fused matMul adds the bias wrongly when transposeB is set.)
          const features = perOut;
          const perm = inLayout.perm;
          const inOut = new Float32Array(weight.length);
          for (let o = 0; o < cout; o++)
            for (let k = 0; k < features; k++) inOut[k * cout + o] = weight[o * features + (perm ? perm[k]! : k)]!;
          const b = keep(tf.tensor2d(inOut, [features, cout]));
          step = (v) => tf.fused.matMul({ a: v.get(x) as TfCore.Tensor2D, b, bias: biasT, activation });
          layout = { kind: 'vector', perm: undefined };
        }
        break;
      }
      case 'batchnorm': {
        const w = weightsOf(model, node, 'batchnorm');
        const perm = inLayout.kind === 'vector' ? inLayout.perm : undefined;
        const c = w.runningMean.length;
        const t = (values: Float32Array | undefined, fill: number) =>
          keep(tf.tensor1d(permute(values ?? new Float32Array(c).fill(fill), perm)));
        const [mean, variance, offset, scale] = [t(w.runningMean, 0), t(w.runningVar, 1), t(w.bias, 0), t(w.weight, 1)];
        step = (v) => tf.batchNorm(v.get(x)!, mean, variance, offset, scale, w.eps);
        break;
      }
      case 'relu':
        step = (v) => tf.relu(v.get(x)!);
        break;
      case 'hardtanh':
        step = (v) => tf.clipByValue(v.get(x)!, a.min, a.max);
        break;
      case 'dropout':
        alias.set(node.name, x);
        continue;
      case 'maxpool2d': {
        const [ph, pw] = a.padding;
        // Equal pads: XNNPACK's padded max pooling (pads never win). Otherwise pad with -inf.
        if (ph === pw) step = (v) => tf.maxPool(v.get(x) as TfCore.Tensor4D, pair(a.kernel), pair(a.stride), ph);
        else {
          const pads: [number, number][] = [
            [0, 0],
            [ph, ph],
            [pw, pw],
            [0, 0],
          ];
          step = (v) => tf.maxPool(tf.pad(v.get(x)!, pads, -Infinity) as TfCore.Tensor4D, pair(a.kernel), pair(a.stride), 'valid');
        }
        layout = { kind: 'image', shape: node.shape };
        break;
      }
      case 'avgpool2d': {
        const [ph, pw] = a.padding;
        const pads: [number, number][] = [
          [0, 0],
          [ph, ph],
          [pw, pw],
          [0, 0],
        ];
        const padded = ph > 0 || pw > 0;
        step = (v) =>
          tf.avgPool((padded ? tf.pad(v.get(x)!, pads, 0) : v.get(x)!) as TfCore.Tensor4D, pair(a.kernel), pair(a.stride), 'valid');
        layout = { kind: 'image', shape: node.shape };
        break;
      }
      case 'globalavgpool':
        step = (v) => tf.mean(v.get(x)!, [1, 2], true);
        layout = { kind: 'image', shape: node.shape };
        break;
      case 'flatten':
        step = (v) => tf.reshape(v.get(x)!, [v.get(x)!.shape[0]!, -1]);
        layout = { kind: 'vector', perm: inLayout.kind === 'image' ? flattenPerm(inLayout.shape) : inLayout.perm };
        break;
      case 'add': {
        const names = node.inputs.map((_, k) => input(node, k));
        const perms = names.map((n) => {
          const l = layouts.get(n)!;
          return l.kind === 'vector' ? l.perm : undefined;
        });
        if (perms.some((p) => p !== perms[0])) throw new Error(`tfjs: add "${node.name}" mixes feature orders`);
        step = (v) => names.slice(1).reduce((sum, n) => tf.add(sum, v.get(n)!), v.get(names[0]!)!);
        reads = names;
        break;
      }
      case 'softmax':
        // NHWC: the channels are the last axis; a vector's order does not change a softmax over all of it.
        step = (v) => tf.softmax(v.get(x)!);
        break;
      case 'binconv2d':
      case 'binlinear':
        throw new Error(`tfjs: node "${node.name}" is a binary layer (${a.op}, ${a.mode}); only float models run in TF.js`);
      default: {
        const unknown: never = a;
        throw new Error(`tfjs: no TF.js mapping for op ${(unknown as { op: string }).op}`);
      }
    }
    layouts.set(node.name, layout);
    steps.push({ name: node.name, step, reads });
  }

  const outputs = graph.outputs.map((name) => alias.get(name) ?? name);
  /** The index of the last step that reads each value (outputs and the input are never dropped). */
  const lastRead = new Map<string, number>();
  steps.forEach(({ reads }, i) => reads.forEach((name) => lastRead.set(name, i)));
  const weightBytes = owned.reduce((sum, t) => sum + tensorBytes(t), 0);

  /** One run: each step in its own tidy, a value disposed after its last reader; `after` sees each step's end. */
  const forward = (prepared: TfCore.Tensor, after?: () => void): TfCore.Tensor[] => {
    const values = new Map<string, TfCore.Tensor>([['input', prepared]]);
    steps.forEach(({ name, step, reads }, i) => {
      values.set(
        name,
        tf.tidy(() => step(values)),
      );
      after?.();
      for (const read of new Set(reads)) {
        const t = values.get(read)!;
        if (read === 'input' || lastRead.get(read) !== i || outputs.includes(read)) continue;
        values.delete(read);
        // A step may hand back a value it was given (an add of one input): that one lives on.
        if (![...values.values()].includes(t)) t.dispose();
      }
    });
    const results = tf.tidy(() =>
      outputs.map((name) => {
        const t = values.get(name)!;
        return t.rank === 4 ? tf.transpose(t, [0, 3, 1, 2]) : tf.clone(t);
      }),
    );
    for (const [name, t] of values) if (name !== 'input') t.dispose();
    return results;
  };

  return {
    weightBytes,
    prepare(nchw) {
      if (nchw.rank !== 4) return keep(tf.tensor(nchw.data, [...nchw.shape]));
      return tf.tidy(() => keep(tf.transpose(tf.tensor4d(nchw.data, nchw.shape as [number, number, number, number]), [0, 2, 3, 1])));
    },
    async runMeasured(prepared) {
      const before = tf.memory().numBytes;
      let peak = before;
      const data = await read(forward(prepared, () => (peak = Math.max(peak, tf.memory().numBytes))));
      return { outputs: data, peakActivationBytes: peak - before + tensorBytes(prepared) };
    },
    run: (prepared) => read(forward(prepared)),
    dispose() {
      owned.splice(0).forEach((t) => t.dispose());
    },
  };

  /** The outputs' values, in the reference's layout; the tensors disposed. */
  async function read(results: TfCore.Tensor[]): Promise<Float32Array[]> {
    const data = await Promise.all(results.map((t) => t.data() as Promise<Float32Array>));
    results.forEach((t) => t.dispose());
    return data.map((d, k) => {
      const layout = layouts.get(outputs[k]!)!;
      if (layout.kind !== 'vector' || !layout.perm) return d;
      // Back to the reference's C, H, W feature order.
      const out = new Float32Array(d.length);
      const features = layout.perm.length;
      for (let n = 0; n < d.length / features; n++) layout.perm.forEach((p, j) => (out[n * features + p] = d[n * features + j]!));
      return out;
    });
  }
}
