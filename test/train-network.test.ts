/**
 * Whole networks in training: the evaluation-mode forward pass against the inference
 * reference, whole-graph gradients (a residual shortcut, batchnorm in training mode) against
 * finite differences in float64, and the optimisers against their formulas step by step.
 */
import { describe, expect, it } from 'vitest';
import { runReference } from '../src/backends/reference.js';
import { modelFromFiles } from '../src/model/model.js';
import { writeSafetensors } from '../src/model/safetensors.js';
import type { ModelJson, ModelNode } from '../src/model/types.js';
import { referenceConvKernels } from '../src/ops/conv-kernels-reference.js';
import { Tensor } from '../src/tensor/tensor.js';
import { softmaxCrossEntropy } from '../src/train/loss.js';
import { Network } from '../src/train/network.js';
import { Optimizer, learningRate } from '../src/train/optimizer.js';
import { createRng } from '../src/util/random.js';
import { GraphBuilder } from '../src/zoo/builder.js';
import { loadZooModel } from '../src/zoo/index.js';

const ctx = (training: boolean) => ({ kernels: referenceConvKernels, rng: createRng(5), training });

function modelOf(input: number[], nodes: ModelNode[], seed = 3) {
  const b = new GraphBuilder(input, createRng(seed));
  for (const node of nodes) b.add(node);
  const json: ModelJson = {
    format: 'xnornet',
    version: 1,
    name: 'small',
    input: { shape: input },
    weights: 'w.safetensors',
    nodes: b.nodes,
  };
  return modelFromFiles({ json, weights: writeSafetensors(b.weights) });
}

/** A small residual network with every kind of layer the zoo trains. */
const RESIDUAL: ModelNode[] = [
  { op: 'conv2d', name: 'conv1', outChannels: 4, kernel: 3, padding: 1 },
  { op: 'batchnorm', name: 'bn1' },
  { op: 'relu', name: 'relu1' },
  { op: 'conv2d', name: 'conv2', outChannels: 4, kernel: 3, padding: 1, bias: false },
  { op: 'batchnorm', name: 'bn2' },
  { op: 'add', name: 'sum', in: ['bn2', 'relu1'] },
  { op: 'hardtanh', name: 'act' },
  { op: 'maxpool2d', name: 'pool', kernel: 2, stride: 2 },
  { op: 'flatten', name: 'flat' },
  { op: 'linear', name: 'fc', outFeatures: 3 },
];

