import { describe, expect, it } from 'vitest';
import { packActivations } from '../src/tensor/bits.js';
import { Tensor } from '../src/tensor/tensor.js';
import { GpuTensor } from '../src/webgpu/gpu-tensor.js';
import { packSigns, packedShape } from '../src/webgpu/kernels/pack-signs.js';
import { gpuForSuite } from './helpers/gpu.js';
import { BITS_POISON, poisonedBits } from './helpers/poison.js';
import { randomTensor, testRng } from './helpers/random.js';

const ctx = await gpuForSuite('pack_signs');


describe.skipIf(!ctx)('pack_signs kernel', () => {
  const shapes = [1, 3, 31, 32, 33, 100, 257].flatMap((c, i) => [
    [1, c, 1, 1],
    [1 + (i % 3), c, 7 + i, 5 + 2 * i],
  ]);

  it.each(shapes)('is bit-exact with the host packer for [%i, %i, %i, %i]', async (...shape) => {
    const rng = testRng();
    const x = randomTensor(rng, shape, { zeros: 0.1 });
    const input = GpuTensor.upload(ctx!, x);
    const out = GpuTensor.upload(ctx!, poisonedBits(packedShape(shape)));
    await packSigns(ctx!, input, out);
    const gpu = (await out.read()).data;
    const host = packActivations(x).data;
    input.destroy();
    out.destroy();
    // Poison first, so an unwritten word is reported as such rather than as a wrong bit.
    expect(gpu.indexOf(BITS_POISON), `unwritten word, seed ${rng.seed}`).toBe(host.indexOf(BITS_POISON));
    expect(gpu, `seed ${rng.seed}`).toEqual(host);
  });

  it('allocates its output when none is given', async () => {
    const x = randomTensor(testRng(), [2, 40, 3, 3]);
    const input = GpuTensor.upload(ctx!, x);
    const out = await packSigns(ctx!, input);
    expect(out.shape).toEqual([2, 3, 3, 2]);
    expect((await out.read()).data).toEqual(packActivations(x).data);
    input.destroy();
    out.destroy();
  });

  it('rejects bad parameters before any dispatch', async () => {
    const input = GpuTensor.upload(ctx!, Tensor.zeros([1, 33, 2, 2]));
    const wrong = GpuTensor.empty(ctx!, 'uint32', [1, 2, 2, 1]);
    await expect(packSigns(ctx!, input, wrong)).rejects.toThrow(
      'packSigns: output must be uint32 [1, 2, 2, 2] for input [1, 33, 2, 2], got uint32 [1, 2, 2, 1]',
    );
    const empty = GpuTensor.upload(ctx!, Tensor.zeros([1, 3, 0, 2]));
    await expect(packSigns(ctx!, empty)).rejects.toThrow('packSigns: input [1, 3, 0, 2] is empty');
    const flat = GpuTensor.upload(ctx!, Tensor.zeros([4, 8]));
    await expect(packSigns(ctx!, flat)).rejects.toThrow('expected an NCHW input, got shape [4, 8]');
    const ints = GpuTensor.upload(ctx!, Tensor.zeros([1, 1, 1, 1], 'int32'));
    await expect(packSigns(ctx!, ints as never)).rejects.toThrow('input must be float32, got int32');
    for (const t of [input, wrong, empty, flat, ints]) t.destroy();
  });

  it('refuses a tensor larger than the device allows, naming it', () => {
    const huge = [64, 1024, 1024, 1024];
    expect(() => GpuTensor.empty(ctx!, 'float32', huge, 'activations')).toThrow(
      /^activations: float32 \[64, 1024, 1024, 1024\] needs 274877906944 bytes, more than this device's limit/,
    );
  });
});
