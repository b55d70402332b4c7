import { describe, expect, it } from 'vitest';
import { GpuDeviceLostError, GpuOperationError, createContext } from '../src/backends/webgpu/context.js';
import { gpuForSuite } from './helpers/gpu.js';

const ctx = await gpuForSuite('context');

describe.skipIf(!ctx)('GpuContext', () => {
  it('names its adapter and holds the adapter limits, not the defaults', () => {
    expect(ctx!.adapterName.length).toBeGreaterThan(0);
    // WebGPU's default storage binding limit is 128 MiB; every adapter we run on offers more.
    expect(ctx!.limits.maxStorageBufferBindingSize).toBe(ctx!.device.limits.maxStorageBufferBindingSize);
    expect(ctx!.device.limits.maxComputeWorkgroupStorageSize).toBe(ctx!.limits.maxComputeWorkgroupStorageSize);
    expect(ctx!.limits.maxComputeInvocationsPerWorkgroup).toBeGreaterThanOrEqual(256);
  });

  it('applies boolean and number defines when compiling, and caches by them', async () => {
    const kernel = {
      file: 'test_defines.wgsl',
      source: `
@group(0) @binding(0) var<storage, read_write> out: array<u32>;
@compute @workgroup_size(1)
fn main() {
#if DOUBLE
  out[0] = VALUE * 2u;
#else
  out[0] = VALUE;
#endif
}`,
    };
    const { GpuTensor } = await import('../src/backends/webgpu/gpu-tensor.js');
    const { submitLaunches } = await import('../src/backends/webgpu/dispatch.js');
    const run = async (double: boolean, value: number) => {
      const out = GpuTensor.empty(ctx!, 'uint32', [1]);
      const pipeline = await ctx!.pipelines.get({ kernel, defines: { DOUBLE: double, VALUE: value } });
      await submitLaunches(ctx!, 'test', [{ pipeline, buffers: [out.buffer], workgroups: [1, 1] }]);
      const result = (await out.read()).data[0];
      out.destroy();
      return result;
    };
    const before = ctx!.pipelines.size;
    expect([await run(false, 7), await run(true, 7), await run(true, 5), await run(true, 7)]).toEqual([7, 14, 10, 14]);
    expect(ctx!.pipelines.size - before).toBe(3);
  });

  it('reports a WGSL compile error with the file and line', async () => {
    const kernel = { file: 'broken.wgsl', source: '@compute @workgroup_size(1)\nfn main() {\n  let x: u32 = 1.5;\n}\n' };
    await expect(ctx!.pipelines.get({ kernel })).rejects.toThrow(/broken\.wgsl:3:\d+: /);
  });

  it('names the included file and its line when an include has the error', async () => {
    const include = { file: 'shared.wgsl', source: '// shared\nfn helper() -> u32 { return 1.5; }\n' };
    const kernel = { file: 'user.wgsl', source: '@compute @workgroup_size(1)\nfn main() { _ = helper(); }\n', includes: [include] };
    await expect(ctx!.pipelines.get({ kernel })).rejects.toThrow(/shared\.wgsl:2:\d+: /);
    const broken = {
      ...kernel,
      source: '@compute @workgroup_size(1)\nfn main() {\n  let x: u32 = 1.5;\n}\n',
      includes: [{ file: 'ok.wgsl', source: '// a\n// b\n' }],
    };
    await expect(ctx!.pipelines.get({ kernel: broken })).rejects.toThrow(/user\.wgsl:3:\d+: /);
  });

  it('turns a WebGPU validation error into a GpuOperationError', async () => {
    await expect(ctx!.checked('a bad buffer', () => ctx!.device.createBuffer({ size: 4, usage: 0 }))).rejects.toBeInstanceOf(
      GpuOperationError,
    );
  });

  it('fails clearly after its device is lost, and after destroy()', async () => {
    const other = await createContext();
    other.device.destroy(); // as if the device had been lost under us
    await other.device.lost;
    expect(() => other.assertUsable()).toThrow(GpuDeviceLostError);
    expect(() => other.assertUsable()).toThrow(/device lost .*create a new context/);
    other.destroy();
    expect(() => other.assertUsable()).toThrow('this GPU context was destroyed');
  });
});
