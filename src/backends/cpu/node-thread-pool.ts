/**
 * The thread pool on Node's worker_threads. Workers run the bundled src/backends/cpu/worker.ts, which
 * arrives as text through Vite's `?raw` (built by scripts/build-cpu.mjs), so the same code
 * works in vitest and from dist/ without a worker file to locate.
 *
 * Each worker sleeps in serveBlocking (worker.ts): requests and replies travel over a
 * MessageChannel that neither side listens on, read with receiveMessageOnPort, and a shared
 * Int32Array signals them. The host blocks in Atomics.wait for a reply (Node allows that on
 * the main thread), in slices, going back to the event loop between slices so that it hears
 * of a worker that died.
 */
import { availableParallelism } from 'node:os';
import { MessageChannel, Worker, receiveMessageOnPort } from 'node:worker_threads';
import workerSource from './generated/worker.js?raw';
import { type CpuKernelName, defaultKernelName } from './kernel.js';
import type { CpuThreadPoolOptions } from './platform-thread-pool.js';
import { type CpuThreadPool, type PoolWorker, createThreadPool } from './thread-pool.js';
import { type ConvReply, SIGNAL } from './worker.js';

/** How long the host blocks before it lets the event loop run (and learns of a dead worker). */
const WAIT_SLICE_MS = 20;

const yieldToEventLoop = () => new Promise((resolve) => setImmediate(resolve));

function startNodeWorker(kind: CpuKernelName): PoolWorker {
  const signal = new Int32Array(new SharedArrayBuffer(SIGNAL.length * 4));
  const { port1: host, port2: guest } = new MessageChannel();
  const start = `
    const { workerData: { signal, port }, receiveMessageOnPort } = require('node:worker_threads');
    xnorCpuWorker.serveBlocking({ signal, receive: () => receiveMessageOnPort(port).message, reply: (m) => port.postMessage(m) }, ${JSON.stringify(kind)});`;
  // The eval'd worker is a CommonJS script; a parent started with --input-type=module would
  // pass that flag on and turn it into a module without `require`.
  const execArgv = process.execArgv.filter((arg) => !arg.startsWith('--input-type'));
  const worker = new Worker(`${workerSource}\n${start}`, {
    eval: true,
    execArgv,
    workerData: { signal, port: guest },
    transferList: [guest],
  });
  // Idle workers do not keep the process alive: one that forgets close() still exits. A call
  // in progress does, as its caller waits in Atomics.wait or on setImmediate.
  worker.unref();
  let death: Error | undefined;
  worker.on('error', (err) => (death ??= err));
  worker.on('exit', (code) => (death ??= new Error(`thread pool worker exited with code ${code}`)));
  let posted = 0;
  return {
    post(request) {
      host.postMessage(request);
      const expected = ++posted;
      Atomics.store(signal, SIGNAL.requests, expected);
      Atomics.notify(signal, SIGNAL.requests);
      return async () => {
        for (let done = Atomics.load(signal, SIGNAL.done); done < expected; done = Atomics.load(signal, SIGNAL.done)) {
          if (death) throw death;
          if (Atomics.wait(signal, SIGNAL.done, done, WAIT_SLICE_MS) === 'timed-out') await yieldToEventLoop();
        }
        const reply = receiveMessageOnPort(host);
        if (!reply) throw new Error('thread pool worker: answered without a reply');
        return reply.message as ConvReply;
      };
    },
    async terminate() {
      Atomics.store(signal, SIGNAL.stop, 1);
      Atomics.notify(signal, SIGNAL.requests);
      await worker.terminate();
      host.close();
    },
  };
}

export function createNodeThreadPool(options: CpuThreadPoolOptions = {}): Promise<CpuThreadPool> {
  const { threads = availableParallelism(), kernel = defaultKernelName() } = options;
  return createThreadPool(threads, kernel, startNodeWorker);
}
