import { meanAbs } from '../src/ops/correlate.js';
import { describe, expect, it } from 'vitest';
import { packActivations } from '../src/tensor/bits.js';
import { Tensor } from '../src/tensor/tensor.js';
import { submitLaunches } from '../src/backends/webgpu/dispatch.js';
import { GpuTensor } from '../src/backends/webgpu/gpu-tensor.js';
import { packSigns, packSignsLaunch, packedShape } from '../src/backends/webgpu/kernels/pack-signs.js';
import { signMismatches } from './helpers/bits.js';
import { gpuForSuite } from './helpers/gpu.js';
import { BITS_POISON, poisonedBits, poisonedFloats } from './helpers/poison.js';
import { maxToleranceViolation, randomTensor, testRng } from './helpers/random.js';

const ctx = await gpuForSuite('pack_signs');

const SHAPES = [1, 3, 31, 32, 33, 64, 100, 257].flatMap((c, i) => [
  [1, c, 1, 1],
  [1 + (i % 3), c, 7 + i, 5 + 2 * i],
]);

describe.skipIf(!ctx)('pack_signs kernel', () => {
  it.each(SHAPES)('is bit-exact with the host packer for [%i, %i, %i, %i]', async (...shape) => {
    const rng = testRng();
    const x = randomTensor(rng, shape, { zeros: 0.1 });
    const input = GpuTensor.upload(ctx!, x);
    const output = GpuTensor.upload(ctx!, poisonedBits(packedShape(shape)));
    await submitLaunches(ctx!, 'pack_signs', [await packSignsLaunch(ctx!, { input, output })]);
    const gpu = (await output.read()).data;
    const host = packActivations(x).data;
    input.destroy();
    output.destroy();
    // Poison first, so an unwritten word is reported as such rather than as a wrong bit.
    expect(gpu.indexOf(BITS_POISON), `unwritten word, seed ${rng.seed}`).toBe(host.indexOf(BITS_POISON));
    expect(gpu, `seed ${rng.seed}`).toEqual(host);
  });

  it.each(SHAPES)('applies a folded batchnorm and writes mean |v| for [%i, %i, %i, %i]', async (...shape) => {
    const rng = testRng();
    const [n, c, h, w] = shape as [number, number, number, number];
    const x = randomTensor(rng, shape);
    const scale = randomTensor(rng, [c]).data;
    const shift = randomTensor(rng, [c]).data;
    const v = new Tensor(
      x.data.map((value, i) => value * scale[Math.floor(i / (h * w)) % c]! + shift[Math.floor(i / (h * w)) % c]!),
      shape,
    );
    const expectedMeanAbs = meanAbs(v);
    const t = {
      input: GpuTensor.upload(ctx!, x),
      output: GpuTensor.upload(ctx!, poisonedBits(packedShape(shape))),
      scale: GpuTensor.upload(ctx!, new Tensor(scale, [c])),
      shift: GpuTensor.upload(ctx!, new Tensor(shift, [c])),
      meanAbs: GpuTensor.upload(ctx!, poisonedFloats([n, h, w])),
    };
    const launch = await packSignsLaunch(ctx!, { ...t, affine: { scale: t.scale, shift: t.shift }, meanAbs: t.meanAbs });
    await submitLaunches(ctx!, 'pack_signs', [launch]);
    expect(signMismatches((await t.output.read()).data, v, 1e-5), `seed ${rng.seed}`).toEqual([]);
    expect(maxToleranceViolation((await t.meanAbs.read()).data, expectedMeanAbs), `seed ${rng.seed}`).toBeLessThanOrEqual(0);
    for (const tensor of Object.values(t)) tensor.destroy();
  });

  it('packSigns allocates its output', async () => {
    const x = randomTensor(testRng(), [2, 40, 3, 3]);
    const input = GpuTensor.upload(ctx!, x);
    const out = await packSigns(ctx!, input);
    expect(out.shape).toEqual([2, 3, 3, 2]);
    expect((await out.read()).data).toEqual(packActivations(x).data);
    input.destroy();
    out.destroy();
  });

  it('rejects bad parameters before any dispatch', async () => {
    const t = (dtype: 'float32' | 'uint32' | 'int32', shape: number[]) => GpuTensor.empty(ctx!, dtype, shape);
    const input = t('float32', [1, 33, 2, 2]);
    await expect(packSignsLaunch(ctx!, { input, output: t('uint32', [1, 2, 2, 1]) })).rejects.toThrow(
      'pack signs: output for input [1, 33, 2, 2] must be uint32 [1, 2, 2, 2], got uint32 [1, 2, 2, 1]',
    );
    await expect(packSigns(ctx!, t('float32', [1, 3, 0, 2]))).rejects.toThrow('pack signs: input [1, 3, 0, 2] is empty');
    await expect(packSigns(ctx!, t('float32', [4, 8]))).rejects.toThrow('expected an NCHW input, got shape [4, 8]');
    await expect(packSigns(ctx!, t('int32', [1, 1, 1, 1]))).rejects.toThrow('pack signs: input must be float32, got int32');
    const output = t('uint32', [1, 2, 2, 2]);
    await expect(
      packSignsLaunch(ctx!, { input, output, affine: { scale: t('float32', [32]), shift: t('float32', [33]) } }),
    ).rejects.toThrow('pack signs: scale must be float32 [33], got float32 [32]');
    await expect(packSignsLaunch(ctx!, { input, output, meanAbs: t('float32', [1, 2, 3]) })).rejects.toThrow(
      'pack signs: mean |x| must be float32 [1, 2, 2], got float32 [1, 2, 3]',
    );
  });

  it('refuses a tensor larger than the device allows, naming it', () => {
    expect(() => GpuTensor.empty(ctx!, 'float32', [64, 1024, 1024, 1024], 'activations')).toThrow(
      /^activations: float32 \[64, 1024, 1024, 1024\] needs 274877906944 bytes, more than this device's limit/,
    );
  });
});