describe('a network in training', () => {
  it('in evaluation mode computes what the inference reference computes', async () => {
    for (const name of ['lenet5-xnor', 'lenet5-bwn', 'lenet5-float']) {
      const model = loadZooModel(name);
      const network = new Network(model, 'float64');
      const rng = createRng(1);
      const x = Float32Array.from({ length: 3 * 28 * 28 }, () => rng.normal());
      const expected = runReference(model.graph, model.weights, new Tensor(x, [3, 1, 28, 28])).get(model.graph.outputs[0]!)!;
      const { logits } = await network.forward({ data: Float64Array.from(x), shape: [3, 1, 28, 28] }, ctx(false));
      const scale = 1 + Math.max(...expected.data.map(Math.abs));
      for (let i = 0; i < expected.size; i++)
        expect(Math.abs(logits.data[i]! - expected.data[i]!), `${name} logit ${i}`).toBeLessThan(1e-4 * scale);
    }
  });

  it('has whole-graph gradients equal to finite differences (residual add, batchnorm in training mode)', async () => {
    const network = new Network(modelOf([2, 5, 5], RESIDUAL), 'float64');
    const rng = createRng(2);
    const x = Float64Array.from({ length: 3 * 2 * 25 }, () => rng.normal());
    const labels = [0, 2, 1];
    const loss = async () => softmaxCrossEntropy((await network.forward({ data: x, shape: [3, 2, 5, 5] }, ctx(true))).logits, labels);
    const tape = await network.forward({ data: x, shape: [3, 2, 5, 5] }, ctx(true));
    const grads = await network.backward(tape, softmaxCrossEntropy(tape.logits, labels).grad, ctx(true));
    let checked = 0;
    for (const { node, params, trainable } of network.nodes) {
      for (const suffix of trainable) {
        const values = params[suffix]!;
        for (let i = 0; i < values.length; i += 3) {
          const v = values[i]!;
          values[i] = v + 1e-6;
          const up = (await loss()).loss;
          values[i] = v - 1e-6;
          const down = (await loss()).loss;
          values[i] = v;
          const numeric = (up - down) / 2e-6;
          expect(Math.abs(grads.get(node.name)![suffix]![i]! - numeric), `${node.name}.${suffix}[${i}]`).toBeLessThan(
            1e-6 * (1 + Math.abs(numeric)),
          );
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(40);
    expect([...grads.keys()]).toEqual(expect.arrayContaining(['conv1', 'bn1', 'conv2', 'bn2', 'fc']));
  });

  it('ends at the logits when the graph ends in a softmax', async () => {
    const network = new Network(
      modelOf(
        [3],
        [
          { op: 'linear', name: 'fc', outFeatures: 2 },
          { op: 'softmax', name: 'prob' },
        ],
      ),
      'float64',
    );
    expect(network.logitsNode).toBe('fc');
    const { logits } = await network.forward({ data: Float64Array.from([1, 2, 3]), shape: [1, 3] }, ctx(true));
    expect(Array.from(logits.data).reduce((a, b) => a + b, 0)).not.toBeCloseTo(1, 6);
  });
});

describe('optimisers (semantics.md, PyTorch definitions)', () => {
  const single = () => new Network(modelOf([2], [{ op: 'binlinear', name: 'fc', mode: 'bwn', outFeatures: 1, bias: true }]), 'float64');
  const grads = (w: number[], b: number[]) => new Map([['fc', { weight: Float64Array.from(w), bias: Float64Array.from(b) }]]);

  it('SGD with momentum and weight decay, the first velocity the gradient itself, then clipping', () => {
    const network = single();
    const { params } = network.nodes[0]!;
    params['weight']!.set([0.5, -0.2]);
    params['bias']!.set([2]);
    const sgd = new Optimizer(network, { name: 'sgd', momentum: 0.9, weightDecay: 0.1, clip: true });
    sgd.update(grads([1, -1], [0.5]), 0.1);
    // v = g + wd * W = [1.05, -1.02]; W = W - 0.1 v
    expect(params['weight']![0]).toBeCloseTo(0.5 - 0.105, 12);
    expect(params['weight']![1]).toBeCloseTo(-0.2 + 0.102, 12);
    // Biases are not clipped (not a binary layer's latent weight): 2 - 0.1 * (0.5 + 0.2)
    expect(params['bias']![0]).toBeCloseTo(2 - 0.07, 12);
    const w0 = params['weight']![0]!;
    sgd.update(grads([-20, 0], [0]), 0.1);
    // v = 0.9 * 1.05 + (-20 + 0.1 * w0); W = w0 - 0.1 v, then clipped to 1
    expect(w0 - 0.1 * (0.9 * 1.05 + (-20 + 0.1 * w0))).toBeGreaterThan(1);
    expect(params['weight']![0]).toBe(1);
  });

  it('Adam, bias-corrected, as torch.optim.Adam computes it', () => {
    const network = single();
    const { params } = network.nodes[0]!;
    params['weight']!.set([0.3, -0.4]);
    const adam = new Optimizer(network, { name: 'adam', momentum: 0, weightDecay: 0, clip: false });
    let m = 0;
    let v = 0;
    let w = 0.3;
    for (let step = 1; step <= 3; step++) {
      const g = [0.2, -0.5, 0.1][step - 1]!;
      adam.update(grads([g, 0], [0]), 0.01);
      m = 0.9 * m + 0.1 * g;
      v = 0.999 * v + 0.001 * g * g;
      w -= ((0.01 / (1 - 0.9 ** step)) * m) / (Math.sqrt(v) / Math.sqrt(1 - 0.999 ** step) + 1e-8);
      expect(params['weight']![0]).toBeCloseTo(w, 12);
    }
  });

  it('schedules: constant, step, cosine per epoch', () => {
    const schedule = (name: 'constant' | 'step' | 'cosine') => ({ name, stepSize: 2, gamma: 0.5 });
    expect([0, 1, 2, 3, 4].map((e) => learningRate(0.1, e, 5, schedule('step')))).toEqual([0.1, 0.1, 0.05, 0.05, 0.025]);
    expect(learningRate(0.1, 3, 5, schedule('constant'))).toBe(0.1);
    expect(learningRate(0.1, 0, 4, schedule('cosine'))).toBeCloseTo(0.1, 12);
    expect(learningRate(0.1, 2, 4, schedule('cosine'))).toBeCloseTo(0.05, 12);
  });
});
