/** Uploads host tensors, runs launches built on them, reads the outputs back, frees everything. */
import type { Tensor } from '../../src/tensor/tensor.js';
import type { GpuContext } from '../../src/backends/webgpu/context.js';
import { type Launch, submitLaunches } from '../../src/backends/webgpu/dispatch.js';
import { GpuTensor } from '../../src/backends/webgpu/gpu-tensor.js';

export async function runOnGpu<I extends string, O extends string>(
  ctx: GpuContext,
  inputs: Record<I, Tensor>,
  /** Initial contents of the outputs: poison them, so unwritten elements show. */
  outputs: Record<O, Tensor>,
  build: (t: Record<I | O, GpuTensor>) => Promise<Launch | Launch[]>,
): Promise<Record<O, Tensor>> {
  const gpu = {} as Record<I | O, GpuTensor>;
  for (const [name, tensor] of Object.entries<Tensor>({ ...inputs, ...outputs })) gpu[name as I | O] = GpuTensor.upload(ctx, tensor, name);
  try {
    const launches = await build(gpu);
    await submitLaunches(ctx, 'test', Array.isArray(launches) ? launches : [launches]);
    const results = {} as Record<O, Tensor>;
    for (const name of Object.keys(outputs) as O[]) results[name] = await gpu[name].read();
    return results;
  } finally {
    for (const tensor of Object.values<GpuTensor>(gpu)) tensor.destroy();
  }
}
