/**
 * The CPU float reference is the oracle for every kernel, so it is checked against cases
 * computed on paper and against an independent bit-level computation of the XNOR dot product.
 */
import { describe, expect, it } from 'vitest';
import * as ref from '../src/ops/reference.js';
import { lastWordMask, packActivations, packWeights, sign, wordsFor } from '../src/tensor/bits.js';
import { Tensor } from '../src/tensor/tensor.js';
import { maxToleranceViolation, randomTensor, testRng } from './helpers/random.js';

const t = (values: number[], shape: number[]) => new Tensor(new Float32Array(values), shape);
const closeTo = (actual: ArrayLike<number>, expected: number[]) => {
  expect(actual.length).toBe(expected.length);
  expected.forEach((e, i) => expect(actual[i]).toBeCloseTo(e, 5));
};

// A 3x3 single-channel example worked by hand (see the comments for the arithmetic).
const X = t([1, -2, 3, 4, 5, -6, -7, 8, 9], [1, 1, 3, 3]); // sign: + - + / + + - / - + +
const W = t(
  [1, -1, 1, -1, 1, -1, 1, -1, 1].map((v) => v * 0.5),
  [1, 1, 3, 3],
); // alpha 0.5, checkerboard
const BIAS = new Float32Array([0.25]);
const ONE = [1, 1] as const;
const PAD1 = [1, 1] as const;

describe('binconv2d xnor, worked by hand', () => {
  // dot (padding 1): (0,0)=2, (0,1)=-4, (0,2)=4, (1,1)=3, (2,2)=2.
  // K = box3x3(|x|)/9 with zero padding: (0,0)=12/9, (0,1)=21/9, (0,2)=16/9, (1,1)=5, (2,2)=28/9.
  const weights = ref.binarizeWeights(W);

  it('3x3, padding 1, stride 1, with K', () => {
    const y = ref.binconv2d(X, weights, BIAS, { mode: 'xnor', scaleInput: true, stride: ONE, padding: PAD1 });
    expect(y.shape).toEqual([1, 1, 3, 3]);
    const at = (i: number, j: number) => y.data[i * 3 + j]!;
    closeTo(
      [at(0, 0), at(0, 1), at(0, 2), at(1, 1), at(2, 2)],
      [0.5 * (12 / 9) * 2 + 0.25, 0.5 * (21 / 9) * -4 + 0.25, 0.5 * (16 / 9) * 4 + 0.25, 0.5 * 5 * 3 + 0.25, 0.5 * (28 / 9) * 2 + 0.25],
    );
  });

  it('3x3, padding 1, stride 2 keeps every other output', () => {
    const y = ref.binconv2d(X, weights, BIAS, { mode: 'xnor', scaleInput: true, stride: [2, 2], padding: PAD1 });
    expect(y.shape).toEqual([1, 1, 2, 2]);
    closeTo([y.data[0]!, y.data[1]!, y.data[3]!], [0.5 * (12 / 9) * 2 + 0.25, 0.5 * (16 / 9) * 4 + 0.25, 0.5 * (28 / 9) * 2 + 0.25]);
  });

  it('scaleInput: false sets K = 1', () => {
    const y = ref.binconv2d(X, weights, BIAS, { mode: 'xnor', scaleInput: false, stride: ONE, padding: PAD1 });
    closeTo([y.data[0]!, y.data[1]!, y.data[4]!], [0.5 * 2 + 0.25, 0.5 * -4 + 0.25, 0.5 * 3 + 0.25]);
  });

  it('bwn multiplies the float input by the signs (padding contributes 0)', () => {
    // (1,1): (1+2+3) + (-4+5+6) + (-7-8+9) = 7; (0,0): 1*1 + (-1)(-2) + (-1)(4) + 1*5 = 4.
    const y = ref.binconv2d(X, weights, BIAS, { mode: 'bwn', scaleInput: true, stride: ONE, padding: PAD1 });
    closeTo([y.data[4]!, y.data[0]!], [0.5 * 7 + 0.25, 0.5 * 4 + 0.25]);
  });
});

