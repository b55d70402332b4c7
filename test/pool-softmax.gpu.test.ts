import { describe, expect, it } from 'vitest';
import type { WindowParams } from '../src/ops/window.js';
import * as ref from '../src/ops/reference.js';
import { Tensor } from '../src/tensor/tensor.js';
import { GpuTensor } from '../src/backends/webgpu/gpu-tensor.js';
import { poolLaunch } from '../src/backends/webgpu/kernels/pool.js';
import { globalWindow } from '../src/ops/globalavgpool.js';
import { softmaxLaunch } from '../src/backends/webgpu/kernels/softmax.js';
import { gpuForSuite } from './helpers/gpu.js';
import { poisonedFloats } from './helpers/poison.js';
import { maxToleranceViolation, randomTensor, testRng } from './helpers/random.js';
import { runOnGpu } from './helpers/run.js';

const ctx = await gpuForSuite('pool_softmax');

const POOLS: { shape: number[]; window: WindowParams }[] = [
  { shape: [2, 3, 8, 8], window: { kernel: [2, 2], stride: [2, 2], padding: [0, 0] } },
  { shape: [1, 5, 7, 9], window: { kernel: [3, 3], stride: [2, 2], padding: [1, 1] } },
  { shape: [3, 1, 5, 5], window: { kernel: [3, 2], stride: [1, 2], padding: [1, 1] } },
  { shape: [1, 33, 13, 11], window: { kernel: [5, 5], stride: [3, 3], padding: [2, 2] } },
  { shape: [2, 4, 1, 6], window: { kernel: [1, 3], stride: [1, 1], padding: [0, 1] } },
];

describe.skipIf(!ctx)('pool and softmax kernels', () => {
  it.each(POOLS)('max and average pooling match the reference: %j', async ({ shape, window }) => {
    const rng = testRng();
    // All-negative planes check that padding never wins a max (it is -inf, not 0).
    const x = randomTensor(rng, shape).data.map((v, i) => (i % 7 === 0 ? -Math.abs(v) - 1 : v));
    const input = new Tensor(x, shape);
    for (const [kind, expected] of [
      ['max', ref.maxpool2d(input, window)],
      ['avg', ref.avgpool2d(input, window)],
    ] as const) {
      const { y } = await runOnGpu(ctx!, { x: input }, { y: poisonedFloats(ref.maxpool2d(input, window).shape) }, (t) =>
        poolLaunch(ctx!, kind, t.x, t.y, window),
      );
      expect(y.shape).toEqual(expected.shape);
      expect(maxToleranceViolation(y.data, expected.data), `${kind} seed ${rng.seed}`).toBeLessThanOrEqual(0);
    }
  });

  it('global average pooling matches the reference', async () => {
    const rng = testRng();
    for (const shape of [
      [2, 5, 7, 3],
      [1, 64, 1, 1],
      [3, 2, 14, 14],
    ]) {
      const x = randomTensor(rng, shape);
      const { y } = await runOnGpu(ctx!, { x }, { y: poisonedFloats([shape[0]!, shape[1]!, 1, 1]) }, (t) =>
        poolLaunch(ctx!, 'avg', t.x, t.y, globalWindow(shape)),
      );
      expect(maxToleranceViolation(y.data, ref.globalavgpool(x).data), `seed ${rng.seed}`).toBeLessThanOrEqual(0);
    }
  });

  it('softmax over dimension 1 matches the reference, also for large logits', async () => {
    const rng = testRng();
    for (const shape of [
      [4, 10],
      [1, 1000],
      [2, 3, 4, 5],
      [3, 1],
    ]) {
      const x = randomTensor(rng, shape).data.map((v) => v * 40);
      const input = new Tensor(x, shape);
      const { y } = await runOnGpu(ctx!, { x: input }, { y: poisonedFloats(shape) }, (t) => softmaxLaunch(ctx!, t.x, t.y));
      expect(maxToleranceViolation(y.data, ref.softmax(input).data), `${shape} seed ${rng.seed}`).toBeLessThanOrEqual(0);
    }
  });

  it('rejects bad parameters before any dispatch', async () => {
    const t = (shape: number[]) => GpuTensor.empty(ctx!, 'float32', shape);
    const window: WindowParams = { kernel: [2, 2], stride: [2, 2], padding: [0, 0] };
    await expect(poolLaunch(ctx!, 'max', t([1, 2, 4, 4]), t([1, 2, 3, 3]), window)).rejects.toThrow(
      'maxpool: output must be float32 [1, 2, 2, 2], got float32 [1, 2, 3, 3]',
    );
    await expect(poolLaunch(ctx!, 'avg', t([1, 2, 4, 4]), t([1, 2, 2, 2]), { ...window, padding: [2, 2] })).rejects.toThrow(
      'avgpool: padding [2, 2] must be at most half the kernel [2, 2]',
    );
    await expect(poolLaunch(ctx!, 'max', t([2, 4, 4]), t([1, 2, 2, 2]), window)).rejects.toThrow(
      'maxpool: expected an NCHW input, got [2, 4, 4]',
    );
    await expect(poolLaunch(ctx!, 'max', t([1, 2, 1, 1]), t([1, 2, 1, 1]), window)).rejects.toThrow('does not fit an input of 1x1');
    await expect(softmaxLaunch(ctx!, t([4]), t([4]))).rejects.toThrow('softmax: input must be a non-empty [N, C, ...] tensor, got [4]');
  });
});
