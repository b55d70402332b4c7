/**
 * Float NCHW -> NHWC4 with a trailing zero pixel, the input of conv2d.wgsl
 * (shaders/to_nhwc4.wgsl): of the pixels themselves, or of a conv's patches.
 */
import source from '../../../../shaders/to_nhwc4.wgsl?raw';
import { type WindowParams, windowOutputSize } from '../../../ops/window.js';
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
    // the input [n, c, h, w], the window, the output pixels ho x wo; k4 = ceil(kh*kw*c / 4)
    uniforms: {
      n: 'u32',
      c: 'u32',
      h: 'u32',
      w: 'u32',
      kh: 'u32',
      kw: 'u32',
      sh: 'u32',
      sw: 'u32',
      ph: 'u32',
      pw: 'u32',
      ho: 'u32',
      wo: 'u32',
      k4: 'u32',
    },
  },
} satisfies Kernel;

/** The window of the plain layout: each pixel on its own. */
const PIXEL: WindowParams = { kernel: [1, 1], stride: [1, 1], padding: [0, 0] };

function nchwDims(nchw: readonly number[]): [number, number, number, number] {
  if (nchw.length !== 4) throw new RangeError(`to NHWC4: expected an NCHW shape, got ${formatShape(nchw)}`);
  return nchw as [number, number, number, number];
}

/**
 * [N*Ho*Wo + 1, 4*ceil(kh*kw*C/4)]: each output pixel's window of the NCHW input (by default
 * the pixel itself: [N*H*W + 1, 4*ceil(C/4)]), zero-padded to a multiple of 4, then one zero pixel.
 */
export function nhwc4Shape(nchw: readonly number[], window?: WindowParams): [number, number] {
  const [n, c, h, w] = nchwDims(nchw);
  if (!window) return [n * h * w + 1, 4 * Math.ceil(c / 4)];
  const [ho, wo] = windowOutputSize([h, w], window, 'to NHWC4');
  const [kh, kw] = window.kernel;
  return [n * ho * wo + 1, 4 * Math.ceil((kh * kw * c) / 4)];
}

/** Writes nhwc4Shape(input.shape, window) into `output`: the pixels, or with a conv's window its patches. */
export async function toNhwc4Launch(ctx: GpuContext, input: GpuTensor, output: GpuTensor, window: WindowParams = PIXEL): Promise<Launch> {
  expectDType(input, 'float32', 'to NHWC4: input');
  if (input.size === 0) throw new RangeError(`to NHWC4: input ${formatShape(input.shape)} is empty`);
  expectTensor(output, 'float32', nhwc4Shape(input.shape, window), 'to NHWC4: output');
  const [n, c, h, w] = nchwDims(input.shape);
  const [ho, wo] = windowOutputSize([h, w], window, 'to NHWC4');
  const [kh, kw] = window.kernel;
  const [sh, sw] = window.stride;
  const [ph, pw] = window.padding;
  const k4 = Math.ceil((kh * kw * c) / 4);
  return launch1d(ctx, {
    kernel: KERNEL,
    params: { n, c, h, w, kh, kw, sh, sw, ph, pw, ho, wo, k4 },
    buffers: { x: input.buffer, y: output.buffer },
    invocations: n * ho * wo + 1,
  });
}
