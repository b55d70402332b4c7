/** conv2d.wgsl: float convolution (OHWI float weights) and BWN convolution (packed weights). */
import { type ConvGeometry, convGeometry, describeConv } from '../src/ops/conv.js';
import { describe, expect, it } from 'vitest';
import * as ref from '../src/ops/reference.js';
import { packWeights } from '../src/tensor/bits.js';
import { ohwiFromOihw } from '../src/tensor/layout.js';
import { Tensor } from '../src/tensor/tensor.js';
import { type GpuContext, createContext } from '../src/backends/webgpu/context.js';
import { submitLaunches } from '../src/backends/webgpu/dispatch.js';
import { GpuTensor } from '../src/backends/webgpu/gpu-tensor.js';
import { type ConvTile, convTile, convWorkgroups } from '../src/backends/webgpu/kernels/conv-geometry.js';
import { conv2dLaunch } from '../src/backends/webgpu/kernels/conv2d.js';
import { nhwc4Shape, toNhwc4Launch } from '../src/backends/webgpu/kernels/to-nhwc4.js';
import { convCases } from './helpers/conv-cases.js';
import { gpuForSuite } from './helpers/gpu.js';
import { poisonedFloats } from './helpers/poison.js';
import { maxToleranceViolation, randomTensor, testRng } from './helpers/random.js';

const ctx = await gpuForSuite('conv2d');

async function runConv(
  gpu: GpuContext,
  c: ConvGeometry,
  x: Tensor<Float32Array>,
  weights: Tensor,
  scale: Float32Array,
  shift: Float32Array,
  relu = false,
  tile?: ConvTile,
) {
  const inputShape = x.shape as [number, number, number, number];
  const tensors = {
    nchw: GpuTensor.upload(gpu, x),
    input: GpuTensor.upload(gpu, poisonedFloats(nhwc4Shape(inputShape))),
    weights: GpuTensor.upload(gpu, weights),
    scale: GpuTensor.upload(gpu, new Tensor(scale, [c.cout])),
    shift: GpuTensor.upload(gpu, new Tensor(shift, [c.cout])),
    output: GpuTensor.upload(gpu, poisonedFloats([c.n, c.cout, c.ho, c.wo])),
  };
  await submitLaunches(gpu, 'conv2d', [
    await toNhwc4Launch(gpu, tensors.nchw, tensors.input),
    await conv2dLaunch(gpu, { ...tensors, inputShape, stride: c.stride, padding: c.padding, relu }, tile),
  ]);
  const y = await tensors.output.read();
  for (const t of Object.values(tensors)) t.destroy();
  return y;
}

/** 16 x 4 pixels per workgroup, the fewest convTile gives (for 64 filters or more): the widest pixel grid. */
const NARROW_TILE: ConvTile = { WG_M: 16, WG_N: 4, TN: 16 };

