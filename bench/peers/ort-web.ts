/**
 * ONNX Runtime Web in Node, for bench/peers.ts: its wasm execution provider (the CPU kernels
 * of ONNX Runtime compiled to WebAssembly, SIMD), on the same ONNX model bytes as the
 * onnxruntime-node rows. `import('onnxruntime-web')` in Node loads its Node build
 * (dist/ort.node.min.mjs), which carries the threaded-SIMD wasm: with env.wasm.numThreads = N
 * Emscripten starts N - 1 pthread workers (Node worker_threads) besides the calling thread,
 * which runs the session (no proxy worker). Whether they started is checked, not assumed: on
 * Linux by the threads of this process before and after the first session.
 * bench-only: onnxruntime-web is a devDependency that neither the library nor the tests need.
 */
import { readdirSync } from 'node:fs';
import type { Tensor } from '../../src/tensor/tensor.js';

export interface OrtWebSession {
  run(input: Tensor<Float32Array>): Promise<Float32Array>;
  release(): Promise<void>;
}

export interface OrtWeb {
  /** What ran: version, build, threads (and whether the workers were seen). */
  readonly description: string;
  readonly threads: number;
  session(onnx: Uint8Array): Promise<OrtWebSession>;
}

/** Threads of this process, where Linux tells (undefined elsewhere). */
function processThreads(): number | undefined {
  try {
    return readdirSync('/proc/self/task').length;
  } catch {
    return undefined;
  }
}

export async function createOrtWeb({ threads }: { threads: number }): Promise<OrtWeb> {
  const ort = await import('onnxruntime-web');
  ort.env.wasm.numThreads = threads;
  ort.env.wasm.proxy = false;
  let description: string | undefined;
  const base = `ONNX Runtime Web ${ort.env.versions.web ?? '?'} (its Node build), wasm execution provider, SIMD`;

  const session = async (onnx: Uint8Array): Promise<OrtWebSession> => {
    const before = description === undefined ? processThreads() : undefined;
    const s = await ort.InferenceSession.create(onnx, {
      executionProviders: ['wasm'],
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
    });
    if (description === undefined) {
      // The wasm module (and its thread pool) starts with the first session.
      const after = processThreads();
      const workers = before === undefined || after === undefined ? undefined : after - before;
      const asked = ort.env.wasm.numThreads ?? 1;
      const seen = workers === undefined ? 'workers not counted' : `${workers} pthread worker(s) started besides the calling thread`;
      description =
        asked > 1
          ? `${base} threaded build, numThreads ${asked} (${seen})`
          : `${base} build, 1 thread (numThreads ${asked}: its threaded build did not start in Node)`;
    }
    const [inputName] = s.inputNames;
    const [outputName] = s.outputNames;
    return {
      async run(input) {
        const feeds = { [inputName!]: new ort.Tensor('float32', input.data, [...input.shape]) };
        return (await s.run(feeds))[outputName!]!.data as Float32Array;
      },
      release: () => s.release(),
    };
  };

  return {
    get description() {
      return description ?? `${base}, numThreads ${threads} (no session yet)`;
    },
    threads,
    session,
  };
}
