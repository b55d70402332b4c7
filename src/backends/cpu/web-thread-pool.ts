/**
 * The thread pool on browser Web Workers. Each worker runs the bundled src/backends/cpu/worker.ts
 * (Vite `?raw`, as in Node) from a blob: URL and serves messages; the page must allow
 * `worker-src blob:` where it sets a Content-Security-Policy. Rows come back through shared
 * memory on a cross-origin isolated page, else transferred with the reply (canShareMemory).
 */
import workerSource from './generated/worker.js?raw';
import { type CpuKernelName, defaultKernelName } from './kernel.js';
import type { CpuThreadPoolOptions } from './platform-thread-pool.js';
import { type CpuThreadPool, type PoolWorker, canShareMemory, createThreadPool } from './thread-pool.js';
import type { ConvReply } from './worker.js';

interface Pending {
  resolve(reply: ConvReply): void;
  reject(error: Error): void;
}

function startWebWorker(kind: CpuKernelName): PoolWorker {
  const url = URL.createObjectURL(
    new Blob([`${workerSource}\nxnorCpuWorker.serveMessages(self, ${JSON.stringify(kind)});`], { type: 'text/javascript' }),
  );
  const worker = new Worker(url);
  const pending = new Map<number, Pending>();
  let death: Error | undefined;
  const failAll = (error: Error) => {
    death ??= error;
    for (const p of pending.values()) p.reject(error);
    pending.clear();
  };
  worker.addEventListener('message', ({ data }: MessageEvent<ConvReply>) => {
    pending.get(data.id)?.resolve(data);
    pending.delete(data.id);
  });
  worker.addEventListener('error', (event) => failAll(new Error(`thread pool worker failed: ${event.message}`)));
  return {
    post(request) {
      const reply = new Promise<ConvReply>((resolve, reject) => {
        if (death) return reject(death);
        pending.set(request.id, { resolve, reject });
        worker.postMessage(request);
      });
      reply.catch(() => undefined); // a reply nobody waits for yet (the pool computes its own share first)
      return () => reply;
    },
    async terminate() {
      worker.terminate();
      URL.revokeObjectURL(url);
      failAll(new Error('thread pool: closed'));
    },
  };
}

/**
 * Default threads: all cores on a cross-origin isolated page; 1 elsewhere, where workers
 * cannot share memory and measured slower than the calling thread alone (bench:browser, NIN-XNOR
 * at batch 8: 100.5 ms on 2 threads, 92.7 on 1; 57.4 on 2 threads with shared memory).
 */
export function createWebThreadPool(options: CpuThreadPoolOptions = {}): Promise<CpuThreadPool> {
  const { threads = canShareMemory() ? navigator.hardwareConcurrency || 1 : 1, kernel = defaultKernelName() } = options;
  return createThreadPool(threads, kernel, startWebWorker);
}
