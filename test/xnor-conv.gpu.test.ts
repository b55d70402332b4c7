import { meanAbs } from '../src/ops/correlate.js';
import { type ConvGeometry, convGeometry, describeConv } from '../src/ops/conv.js';
import { describe, expect, it } from 'vitest';
import * as ref from '../src/ops/reference.js';
import { packActivations, packWeights, sign } from '../src/tensor/bits.js';
import { Tensor } from '../src/tensor/tensor.js';
import type { GpuContext } from '../src/backends/webgpu/context.js';
import { submitLaunches } from '../src/backends/webgpu/dispatch.js';
import { GpuTensor } from '../src/backends/webgpu/gpu-tensor.js';
import { xnorConvLaunch } from '../src/backends/webgpu/kernels/xnor-conv.js';
import { convCases } from './helpers/conv-cases.js';
import { gpuForSuite } from './helpers/gpu.js';
import { poisonedFloats } from './helpers/poison.js';
import { maxToleranceViolation, randomTensor, testRng } from './helpers/random.js';

const ctx = await gpuForSuite('xnor_conv');

interface RunOptions {
  scale: Float32Array;
  shift: Float32Array;
  withK: boolean;
  relu?: boolean;
}

async function runXnorConv(gpu: GpuContext, c: ConvGeometry, x: Tensor<Float32Array>, w: Tensor<Float32Array>, o: RunOptions) {
  const packed = packWeights(w);
  const tensors = {
    input: GpuTensor.upload(gpu, packActivations(x)),
    weights: GpuTensor.upload(gpu, packed.bits),
    scale: GpuTensor.upload(gpu, new Tensor(o.scale, [c.cout])),
    shift: GpuTensor.upload(gpu, new Tensor(o.shift, [c.cout])),
    meanAbs: o.withK ? GpuTensor.upload(gpu, new Tensor(meanAbs(x), [c.n, c.h, c.w])) : undefined,
    output: GpuTensor.upload(gpu, poisonedFloats([c.n, c.cout, c.ho, c.wo])),
  };
  const launch = await xnorConvLaunch(gpu, { ...tensors, inChannels: c.cin, stride: c.stride, padding: c.padding, relu: o.relu ?? false });
  await submitLaunches(gpu, 'xnor_conv', [launch]);
  const result = await tensors.output.read();
  for (const t of Object.values(tensors)) t?.destroy();
  return result;
}

describe.skipIf(!ctx)('xnor_conv kernel', () => {
  const cases = convCases();

  it.each(cases.map((c) => [describeConv(c), c] as const))('integer dot is bit-exact: %s', async (_, c) => {
    const rng = testRng();
    const x = randomTensor(rng, [c.n, c.cin, c.h, c.w]);
    const w = new Tensor(randomTensor(rng, [c.cout, c.cin, c.kh, c.kw]).data.map(sign), [c.cout, c.cin, c.kh, c.kw]);
    const ones = new Float32Array(c.cout).fill(1);
    const y = await runXnorConv(ctx!, c, x, w, { scale: ones, shift: new Float32Array(c.cout), withK: false });
    const expected = ref.binconv2d(x, ref.binarizeWeights(w), undefined, {
      mode: 'xnor',
      scaleInput: false,
      stride: c.stride,
      padding: c.padding,
    });
    expect(y.shape).toEqual(expected.shape);
    expect(y.data, `seed ${rng.seed}`).toEqual(expected.data);
  });

  it.each(cases.map((c) => [describeConv(c), c] as const))('alpha, K and bias within tolerance: %s', async (_, c) => {
    const rng = testRng();
    const x = randomTensor(rng, [c.n, c.cin, c.h, c.w]);
    const w = randomTensor(rng, [c.cout, c.cin, c.kh, c.kw]);
    const bias = randomTensor(rng, [c.cout]).data;
    const weights = ref.binarizeWeights(w);
    for (const withK of [true, false]) {
      const y = await runXnorConv(ctx!, c, x, w, { scale: weights.alpha, shift: bias, withK });
      const expected = ref.binconv2d(x, weights, bias, { mode: 'xnor', scaleInput: withK, stride: c.stride, padding: c.padding });
      expect(maxToleranceViolation(y.data, expected.data), `K ${withK} seed ${rng.seed}`).toBeLessThanOrEqual(0);
    }
  });

  it('fuses relu into the float epilogue', async () => {
    const rng = testRng();
    const c = convGeometry({ n: 2, cin: 45, h: 6, w: 5, cout: 7, kernel: [3, 3], stride: [1, 1], padding: [1, 1] });
    const x = randomTensor(rng, [c.n, c.cin, c.h, c.w]);
    const w = randomTensor(rng, [c.cout, c.cin, 3, 3]);
    const bias = randomTensor(rng, [c.cout]).data;
    const weights = ref.binarizeWeights(w);
    const y = await runXnorConv(ctx!, c, x, w, { scale: weights.alpha, shift: bias, withK: true, relu: true });
    const expected = ref.relu(ref.binconv2d(x, weights, bias, { mode: 'xnor', scaleInput: true, stride: c.stride, padding: c.padding }));
    expect(maxToleranceViolation(y.data, expected.data), `seed ${rng.seed}`).toBeLessThanOrEqual(0);
  });

  it('rejects mismatched arguments before any dispatch', async () => {
    const gpu = ctx!;
    const t = (dtype: 'uint32' | 'float32', shape: number[]) => GpuTensor.empty(gpu, dtype, shape);
    const base = {
      input: t('uint32', [1, 5, 5, 2]),
      inChannels: 40,
      weights: t('uint32', [8, 3, 3, 2]),
      scale: t('float32', [8]),
      shift: t('float32', [8]),
      stride: [1, 1] as const,
      padding: [1, 1] as const,
      output: t('float32', [1, 8, 5, 5]),
    };
    await expect(xnorConvLaunch(gpu, { ...base, inChannels: 70 })).rejects.toThrow('input bits [1, 5, 5, 2] do not hold 70 channels');
    await expect(xnorConvLaunch(gpu, { ...base, weights: t('uint32', [8, 3, 3, 3]) })).rejects.toThrow(
      "xnor conv: weights [8, 3, 3, 3] do not match the input's 40 channels (last dimension must be 2)",
    );
    await expect(xnorConvLaunch(gpu, { ...base, scale: t('float32', [7]) })).rejects.toThrow('scale must be float32 [8], got float32 [7]');
    await expect(xnorConvLaunch(gpu, { ...base, output: t('uint32', [1, 5, 5, 1]) })).rejects.toThrow(
      'xnor conv: output must be float32 [1, 8, 5, 5], got uint32 [1, 5, 5, 1]',
    );
    await expect(xnorConvLaunch(gpu, { ...base, output: t('float32', [1, 8, 3, 3]) })).rejects.toThrow(
      'output must be float32 [1, 8, 5, 5], got float32 [1, 8, 3, 3]',
    );
    await expect(xnorConvLaunch(gpu, { ...base, input: t('uint32', [0, 5, 5, 2]) })).rejects.toThrow('xnor conv: the input is empty');
    await expect(xnorConvLaunch(gpu, { ...base, padding: [0, 0], input: t('uint32', [1, 2, 2, 2]) })).rejects.toThrow(
      'does not fit an input of 2x2',
    );
    await expect(xnorConvLaunch(gpu, { ...base, meanAbs: t('float32', [1, 4, 4]) })).rejects.toThrow('mean |x| must be float32 [1, 5, 5]');
  });
});
