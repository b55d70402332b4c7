/**
 * Splits the output pixels of one XNOR convolution across threads, each with its own kernel
 * instance, into one [M, Cout] array. The calling thread computes the first share itself (it
 * would only wait otherwise) and threads - 1 workers the rest, so a pool of 1 has no worker.
 * Platform-free: a PoolWorker adapts a Node worker thread (node-thread-pool.ts) or a browser
 * Web Worker (web-thread-pool.ts).
 *
 * Where memory can be shared (Node; a cross-origin isolated page), workers write their rows
 * into shared memory: straight into `out` when it lies on a SharedArrayBuffer (sharedArray()
 * makes one), else into a buffer the pool keeps and copies from (~0.1 ms of the typical
 * layer's ~2.6 ms on 2 threads). Elsewhere each worker sends its rows back, transferred.
 * Convolutions run one at a time.
 */
import { type XnorConvGeometry, checkConvArgs, outputPixels } from './geometry.js';
import { type XnorCpuKernel, type XnorKernelName, createXnorKernel } from './kernel.js';
import type { ConvReply, ConvRequest } from './worker.js';

export interface XnorThreadPool {
  readonly threads: number;
  readonly kernel: XnorKernelName;
  /** Whether workers write into shared memory (else their rows come back as messages). */
  readonly sharesMemory: boolean;
  /**
   * Int32Array of all M = N * Ho * Wo output pixels, [M, Cout] (as XnorCpuKernel.conv over [0, M)),
   * into `out` when given (reusing one saves an allocation; one from sharedArray() also saves
   * a copy), else into a new array.
   */
  conv(g: XnorConvGeometry, input: Uint32Array, weights: Uint32Array, out?: Int32Array): Promise<Int32Array>;
  /** An array for conv's `out` that the workers write into directly where memory can be shared. */
  sharedArray(length: number): Int32Array;
  /** Ends the workers; calls after this reject, as do calls after a worker died. */
  close(): Promise<void>;
}

/** One worker as the pool sees it. */
export interface PoolWorker {
  /**
   * Sends `request` and returns a function that waits for the reply (blocking the calling
   * thread where the platform allows it); it rejects when the worker died.
   */
  post(request: ConvRequest): () => Promise<ConvReply>;
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

/** SharedArrayBuffer exists in Node, and in pages only when cross-origin isolated. */
export function canShareMemory(): boolean {
  return typeof SharedArrayBuffer === 'function' && (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated !== false;
}

const isShared = (a: Int32Array) => typeof SharedArrayBuffer === 'function' && a.buffer instanceof SharedArrayBuffer;

export async function createThreadPool(threads: number, kind: XnorKernelName, startWorker: StartWorker): Promise<XnorThreadPool> {
  if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`thread pool: threads must be a positive integer, got ${threads}`);
  return new ThreadPool(threads, kind, await createXnorKernel(kind), startWorker);
}

class ThreadPool implements XnorThreadPool {
  readonly sharesMemory = canShareMemory();
  readonly #callerKernel: XnorCpuKernel;
  readonly #workers: PoolWorker[];
  #nextId = 0;
  #closed = false;
  /** Why a worker died: the pool cannot run without it. */
  #failure: Error | undefined;
  /** Rows of the workers when `out` is not shared. */
  #staging: Int32Array = new Int32Array(0);
  /** The previous convolution: each waits for it, as they share #staging and the workers. */
  #previous: Promise<unknown> = Promise.resolve();

  constructor(
    readonly threads: number,
    readonly kernel: XnorKernelName,
    callerKernel: XnorCpuKernel,
    startWorker: StartWorker,
  ) {
    this.#callerKernel = callerKernel;
    this.#workers = Array.from({ length: threads - 1 }, () => startWorker(kernel));
  }

  sharedArray(length: number): Int32Array {
    return this.sharesMemory && this.#workers.length > 0 ? new Int32Array(new SharedArrayBuffer(length * 4)) : new Int32Array(length);
  }

  conv(g: XnorConvGeometry, input: Uint32Array, weights: Uint32Array, out?: Int32Array): Promise<Int32Array> {
    const done = this.#previous.catch(() => undefined).then(() => this.#convNow(g, input, weights, out));
    this.#previous = done;
    return done;
  }

  async #convNow(g: XnorConvGeometry, input: Uint32Array, weights: Uint32Array, given?: Int32Array): Promise<Int32Array> {
    const size = outputPixels(g) * g.cout;
    const out: Int32Array = given ?? new Int32Array(size);
    if (this.#closed) throw new Error('thread pool: conv after close()');
    if (this.#failure) throw new Error(`thread pool: a worker died (${this.#failure.message})`);
    checkConvArgs(g, input, weights, out, 0, outputPixels(g));
    const [[m0, m1] = [0, 0], ...workerRanges] = splitPixels(outputPixels(g), this.threads);
    const dots = this.#sharedTarget(out, size, workerRanges.length > 0);
    const replies = workerRanges.map(([w0, w1], worker) =>
      this.#workers[worker]!.post({ id: this.#nextId++, g, input, weights, m0: w0, m1: w1, dots }),
    );
    this.#callerKernel.conv(g, input, weights, out.subarray(m0 * g.cout, m1 * g.cout), m0, m1);
    // Every reply is taken, even after an error, so that none is left for the next call.
    let error: Error | undefined;
    for (const [k, waitForReply] of replies.entries()) {
      const start = workerRanges[k]![0] * g.cout;
      try {
        const reply = await waitForReply();
        if ('error' in reply) error ??= new Error(`thread pool worker: ${reply.error}`);
        else if (reply.rows) out.set(reply.rows, start);
        else if (dots !== out) out.set(dots!.subarray(start, start + (workerRanges[k]![1] - workerRanges[k]![0]) * g.cout), start);
      } catch (err) {
        this.#failure ??= err as Error;
        error ??= err as Error;
      }
    }
    if (error) throw error;
    return out;
  }

  /** Where the workers write: `out` itself when shared, else the staging buffer; none without shared memory. */
  #sharedTarget(out: Int32Array, size: number, needed: boolean): Int32Array | undefined {
    if (!needed || !this.sharesMemory) return undefined;
    if (isShared(out)) return out;
    if (this.#staging.length < size) this.#staging = new Int32Array(new SharedArrayBuffer(size * 4));
    return this.#staging;
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(this.#workers.map((w) => w.terminate()));
  }
}
