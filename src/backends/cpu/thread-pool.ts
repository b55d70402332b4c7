/**
 * Splits the output pixels of one convolution across threads, each with its own kernel
 * instances, into one [M, Cout] array: XNOR convs (dots) and float or BWN convs (sums); and
 * the steps between convolutions (steps.ts) by ranges of their output. The
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
import { type Gemm, type GemmShape, createGemm } from './gemm.js';
import { type ConvGeometry, outputPixels } from '../../ops/conv.js';
import { checkConvArgs } from './conv-args.js';
import { type CpuKernelName, type XnorCpuKernel, createXnorKernel } from './kernel.js';
import { type StepTask, runStepTask, unitsOf } from './steps.js';
import type { ConvReply, ConvRequest } from './worker.js';

export type Rows = Int32Array | Float32Array | Uint32Array;

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
  xnorConv(g: ConvGeometry, input: Uint32Array, weights: Uint32Array, out?: Int32Array): Promise<Int32Array>;
  /**
   * A float (or, with `signs`, BWN) layer's OHWI weights laid out for floatConv, once per
   * layer; in shared memory where the pool shares memory, so that workers read them in place.
   */
  prepareFloat(g: ConvGeometry, ohwi: Float32Array, signs: boolean): PreparedWeights;
  /** Sums [M, Cout] of a float or BWN conv over the padded image (float-conv.ts), into `out` or a new array. */
  floatConv(g: ConvGeometry, image: Float32Array, weights: PreparedWeights, out?: Float32Array): Promise<Float32Array>;
  /**
   * A step between convolutions (steps.ts), split over the threads when it is large enough
   * and writes only shared memory (arrays from sharedArray()), else on the calling thread.
   */
  step(task: StepTask): Promise<void>;
  /**
   * The trainer's GEMM, c = op(a) . op(b) (gemm.ts), its rows split over the threads where
   * memory is shared and it does not accumulate; a and b are copied to shared memory unless
   * they are there already (sharedArray()).
   */
  gemm(a: Float32Array, b: Float32Array, c: Float32Array, shape: GemmShape): Promise<void>;
  /** An array for `out` that the workers write into directly where memory can be shared. */
  sharedArray<A extends Rows>(type: RowsType<A>, length: number): A;
  /**
   * `a` in shared memory (a copy, unless it is there already) where the pool shares memory,
   * else `a`: for arrays the workers read on every call (weights), which would otherwise be
   * copied into each worker's message each time.
   */
  shared<A extends Rows>(a: A): A;
  /** Ends the workers; calls after this reject, as do calls after a worker died. */
  close(): Promise<void>;
}

