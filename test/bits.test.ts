import { describe, expect, it } from 'vitest';
import {
  computeAlpha,
  lastWordMask,
  packActivations,
  packWeights,
  sign,
  unpackActivations,
  unpackWeights,
  wordsFor,
} from '../src/tensor/bits.js';
import { Tensor } from '../src/tensor/tensor.js';
import { randomTensor, testRng } from './helpers/random.js';

const CHANNELS = [1, 3, 31, 32, 33, 100, 257];

describe('Tensor', () => {
  it('checks that data and shape agree', () => {
    expect(() => new Tensor(new Float32Array(5), [2, 3])).toThrow('tensor data has 5 elements but shape [2, 3] needs 6');
    expect(() => Tensor.zeros([2, -1])).toThrow('invalid shape [2, -1]');
    expect(() => Tensor.zeros([2.5])).toThrow('invalid shape [2.5]');
  });

  it('knows its dtype and reshapes without copying', () => {
    const t = Tensor.zeros([2, 3, 4], 'uint32');
    expect(t.dtype).toBe('uint32');
    const r = t.reshape([6, 4]);
    expect(r.data).toBe(t.data);
    expect(() => t.reshape([5, 5])).toThrow(/needs 25/);
  });
});

describe('sign', () => {
  it('maps zero and -0 to +1 and negatives to -1', () => {
    expect([sign(0), sign(-0), sign(1e-30), sign(-1e-30), sign(-5)]).toEqual([1, 1, 1, -1, -1]);
  });
});

describe('packActivations', () => {
  it('puts channel 32*w + j in bit j of word w, LSB first, NHWC order', () => {
    // N=1, C=35, H=1, W=2: pixel 0 has channels 0, 5, 33 >= 0; pixel 1 has only channel 34.
    const x = Tensor.zeros([1, 35, 1, 2]).data.fill(-1);
    for (const c of [0, 5, 33]) x[c * 2 + 0] = 1;
    x[34 * 2 + 1] = 0; // sign(0) = +1
    const packed = packActivations(new Tensor(x, [1, 35, 1, 2]));
    expect(packed.shape).toEqual([1, 1, 2, 2]);
    expect([...packed.data]).toEqual([(1 << 0) | (1 << 5), 1 << 1, 0, 1 << 2]);
  });

  it('leaves channel-padding bits 0 and round-trips the signs', () => {
    const rng = testRng();
    for (const c of CHANNELS) {
      const x = randomTensor(rng, [2, c, 3, 5]);
      const packed = packActivations(x);
      expect(packed.shape, `C=${c} seed ${rng.seed}`).toEqual([2, 3, 5, wordsFor(c)]);
      const mask = lastWordMask(c);
      for (let i = wordsFor(c) - 1; i < packed.size; i += wordsFor(c)) {
        expect(packed.data[i]! & ~mask, `C=${c} seed ${rng.seed}`).toBe(0);
      }
      expect([...unpackActivations(packed, c).data], `C=${c} seed ${rng.seed}`).toEqual([...x.data].map(sign));
    }
  });

  it('rejects a packed tensor that does not hold the channel count', () => {
    const packed = Tensor.zeros([1, 2, 2, 2], 'uint32');
    expect(() => unpackActivations(packed, 70)).toThrow('does not hold 70 channels (expected [N, H, W, 3])');
  });
});

describe('packWeights', () => {
  it('packs a conv weight [Cout, Cin, kh, kw] into [Cout, kh, kw, words] with alpha', () => {
    // Cout=1, Cin=2, 1x2 kernel: W[0,c,0,v]; tap v=0 has (c0: 0.5, c1: -1), tap v=1 has (-2, 0).
    const w = new Tensor(new Float32Array([0.5, -2, -1, 0]), [1, 2, 1, 2]);
    const packed = packWeights(w);
    expect(packed.bits.shape).toEqual([1, 1, 2, 1]);
    expect([...packed.bits.data]).toEqual([0b01, 0b10]);
    expect(packed.alpha.data[0]).toBeCloseTo((0.5 + 2 + 1 + 0) / 4, 7);
    expect(packed.inChannels).toBe(2);
  });

  it('packs linear weights to [Cout, words] and round-trips random shapes', () => {
    const rng = testRng();
    for (const cin of CHANNELS) {
      for (const shape of [
        [5, cin],
        [4, cin, 3, 2],
      ]) {
        const w = randomTensor(rng, shape);
        const packed = packWeights(w);
        const expectedBits = shape.length === 2 ? [5, wordsFor(cin)] : [4, 3, 2, wordsFor(cin)];
        expect(packed.bits.shape, `${shape} seed ${rng.seed}`).toEqual(expectedBits);
        expect([...unpackWeights(packed).data], `${shape} seed ${rng.seed}`).toEqual([...w.data].map(sign));
      }
    }
  });

  it('computes alpha as mean |W| per output channel', () => {
    const w = new Tensor(new Float32Array([1, -3, 0, 2, -0.5, 0.5]), [2, 3]);
    expect([...computeAlpha(w)]).toEqual([4 / 3, 1].map((v) => Math.fround(v)));
  });

  it('rejects weight bits whose word count does not fit the channels', () => {
    const packed = packWeights(Tensor.zeros([2, 40]));
    expect(() => unpackWeights({ ...packed, inChannels: 70 })).toThrow('does not hold 70 input channels (last dimension must be 3)');
    expect(() => packWeights(Tensor.zeros([2, 3, 4]))).toThrow('weight must be [Cout, Cin, kh, kw] or [Cout, Cin], got [2, 3, 4]');
  });
});
