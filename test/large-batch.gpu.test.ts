/**
 * Batches larger than the device's limits: the executor runs them in chunks of the largest
 * batch that fits (bit for bit what an unchunked run gives), and a sample that cannot fit at
 * all is a clear error before anything reaches the GPU. Small limits are asked for through
 * createContext's `limits`, so the models stay small enough for SwiftShader.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { type ComputeLimits, type GpuContext, createContext } from '../src/backends/webgpu/context.js';
import { SampleTooLargeError, WebGpuExecutor } from '../src/backends/webgpu/executor.js';
import type { Model } from '../src/model/model.js';
import { planGraph } from '../src/plan/plan.js';
import { Tensor } from '../src/tensor/tensor.js';
import { loadZooModel } from '../src/zoo/index.js';
import { gpuForSuite } from './helpers/gpu.js';
import { randomInput } from './helpers/models.js';
import { testRng } from './helpers/random.js';

const ctx = await gpuForSuite('large batches');
const cleanup: { destroy(): void }[] = [];
afterAll(() => cleanup.reverse().forEach((c) => c.destroy()));

async function limitedContext(limits: Partial<ComputeLimits>): Promise<GpuContext> {
  const limited = await createContext({ limits });
  cleanup.push(limited);
  return limited;
}

function executor(gpu: GpuContext, model: Model): WebGpuExecutor {
  const e = new WebGpuExecutor(gpu, model.graph, model.weights);
  cleanup.push(e);
  return e;
}

/** Bytes of the largest value of one sample in the backend-neutral plan (conv1's output for LeNet). */
function largestValueBytes(model: Model): number {
  return Math.max(...planGraph(model.graph, model.weights, 1).values.map((v) => 4 * v.elements));
}

function expectSameOutputs(got: Map<string, Tensor<Float32Array>>, expected: Map<string, Tensor<Float32Array>>, what: string) {
  expect([...got.keys()]).toEqual([...expected.keys()]);
  for (const [name, tensor] of expected) {
    expect(got.get(name)!.shape, `${what} ${name}`).toEqual(tensor.shape);
    expect(got.get(name)!.data, `${what} ${name}`).toEqual(tensor.data);
  }
}

describe.skipIf(!ctx)('WebGPU batches larger than the device allows', () => {
  it.each([
    // Buffers of 4.5 samples' conv1 output (24x24x20 floats), but on WebGPU conv1 reads its
    // input's patches, 24x24 pixels x 28 floats: 3.2 samples of those, so chunks of 3.
    ['lenet5-xnor', (m: Model) => ({ maxStorageBufferBindingSize: Math.floor(4.5 * largestValueBytes(m)) }), 3],
    ['lenet5-bwn', (m: Model) => ({ maxBufferSize: Math.floor(4.5 * largestValueBytes(m)) }), 3],
    // 32 x 32 workgroups of 64: 65536 elements a dispatch, 4 samples' conv1 patches; every grid folds
    ['lenet5-float', () => ({ maxComputeWorkgroupsPerDimension: 32 }), 4],
  ] as const)('%s: chunks a batch to the limits, bit for bit the unchunked outputs', async (name, limits, chunk) => {
    const rng = testRng();
    const model = loadZooModel(name);
    const whole = executor(ctx!, model);
    const chunked = executor(await limitedContext(limits(model)), model);
    expect(chunked.maxBatch()).toBe(chunk);
    expect(whole.maxBatch()).toBeGreaterThan(1000);
    const inputs = [2 * chunk + 1, 2 * chunk + 2, chunk, 3 * chunk].map((batch) => randomInput(rng, model, batch));
    for (const input of inputs) {
      expectSameOutputs(await chunked.run(input), await whole.run(input), `batch ${input.shape[0]} seed ${rng.seed}`);
    }
    // Kept outputs on the GPU: the chunks write their rows of one tensor.
    const kept = await chunked.runOnGpu(inputs[0]!);
    const read = new Map<string, Tensor<Float32Array>>();
    for (const [n, t] of kept) read.set(n, (await t.read()) as Tensor<Float32Array>);
    kept.forEach((t) => t.destroy());
    expectSameOutputs(read, await whole.run(inputs[0]!), `runOnGpu seed ${rng.seed}`);
    // Concurrent chunked runs with different last chunks (the remainder plan changes under them).
    const [a, b] = await Promise.all([chunked.run(inputs[0]!), chunked.run(inputs[1]!)]);
    expectSameOutputs(a, await whole.run(inputs[0]!), `concurrent a seed ${rng.seed}`);
    expectSameOutputs(b, await whole.run(inputs[1]!), `concurrent b seed ${rng.seed}`);
    // One plan kept, the chunk size's (also run whole), and the last remainder's: not one per batch size.
    const internals = chunked as unknown as { plans: Map<number, unknown>; remainder: { batch: number } };
    expect([...internals.plans.keys()]).toEqual([chunk]);
    expect(internals.remainder.batch).toBe(2);
  });

  it('names the model, the value and the sizes when one sample does not fit a buffer', async () => {
    const model = loadZooModel('lenet5-xnor');
    const tiny = executor(await limitedContext({ maxStorageBufferBindingSize: 40_000 }), model);
    const rejection = expect(tiny.run(randomInput(testRng(), model, 4))).rejects;
    await rejection.toThrow(SampleTooLargeError);
    await expect(tiny.run(randomInput(testRng(), model, 1))).rejects.toThrow(
      'lenet5-xnor: one sample does not fit this device: the output of conv1+bn1+relu#2 (float32 [1, 20, 24, 24]) needs 46080 bytes, ' +
        'more than its limit of 40000 bytes per buffer (maxStorageBufferBindingSize 40000, maxBufferSize ',
    );
    expect(() => tiny.maxBatch()).toThrow(SampleTooLargeError);
  });

  it('names the dispatch limit when one sample needs more workgroups than a folded grid holds', async () => {
    const model = loadZooModel('lenet5-xnor');
    const tiny = executor(await limitedContext({ maxComputeWorkgroupsPerDimension: 8 }), model);
    await expect(tiny.run(randomInput(testRng(), model, 1))).rejects.toThrow(
      'lenet5-xnor: one sample does not fit this device: the output of conv1+bn1+relu#2 (float32 [1, 20, 24, 24]) needs 11520 ' +
        'invocations, more than one dispatch holds (4096: maxComputeWorkgroupsPerDimension 8 squared x 64)',
    );
  });

  it('rejects limits above the adapter or unknown', async () => {
    await expect(createContext({ limits: { maxBufferSize: 2 ** 60 } })).rejects.toThrow('limit maxBufferSize must be an integer from 1');
    await expect(createContext({ limits: { maxTextures: 1 } as Partial<ComputeLimits> })).rejects.toThrow('unknown limit maxTextures');
  });
});
