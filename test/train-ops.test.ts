/**
 * The training passes of every op (semantics.md, training), in float64 with the reference conv
 * kernels: float ops against central finite differences; binary layers against the finite
 * differences of the float layer at W~ = alpha * sign(W), put through the paper's weight
 * gradient and the straight-through estimator; forward passes against the inference reference.
 */
import { describe, expect, it } from 'vitest';
import { referenceConvKernels } from '../src/ops/conv-kernels-reference.js';
import { AttrReader } from '../src/ops/op.js';
import { type NodeAttrs, type OpName, opOf } from '../src/ops/registry.js';
import type { FTensor, TrainContext, TrainParams } from '../src/ops/training.js';
import { binarizeLatent } from '../src/ops/layer-training.js';
import { packWeights } from '../src/tensor/bits.js';
import { Tensor } from '../src/tensor/tensor.js';
import { createRng } from '../src/util/random.js';
import { softmaxCrossEntropy } from '../src/train/loss.js';

const H = 1e-6;

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
}

function attrsOf(op: OpName, raw: Record<string, unknown>): NodeAttrs {
  return opOf(op).parse(
    new AttrReader({ op, ...raw }, (m) => {
      throw new Error(m);
    }),
  );
}

function random(seed: number, length: number, scale = 1): Float64Array {
  const rng = createRng(seed);
  return Float64Array.from({ length }, () => rng.uniform(-scale, scale));
}

const ctx = (training = true): TrainContext => ({ kernels: referenceConvKernels, rng: createRng(99), training });

interface Case {
  op: OpName;
  attrs: Record<string, unknown>;
  inputs: number[][];
  params?: Record<string, number[]>;
  /** Input values spread (binary ops: some beyond +-1 so the estimator's cut shows). */
  scale?: number;
}

/** Loss L = sum(y * r): backward with dy = r against (L(v + h) - L(v - h)) / 2h for every input and parameter value. */
async function checkFiniteDifferences({ op, attrs: raw, inputs: shapes, params: paramShapes = {}, scale = 1 }: Case): Promise<void> {
  const attrs = attrsOf(op, raw);
  const def = opOf(op).train;
  const inputs: FTensor[] = shapes.map((shape, i) => ({ data: random(10 + i, size(shape), scale), shape }));
  const params: TrainParams = {};
  for (const [suffix, shape] of Object.entries(paramShapes)) {
    params[suffix] =
      suffix === 'running_var' ? random(20, size(shape)).map((v) => 1 + Math.abs(v)) : random(30 + suffix.length, size(shape));
  }
  const { output, saved } = await def.forward(inputs, attrs, params, ctx());
  const r = random(40, output.data.length);
  const loss = async () => dot((await def.forward(inputs, attrs, params, ctx())).output.data, r);
  const grads = await def.backward(r, saved, attrs, params, ctx());
  const check = async (values: Float64Array | Float32Array, analytic: ArrayLike<number>, what: string) => {
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      values[i] = v + H;
      const up = await loss();
      values[i] = v - H;
      const down = await loss();
      values[i] = v;
      const numeric = (up - down) / (2 * H);
      expect(Math.abs(analytic[i]! - numeric), `${op} d/d${what}[${i}]: ${analytic[i]} vs ${numeric}`).toBeLessThan(
        1e-5 * (1 + Math.abs(numeric)),
      );
    }
  };
  for (const [k, x] of inputs.entries()) await check(x.data, grads.inputs[k]!, `input${k}`);
  for (const suffix of def.trainable(attrs)) await check(params[suffix]!, grads.params[suffix]!, suffix);
  expect(Object.keys(grads.params).sort()).toEqual(def.trainable(attrs).sort());
}

