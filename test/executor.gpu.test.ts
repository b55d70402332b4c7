/**
 * Whole networks on WebGPU against the CPU float reference (semantics.md: identical argmax on
 * at least 99.9% of inputs, logits within float tolerance), for every zoo model.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { agreement } from '../src/runner/compare.js';
import { InputShapeError } from '../src/model/input.js';
import { runReference } from '../src/backends/reference.js';
import { WebGpuExecutor } from '../src/backends/webgpu/executor.js';
import type { Model } from '../src/model/model.js';
import { loadZooModel } from '../src/zoo/index.js';
import { Tensor } from '../src/tensor/tensor.js';
import { gpuForSuite } from './helpers/gpu.js';
import { expectNetworksAgree, hasBinaryActivations } from './helpers/agreement.js';
import { atInputSize, randomInput } from './helpers/models.js';
import { testRng } from './helpers/random.js';

const ctx = await gpuForSuite('executor');
const executors: WebGpuExecutor[] = [];
afterAll(() => executors.forEach((e) => e.destroy()));

function executor(model: Model): WebGpuExecutor {
  const e = new WebGpuExecutor(ctx!, model.graph, model.weights);
  executors.push(e);
  return e;
}

/** Runs `batches` random batches on WebGPU and on the reference, and checks their agreement. */
async function expectAgreement(model: Model, batch: number, batches: number) {
  const rng = testRng();
  const gpu = executor(model);
  const pairs: [Tensor<Float32Array>, Tensor<Float32Array>][] = [];
  for (let b = 0; b < batches; b++) {
    const input = randomInput(rng, model, batch);
    const out = await gpu.run(input);
    for (const [name, expected] of runReference(model.graph, model.weights, input)) pairs.push([expected, out.get(name)!]);
  }
  expectNetworksAgree(pairs, hasBinaryActivations(model.graph), `${model.source}, seed ${rng.seed}`);
}

describe.skipIf(!ctx)('WebGPU executor against the CPU reference', () => {
  it.each(['lenet5-float', 'lenet5-bwn', 'lenet5-xnor'])('%s, 128 random inputs in batches of 8', async (name) => {
    await expectAgreement(loadZooModel(name), 8, 16);
  });

  it.each(['nin-float', 'nin-bwn', 'nin-xnor'])('%s, batch 2', async (name) => {
    await expectAgreement(loadZooModel(name), 2, 1);
  });

  it.each(['resnet18-float', 'resnet18-bwn', 'resnet18-xnor'])('%s at 64x64 (same weights), batch 2', async (name) => {
    await expectAgreement(atInputSize(name, [3, 64, 64]), 2, 1);
  });

  it.each(['alexnet-float', 'alexnet-bwn', 'alexnet-xnor'])('%s at 224x224, batch 1', async (name) => {
    await expectAgreement(loadZooModel(name), 1, 1);
  });

  it('gives each of two concurrent runs on one model its own answer', async () => {
    const rng = testRng();
    const model = loadZooModel('lenet5-xnor');
    const gpu = executor(model);
    const [a, b] = [randomInput(rng, model, 4), randomInput(rng, model, 4)];
    const [ra, rb] = await Promise.all([gpu.run(a), gpu.run(b)]);
    expect(ra.get('fc2')!.data, `seed ${rng.seed}`).toEqual((await gpu.run(a)).get('fc2')!.data);
    expect(rb.get('fc2')!.data, `seed ${rng.seed}`).toEqual((await gpu.run(b)).get('fc2')!.data);
    expect(ra.get('fc2')!.data).not.toEqual(rb.get('fc2')!.data);
  });

  it('runs several models and batch sizes on one device, and keeps results on the GPU on request', async () => {
    const rng = testRng();
    const lenet = loadZooModel('lenet5-bwn');
    const nin = loadZooModel('nin-xnor');
    const [gl, gn] = [executor(lenet), executor(nin)];
    const x1 = randomInput(rng, lenet, 1);
    const x3 = randomInput(rng, lenet, 3);
    const kept = await gl.runOnGpu(x3);
    const ninOut = await gn.run(randomInput(rng, nin, 1));
    await gl.run(x1); // another batch size: another plan, same weights on the GPU
    const reference = runReference(lenet.graph, lenet.weights, x3).get('fc2')!;
    const fromGpu = (await kept.get('fc2')!.read()) as Tensor<Float32Array>;
    expect(agreement(reference, fromGpu).sameArgmax, `seed ${rng.seed}`).toBe(3);
    expect(ninOut.get(nin.graph.outputs[0]!)!.shape).toEqual([1, 10]);
    kept.forEach((t) => t.destroy());
  });

  it('reuses activation buffers and reports what it allocates', async () => {
    const stats = await executor(loadZooModel('nin-xnor')).stats(4);
    expect(stats.batch).toBe(4);
    expect(stats.activationBytes).toBeGreaterThan(0);
    expect(stats.activationBytes).toBeLessThan(stats.unpooledActivationBytes);
  });

  it('rejects an input whose shape does not match the model', async () => {
    const gpu = executor(loadZooModel('lenet5-xnor'));
    await expect(gpu.run(Tensor.zeros([2, 3, 28, 28]))).rejects.toThrow(InputShapeError);
    await expect(gpu.run(Tensor.zeros([2, 1, 28, 28, 1]))).rejects.toThrow(
      "lenet5-xnor: input shape [2, 1, 28, 28, 1] does not match the model's input [1, 28, 28] (expected [N, 1, 28, 28])",
    );
    await expect(gpu.run(Tensor.zeros([0, 1, 28, 28]))).rejects.toThrow('holds no samples (N must be >= 1)');
  });
});
