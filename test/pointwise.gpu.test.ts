import { describe, expect, it } from 'vitest';
import * as ref from '../src/ops/reference.js';
import { Tensor } from '../src/tensor/tensor.js';
import { GpuTensor } from '../src/backends/webgpu/gpu-tensor.js';
import type { Activation } from '../src/ops/epilogue.js';
import { pointwiseLaunch } from '../src/backends/webgpu/kernels/pointwise.js';
import { gpuForSuite } from './helpers/gpu.js';
import { poisonedFloats } from './helpers/poison.js';
import { maxToleranceViolation, randomTensor, testRng } from './helpers/random.js';
import { runOnGpu } from './helpers/run.js';

const ctx = await gpuForSuite('pointwise');
const SHAPES = [
  [3, 7, 5, 9],
  [1, 33, 1, 1],
  [2, 100],
  [4, 1, 3, 3],
  [1, 257, 7, 3],
];

function batchnormParams(rng: ReturnType<typeof testRng>, channels: number): ref.BatchNormParams {
  return {
    runningMean: randomTensor(rng, [channels]).data,
    runningVar: randomTensor(rng, [channels]).data.map((v) => 0.1 + Math.abs(v)),
    weight: randomTensor(rng, [channels]).data,
    bias: randomTensor(rng, [channels]).data,
    eps: 1e-5,
  };
}

/** A batchnorm as the scale/shift pair the kernels take. */
function foldBatchnorm(p: ref.BatchNormParams): { scale: Tensor<Float32Array>; shift: Tensor<Float32Array> } {
  const scale = p.runningVar.map((v, c) => (p.weight ? p.weight[c]! : 1) / Math.sqrt(v + p.eps));
  const shift = scale.map((s, c) => (p.bias ? p.bias[c]! : 0) - p.runningMean[c]! * s);
  return { scale: new Tensor(scale, [scale.length]), shift: new Tensor(shift, [shift.length]) };
}

describe.skipIf(!ctx)('pointwise kernel', () => {
  it.each(SHAPES)('batchnorm + add + relu, and hardtanh, match the reference on %j', async (...shape) => {
    const rng = testRng();
    const x = randomTensor(rng, shape);
    const other = randomTensor(rng, shape);
    const bn = batchnormParams(rng, shape[1]!);
    const cases: { activation: Activation; add: boolean; affine: boolean; expected: Tensor<Float32Array> }[] = [
      { activation: { kind: 'none' }, add: false, affine: true, expected: ref.batchnorm(x, bn) },
      { activation: { kind: 'relu' }, add: true, affine: true, expected: ref.relu(ref.add(ref.batchnorm(x, bn), other)) },
      { activation: { kind: 'relu' }, add: false, affine: false, expected: ref.relu(x) },
      { activation: { kind: 'hardtanh', min: -0.5, max: 0.75 }, add: false, affine: false, expected: ref.hardtanh(x, -0.5, 0.75) },
      { activation: { kind: 'none' }, add: true, affine: false, expected: ref.add(x, other) },
    ];
    for (const c of cases) {
      const { scale, shift } = foldBatchnorm(bn);
      const { output } = await runOnGpu(ctx!, { x, other, scale, shift }, { output: poisonedFloats(shape) }, (t) =>
        pointwiseLaunch(ctx!, {
          input: t.x,
          output: t.output,
          affine: c.affine ? { scale: t.scale, shift: t.shift } : undefined,
          add: c.add ? t.other : undefined,
          activation: c.activation,
        }),
      );
      expect(maxToleranceViolation(output.data, c.expected.data), `${JSON.stringify(c.activation)} seed ${rng.seed}`).toBeLessThanOrEqual(
        0,
      );
    }
  });

  it('rejects bad parameters before any dispatch', async () => {
    const t = (shape: number[]) => GpuTensor.empty(ctx!, 'float32', shape);
    const input = t([2, 3, 4, 4]);
    const output = t([2, 3, 4, 4]);
    await expect(pointwiseLaunch(ctx!, { input, output: t([2, 3, 4, 5]) })).rejects.toThrow(
      'pointwise: output must be float32 [2, 3, 4, 4], got float32 [2, 3, 4, 5]',
    );
    await expect(pointwiseLaunch(ctx!, { input, output: input })).rejects.toThrow('output must be another buffer than the input');
    await expect(pointwiseLaunch(ctx!, { input, output, affine: { scale: t([4]), shift: t([3]) } })).rejects.toThrow(
      'pointwise: scale must be float32 [3], got float32 [4]',
    );
    await expect(pointwiseLaunch(ctx!, { input, output, add: t([2, 3, 4]) })).rejects.toThrow(
      'pointwise: the tensor to add must be float32 [2, 3, 4, 4]',
    );
    await expect(pointwiseLaunch(ctx!, { input, output, activation: { kind: 'hardtanh', min: 1, max: 1 } })).rejects.toThrow(
      'hardtanh min (1) must be below max (1)',
    );
    await expect(pointwiseLaunch(ctx!, { input: t([0, 3]), output: t([0, 3]) })).rejects.toThrow(
      'must be a non-empty [N, C, ...] tensor, got [0, 3]',
    );
  });
});
