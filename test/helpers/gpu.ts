/**
 * GPU suites: run on whatever adapter createContext() finds (SwiftShader without a GPU).
 * Without an adapter they skip with a visible notice, unless XNORNET_REQUIRE_GPU=1, in which
 * case the suite fails: CI sets it so GPU tests can never be skipped silently.
 */
import { afterAll } from 'vitest';
import { type GpuContext, createContext } from '../../src/backends/webgpu/context.js';

export async function gpuForSuite(suite: string): Promise<GpuContext | undefined> {
  let ctx: GpuContext;
  try {
    ctx = await createContext();
  } catch (err) {
    const reason = (err as Error).message;
    if (process.env['XNORNET_REQUIRE_GPU'] === '1') {
      throw new Error(`XNORNET_REQUIRE_GPU=1 but the GPU suite "${suite}" has no WebGPU adapter: ${reason}`);
    }
    console.warn(`[xnornet] SKIPPING GPU suite "${suite}": ${reason}`);
    return undefined;
  }
  console.log(`[xnornet] GPU suite "${suite}" runs on: ${ctx.adapterName}`);
  afterAll(() => ctx.destroy());
  return ctx;
}
