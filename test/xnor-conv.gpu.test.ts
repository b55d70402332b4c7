import { meanAbs } from '../src/ops/correlate.js';
import { type ConvGeometry, convGeometry, describeConv } from '../src/ops/conv.js';
import { describe, expect, it } from 'vitest';
import * as ref from '../src/ops/reference.js';
import { lastWordMask, packActivations, packWeights, sign, unpackActivations } from '../src/tensor/bits.js';
import { Tensor } from '../src/tensor/tensor.js';
import { type GpuContext, createContext } from '../src/backends/webgpu/context.js';
import { submitLaunches } from '../src/backends/webgpu/dispatch.js';
import { GpuTensor } from '../src/backends/webgpu/gpu-tensor.js';
import { type ConvTile, convTile, convWorkgroups } from '../src/backends/webgpu/kernels/conv-geometry.js';
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

/** 16 x 4 pixels per workgroup, the fewest convTile gives (for 64 filters or more): the widest pixel grid. */
const NARROW_TILE: ConvTile = { WG_M: 16, WG_N: 4, TN: 16 };

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

  it('folds a pixel grid wider than the device allows into z, bit-exact', async () => {
    // 1100 images of 64x64: 4.5M output pixels, 70400 workgroups of 64 pixels > 65535.
    const rng = testRng();
    const c = convGeometry({ n: 1100, cin: 7, h: 64, w: 64, cout: 3, kernel: [1, 1] });
    const [x, , z] = convWorkgroups(ctx!, c, NARROW_TILE, 'test');
    expect(x).toBeLessThanOrEqual(ctx!.limits.maxComputeWorkgroupsPerDimension);
    expect(z).toBe(2);
    // Packed bits straight away (the floats would take 500 MB): 7 random channels per pixel.
    const bits = new Uint32Array(c.n * c.h * c.w).map(() => Math.floor(rng.next() * 2 ** 32) & lastWordMask(c.cin));
    const w = new Tensor(randomTensor(rng, [c.cout, c.cin, c.kh, c.kw]).data.map(sign), [c.cout, c.cin, c.kh, c.kw]);
    const tensors = {
      input: GpuTensor.upload(ctx!, new Tensor(bits, [c.n, c.h, c.w, 1])),
      weights: GpuTensor.upload(ctx!, packWeights(w).bits),
      scale: GpuTensor.upload(ctx!, new Tensor(new Float32Array(c.cout).fill(1), [c.cout])),
      shift: GpuTensor.upload(ctx!, Tensor.zeros([c.cout])),
      output: GpuTensor.upload(ctx!, poisonedFloats([c.n, c.cout, c.ho, c.wo])),
    };
    await submitLaunches(ctx!, 'xnor_conv', [
      await xnorConvLaunch(ctx!, { ...tensors, inChannels: c.cin, stride: c.stride, padding: c.padding }, NARROW_TILE),
    ]);
    const y = await tensors.output.read();
    for (const t of Object.values(tensors)) t.destroy();
    // Images on both sides of the fold (pixel group 35200 is image 550), the first and the last.
    const plane = c.h * c.w;
    const outPlane = c.cout * c.ho * c.wo;
    for (const image of [0, 549, 550, 551, 777, c.n - 1]) {
      const packed = new Tensor(bits.slice(image * plane, (image + 1) * plane), [1, c.h, c.w, 1]);
      const expected = ref.binconv2d(unpackActivations(packed, c.cin), ref.binarizeWeights(w), undefined, {
        mode: 'xnor',
        scaleInput: false,
        stride: c.stride,
        padding: c.padding,
      });
      expect(y.data.subarray(image * outPlane, (image + 1) * outPlane), `image ${image} seed ${rng.seed}`).toEqual(expected.data);
    }
  });

  it('gives the same bits with its grid folded many times (lowered workgroup limit)', async () => {
    const folding = await createContext({ limits: { maxComputeWorkgroupsPerDimension: 4 } });
    try {
      const rng = testRng();
      // 800 pixels: 13 groups of 64 as 4 x 4 (3 past the end), Cout 70 in 2 channel tiles.
      const c = convGeometry({ n: 2, cin: 40, h: 20, w: 20, cout: 70, kernel: [3, 3], stride: [1, 1], padding: [1, 1] });
      expect(convWorkgroups(folding, c, convTile(c.cout), 'test')).toEqual([4, 2, 4]);
      const x = randomTensor(rng, [c.n, c.cin, c.h, c.w]);
      const signs = new Tensor(randomTensor(rng, [c.cout, c.cin, 3, 3]).data.map(sign), [c.cout, c.cin, 3, 3]);
      const ones = new Float32Array(c.cout).fill(1);
      const y = await runXnorConv(folding, c, x, signs, { scale: ones, shift: new Float32Array(c.cout), withK: false });
      const options = { mode: 'xnor', scaleInput: false, stride: c.stride, padding: c.padding } as const;
      expect(y.data, `seed ${rng.seed}`).toEqual(ref.binconv2d(x, ref.binarizeWeights(signs), undefined, options).data);
      // With K, alpha, bias and relu: the same floats as the unfolded grid.
      const w = randomTensor(rng, [c.cout, c.cin, c.kh, c.kw]);
      const weights = ref.binarizeWeights(w);
      const bias = randomTensor(rng, [c.cout]).data;
      const withK = await runXnorConv(folding, c, x, w, { scale: weights.alpha, shift: bias, withK: true, relu: true });
      const unfolded = await runXnorConv(ctx!, c, x, w, { scale: weights.alpha, shift: bias, withK: true, relu: true });
      expect(withK.data, `seed ${rng.seed}`).toEqual(unfolded.data);
    } finally {
      folding.destroy();
    }
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
