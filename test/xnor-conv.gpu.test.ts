import { describe, expect, it } from 'vitest';
import * as ref from '../src/reference/index.js';
import { packActivations, packWeights, sign, wordsFor } from '../src/tensor/bits.js';
import { Tensor } from '../src/tensor/tensor.js';
import type { GpuContext } from '../src/backends/webgpu/context.js';
import { submitLaunches } from '../src/backends/webgpu/dispatch.js';
import { GpuTensor } from '../src/backends/webgpu/gpu-tensor.js';
import { xnorConvLaunch } from '../src/backends/webgpu/kernels/xnor-conv.js';
import { type ConvCase, convCases, describeCase } from './helpers/conv-cases.js';
import { signMismatches } from './helpers/bits.js';
import { gpuForSuite } from './helpers/gpu.js';
import { poisonedBits, poisonedFloats } from './helpers/poison.js';
import { maxToleranceViolation, randomTensor, testRng } from './helpers/random.js';

const ctx = await gpuForSuite('xnor_conv');

/** A = mean_c |x| as float32 [N, H, W]. */
function meanAbs(x: Tensor<Float32Array>): Tensor<Float32Array> {
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const a = Tensor.zeros([n, h, w]);
  for (let b = 0; b < n; b++) {
    for (let p = 0; p < h * w; p++) {
      let sum = 0;
      for (let ch = 0; ch < c; ch++) sum += Math.abs(x.data[(b * c + ch) * h * w + p]!);
      a.data[b * h * w + p] = sum / c;
    }
  }
  return a;
}

interface RunOptions {
  scale: Float32Array;
  shift: Float32Array;
  withK: boolean;
  packedOutput: boolean;
  relu?: boolean;
}

async function runXnorConv(gpu: GpuContext, c: ConvCase, x: Tensor<Float32Array>, w: Tensor<Float32Array>, o: RunOptions) {
  const packed = packWeights(w);
  const [ho, wo] = [
    Math.floor((c.h + 2 * c.padding[0] - c.kernel[0]) / c.stride[0]) + 1,
    Math.floor((c.w + 2 * c.padding[1] - c.kernel[1]) / c.stride[1]) + 1,
  ];
  const outShape = o.packedOutput ? [c.n, ho, wo, wordsFor(c.cout)] : [c.n, c.cout, ho, wo];
  const poisoned: Tensor = o.packedOutput ? poisonedBits(outShape) : poisonedFloats(outShape);
  const tensors = {
    input: GpuTensor.upload(gpu, packActivations(x)),
    weights: GpuTensor.upload(gpu, packed.bits),
    scale: GpuTensor.upload(gpu, new Tensor(o.scale, [c.cout])),
    shift: GpuTensor.upload(gpu, new Tensor(o.shift, [c.cout])),
    meanAbs: o.withK ? GpuTensor.upload(gpu, meanAbs(x)) : undefined,
    output: GpuTensor.upload(gpu, poisoned),
  };
  const launch = await xnorConvLaunch(gpu, { ...tensors, inChannels: c.cin, stride: c.stride, padding: c.padding, relu: o.relu ?? false });
  await submitLaunches(gpu, 'xnor_conv', [launch]);
  const result = await tensors.output.read();
  for (const t of Object.values(tensors)) t?.destroy();
  return result;
}