export type RowsType<A extends Rows> = {
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

/**
 * [from, to) of each thread: contiguous, multiples of `align` units but the last (4 pixels:
 * whole wasm register blocks; 16 values: whole cache lines).
 */
export function splitRange(count: number, threads: number, align: number): [number, number][] {
  const chunk = Math.ceil(count / threads / align) * align;
  const ranges: [number, number][] = [];
  for (let from = 0; from < count; from += chunk) ranges.push([from, Math.min(from + chunk, count)]);
  return ranges;
}

/** SharedArrayBuffer exists in Node, and in pages only when cross-origin isolated. */
export function canShareMemory(): boolean {
  return typeof SharedArrayBuffer === 'function' && (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated !== false;
}

const isShared = (a: Rows) => typeof SharedArrayBuffer === 'function' && a.buffer instanceof SharedArrayBuffer;

export async function createThreadPool(threads: number, kind: CpuKernelName, startWorker: StartWorker): Promise<CpuThreadPool> {
  if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`thread pool: threads must be a positive integer, got ${threads}`);
  const [xnor, float, gemm] = await Promise.all([createXnorKernel(kind), createFloatConvKernel(kind), createGemm({ kernel: kind })]);
  return new ThreadPool(threads, kind, { xnor, float, gemm }, startWorker);
}

/**
 * One task as the pool splits it: `count` units in ranges of whole multiples of `align`. A
 * convolution's workers write rows of `out` (`width` values a unit) into shared memory, or
 * send them back; a step's write the shared arrays in its task themselves.
 */
interface Job<A extends Rows> {
  count: number;
  align: number;
  split: boolean;
  out?: { rows: A; width: number };
  /** Units [from, to) on the calling thread. */
  here(from: number, to: number): void;
  /** A worker's request for units [from, to), a convolution's writing into `shared` when given. */
  request(id: number, from: number, to: number, shared: A | undefined): ConvRequest;
}

/** Values a step must read before splitting it pays: a worker's share costs ~20-50 us to hand over and collect. */
const SPLIT_MIN_VALUES = 1 << 16;
/**
 * Fewest rows of C per thread for splitting a GEMM: a split duplicates the copy and packing of
 * op(B) in every thread. Measured on LeNet-5 XNOR training, 2 threads (bench/RESULTS.md):
 * splitting every GEMM 371-397 images/s, at 64 rows 487-489, at 256 rows (only conv2's input
 * gradient, 500 rows, splits) 551-576, never 512-566; 1 thread 536-589.
 */
const GEMM_SPLIT_MIN_ROWS = 256;

class ThreadPool implements CpuThreadPool {
  readonly sharesMemory = canShareMemory();
  readonly #kernels: { xnor: XnorCpuKernel; float: FloatConvKernel; gemm: Gemm };
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
    kernels: { xnor: XnorCpuKernel; float: FloatConvKernel; gemm: Gemm },
    startWorker: StartWorker,
  ) {
    this.#kernels = kernels;
    this.#workers = Array.from({ length: threads - 1 }, () => startWorker(kernel));
  }

  sharedArray<A extends Rows>(type: RowsType<A>, length: number): A {
    if (!this.sharesMemory || this.#workers.length === 0) return new type(length);
    return new type(new SharedArrayBuffer(length * type.BYTES_PER_ELEMENT), 0, length);
  }

  async xnorConv(g: ConvGeometry, input: Uint32Array, weights: Uint32Array, out?: Int32Array): Promise<Int32Array> {
    const rows = out ?? new Int32Array(outputPixels(g) * g.cout);
    await this.#queue(() => {
      checkConvArgs(g, input, weights, rows, 0, outputPixels(g));
      return {
        count: outputPixels(g),
        align: 4,
        split: true,
        out: { rows, width: g.cout },
        here: (m0, m1) => this.#kernels.xnor.conv(g, input, weights, rows.subarray(m0 * g.cout, m1 * g.cout), m0, m1),
        request: (id, m0, m1, shared) => ({ op: 'xnor', id, g, m0, m1, input, weights, ...(shared && { out: shared }) }),
      };
    });
    return rows;
  }

  shared<A extends Rows>(a: A): A {
    if (!this.sharesMemory || this.#workers.length === 0 || isShared(a)) return a;
    const copy = this.sharedArray(a.constructor as RowsType<A>, a.length);
    copy.set(a);
    return copy;
  }

  prepareFloat(g: ConvGeometry, ohwi: Float32Array, signs: boolean): PreparedWeights {
    const prepared = signs ? this.#kernels.float.prepareSigns(g, ohwi) : this.#kernels.float.prepare(g, ohwi);
    return { ...prepared, data: this.shared(prepared.data) };
  }

  async floatConv(g: ConvGeometry, image: Float32Array, weights: PreparedWeights, out?: Float32Array): Promise<Float32Array> {
    const rows = out ?? new Float32Array(outputPixels(g) * g.cout);
    await this.#queue(() => ({
      count: outputPixels(g),
      align: 4,
      split: this.sharesMemory,
      out: { rows, width: g.cout },
      here: (m0, m1) => this.#kernels.float.conv(g, image, weights, rows.subarray(m0 * g.cout, m1 * g.cout), m0, m1),
      // Split only with shared memory, so workers always have `shared` to write into.
      request: (id, m0, m1, shared) => ({ op: 'float', id, g, m0, m1, image, weights, out: shared! }),
    }));
    return rows;
  }

  gemm(a: Float32Array, b: Float32Array, c: Float32Array, shape: GemmShape): Promise<void> {
    return this.#queue(() => {
      // Each thread packs all of op(B) for its rows of C: only enough rows per thread pay for that.
      const split = this.sharesMemory && !shape.accumulate && shape.m >= GEMM_SPLIT_MIN_ROWS * this.threads;
      const [sharedA, sharedB] = split ? [this.shared(a), this.shared(b)] : [a, b];
      return {
        count: shape.m,
        align: 4,
        split,
        out: { rows: c, width: shape.n },
        here: (m0, m1) => this.#kernels.gemm.runRows(sharedA, sharedB, c, shape, m0, m1),
        request: (id, m0, m1, shared) => ({ op: 'gemm', id, m0, m1, a: sharedA, b: sharedB, shape, out: shared! }),
      };
    });
  }

  step(task: StepTask): Promise<void> {
    return this.#queue(() => {
      const { count, perUnit, writes } = unitsOf(task);
      return {
        count,
        align: 16,
        split: this.sharesMemory && count * perUnit >= SPLIT_MIN_VALUES && writes.every(isShared),
        here: (from, to) => runStepTask(task, from, to),
        request: (id, from, to) => ({ ...task, id, m0: from, m1: to }),
      };
    });
  }

  /** Runs the job made by `make` after the previous one; `make` checks the arguments, so they are checked when the job starts. */
  #queue<A extends Rows>(make: () => Job<A>): Promise<void> {
    const done = this.#previous.catch(() => undefined).then(() => this.#run(make()));
    this.#previous = done;
    return done;
  }

  async #run<A extends Rows>({ count, align, split, out, here, request }: Job<A>): Promise<void> {
    if (this.#closed) throw new Error('thread pool: conv after close()');
    if (this.#failure) throw new Error(`thread pool: a worker died (${this.#failure.message})`);
    const [[m0, m1] = [0, 0], ...workerRanges] = splitRange(count, split ? this.threads : 1, align);
    const shared = out && workerRanges.length > 0 && this.sharesMemory ? this.#sharedTarget(out.rows, count * out.width) : undefined;
    const replies = workerRanges.map(([w0, w1], worker) => this.#workers[worker]!.post(request(this.#nextId++, w0, w1, shared)));
    here(m0, m1);
    // Every reply is taken, even after an error, so that none is left for the next call.
    let error: Error | undefined;
    for (const [k, waitForReply] of replies.entries()) {
      try {
        const reply = await waitForReply();
        if ('error' in reply) error ??= new Error(`thread pool worker: ${reply.error}`);
        else if (out) this.#place(out, reply, shared, workerRanges[k]!);
      } catch (err) {
        this.#failure ??= err as Error;
        error ??= err as Error;
      }
    }
    if (error) throw error;
  }

  /** A worker's rows of a convolution into `out`: from its reply, or from the staging buffer. */
  #place<A extends Rows>(
    { rows, width }: { rows: A; width: number },
    reply: ConvReply,
    shared: A | undefined,
    [from, to]: [number, number],
  ): void {
    if ('rows' in reply && reply.rows) rows.set(reply.rows, from * width);
    else if (shared !== rows) rows.set(shared!.subarray(from * width, to * width), from * width);
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
