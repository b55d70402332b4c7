/** The cpu backend's TypeScript steps (src/executor/cpu/steps.ts) against the reference, on random shapes. */
import { describe, expect, it } from 'vitest';
import { packSigns, pool } from '../src/backends/cpu/steps.js';
import type { WindowParams } from '../src/ops/window.js';
import * as ref from '../src/ops/reference.js';
import { packActivations } from '../src/tensor/bits.js';
import { randomTensor, testRng } from './helpers/random.js';

type NCHW = [number, number, number, number];

const POOLS: [NCHW, WindowParams][] = [
  [[1, 3, 8, 8], { kernel: [2, 2], stride: [2, 2], padding: [0, 0] }],
  [[2, 5, 9, 7], { kernel: [3, 3], stride: [2, 2], padding: [1, 1] }],
  [[1, 4, 6, 11], { kernel: [3, 2], stride: [1, 2], padding: [1, 0] }],
  [[3, 2, 5, 5], { kernel: [5, 5], stride: [1, 1], padding: [0, 0] }],
  [[1, 7, 13, 13], { kernel: [3, 3], stride: [3, 3], padding: [1, 1] }],
];

describe('cpu steps', () => {
  it.each(POOLS.flatMap(([shape, window]) => (['max', 'avg'] as const).map((kind) => [kind, shape, window] as const)))(
    '%s pool of %j, window %j: the reference floats exactly',
    (kind, shape, window) => {
      const rng = testRng();
      const x = randomTensor(rng, shape);
      const expected = kind === 'max' ? ref.maxpool2d(x, window) : ref.avgpool2d(x, window);
      const out = new Float32Array(expected.size).fill(Number.NaN);
      pool(x.data, shape, kind, window, out);
      expect(out, `seed ${rng.seed}`).toEqual(expected.data);
    },
  );

  it.each([[[2, 33, 4, 5]], [[1, 64, 3, 3]], [[3, 7, 2, 6]]] as [NCHW][])('packs the signs of %j and their mean |x|', (shape) => {
    const rng = testRng();
    const x = randomTensor(rng, shape);
    const [n, , h, w] = shape;
    const bits = new Uint32Array(packActivations(x).size).fill(0xdeadbeef);
    const meanAbs = new Float32Array(n * h * w);
    packSigns(x.data, shape, undefined, bits, meanAbs);
    expect(bits, `seed ${rng.seed}`).toEqual(packActivations(x).data);
    // A = mean_c |x|: the reference's input scale K with a 1x1 box.
    expect(meanAbs, `seed ${rng.seed}`).toEqual(ref.inputScale(x, [1, 1], [1, 1], [0, 0]).data);
  });
});