/** XNOR dot at one output position from packed bits: 2*popcount(~(a^w) & m) - popcount(m). */
function packedDot(
  xBits: Tensor<Uint32Array>,
  wBits: Tensor<Uint32Array>,
  cin: number,
  [h, w]: [number, number],
  [kh, kw]: [number, number],
  [n, o, i, j]: [number, number, number, number],
  stride: number,
  pad: number,
): number {
  const words = wordsFor(cin);
  const popcount = (v: number) =>
    v
      .toString(2)
      .split('')
      .filter((b) => b === '1').length;
  let dot = 0;
  for (let u = 0; u < kh; u++) {
    for (let v = 0; v < kw; v++) {
      const y = i * stride + u - pad;
      const x = j * stride + v - pad;
      if (y < 0 || y >= h || x < 0 || x >= w) continue; // the mask m is empty at padded taps
      for (let word = 0; word < words; word++) {
        const m = word === words - 1 ? lastWordMask(cin) : 0xffffffff;
        const a = xBits.data[((n * h + y) * w + x) * words + word]!;
        const b = wBits.data[((o * kh + u) * kw + v) * words + word]!;
        dot += 2 * popcount((~(a ^ b) & m) >>> 0) - popcount(m);
      }
    }
  }
  return dot;
}

describe('binconv2d properties on random shapes', () => {
  const cases = [
    { cin: 1, k: [3, 3], stride: 1, pad: 1, n: 1, hw: [5, 7] },
    { cin: 3, k: [5, 5], stride: 2, pad: 2, n: 3, hw: [9, 8] },
    { cin: 31, k: [1, 1], stride: 1, pad: 0, n: 2, hw: [4, 5] },
    { cin: 32, k: [3, 5], stride: 2, pad: 1, n: 1, hw: [7, 9] },
    { cin: 33, k: [3, 3], stride: 1, pad: 2, n: 2, hw: [3, 3] },
    { cin: 100, k: [3, 3], stride: 2, pad: 0, n: 1, hw: [7, 7] },
    { cin: 257, k: [3, 3], stride: 1, pad: 1, n: 2, hw: [4, 3] },
  ] as const;

  it.each(cases)('xnor dot equals the packed popcount identity: %o', ({ cin, k, stride, pad, n, hw }) => {
    const rng = testRng();
    const cout = 3;
    const x = randomTensor(rng, [n, cin, ...hw]);
    const w = randomTensor(rng, [cout, cin, ...k]).data.map(sign); // alpha = 1 so y is the integer dot
    const wt = new Tensor(w, [cout, cin, ...k]);
    const y = ref.binconv2d(x, ref.binarizeWeights(wt), undefined, {
      mode: 'xnor',
      scaleInput: false,
      stride: [stride, stride],
      padding: [pad, pad],
    });
    const [, , ho, wo] = y.shape as [number, number, number, number];
    const xBits = packActivations(x);
    const wBits = packWeights(wt).bits;
    for (let b = 0; b < n; b++) {
      for (let o = 0; o < cout; o++) {
        for (let i = 0; i < ho; i++) {
          for (let j = 0; j < wo; j++) {
            const expected = packedDot(xBits, wBits, cin, [hw[0], hw[1]], [k[0], k[1]], [b, o, i, j], stride, pad);
            expect(y.data[((b * cout + o) * ho + i) * wo + j], `(${b},${o},${i},${j}) seed ${rng.seed}`).toBe(expected);
          }
        }
      }
    }
  });

  it.each(cases)('bwn equals conv2d with weights alpha*sign(W): %o', ({ cin, k, stride, pad, n, hw }) => {
    const rng = testRng();
    const cout = 4;
    const x = randomTensor(rng, [n, cin, ...hw]);
    const w = randomTensor(rng, [cout, cin, ...k]);
    const bias = randomTensor(rng, [cout]).data;
    const weights = ref.binarizeWeights(w);
    const perFilter = cin * k[0] * k[1];
    const scaled = new Tensor(
      weights.signs.data.map((s, idx) => s * weights.alpha[Math.floor(idx / perFilter)]!),
      w.shape,
    );
    const params = { stride: [stride, stride] as const, padding: [pad, pad] as const };
    const y = ref.binconv2d(x, weights, bias, { mode: 'bwn', scaleInput: true, ...params });
    const expected = ref.conv2d(x, scaled, bias, params.stride, params.padding);
    expect(maxToleranceViolation(y.data, [...expected.data]), `seed ${rng.seed}`).toBeLessThanOrEqual(0);
  });

  it('xnor with K equals the K-free result times K (K computed independently)', () => {
    const rng = testRng();
    const x = randomTensor(rng, [2, 5, 6, 7]);
    const weights = ref.binarizeWeights(randomTensor(rng, [3, 5, 3, 3]));
    const common = { mode: 'xnor', stride: [2, 2], padding: [1, 1] } as const;
    const withK = ref.binconv2d(x, weights, undefined, { ...common, scaleInput: true });
    const withoutK = ref.binconv2d(x, weights, undefined, { ...common, scaleInput: false });
    const [, , ho, wo] = withK.shape as [number, number, number, number];
    for (let b = 0; b < 2; b++) {
      for (let i = 0; i < ho; i++) {
        for (let j = 0; j < wo; j++) {
          let k = 0;
          for (let u = 0; u < 3; u++) {
            for (let v = 0; v < 3; v++) {
              const yy = i * 2 + u - 1;
              const xx = j * 2 + v - 1;
              if (yy < 0 || yy >= 6 || xx < 0 || xx >= 7) continue;
              for (let c = 0; c < 5; c++) k += Math.abs(x.data[((b * 5 + c) * 6 + yy) * 7 + xx]!) / 5 / 9;
            }
          }
          for (let o = 0; o < 3; o++) {
            const at = ((b * 3 + o) * ho + i) * wo + j;
            expect(withK.data[at]!, `seed ${rng.seed}`).toBeCloseTo(withoutK.data[at]! * k, 4);
          }
        }
      }
    }
  });

  it('names mismatched shapes', () => {
    const weights = ref.binarizeWeights(Tensor.zeros([2, 4, 3, 3]));
    const params = { mode: 'xnor', scaleInput: true, stride: ONE, padding: PAD1 } as const;
    expect(() => ref.binconv2d(Tensor.zeros([1, 3, 5, 5]), weights, undefined, params)).toThrow(
      'weight [2, 4, 3, 3] expects 4 input channels, input has 3',
    );
    expect(() => ref.binconv2d(Tensor.zeros([1, 4, 5, 5]), weights, new Float32Array(3), params)).toThrow('bias has 3 values, expected 2');
    expect(() => ref.binconv2d(Tensor.zeros([1, 4, 1, 1]), weights, undefined, { ...params, padding: [0, 0] })).toThrow(
      'a 3x3 window with stride [1, 1] and padding [0, 0] does not fit an input of 1x1',
    );
    expect(() => ref.binconv2d(Tensor.zeros([4, 5, 5]), weights, undefined, params)).toThrow('expected an NCHW tensor of rank 4');
  });
});

