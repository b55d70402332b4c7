/**
 * Splits the output pixels of one XNOR convolution across threads, each with its own kernel
 * instance, into one [M, Cout] array. The calling thread computes the first share itself (it
 * would only wait otherwise) and threads - 1 workers the rest, so a pool of 1 has no worker.
 * Platform-free: a PoolWorker adapts a Node worker thread (node-thread-pool.ts) or a browser
 * Web Worker (SharedArrayBuffer needs a cross-origin isolated page).
 *
 * Workers write their rows into one SharedArrayBuffer that the pool keeps and grows, and the
 * pool copies them out (a fresh buffer per call, or buffers sent back by the workers, cost
 * ~0.4 ms of the typical layer's ~2.8 ms on 2 threads). So convolutions run one at a time.
 */
import { type XnorConvGeometry, checkConvArgs, outputPixels } from './geometry.js';
import { type XnorCpuKernel, type XnorKernelName, createXnorKernel } from './kernel.js';
import type { ConvReply, ConvRequest } from './worker.js';

export interface XnorThreadPool {
  readonly threads: number;
  readonly kernel: XnorKernelName;
  /**
   * Dots of all M = N * Ho * Wo output pixels, [M, Cout] (as XnorCpuKernel.conv over [0, M)),
   * into `out` when given (reusing it saves an allocation that costs ~0.3 ms at 1.6 MB), else
   * into a new array.
   */
  conv(g: XnorConvGeometry, input: Uint32Array, weights: Uint32Array, out?: Int32Array): Promise<Int32Array>;
  /** Ends the workers; calls after this reject, as do calls after a worker died. */
  close(): Promise<void>;
}

/** One worker thread as the pool sees it. */
export interface PoolWorker {
  post(request: ConvRequest): void;
  onReply(listener: (reply: ConvReply) => void): void;
  /** The worker died or exited: every request it holds fails. */
  onError(listener: (error: Error) => void): void;
  terminate(): Promise<void>;
}

export type StartWorker = (kind: XnorKernelName) => PoolWorker;

/** [m0, m1) of each thread: contiguous, multiples of 4 pixels (whole wasm register blocks) but the last. */
export function splitPixels(pixels: number, threads: number): [number, number][] {
  const chunk = Math.ceil(pixels / threads / 4) * 4;
  const ranges: [number, number][] = [];
  for (let m0 = 0; m0 < pixels; m0 += chunk) ranges.push([m0, Math.min(m0 + chunk, pixels)]);
  return ranges;
}

export async function createThreadPool(threads: number, kind: XnorKernelName, startWorker: StartWorker): Promise<XnorThreadPool> {
  if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`thread pool: threads must be a positive integer, got ${threads}`);
  return new ThreadPool(threads, kind, await createXnorKernel(kind), startWorker);
}

interface Pending {
  worker: number;
  resolve(): void;
  reject(error: Error): void;
}

class ThreadPool implements XnorThreadPool {
  readonly #callerKernel: XnorCpuKernel;
  readonly #workers: PoolWorker[];
  readonly #pending = new Map<number, Pending>();
  #nextId = 0;
  #closed = false;
  /** Why a worker died: the pool cannot run without it. */
  #failure: Error | undefined;
  /** Workers' rows; on a SharedArrayBuffer once a pool with workers has run. */
  #shared: Int32Array = new Int32Array(0);
  /** The previous convolution: each waits for it, as they share #shared. */
  #previous: Promise<unknown> = Promise.resolve();

  constructor(
    readonly threads: number,
    readonly kernel: XnorKernelName,
    callerKernel: XnorCpuKernel,
    startWorker: StartWorker,
  ) {
    this.#callerKernel = callerKernel;
    this.#workers = Array.from({ length: threads - 1 }, (_, index) => {
      const worker = startWorker(kernel);
      worker.onReply((reply) => this.#settle(reply));
      worker.onError((error) => {
        this.#failure ??= error;
        this.#failWorker(index, error);
      });
      return worker;
    });
  }

  conv(g: XnorConvGeometry, input: Uint32Array, weights: Uint32Array, out?: Int32Array): Promise<Int32Array> {
    const done = this.#previous.catch(() => undefined).then(() => this.#convNow(g, input, weights, out));
    this.#previous = done;
    return done;
  }

  async #convNow(g: XnorConvGeometry, input: Uint32Array, weights: Uint32Array, given?: Int32Array): Promise<Int32Array> {
    const out = given ?? new Int32Array(outputPixels(g) * g.cout);
    if (this.#closed) throw new Error('thread pool: conv after close()');
    if (this.#failure) throw new Error(`thread pool: a worker died (${this.#failure.message})`);
    checkConvArgs(g, input, weights, out, 0, outputPixels(g));
    const [[m0, m1] = [0, 0], ...workerRanges] = splitPixels(outputPixels(g), this.threads);
    const size = outputPixels(g) * g.cout;
    if (workerRanges.length > 0 && this.#shared.length < size) this.#shared = new Int32Array(new SharedArrayBuffer(size * 4));
    const dots = this.#shared.subarray(0, size);
    const done = workerRanges.map(([w0, w1], worker) =>
      this.#request(worker, { id: this.#nextId++, g, input, weights, m0: w0, m1: w1, dots }),
    );
    this.#callerKernel.conv(g, input, weights, out.subarray(m0 * g.cout, m1 * g.cout), m0, m1);
    await Promise.all(done);
    for (const [w0, w1] of workerRanges) out.set(dots.subarray(w0 * g.cout, w1 * g.cout), w0 * g.cout);
    return out;
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(this.#workers.map((w) => w.terminate()));
    for (const index of this.#workers.keys()) this.#failWorker(index, new Error('thread pool: closed'));
  }

  #request(worker: number, request: ConvRequest): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#pending.set(request.id, { worker, resolve, reject });
      this.#workers[worker]!.post(request);
    });
  }

  #settle(reply: ConvReply): void {
    const pending = this.#pending.get(reply.id);
    if (!pending) return;
    this.#pending.delete(reply.id);
    if ('error' in reply) pending.reject(new Error(`thread pool worker: ${reply.error}`));
    else pending.resolve();
  }

  #failWorker(worker: number, error: Error): void {
    for (const [id, pending] of this.#pending) {
      if (pending.worker !== worker) continue;
      this.#pending.delete(id);
      pending.reject(error);
    }
  }
}
