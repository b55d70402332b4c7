/**
 * Splits the output pixels of one convolution across threads, each with its own kernel
 * instances, into one [M, Cout] array: XNOR convs (dots) and float or BWN convs (sums). The
 * calling thread computes the first share itself (it would only wait otherwise) and
 * threads - 1 workers the rest, so a pool of 1 has no worker. Platform-free: a PoolWorker
 * adapts a Node worker thread (node-thread-pool.ts) or a browser Web Worker (web-thread-pool.ts).
 *
 * Where memory can be shared (Node; a cross-origin isolated page), workers write their rows
 * into shared memory: straight into `out` when it lies on a SharedArrayBuffer (sharedArray()
 * makes one), else into a buffer the pool keeps and copies from (~0.1 ms of the typical
 * layer's ~2.6 ms on 2 threads). Elsewhere each worker sends its XNOR rows back, transferred,
 * and float convs stay on the calling thread: their weights would travel with every call.
 * Convolutions run one at a time.
 */
import { type FloatConvKernel, type PreparedWeights, createFloatConvKernel } from './float-conv.js';
import { type XnorConvGeometry, checkConvArgs, outputPixels } from './geometry.js';
import { type CpuKernelName, type XnorCpuKernel, createXnorKernel } from './kernel.js';
import type { ConvReply, ConvRequest } from './worker.js';

type Rows = Int32Array | Float32Array;

export interface CpuThreadPool {
  readonly threads: number;
  readonly kernel: CpuKernelName;
  /** Whether workers write into shared memory (else XNOR rows come back as messages, and float convs run on the caller). */
  readonly sharesMemory: boolean;
  /**
   * Dots of all M = N * Ho * Wo output pixels, [M, Cout] (as XnorCpuKernel.conv over [0, M)),
   * into `out` when given (reusing one saves an allocation; one from sharedArray() also saves
   * a copy), else into a new array.
   */
  xnorConv(g: XnorConvGeometry, input: Uint32Array, weights: Uint32Array, out?: Int32Array): Promise<Int32Array>;
  /**
   * A float (or, with `signs`, BWN) layer's OHWI weights laid out for floatConv, once per
   * layer; in shared memory where the pool shares memory, so that workers read them in place.
   */
  prepareFloat(g: XnorConvGeometry, ohwi: Float32Array, signs: boolean): PreparedWeights;
  /** Sums [M, Cout] of a float or BWN conv over the padded image (float-conv.ts), into `out` or a new array. */
  floatConv(g: XnorConvGeometry, image: Float32Array, weights: PreparedWeights, out?: Float32Array): Promise<Float32Array>;
  /** An array for `out` that the workers write into directly where memory can be shared. */
  sharedArray<A extends Rows>(type: RowsType<A>, length: number): A;
  /** Ends the workers; calls after this reject, as do calls after a worker died. */
  close(): Promise<void>;
}

type RowsType<A extends Rows> = {
  new (length: number): A;
  new (buffer: ArrayBufferLike, offset: number, length: number): A;
  BYTES_PER_ELEMENT: number;
};

/** One worker as the pool sees it. */
export interface PoolWorker {
  /**
   * Sends `request` and returns a function that waits for the reply (blocking the calling
   * thread where the platform allows it); it rejects when the worker died.
   */
  post(request: ConvRequest): () => Promise<ConvReply>;
  terminate(): Promise<void>;
}

export type StartWorker = (kind: CpuKernelName) => PoolWorker;

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

const isShared = (a: Rows) => typeof SharedArrayBuffer === 'function' && a.buffer instanceof SharedArrayBuffer;

export async function createThreadPool(threads: number, kind: CpuKernelName, startWorker: StartWorker): Promise<CpuThreadPool> {
  if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`thread pool: threads must be a positive integer, got ${threads}`);
  const [xnor, float] = await Promise.all([createXnorKernel(kind), createFloatConvKernel(kind)]);
  return new ThreadPool(threads, kind, { xnor, float }, startWorker);
}

/** One convolution as the pool splits it. */
interface Job<A extends Rows> {
  g: XnorConvGeometry;
  out: A;
  /** Whether workers may take shares. */
  split: boolean;
  /** Computes pixels [m0, m1) into `rows` on the calling thread. */
  here(rows: A, m0: number, m1: number): void;
  /** A worker's request for pixels [m0, m1), writing into shared `out` when given. */
  request(id: number, m0: number, m1: number, out: A | undefined): ConvRequest;
}

class ThreadPool implements CpuThreadPool {
  readonly sharesMemory = canShareMemory();
  readonly #kernels: { xnor: XnorCpuKernel; float: FloatConvKernel };
  readonly #workers: PoolWorker[];
  #nextId = 0;
  #closed = false;
  /** Why a worker died: the pool cannot run without it. */
  #failure: Error | undefined;
  /** Rows of the workers when `out` is not shared. */
  #staging: SharedArrayBuffer | undefined;
  /** The previous convolution: each waits for it, as they share #staging and the workers. */
  #previous: Promise<unknown> = Promise.resolve();