describe('linear layers, worked by hand', () => {
  it('linear', () => {
    const y = ref.linear(t([1, 2], [1, 2]), t([3, 4, 5, 6], [2, 2]), new Float32Array([1, -1]));
    expect([...y.data]).toEqual([12, 16]);
    expect(y.shape).toEqual([1, 2]);
  });

  it('binlinear xnor: K = mean_c |x|', () => {
    // x = (1,-2,3,-4): signs (+,-,+,-), K = 2.5.
    // Filter 0 (0.5,-0.5,0.5,-0.5): alpha 0.5, dot 4 -> 0.5*2.5*4 + 1 = 6.
    // Filter 1 (-1,-1,-1,2): alpha 1.25, signs (-,-,-,+), dot -1+1-1-1 = -2 -> 1.25*2.5*-2 - 1 = -7.25.
    const weights = ref.binarizeWeights(t([0.5, -0.5, 0.5, -0.5, -1, -1, -1, 2], [2, 4]));
    const y = ref.binlinear(t([1, -2, 3, -4], [1, 4]), weights, new Float32Array([1, -1]), 'xnor', true);
    closeTo(y.data, [6, -7.25]);
    const bwn = ref.binlinear(t([1, -2, 3, -4], [1, 4]), weights, undefined, 'bwn', true);
    closeTo(bwn.data, [0.5 * 10, 1.25 * (-1 + 2 - 3 - 4)]);
  });

  it('names a feature mismatch', () => {
    expect(() => ref.linear(Tensor.zeros([2, 3]), Tensor.zeros([4, 5]), undefined)).toThrow(
      'linear: weight [4, 5] expects 5 input features, input [2, 3] has 3',
    );
  });
});