describe('training passes against central finite differences (float64)', () => {
  const cases: Case[] = [
    { op: 'conv2d', attrs: { outChannels: 3, kernel: 3, padding: 1 }, inputs: [[2, 2, 5, 4]], params: { weight: [3, 2, 3, 3], bias: [3] } },
    {
      op: 'conv2d',
      attrs: { outChannels: 5, kernel: [2, 3], stride: 2, bias: false },
      inputs: [[1, 3, 6, 7]],
      params: { weight: [5, 3, 2, 3] },
    },
    { op: 'linear', attrs: { outFeatures: 4 }, inputs: [[3, 7]], params: { weight: [4, 7], bias: [4] } },
    { op: 'batchnorm', attrs: {}, inputs: [[3, 2, 3, 2]], params: { weight: [2], bias: [2], running_mean: [2], running_var: [2] } },
    { op: 'batchnorm', attrs: { affine: false, eps: 1e-4 }, inputs: [[4, 5]], params: { running_mean: [5], running_var: [5] } },
    { op: 'relu', attrs: {}, inputs: [[2, 3, 2, 2]] },
    { op: 'hardtanh', attrs: { min: -0.5, max: 0.7 }, inputs: [[2, 9]] },
    { op: 'maxpool2d', attrs: { kernel: 3, stride: 2, padding: 1 }, inputs: [[2, 2, 5, 6]] },
    { op: 'maxpool2d', attrs: { kernel: 2, stride: 2 }, inputs: [[1, 3, 4, 4]] },
    { op: 'avgpool2d', attrs: { kernel: 3, stride: 2, padding: 1 }, inputs: [[2, 2, 5, 6]] },
    { op: 'globalavgpool', attrs: {}, inputs: [[2, 3, 3, 4]] },
    { op: 'flatten', attrs: {}, inputs: [[2, 3, 2, 2]] },
    {
      op: 'add',
      attrs: {},
      inputs: [
        [2, 3, 2, 2],
        [2, 3, 2, 2],
        [2, 3, 2, 2],
      ],
    },
    { op: 'dropout', attrs: { p: 0.3 }, inputs: [[3, 10]] },
    { op: 'softmax', attrs: {}, inputs: [[3, 6]] },
  ];
  for (const c of cases) {
    it(`${c.op} ${JSON.stringify(c.attrs)} on ${c.inputs.map((s) => `[${s}]`).join(', ')}`, async () => checkFiniteDifferences(c));
  }

  it('the softmax cross-entropy loss', () => {
    const logits = { data: random(5, 4 * 6, 3), shape: [4, 6] };
    const labels = [0, 5, 2, 2];
    const { grad, loss } = softmaxCrossEntropy(logits, labels);
    for (let i = 0; i < logits.data.length; i++) {
      const v = logits.data[i]!;
      logits.data[i] = v + H;
      const up = softmaxCrossEntropy(logits, labels).loss;
      logits.data[i] = v - H;
      const down = softmaxCrossEntropy(logits, labels).loss;
      logits.data[i] = v;
      expect(grad[i]!).toBeCloseTo((up - down) / (2 * H), 7);
    }
    expect(loss).toBeGreaterThan(0);
    expect(() => softmaxCrossEntropy(logits, [0, 1, 6, 0])).toThrow(/label 6 of sample 2 is outside 0..5/);
  });
});

