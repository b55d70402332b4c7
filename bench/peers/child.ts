/**
 * The child processes of bench/peers.ts, and how the parent drives them: requests over Node's
 * IPC channel (structured clone, so typed arrays travel as they are), answered by id. A child
 * holds engines under keys; the parent asks it to build one, for its outputs (the check) and
 * to time some runs, round by round, as it times its own engines.
 *   - the TF.js child: TF.js wasm with its threaded build forced on (TF.js allows one wasm
 *     module per process, so it cannot share the parent's);
 *   - the GPU child (gpu-child.ts): the one process that holds a WebGPU device.
 */
import type { ChildProcess } from 'node:child_process';

export type ChildRequest =
  | { id: number; op: 'start'; threads: number }
  | {
      id: number;
      op: 'build';
      key: string;
      /** Which of the child's engines (the GPU child has several; the TF.js child ignores it). */
      engine?: string;
      model: string;
      input: Float32Array;
      shape: number[];
    }
  | { id: number; op: 'output'; key: string }
  | { id: number; op: 'time'; key: string; runs: number }
  | { id: number; op: 'close' };

/** A request without its id (each member of the union on its own). */
export type ChildRequestBody = ChildRequest extends infer R ? (R extends unknown ? Omit<R, 'id'> : never) : never;

export interface ChildReply {
  id: number;
  error?: string;
  /** start: what runs, one line per engine (engine name -> description, or the error that stopped it). */
  engines?: Record<string, { description?: string; error?: string }>;
  /** build: what the built engine holds. */
  weightBytes?: number;
  activationBytes?: number;
  activationHow?: string;
  data?: Float32Array;
  times?: number[];
}

export type ChildReplyBody = Omit<ChildReply, 'id'>;

export async function timeRuns(run: () => Promise<unknown>, runs: number): Promise<number[]> {
  const times: number[] = [];
  for (let r = 0; r < runs; r++) {
    const started = performance.now();
    await run();
    times.push(performance.now() - started);
  }
  return times;
}

/** The child's side: each request handled in turn (one at a time, in order), its reply sent back. */
export function serve(handle: (request: ChildRequest) => Promise<ChildReplyBody>): void {
  let queue = Promise.resolve();
  process.on('message', (request: ChildRequest) => {
    queue = queue.then(() =>
      handle(request)
        .then((body): ChildReply => ({ ...body, id: request.id }))
        .catch((err: unknown): ChildReply => ({ id: request.id, error: err instanceof Error ? (err.stack ?? err.message) : String(err) }))
        .then((reply) => void process.send!(reply)),
    );
  });
  process.on('disconnect', () => process.exit(0));
}

/** The parent's side: requests to the child, answered in order of their ids. */
export function childClient(child: ChildProcess, label: string): (request: ChildRequestBody) => Promise<ChildReply> {
  let next = 0;
  const pending = new Map<number, { resolve: (r: ChildReply) => void; reject: (e: Error) => void }>();
  child.on('message', (reply: ChildReply) => {
    const p = pending.get(reply.id);
    pending.delete(reply.id);
    if (reply.error) p?.reject(new Error(`${label}: ${reply.error}`));
    else p?.resolve(reply);
  });
  child.on('exit', (code, signal) => {
    for (const p of pending.values()) p.reject(new Error(`${label} exited (${signal ?? `code ${code}`})`));
    pending.clear();
  });
  return (request) =>
    new Promise((resolve, reject) => {
      if (!child.connected) return reject(new Error(`${label} is not running`));
      const id = next++;
      pending.set(id, { resolve, reject });
      child.send({ ...request, id });
    });
}
