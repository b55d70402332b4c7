/**
 * The thread pool on Node's worker_threads. Workers run the bundled src/cpu/worker.ts, which
 * arrives as text through Vite's `?raw` (built by scripts/build-cpu.mjs), so the same code
 * works in vitest and from dist/ without a worker file to locate.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import workerSource from './generated/worker.js?raw';
import { type XnorKernelName, defaultKernelName } from './kernel.js';
import { type PoolWorker, type XnorThreadPool, createThreadPool } from './thread-pool.js';

function startNodeWorker(kind: XnorKernelName): PoolWorker {
  const start = `xnorCpuWorker.serveKernel(require('node:worker_threads').parentPort, ${JSON.stringify(kind)});`;
  // The eval'd worker is a CommonJS script; a parent started with --input-type=module would
  // pass that flag on and turn it into a module without `require`.
  const execArgv = process.execArgv.filter((arg) => !arg.startsWith('--input-type'));
  const worker = new Worker(`${workerSource}\n${start}`, { eval: true, execArgv });
  return {
    post: (request) => worker.postMessage(request),
    onReply: (listener) => worker.on('message', listener),
    onError: (listener) => {
      worker.on('error', listener);
      worker.on('exit', (code) => listener(new Error(`thread pool worker exited with code ${code}`)));
    },
    terminate: async () => void (await worker.terminate()),
  };
}

export interface NodeThreadPoolOptions {
  /** Default: os.availableParallelism(). */
  threads?: number;
  /** Default: wasm-simd where supported. */
  kernel?: XnorKernelName;
}

export function createNodeThreadPool(options: NodeThreadPoolOptions = {}): Promise<XnorThreadPool> {
  const { threads = availableParallelism(), kernel = defaultKernelName() } = options;
  return createThreadPool(threads, kernel, startNodeWorker);
}
