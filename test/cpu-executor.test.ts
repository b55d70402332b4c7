/**
 * The CPU backend (packed-bit XNOR kernel on worker threads, the rest in TypeScript) against
 * the CPU float reference, on the zoo models, with 1 and 2 threads.
 */
import { describe, expect, it } from 'vitest';
import { runReference } from '../src/backends/reference.js';
import { createRunner } from '../src/runner/runner.js';
import type { Model } from '../src/model/model.js';
import { loadZooModel } from '../src/zoo/index.js';
import { Tensor } from '../src/tensor/tensor.js';
import { expectNetworksAgree, hasBinaryActivations } from './helpers/agreement.js';
import { atInputSize, randomInput } from './helpers/models.js';
import { testRng } from './helpers/random.js';

async function expectAgreement(model: Model, batch: number, threads: number) {
  const rng = testRng();
  const input = randomInput(rng, model, batch);
  const runner = await createRunner(model, 'cpu', { threads });
  try {
    const out = await runner.run(input);
    const pairs = [...runReference(model.graph, model.weights, input)].map(
      ([name, expected]): [Tensor<Float32Array>, Tensor<Float32Array>] => [expected, out.get(name)!],
    );
    expectNetworksAgree(pairs, hasBinaryActivations(model.graph), `${model.source}, seed ${rng.seed}`);
  } finally {
    runner.close();
  }
}

describe('CPU backend against the CPU reference', () => {
  it.each(['lenet5-float', 'lenet5-bwn', 'lenet5-xnor'])('%s, batch 16, 2 threads', async (name) => {
    await expectAgreement(loadZooModel(name), 16, 2);
  });

  it.each(['nin-float', 'nin-bwn', 'nin-xnor'])('%s, batch 2, 1 thread', async (name) => {
    await expectAgreement(loadZooModel(name), 2, 1);
  });

  it.each(['resnet18-float', 'resnet18-bwn', 'resnet18-xnor'])('%s at 64x64, batch 2, 2 threads', async (name) => {
    await expectAgreement(atInputSize(name, [3, 64, 64]), 2, 2);
  });

  it.each(['alexnet-float', 'alexnet-bwn', 'alexnet-xnor'])('%s at 224x224, batch 1, 2 threads', async (name) => {
    await expectAgreement(loadZooModel(name), 1, 2);
  });

  it('serialises concurrent runs on one executor', async () => {
    const rng = testRng();
    const model = loadZooModel('lenet5-xnor');
    const runner = await createRunner(model, 'cpu', { threads: 2 });
    try {
      const inputs = [0, 1, 2].map(() => {
        const t = Tensor.zeros([3, 1, 28, 28]);
        for (let i = 0; i < t.size; i++) t.data[i] = rng.normal();
        return t;
      });
      const together = await Promise.all(inputs.map((x) => runner.run(x)));
      for (const [i, x] of inputs.entries()) {
        expect(together[i]!.get('fc2')!.data, `seed ${rng.seed}`).toEqual((await runner.run(x)).get('fc2')!.data);
      }
    } finally {
      runner.close();
    }
  });
});
