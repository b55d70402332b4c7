/** Float NCHW -> NHWC4 with a trailing zero pixel, the input of conv2d.wgsl (shaders/to_nhwc4.wgsl). */
import source from '../../../../shaders/to_nhwc4.wgsl?raw';
import { formatShape } from '../../../tensor/tensor.js';
import type { GpuContext } from '../context.js';
import { type Launch, launch1d } from '../dispatch.js';
import type { GpuTensor } from '../gpu-tensor.js';
import type { Kernel } from '../pipelines.js';
import { expectDType, expectTensor } from './checks.js';

const KERNEL = {
  file: 'to_nhwc4.wgsl',
  source,
  interface: {
    storage: {
      x: { type: 'array<f32>', access: 'read' },
      y: { type: 'array<vec4f>', access: 'read_write' },
    },
    // pixels = H * W, c4 = ceil(C / 4)
    uniforms: { n: 'u32', c: 'u32', pixels: 'u32', c4: 'u32' },
  },
} satisfies Kernel;

/** [N*H*W + 1, 4*ceil(C/4)]: the pixels, channels padded to 4, then one zero pixel. */
export function nhwc4Shape(nchw: readonly number[]): [number, number] {
  if (nchw.length !== 4) throw new RangeError(`to NHWC4: expected an NCHW shape, got ${formatShape(nchw)}`);
  const [n, c, h, w] = nchw as [number, number, number, number];
  return [n * h * w + 1, 4 * Math.ceil(c / 4)];
}

export async function toNhwc4Launch(ctx: GpuContext, input: GpuTensor, output: GpuTensor): Promise<Launch> {
  expectDType(input, 'float32', 'to NHWC4: input');
  expectTensor(output, 'float32', nhwc4Shape(input.shape), 'to NHWC4: output');
  if (input.size === 0) throw new RangeError(`to NHWC4: input ${formatShape(input.shape)} is empty`);
  const [n, c, h, w] = input.shape as [number, number, number, number];
  const c4 = Math.ceil(c / 4);
  return launch1d(ctx, {
    kernel: KERNEL,
    params: { n, c, pixels: h * w, c4 },
    buffers: { x: input.buffer, y: output.buffer },
    invocations: (n * h * w + 1) * c4,
  });
}