describe.skipIf(!ctx)('conv2d kernel', () => {
  const cases = convCases().map((c) => [describeConv(c), c] as const);

  it.each(cases)('float weights match the reference: %s', async (_, c) => {
    const rng = testRng();
    const x = randomTensor(rng, [c.n, c.cin, c.h, c.w]);
    const w = randomTensor(rng, [c.cout, c.cin, c.kh, c.kw]);
    const bias = randomTensor(rng, [c.cout]).data;
    const y = await runConv(ctx!, c, x, ohwiFromOihw(w, 4), new Float32Array(c.cout).fill(1), bias);
    const expected = ref.conv2d(x, w, bias, c.stride, c.padding);
    expect(y.shape).toEqual(expected.shape);
    expect(maxToleranceViolation(y.data, expected.data), `seed ${rng.seed}`).toBeLessThanOrEqual(0);
  });

  it.each(cases)('binary (BWN) weights match the reference: %s', async (_, c) => {
    const rng = testRng();
    const x = randomTensor(rng, [c.n, c.cin, c.h, c.w]);
    const w = randomTensor(rng, [c.cout, c.cin, c.kh, c.kw]);
    const bias = randomTensor(rng, [c.cout]).data;
    const packed = packWeights(w);
    const y = await runConv(ctx!, c, x, packed.bits, packed.alpha.data, bias);
    const expected = ref.binconv2d(x, ref.binarizeWeights(w), bias, {
      mode: 'bwn',
      scaleInput: true,
      stride: c.stride,
      padding: c.padding,
    });
    expect(maxToleranceViolation(y.data, expected.data), `seed ${rng.seed}`).toBeLessThanOrEqual(0);
  });

  it('fuses relu into the epilogue', async () => {
    const rng = testRng();
    const c = convGeometry({ n: 2, cin: 7, h: 6, w: 5, cout: 6, kernel: [3, 3], stride: [1, 1], padding: [1, 1] });
    const x = randomTensor(rng, [c.n, c.cin, c.h, c.w]);
    const w = randomTensor(rng, [c.cout, c.cin, 3, 3]);
    const bias = randomTensor(rng, [c.cout]).data;
    const y = await runConv(ctx!, c, x, ohwiFromOihw(w, 4), new Float32Array(c.cout).fill(1), bias, true);
    const expected = ref.relu(ref.conv2d(x, w, bias, c.stride, c.padding));
    expect(maxToleranceViolation(y.data, expected.data), `seed ${rng.seed}`).toBeLessThanOrEqual(0);
  });

  it('folds a pixel grid wider than the device allows into z', async () => {
    // 1100 images of 64x64: 4.5M output pixels, 70400 workgroups of 64 pixels > 65535.
    const rng = testRng();
    const c = convGeometry({ n: 1100, cin: 1, h: 64, w: 64, cout: 3, kernel: [1, 1] });
    const [x, , z] = convWorkgroups(ctx!, c, NARROW_TILE, 'test');
    expect(x).toBeLessThanOrEqual(ctx!.limits.maxComputeWorkgroupsPerDimension);
    expect(z).toBe(2);
    const input = randomTensor(rng, [c.n, c.cin, c.h, c.w]);
    const w = randomTensor(rng, [c.cout, c.cin, c.kh, c.kw]);
    const bias = randomTensor(rng, [c.cout]).data;
    const ones = new Float32Array(c.cout).fill(1);
    const y = await runConv(ctx!, c, input, ohwiFromOihw(w, 4), ones, bias, false, NARROW_TILE);
    // Images on both sides of the fold (pixel group 35200 is image 550), the first and the last,
    // against the same images run alone (unfolded: the same floats) and the reference.
    const images = [0, 549, 550, 551, 777, c.n - 1];
    const plane = c.cin * c.h * c.w;
    const some = new Tensor(new Float32Array(images.length * plane), [images.length, c.cin, c.h, c.w]);
    images.forEach((image, i) => some.data.set(input.data.subarray(image * plane, (image + 1) * plane), i * plane));
    const alone = await runConv(ctx!, { ...c, n: images.length }, some, ohwiFromOihw(w, 4), ones, bias, false, NARROW_TILE);
    const expected = ref.conv2d(some, w, bias, c.stride, c.padding);
    const outPlane = c.cout * c.ho * c.wo;
    images.forEach((image, i) => {
      const got = y.data.subarray(image * outPlane, (image + 1) * outPlane);
      expect(got, `image ${image} seed ${rng.seed}`).toEqual(alone.data.subarray(i * outPlane, (i + 1) * outPlane));
      const reference = expected.data.subarray(i * outPlane, (i + 1) * outPlane);
      expect(maxToleranceViolation(got, reference), `image ${image} seed ${rng.seed}`).toBeLessThanOrEqual(0);
    });
  });

  it('gives the same floats with its grid folded many times (lowered workgroup limit)', async () => {
    const folding = await createContext({ limits: { maxComputeWorkgroupsPerDimension: 6 } });
    try {
      const rng = testRng();
      // 800 pixels: 13 groups of 64 as 5 x 3 (2 past the end), Cout 70 in 2 channel tiles.
      const c = convGeometry({ n: 2, cin: 6, h: 20, w: 20, cout: 70, kernel: [3, 3], stride: [1, 1], padding: [1, 1] });
      expect(convWorkgroups(folding, c, convTile(c.cout), 'test')).toEqual([5, 2, 3]);
      const x = randomTensor(rng, [c.n, c.cin, c.h, c.w]);
      const w = randomTensor(rng, [c.cout, c.cin, c.kh, c.kw]);
      const bias = randomTensor(rng, [c.cout]).data;
      const packed = packWeights(w);
      for (const [weights, scale] of [
        [ohwiFromOihw(w, 4), new Float32Array(c.cout).fill(1)],
        [packed.bits, packed.alpha.data],
      ] as const) {
        const folded = await runConv(folding, c, x, weights, scale, bias, true);
        const unfolded = await runConv(ctx!, c, x, weights, scale, bias, true);
        expect(folded.data, `${weights.dtype} seed ${rng.seed}`).toEqual(unfolded.data);
      }
      const expected = ref.relu(ref.conv2d(x, w, bias, c.stride, c.padding));
      const folded = await runConv(folding, c, x, ohwiFromOihw(w, 4), new Float32Array(c.cout).fill(1), bias, true);
      expect(maxToleranceViolation(folded.data, expected.data), `seed ${rng.seed}`).toBeLessThanOrEqual(0);
    } finally {
      folding.destroy();
    }
  });

  it("to_nhwc4 with a conv's window writes each output pixel's patch, (u, v, c) order, zeros in the padding", async () => {
    const rng = testRng();
    for (const [shape, window] of [
      [[2, 3, 7, 6], { kernel: [3, 3], stride: [1, 1], padding: [1, 1] }],
      [[1, 1, 9, 8], { kernel: [5, 3], stride: [2, 3], padding: [2, 0] }],
      [[3, 2, 4, 5], { kernel: [2, 2], stride: [2, 1], padding: [0, 1] }],
    ] as const) {
      const x = randomTensor(rng, shape);
      const nchw = GpuTensor.upload(ctx!, x);
      const out = GpuTensor.upload(ctx!, poisonedFloats(nhwc4Shape(shape, window)));
      await submitLaunches(ctx!, 'to_nhwc4', [await toNhwc4Launch(ctx!, nchw, out, window)]);
      const y = (await out.read()).data;
      const [n, c, h, w] = shape;
      const [kh, kw] = window.kernel;
      const [ho, wo] = [0, 1].map((d) => Math.floor((shape[2 + d]! + 2 * window.padding[d]! - window.kernel[d]!) / window.stride[d]!) + 1);
      const k4 = 4 * Math.ceil((kh * kw * c) / 4);
      const expected = new Float32Array((n * ho! * wo! + 1) * k4);
      for (let b = 0; b < n; b++) {
        for (let i = 0; i < ho!; i++) {
          for (let j = 0; j < wo!; j++) {
            for (let u = 0; u < kh; u++) {
              for (let v = 0; v < kw; v++) {
                for (let ch = 0; ch < c; ch++) {
                  const row = i * window.stride[0] - window.padding[0] + u;
                  const col = j * window.stride[1] - window.padding[1] + v;
                  const inside = row >= 0 && row < h && col >= 0 && col < w;
                  expected[((b * ho! + i) * wo! + j) * k4 + (u * kw + v) * c + ch] = inside
                    ? x.data[((b * c + ch) * h + row) * w + col]!
                    : 0;
                }
              }
            }
          }
        }
      }
      expect(y, `${shape} seed ${rng.seed}`).toEqual(expected);
      nchw.destroy();
      out.destroy();
    }
  });

  it('to_nhwc4 pads channels to 4 with zeros and appends a zero pixel', async () => {
    const rng = testRng();
    for (const shape of [
      [2, 5, 3, 4],
      [1, 1, 1, 1],
      [3, 8, 2, 5],
    ] as const) {
      const x = randomTensor(rng, shape);
      const nchw = GpuTensor.upload(ctx!, x);
      const out = GpuTensor.upload(ctx!, poisonedFloats(nhwc4Shape(shape)));
      await submitLaunches(ctx!, 'to_nhwc4', [await toNhwc4Launch(ctx!, nchw, out)]);
      const y = (await out.read()).data;
      const [n, c, h, w] = shape;
      const cp = 4 * Math.ceil(c / 4);
      const expected = new Float32Array((n * h * w + 1) * cp);
      for (let b = 0; b < n; b++) {
        for (let ch = 0; ch < c; ch++) {
          for (let p = 0; p < h * w; p++) expected[(b * h * w + p) * cp + ch] = x.data[(b * c + ch) * h * w + p]!;
        }
      }
      expect(y, `${shape} seed ${rng.seed}`).toEqual(expected);
      nchw.destroy();
      out.destroy();
    }
  });

  it('rejects mismatched arguments before any dispatch', async () => {
    const gpu = ctx!;
    const t = (dtype: 'uint32' | 'float32' | 'int32', shape: number[]) => GpuTensor.empty(gpu, dtype, shape);
    const base = {
      input: t('float32', nhwc4Shape([2, 3, 6, 6])),
      inputShape: [2, 3, 6, 6] as const,
      weights: t('float32', [4, 3, 3, 4]),
      scale: t('float32', [4]),
      shift: t('float32', [4]),
      stride: [2, 2] as const,
      padding: [1, 1] as const,
      output: t('float32', [2, 4, 3, 3]),
    };
    await expect(conv2dLaunch(gpu, { ...base, weights: t('float32', [4, 3, 3, 3]) })).rejects.toThrow(
      "conv2d: weights [4, 3, 3, 3] do not match the input's 3 channels (last dimension must be 4)",
    );
    await expect(conv2dLaunch(gpu, { ...base, weights: t('uint32', [4, 3, 3, 2]) })).rejects.toThrow(
      "bwn conv: weights [4, 3, 3, 2] do not match the input's 3 channels (last dimension must be 1)",
    );
    await expect(conv2dLaunch(gpu, { ...base, input: t('uint32', nhwc4Shape([2, 3, 6, 6])) })).rejects.toThrow(
      'conv2d: NHWC4 input of [2, 3, 6, 6] must be float32 [73, 4], got uint32 [73, 4]',
    );
    await expect(conv2dLaunch(gpu, { ...base, input: t('float32', [2, 3, 6, 6]) })).rejects.toThrow(
      'must be float32 [73, 4], got float32 [2, 3, 6, 6]',
    );
    await expect(conv2dLaunch(gpu, { ...base, weights: t('int32', [4, 3, 3, 3]) })).rejects.toThrow('must be float32 or uint32');
    await expect(conv2dLaunch(gpu, { ...base, shift: t('float32', [5]) })).rejects.toThrow(
      'conv2d: shift must be float32 [4], got float32 [5]',
    );
    await expect(conv2dLaunch(gpu, { ...base, output: t('float32', [2, 4, 6, 6]) })).rejects.toThrow(
      'conv2d: output must be float32 [2, 4, 3, 3], got float32 [2, 4, 6, 6]',
    );
    await expect(conv2dLaunch(gpu, { ...base, inputShape: [2, 3, 0, 6], input: t('float32', nhwc4Shape([2, 3, 0, 6])) })).rejects.toThrow(
      'conv2d: the input is empty',
    );
    await expect(conv2dLaunch(gpu, { ...base, weights: t('float32', [4, 9, 9, 4]) })).rejects.toThrow('does not fit an input of 6x6');
  });
});
