/**
 * The worker side of the thread pool: answers conv requests with its own kernel instance.
 * scripts/build-cpu.mjs bundles this module alone (global `xnorCpuWorker`); the host starts it
 * with serveKernel(port, kind), port being Node's `parentPort` or a browser worker's `self`.
 */
import type { XnorConvGeometry } from './geometry.js';
import { type XnorKernelName, createXnorKernel } from './kernel.js';

export interface ConvRequest {
  id: number;
  g: XnorConvGeometry;
  input: Uint32Array;
  weights: Uint32Array;
  m0: number;
  m1: number;
  /** [M, Cout] on a SharedArrayBuffer: the worker writes rows [m0, m1) in place. */
  dots: Int32Array;
}

export type ConvReply = { id: number } | { id: number; error: string };

/** What Node's MessagePort and a browser worker's global scope both offer. */
export interface WorkerSidePort {
  postMessage(message: ConvReply): void;
  addEventListener(type: 'message', listener: (event: { data: ConvRequest }) => void): void;
}

export function serveKernel(port: WorkerSidePort, kind: XnorKernelName): void {
  const ready = createXnorKernel(kind);
  port.addEventListener('message', async ({ data: r }) => {
    try {
      (await ready).conv(r.g, r.input, r.weights, r.dots.subarray(r.m0 * r.g.cout, r.m1 * r.g.cout), r.m0, r.m1);
      port.postMessage({ id: r.id });
    } catch (err) {
      port.postMessage({ id: r.id, error: err instanceof Error ? err.message : String(err) });
    }
  });
}
