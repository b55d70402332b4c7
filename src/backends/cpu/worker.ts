/**
 * The worker side of the thread pool: answers conv requests with its own kernel instances.
 * scripts/build-cpu.mjs bundles this module alone (global `xnorCpuWorker`); the host starts it
 * with one of two loops:
 * - serveMessages(port, kind): requests and replies as messages through the worker's event
 *   loop (browsers: port = the worker's `self`);
 * - serveBlocking(channel, kind): the worker sleeps in Atomics.wait on a shared signal and
 *   takes requests from its port synchronously (Node, receiveMessageOnPort). A message wakes
 *   an idle worker in ~0.13 ms and its reply the host in ~0.1 ms, 10% of a typical layer's
 *   share; a futex wake-up takes a few microseconds.
 */
import { type FloatConvKernel, type PreparedWeights, createFloatConvKernel } from './float-conv.js';
import { type Gemm, type GemmShape, createGemm } from './gemm.js';
import type { ConvGeometry } from '../../ops/conv.js';
import { type CpuKernelName, type XnorCpuKernel, createXnorKernel } from './kernel.js';
import { type StepTask, runStepTask } from './steps.js';

/**
 * Units [m0, m1) of one task. Output pixels of a convolution: an XNOR conv's dots, or a float
 * or BWN conv's sums over the padded image (float-conv.ts); `out` is the whole [M, Cout]
 * output on a SharedArrayBuffer, the worker writes its rows in place; where memory cannot be
 * shared (a page that is not cross-origin isolated) XNOR requests have no `out` and the reply
 * carries the rows (float convs are not split there). Or a step between convolutions
 * (steps.ts), its output shared. Or rows [m0, m1) of a training GEMM's C (gemm.ts), written
 * into the shared `out`.
 */
export type ConvRequest = { id: number; m0: number; m1: number } & (
  | { op: 'xnor'; g: ConvGeometry; input: Uint32Array; weights: Uint32Array; out?: Int32Array }
  | { op: 'float'; g: ConvGeometry; image: Float32Array; weights: PreparedWeights; out: Float32Array }
  | { op: 'gemm'; a: Float32Array; b: Float32Array; shape: GemmShape; out: Float32Array }
  | StepTask
);

export type ConvReply = { id: number; rows?: Int32Array } | { id: number; error: string };

/** What a browser worker's global scope offers. */
export interface WorkerSidePort {
  postMessage(message: ConvReply, transfer: Transferable[]): void;
  addEventListener(type: 'message', listener: (event: { data: ConvRequest }) => void): void;
}

/** Slots of the Int32Array signal a blocking worker shares with its host. */
export const SIGNAL = { requests: 0, done: 1, stop: 2, length: 3 } as const;

export interface BlockingChannel {
  /** signal[requests]: requests posted so far; signal[done]: requests answered; signal[stop]: 1 to end. */
  signal: Int32Array;
  /** The next request, already posted to the worker. */
  receive(): ConvRequest;
  reply(message: ConvReply): void;
}

interface Kernels {
  xnor: XnorCpuKernel;
  float: FloatConvKernel;
  gemm: Gemm;
}

/** What a worker does with each request, with its own kernel instances. */
export async function createAnswerer(kind: CpuKernelName): Promise<(request: ConvRequest) => ConvReply> {
  const [xnor, float, gemm] = await Promise.all([createXnorKernel(kind), createFloatConvKernel(kind), createGemm({ kernel: kind })]);
  return (request) => answer({ xnor, float, gemm }, request);
}

function answer(kernels: Kernels, r: ConvRequest): ConvReply {
  try {
    if (r.op === 'gemm') {
      kernels.gemm.runRows(r.a, r.b, r.out, r.shape, r.m0, r.m1);
      return { id: r.id };
    }
    if (r.op !== 'xnor' && r.op !== 'float') {
      runStepTask(r, r.m0, r.m1);
      return { id: r.id };
    }
    const [from, to] = [r.m0 * r.g.cout, r.m1 * r.g.cout];
    if (r.op === 'float') {
      kernels.float.conv(r.g, r.image, r.weights, r.out.subarray(from, to), r.m0, r.m1);
      return { id: r.id };
    }
    const rows = r.out?.subarray(from, to) ?? new Int32Array(to - from);
    kernels.xnor.conv(r.g, r.input, r.weights, rows, r.m0, r.m1);
    return r.out ? { id: r.id } : { id: r.id, rows };
  } catch (err) {
    return { id: r.id, error: err instanceof Error ? err.message : String(err) };
  }
}

export function serveMessages(port: WorkerSidePort, kind: CpuKernelName): void {
  const ready = createAnswerer(kind);
  port.addEventListener('message', async ({ data }) => {
    const reply = (await ready)(data);
    port.postMessage(reply, 'rows' in reply && reply.rows ? [reply.rows.buffer] : []);
  });
}

export async function serveBlocking({ signal, receive, reply }: BlockingChannel, kind: CpuKernelName): Promise<void> {
  const answer = await createAnswerer(kind);
  // Pending requests first, then sleep until the next (or until stop; close() notifies).
  for (let served = 0; Atomics.load(signal, SIGNAL.stop) === 0; Atomics.wait(signal, SIGNAL.requests, served)) {
    for (; served < Atomics.load(signal, SIGNAL.requests); served++) {
      reply(answer(receive()));
      Atomics.store(signal, SIGNAL.done, served + 1);
      Atomics.notify(signal, SIGNAL.done);
    }
  }
}
