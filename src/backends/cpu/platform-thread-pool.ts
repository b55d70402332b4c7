/** The thread pool of this platform: worker threads in Node, Web Workers in a browser. */
import type { CpuKernelName } from './kernel.js';
import type { CpuThreadPool } from './thread-pool.js';

export interface CpuThreadPoolOptions {
  /**
   * Default: all cores (os.availableParallelism() in Node, navigator.hardwareConcurrency on a
   * cross-origin isolated page); 1 on a page that is not isolated (web-thread-pool.ts).
   */
  threads?: number;
  /** Default: wasm-simd where supported. */
  kernel?: CpuKernelName;
}

export async function createCpuThreadPool(options: CpuThreadPoolOptions = {}): Promise<CpuThreadPool> {
  if (typeof process !== 'undefined' && process.versions?.node) {
    const { createNodeThreadPool } = await import('./node-thread-pool.js');
    return createNodeThreadPool(options);
  }
  const { createWebThreadPool } = await import('./web-thread-pool.js');
  return createWebThreadPool(options);
}
