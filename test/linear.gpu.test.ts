/** linear / binlinear run as the 1x1 case of the conv kernels on [N, F, 1, 1]. */
import { describe, expect, it } from 'vitest';
import * as ref from '../src/ops/reference.js';
import { packActivations, packWeights, wordsFor } from '../src/tensor/bits.js';
import { ohwiFromOihw } from '../src/tensor/layout.js';
import { Tensor } from '../src/tensor/tensor.js';
import { conv2dLaunch } from '../src/backends/webgpu/kernels/conv2d.js';
import { nhwc4Shape, toNhwc4Launch } from '../src/backends/webgpu/kernels/to-nhwc4.js';
import { xnorConvLaunch } from '../src/backends/webgpu/kernels/xnor-conv.js';
import { gpuForSuite } from './helpers/gpu.js';
import { poisonedFloats } from './helpers/poison.js';
import { maxToleranceViolation, randomTensor, testRng } from './helpers/random.js';
import { runOnGpu } from './helpers/run.js';

const ctx = await gpuForSuite('linear');
const CASES = [
  { n: 1, cin: 1, cout: 10 },
  { n: 3, cin: 3, cout: 7 },
  { n: 2, cin: 31, cout: 33 },
  { n: 1, cin: 32, cout: 4 },
  { n: 3, cin: 33, cout: 64 },
  { n: 2, cin: 100, cout: 5 },
  { n: 1, cin: 257, cout: 13 },
  { n: 4, cin: 800, cout: 500 },
];
const UNIT = [1, 1] as const;
const NONE = [0, 0] as const;

describe.skipIf(!ctx)('linear layers on the conv kernels', () => {
  it.each(CASES)('float linear, BWN and XNOR binlinear match the reference: %o', async ({ n, cin, cout }) => {
    const rng = testRng();
    const x = randomTensor(rng, [n, cin]);
    const w = randomTensor(rng, [cout, cin]);
    const bias = randomTensor(rng, [cout]);
    const packed = packWeights(w);
    const weights = ref.binarizeWeights(w);
    const x4 = x.reshape([n, cin, 1, 1]);
    const inputShape = [n, cin, 1, 1] as const;
    const ones = new Tensor(new Float32Array(cout).fill(1), [cout]);
    const outputs = { float: poisonedFloats([n, cout, 1, 1]), bwn: poisonedFloats([n, cout, 1, 1]), xnor: poisonedFloats([n, cout, 1, 1]) };
    const meanAbs = new Tensor(
      Float32Array.from({ length: n }, (_, b) => x.data.slice(b * cin, (b + 1) * cin).reduce((s, v) => s + Math.abs(v), 0) / cin),
      [n, 1, 1],
    );
    const y = await runOnGpu(
      ctx!,
      {
        x: x4,
        nhwc4: poisonedFloats(nhwc4Shape(inputShape)),
        bits: packActivations(x4),
        floatWeights: ohwiFromOihw(w, 4),
        weightBits: packed.bits.reshape([cout, 1, 1, wordsFor(cin)]),
        alpha: packed.alpha,
        ones,
        bias,
        meanAbs,
      },
      outputs,
      async (t) => {
        const common = { stride: UNIT, padding: NONE, shift: t.bias };
        return [
          await toNhwc4Launch(ctx!, t.x, t.nhwc4),
          await conv2dLaunch(ctx!, { ...common, input: t.nhwc4, inputShape, weights: t.floatWeights, scale: t.ones, output: t.float }),
          await conv2dLaunch(ctx!, { ...common, input: t.nhwc4, inputShape, weights: t.weightBits, scale: t.alpha, output: t.bwn }),
          await xnorConvLaunch(ctx!, {
            ...common,
            input: t.bits,
            inChannels: cin,
            weights: t.weightBits,
            scale: t.alpha,
            meanAbs: t.meanAbs,
            output: t.xnor,
          }),
        ];
      },
    );
    const expected = {
      float: ref.linear(x, w, bias.data),
      bwn: ref.binlinear(x, weights, bias.data, 'bwn', true),
      xnor: ref.binlinear(x, weights, bias.data, 'xnor', true),
    };
    for (const kind of ['float', 'bwn', 'xnor'] as const) {
      expect(maxToleranceViolation(y[kind].data, expected[kind].data), `${kind} seed ${rng.seed}`).toBeLessThanOrEqual(0);
    }
  });
});
