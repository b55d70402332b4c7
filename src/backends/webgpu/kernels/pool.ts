/** maxpool2d, avgpool2d and globalavgpool on float NCHW (shaders/pool.wgsl). */
import source from '../../../../shaders/pool.wgsl?raw';
import { type WindowParams, poolOutputSize } from '../../../ops/window.js';
import { formatShape } from '../../../tensor/tensor.js';
import type { GpuContext } from '../context.js';
import { type Launch, launch1d } from '../dispatch.js';
import type { GpuTensor } from '../gpu-tensor.js';
import { expectDType, expectTensor } from './checks.js';

const KERNEL = { file: 'pool.wgsl', source };

export type PoolKind = 'max' | 'avg';

/** The output shape of pooling an NCHW shape; the window must fit (same rules as the reference). */
export function poolOutputShape(shape: readonly number[], window: WindowParams, what: string): [number, number, number, number] {
  if (shape.length !== 4) throw new RangeError(`${what}: expected an NCHW input, got ${formatShape(shape)}`);
  const [n, c, h, w] = shape as [number, number, number, number];
  const [ho, wo] = poolOutputSize([h, w], window, what);
  return [n, c, ho, wo];
}

/** A window covering the whole plane: global average pooling. */
export function globalWindow(shape: readonly number[]): WindowParams {
  return { kernel: [shape[2]!, shape[3]!], stride: [1, 1], padding: [0, 0] };
}

export async function poolLaunch(
  ctx: GpuContext,
  kind: PoolKind,
  input: GpuTensor,
  output: GpuTensor,
  window: WindowParams,
): Promise<Launch> {
  const what = `${kind}pool`;
  expectDType(input, 'float32', `${what}: input`);
  const [n, c, ho, wo] = poolOutputShape(input.shape, window, what);
  if (input.size === 0) throw new RangeError(`${what}: input ${formatShape(input.shape)} is empty`);
  expectTensor(output, 'float32', [n, c, ho, wo], `${what}: output`);
  const [, , h, w] = input.shape as [number, number, number, number];
  const { kernel, stride, padding } = window;
  return launch1d(ctx, {
    kernel: KERNEL,
    defines: { MAX: kind === 'max' },
    params: [n * c, h, w, ...kernel, ...stride, ...padding, ho, wo],
    buffers: [input.buffer, output.buffer],
    invocations: n * c * ho * wo,
  });
}