  constructor(
    readonly threads: number,
    readonly kernel: CpuKernelName,
    kernels: { xnor: XnorCpuKernel; float: FloatConvKernel },
    startWorker: StartWorker,
  ) {
    this.#kernels = kernels;
    this.#workers = Array.from({ length: threads - 1 }, () => startWorker(kernel));
  }

  sharedArray<A extends Rows>(type: RowsType<A>, length: number): A {
    if (!this.sharesMemory || this.#workers.length === 0) return new type(length);
    return new type(new SharedArrayBuffer(length * type.BYTES_PER_ELEMENT), 0, length);
  }

  xnorConv(g: XnorConvGeometry, input: Uint32Array, weights: Uint32Array, out?: Int32Array): Promise<Int32Array> {
    return this.#queue(() => {
      const job: Job<Int32Array> = {
        g,
        out: out ?? new Int32Array(outputPixels(g) * g.cout),
        split: true,
        here: (rows, m0, m1) => this.#kernels.xnor.conv(g, input, weights, rows, m0, m1),
        request: (id, m0, m1, shared) => ({ op: 'xnor', id, g, m0, m1, input, weights, ...(shared && { out: shared }) }),
      };
      checkConvArgs(g, input, weights, job.out, 0, outputPixels(g));
      return job;
    });
  }

  prepareFloat(g: XnorConvGeometry, ohwi: Float32Array, signs: boolean): PreparedWeights {
    const prepared = signs ? this.#kernels.float.prepareSigns(g, ohwi) : this.#kernels.float.prepare(g, ohwi);
    if (!this.sharesMemory || this.#workers.length === 0) return prepared;
    const data = this.sharedArray(Float32Array, prepared.data.length);
    data.set(prepared.data);
    return { ...prepared, data };
  }

  floatConv(g: XnorConvGeometry, image: Float32Array, weights: PreparedWeights, out?: Float32Array): Promise<Float32Array> {
    return this.#queue(() => ({
      g,
      out: out ?? new Float32Array(outputPixels(g) * g.cout),
      split: this.sharesMemory,
      here: (rows, m0, m1) => this.#kernels.float.conv(g, image, weights, rows, m0, m1),
      request: (id, m0, m1, shared) => ({ op: 'float', id, g, m0, m1, image, weights, ...(shared && { out: shared }) }),
    }));
  }

  /** Runs the job made by `make` after the previous one; `make` checks the arguments, so they are checked when the job starts. */
  #queue<A extends Rows>(make: () => Job<A>): Promise<A> {
    const done = this.#previous.catch(() => undefined).then(() => this.#run(make()));
    this.#previous = done;
    return done;
  }

  async #run<A extends Rows>({ g, out, split, here, request }: Job<A>): Promise<A> {
    if (this.#closed) throw new Error('thread pool: conv after close()');
    if (this.#failure) throw new Error(`thread pool: a worker died (${this.#failure.message})`);
    const [[m0, m1] = [0, 0], ...workerRanges] = splitPixels(outputPixels(g), split ? this.threads : 1);
    const shared = workerRanges.length > 0 && this.sharesMemory ? this.#sharedTarget(out, outputPixels(g) * g.cout) : undefined;
    const replies = workerRanges.map(([w0, w1], worker) => this.#workers[worker]!.post(request(this.#nextId++, w0, w1, shared)));
    here(out.subarray(m0 * g.cout, m1 * g.cout) as A, m0, m1);
    // Every reply is taken, even after an error, so that none is left for the next call.
    let error: Error | undefined;
    for (const [k, waitForReply] of replies.entries()) {
      const [from, to] = [workerRanges[k]![0] * g.cout, workerRanges[k]![1] * g.cout];
      try {
        const reply = await waitForReply();
        if ('error' in reply) error ??= new Error(`thread pool worker: ${reply.error}`);
        else if (reply.rows) out.set(reply.rows, from);
        else if (shared !== out) out.set(shared!.subarray(from, to), from);
      } catch (err) {
        this.#failure ??= err as Error;
        error ??= err as Error;
      }
    }
    if (error) throw error;
    return out;
  }

  /** Where the workers write: `out` itself when shared, else a view of the staging buffer. */
  #sharedTarget<A extends Rows>(out: A, size: number): A {
    if (isShared(out)) return out;
    const bytes = size * out.BYTES_PER_ELEMENT;
    if (!this.#staging || this.#staging.byteLength < bytes) this.#staging = new SharedArrayBuffer(bytes);
    const Type = out.constructor as RowsType<A>;
    return new Type(this.#staging, 0, size);
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(this.#workers.map((w) => w.terminate()));
  }
}
