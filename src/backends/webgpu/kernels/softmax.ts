/** Softmax over dimension 1 (shaders/softmax.wgsl). */
import source from '../../../../shaders/softmax.wgsl?raw';
import { formatShape } from '../../../tensor/tensor.js';
import type { GpuContext } from '../context.js';
import { type Launch, launch1d } from '../dispatch.js';
import type { GpuTensor } from '../gpu-tensor.js';
import type { Kernel } from '../pipelines.js';
import { expectDType, expectTensor } from './checks.js';

const KERNEL = {
  file: 'softmax.wgsl',
  source,
  interface: {
    storage: {
      x: { type: 'array<f32>', access: 'read' },
      y: { type: 'array<f32>', access: 'read_write' },
    },
    // inner: the size of the dimensions after 1
    uniforms: { n: 'u32', channels: 'u32', inner: 'u32' },
  },
} satisfies Kernel;

export async function softmaxLaunch(ctx: GpuContext, input: GpuTensor, output: GpuTensor): Promise<Launch> {
  expectDType(input, 'float32', 'softmax: input');
  if (input.rank < 2 || input.size === 0) {
    throw new RangeError(`softmax: input must be a non-empty [N, C, ...] tensor, got ${formatShape(input.shape)}`);
  }
  expectTensor(output, 'float32', input.shape, 'softmax: output');
  const [n, channels] = input.shape as [number, number];
  const inner = input.size / (n * channels);
  return launch1d(ctx, {
    kernel: KERNEL,
    params: { n, channels, inner },
    buffers: { x: input.buffer, y: output.buffer },
    invocations: n * inner,
  });
}
