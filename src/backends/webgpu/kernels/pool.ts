/** maxpool2d, avgpool2d and globalavgpool on float NCHW (shaders/pool.wgsl). */
import source from '../../../../shaders/pool.wgsl?raw';
import { type WindowParams, poolOutputSize } from '../../../ops/window.js';
import { formatShape } from '../../../tensor/tensor.js';
import type { GpuContext } from '../context.js';
import { type Launch, launch1d } from '../dispatch.js';
import type { GpuTensor } from '../gpu-tensor.js';
import type { Kernel } from '../pipelines.js';
import { expectDType, expectTensor } from './checks.js';

const KERNEL = {
  file: 'pool.wgsl',
  source,
  interface: {
    storage: {
      x: { type: 'array<f32>', access: 'read' },
      y: { type: 'array<f32>', access: 'read_write' },
    },
    // planes = N * C; window kh x kw, stride sh, sw, padding ph, pw
    uniforms: {
      planes: 'u32',
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
    },
  },
} satisfies Kernel;

export type PoolKind = 'max' | 'avg';

export async function poolLaunch(
  ctx: GpuContext,
  kind: PoolKind,
  input: GpuTensor,
  output: GpuTensor,
  window: WindowParams,
): Promise<Launch> {
  const what = `${kind}pool`;
  expectDType(input, 'float32', `${what}: input`);
  if (input.rank !== 4) throw new RangeError(`${what}: expected an NCHW input, got ${formatShape(input.shape)}`);
  if (input.size === 0) throw new RangeError(`${what}: input ${formatShape(input.shape)} is empty`);
  const [n, c, h, w] = input.shape as [number, number, number, number];
  const [ho, wo] = poolOutputSize([h, w], window, what);
  expectTensor(output, 'float32', [n, c, ho, wo], `${what}: output`);
  const {
    kernel: [kh, kw],
    stride: [sh, sw],
    padding: [ph, pw],
  } = window;
  return launch1d(ctx, {
    kernel: KERNEL,
    defines: { MAX: kind === 'max' },
    params: { planes: n * c, h, w, kh, kw, sh, sw, ph, pw, ho, wo },
    buffers: { x: input.buffer, y: output.buffer },
    invocations: n * c * ho * wo,
  });
}
