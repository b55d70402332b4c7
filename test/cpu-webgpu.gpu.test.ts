/**
 * The two fast backends against each other (issue 5: the CPU backend agrees with the WebGPU
 * backend on the argmax of >= 99.9% of random inputs). Their integer parts are identical, so
 * only float rounding in the float layers and epilogues can tell them apart.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createRunner } from '../src/runner/runner.js';
import { WebGpuExecutor } from '../src/backends/webgpu/executor.js';
import { loadZooModel } from '../src/zoo/index.js';
import type { Tensor } from '../src/tensor/tensor.js';
import { expectNetworksAgree, hasBinaryActivations } from './helpers/agreement.js';
import { gpuForSuite } from './helpers/gpu.js';
import { randomInput } from './helpers/models.js';
import { testRng } from './helpers/random.js';

const ctx = await gpuForSuite('cpu against webgpu');
const closers: (() => void)[] = [];
afterAll(() => closers.forEach((close) => close()));

describe.skipIf(!ctx)('CPU backend against the WebGPU backend', () => {
  it.each([
    ['lenet5-xnor', 125, 8],
    ['lenet5-bwn', 125, 2],
    ['nin-xnor', 16, 2],
  ])('%s, batches of %i x %i: same argmax on at least 99.9 percent of random inputs', async (name, batch, batches) => {
    const rng = testRng();
    const model = loadZooModel(name);
    const gpu = new WebGpuExecutor(ctx!, model.graph, model.weights);
    const cpu = await createRunner(model, 'cpu', { threads: 2 });
    closers.push(
      () => gpu.destroy(),
      () => cpu.close(),
    );
    const pairs: [Tensor<Float32Array>, Tensor<Float32Array>][] = [];
    for (let b = 0; b < batches; b++) {
      const input = randomInput(rng, model, batch);
      const [onGpu, onCpu] = await Promise.all([gpu.run(input), cpu.run(input)]);
      for (const [output, expected] of onGpu) pairs.push([expected, onCpu.get(output)!]);
    }
    expect(pairs.reduce((n, [e]) => n + e.shape[0]!, 0)).toBe(batch * batches);
    expectNetworksAgree(pairs, hasBinaryActivations(model.graph), `${name} (cpu against webgpu), seed ${rng.seed}`);
  });
});