describe('binary layers: the paper gradient and the straight-through estimator', () => {
  const layers = [
    { op: 'binconv2d', attrs: { mode: 'bwn', outChannels: 3, kernel: 3, padding: 1, stride: 2 }, x: [2, 3, 5, 5], w: [3, 3, 3, 3] },
    { op: 'binconv2d', attrs: { mode: 'xnor', outChannels: 4, kernel: 3, padding: 1 }, x: [2, 3, 4, 5], w: [4, 3, 3, 3] },
    { op: 'binconv2d', attrs: { mode: 'xnor', outChannels: 2, kernel: 2, scaleInput: false }, x: [1, 5, 3, 3], w: [2, 5, 2, 2] },
    { op: 'binlinear', attrs: { mode: 'xnor', outFeatures: 3 }, x: [3, 10], w: [3, 10] },
    { op: 'binlinear', attrs: { mode: 'bwn', outFeatures: 4, bias: false }, x: [2, 6], w: [4, 6] },
  ] as const;
  for (const layer of layers) {
    it(`${layer.op} ${JSON.stringify(layer.attrs)}`, async () => {
      const attrs = attrsOf(layer.op, layer.attrs);
      const bias = (attrs as { bias: boolean }).bias;
      const xnor = layer.attrs.mode === 'xnor';
      const x = { data: random(1, size(layer.x), 1.5), shape: layer.x };
      const latent = random(2, size(layer.w), 1.3);
      const params: TrainParams = { weight: latent, ...(bias ? { bias: random(3, layer.w[0]) } : {}) };
      const { output, saved } = await opOf(layer.op).train.forward([x], attrs, params, ctx());

      // The forward pass is the inference reference with the packed weights.
      const packed = packWeights(new Tensor(Float32Array.from(latent), [...layer.w]));
      const reference = opOf(layer.op).reference([new Tensor(Float32Array.from(x.data), [...layer.x])], attrs, {
        kind: 'binary',
        packed,
        bias: bias ? Float32Array.from(params['bias']!) : undefined,
      } as never);
      for (let i = 0; i < output.data.length; i++) expect(output.data[i]!).toBeCloseTo(reference.data[i]!, 4);

      const r = random(4, output.data.length);
      const grads = await opOf(layer.op).train.backward(r, saved, attrs, params, ctx());

      // Finite differences of the float layer at W~ and at the input it convolves, K fixed.
      const cout = layer.w[0];
      const { alpha, binary } = binarizeLatent(latent, cout);
      const input = xnor ? x.data.map((v) => (v >= 0 ? 1 : -1)) : x.data;
      const k = (saved as { k: Float64Array | undefined }).k;
      const floatOp = layer.op === 'binconv2d' ? 'conv2d' : 'linear';
      const { mode: _mode, scaleInput: _scale, ...floatRaw } = layer.attrs as Record<string, unknown>;
      const floatAttrs = attrsOf(floatOp, floatRaw);
      const floatParams: TrainParams = { weight: binary, ...(bias ? { bias: params['bias']! } : {}) };
      const ho = output.data.length / (layer.x[0] * cout);
      const loss = async (): Promise<number> => {
        const y = (await opOf(floatOp).train.forward([{ data: input, shape: layer.x }], floatAttrs, floatParams, ctx())).output.data;
        let sum = 0;
        for (let i = 0; i < y.length; i++) {
          const scale = k ? k[Math.floor(i / (ho * cout)) * ho + (i % ho)]! : 1;
          const biasPart = bias ? params['bias']![Math.floor(i / ho) % cout]! : 0;
          sum += ((y[i]! - biasPart) * scale + biasPart) * r[i]!;
        }
        return sum;
      };
      const numeric = async (values: Float64Array, i: number) => {
        const v = values[i]!;
        values[i] = v + H;
        const up = await loss();
        values[i] = v - H;
        const down = await loss();
        values[i] = v;
        return (up - down) / (2 * H);
      };
      const n = latent.length / cout;
      let clipped = 0;
      for (let i = 0; i < latent.length; i++) {
        const o = Math.floor(i / n);
        const inside = Math.abs(latent[i]!) <= 1;
        if (!inside) clipped++;
        const expected = (await numeric(binary as Float64Array, i)) * (1 / n + (inside ? alpha[o]! : 0));
        expect(grads.params['weight']![i]!).toBeCloseTo(expected, 6);
      }
      expect(clipped).toBeGreaterThan(0); // the 1_{|W| <= 1} term was exercised
      for (let i = 0; i < x.data.length; i++) {
        const through = xnor ? (Math.abs(x.data[i]!) <= 1 ? 1 : 0) : 1;
        expect(grads.inputs[0]![i]!).toBeCloseTo((await numeric(input as Float64Array, i)) * through, 6);
      }
    });
  }
});

describe('batchnorm statistics in training mode', () => {
  it("uses the batch's biased variance, moves the running ones with momentum 0.1 and the unbiased variance", async () => {
    const attrs = attrsOf('batchnorm', { affine: false, eps: 1e-5 });
    const x = { data: Float64Array.from([1, 2, 3, 4, 10, 20, 30, 40]), shape: [4, 2] };
    const params: TrainParams = { running_mean: Float64Array.from([0, 1]), running_var: Float64Array.from([1, 2]) };
    const { output } = await opOf('batchnorm').train.forward([x], attrs, params, ctx());
    // channel 0: 1, 3, 10, 30: mean 11, biased variance 131.5, unbiased 175.33
    expect(params['running_mean']![0]).toBeCloseTo(0.9 * 0 + 0.1 * 11, 12);
    expect(params['running_var']![0]).toBeCloseTo(0.9 * 1 + (0.1 * (131.5 * 4)) / 3, 10);
    expect(output.data[0]).toBeCloseTo((1 - 11) / Math.sqrt(131.5 + 1e-5), 12);
    // Evaluation uses the running statistics and leaves them alone.
    const before = Float64Array.from(params['running_mean']!);
    const evaluated = (await opOf('batchnorm').train.forward([x], attrs, params, ctx(false))).output;
    expect(params['running_mean']).toEqual(before);
    expect(evaluated.data[0]).toBeCloseTo((1 - before[0]!) / Math.sqrt(params['running_var']![0]! + 1e-5), 12);
  });
});