describe('per-element ops and pooling, worked by hand', () => {
  it('batchnorm with and without affine', () => {
    const x = t([1, 3, 10, 20], [1, 2, 1, 2]);
    const p = { runningMean: new Float32Array([1, 10]), runningVar: new Float32Array([4, 100]), eps: 0 };
    closeTo(ref.batchnorm(x, p).data, [0, 1, 0, 1]);
    closeTo(ref.batchnorm(x, { ...p, weight: new Float32Array([2, 3]), bias: new Float32Array([1, -1]) }).data, [1, 3, -1, 2]);
    expect(() => ref.batchnorm(x, { ...p, runningMean: new Float32Array(3) })).toThrow(
      'batchnorm: running_mean has 3 values but the input has 2 channels',
    );
  });

  it('relu, hardtanh, add, flatten, dropout', () => {
    const x = t([-2, -0.5, 0, 0.5, 2, 3], [1, 6]);
    expect([...ref.relu(x).data]).toEqual([0, 0, 0, 0.5, 2, 3]);
    expect([...ref.hardtanh(x).data]).toEqual([-1, -0.5, 0, 0.5, 1, 1]);
    expect([...ref.add(x, x).data]).toEqual([-4, -1, 0, 1, 4, 6]);
    expect(() => ref.add(x, x.reshape([2, 3]))).toThrow('add: shapes [1, 6] and [2, 3] differ');
    expect(ref.flatten(Tensor.zeros([2, 3, 4, 5])).shape).toEqual([2, 60]);
    expect(ref.dropout(x)).toBe(x);
  });

  it('softmax over dimension 1', () => {
    closeTo(ref.softmax(t([0, Math.log(2), 5, 5], [2, 2])).data, [1 / 3, 2 / 3, 0.5, 0.5]);
  });

  it('maxpool pads with -inf, avgpool counts padded zeros', () => {
    const x = t([-1, -2, -3, -4], [1, 1, 2, 2]);
    const window = { kernel: [2, 2], stride: [1, 1], padding: [1, 1] } as const;
    expect([...ref.maxpool2d(x, window).data]).toEqual([-1, -1, -2, -1, -1, -2, -3, -3, -4]);
    closeTo(ref.avgpool2d(x, window).data, [-0.25, -0.75, -0.5, -1, -2.5, -1.5, -0.75, -1.75, -1]);
    expect(
      ref.maxpool2d(t([1, 5, 3, 4, 2, 0, 7, 1, 6, 8, 2, 9, 3, 0, 4, 1], [1, 1, 4, 4]), {
        kernel: [2, 2],
        stride: [2, 2],
        padding: [0, 0],
      }).data,
    ).toEqual(new Float32Array([5, 7, 8, 9]));
  });

  it('globalavgpool keeps [N, C, 1, 1]', () => {
    const y = ref.globalavgpool(t([1, 2, 3, 4, 10, 20, 30, 40], [1, 2, 2, 2]));
    expect(y.shape).toEqual([1, 2, 1, 1]);
    closeTo(y.data, [2.5, 25]);
  });

  it('conv2d, worked by hand (2 channels, 2x2 kernel, bias)', () => {
    // x channel 0 = [[1,2],[3,4]], channel 1 = [[0,1],[1,0]]; w channel 0 = 1, channel 1 = [[2,0],[0,-1]].
    const y = ref.conv2d(
      t([1, 2, 3, 4, 0, 1, 1, 0], [1, 2, 2, 2]),
      t([1, 1, 1, 1, 2, 0, 0, -1], [1, 2, 2, 2]),
      new Float32Array([0.5]),
      ONE,
      [0, 0],
    );
    expect([...y.data]).toEqual([10 + 0 + 0.5]);
    const padded = ref.conv2d(t([1, 2, 3, 4], [1, 1, 2, 2]), t([1, 0, 0, 0], [1, 1, 2, 2]), undefined, ONE, PAD1);
    expect([...padded.data]).toEqual([0, 0, 0, 0, 1, 2, 0, 3, 4]);
  });
});