describe.skipIf(!ctx)('xnor_conv kernel', () => {
  const cases = convCases();

  it.each(cases.map((c) => [describeCase(c), c] as const))('integer dot is bit-exact: %s', async (_, c) => {
    const rng = testRng();
    const x = randomTensor(rng, [c.n, c.cin, c.h, c.w]);
    const w = new Tensor(randomTensor(rng, [c.cout, c.cin, ...c.kernel]).data.map(sign), [c.cout, c.cin, ...c.kernel]);
    const ones = new Float32Array(c.cout).fill(1);
    const y = await runXnorConv(ctx!, c, x, w, { scale: ones, shift: new Float32Array(c.cout), withK: false, packedOutput: false });
    const expected = ref.binconv2d(x, ref.binarizeWeights(w), undefined, {
      mode: 'xnor',
      scaleInput: false,
      stride: c.stride,
      padding: c.padding,
    });
    expect(y.shape).toEqual(expected.shape);
    expect(y.data, `seed ${rng.seed}`).toEqual(expected.data);
  });

  it.each(cases.map((c) => [describeCase(c), c] as const))('alpha, K and bias within tolerance: %s', async (_, c) => {
    const rng = testRng();
    const x = randomTensor(rng, [c.n, c.cin, c.h, c.w]);
    const w = randomTensor(rng, [c.cout, c.cin, ...c.kernel]);
    const bias = randomTensor(rng, [c.cout]).data;
    const weights = ref.binarizeWeights(w);
    for (const withK of [true, false]) {
      const y = await runXnorConv(ctx!, c, x, w, { scale: weights.alpha, shift: bias, withK, packedOutput: false });
      const expected = ref.binconv2d(x, weights, bias, { mode: 'xnor', scaleInput: withK, stride: c.stride, padding: c.padding });
      expect(maxToleranceViolation(y.data, expected.data), `K ${withK} seed ${rng.seed}`).toBeLessThanOrEqual(0);
    }
  });

  it('fuses relu into the float epilogue', async () => {
    const rng = testRng();
    const c: ConvCase = { n: 2, cin: 45, h: 6, w: 5, cout: 7, kernel: [3, 3], stride: [1, 1], padding: [1, 1] };
    const x = randomTensor(rng, [c.n, c.cin, c.h, c.w]);
    const w = randomTensor(rng, [c.cout, c.cin, 3, 3]);
    const bias = randomTensor(rng, [c.cout]).data;
    const weights = ref.binarizeWeights(w);
    const y = await runXnorConv(ctx!, c, x, w, { scale: weights.alpha, shift: bias, withK: true, packedOutput: false, relu: true });
    const expected = ref.relu(ref.binconv2d(x, weights, bias, { mode: 'xnor', scaleInput: true, stride: c.stride, padding: c.padding }));
    expect(maxToleranceViolation(y.data, expected.data), `seed ${rng.seed}`).toBeLessThanOrEqual(0);
  });

  it.each(cases.filter((_, i) => i % 3 === 0).map((c) => [describeCase(c), c] as const))(
    'packed output holds the signs of a following batchnorm: %s',
    async (_, c) => {
      const rng = testRng();
      const x = randomTensor(rng, [c.n, c.cin, c.h, c.w]);
      const w = randomTensor(rng, [c.cout, c.cin, ...c.kernel]);
      const weights = ref.binarizeWeights(w);
      const bn = {
        runningMean: randomTensor(rng, [c.cout]).data,
        runningVar: randomTensor(rng, [c.cout]).data.map((v) => 0.5 + Math.abs(v)),
        weight: randomTensor(rng, [c.cout]).data,
        bias: randomTensor(rng, [c.cout]).data,
        eps: 1e-5,
      };
      // Fold alpha and batchnorm: z = s * alpha * K * dot + (bias_bn - mean * s), s = weight / sqrt(var + eps).
      const s = bn.weight.map((g, o) => g / Math.sqrt(bn.runningVar[o]! + bn.eps));
      const scale = s.map((v, o) => v * weights.alpha[o]!);
      const shift = s.map((v, o) => bn.bias[o]! - bn.runningMean[o]! * v);
      const y = await runXnorConv(ctx!, c, x, w, { scale, shift, withK: true, packedOutput: true });
      const conv = ref.binconv2d(x, weights, undefined, { mode: 'xnor', scaleInput: true, stride: c.stride, padding: c.padding });
      const z = ref.batchnorm(conv, bn);
      expect(signMismatches(y.data as Uint32Array, z, 1e-4), `seed ${rng.seed}`).toEqual([]);
    },
  );

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
    await expect(xnorConvLaunch(gpu, { ...base, output: t('uint32', [1, 5, 5, 2]) })).rejects.toThrow(
      'packed output must be uint32 [1, 5, 5, 1], got uint32 [1, 5, 5, 2]',
    );
    await expect(xnorConvLaunch(gpu, { ...base, output: t('float32', [1, 8, 3, 3]) })).rejects.toThrow(
      'output must be float32 [1, 8, 5, 5], got float32 [1, 8, 3, 3]',
    );
    await expect(xnorConvLaunch(gpu, { ...base, input: t('uint32', [0, 5, 5, 2]) })).rejects.toThrow('xnor conv: the input is empty');
    await expect(xnorConvLaunch(gpu, { ...base, relu: true, output: t('uint32', [1, 5, 5, 1]) })).rejects.toThrow(
      'relu before a sign is always +1',
    );
    await expect(xnorConvLaunch(gpu, { ...base, padding: [0, 0], input: t('uint32', [1, 2, 2, 2]) })).rejects.toThrow(
      'does not fit an input of 2x2',
    );
    await expect(xnorConvLaunch(gpu, { ...base, meanAbs: t('float32', [1, 4, 4]) })).rejects.toThrow('mean |x| must be float32 [1, 5, 5]');
  });
});
