/**
 * What every backend accepts as input, the same way: float32 of the model's input shape with a
 * batch axis, finite values; anything else is refused before any work with an error that says
 * what is wrong. Also the runner's own options (backend names, threads, per-layer outputs).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { InputShapeError, InputValueError } from '../src/model/input.js';
import { type Runner, createRunner } from '../src/runner/runner.js';
import { type AnyTypedArray, Tensor } from '../src/tensor/tensor.js';
import { loadZooModel } from '../src/zoo/index.js';
import { gpuForSuite } from './helpers/gpu.js';

const gpu = await gpuForSuite('inputs');
gpu?.destroy(); // only probing: the webgpu runner makes its own context
const model = loadZooModel('lenet5-xnor');
const backends = gpu ? (['reference', 'cpu', 'webgpu'] as const) : (['reference', 'cpu'] as const);

describe.each(backends)('inputs on the %s backend', (backend) => {
  const runner: Promise<Runner> = createRunner(model, backend);
  afterAll(async () => (await runner).close());
  const run = async (data: AnyTypedArray, shape: number[]) => (await runner).run(new Tensor(data, shape) as Tensor<Float32Array>);

  it('refuses a shape that does not fit, an unbatched sample and an empty batch, saying which', async () => {
    await expect(run(new Float32Array(2 * 3 * 784), [2, 3, 28, 28])).rejects.toThrow(
      new InputShapeError("lenet5-xnor: input shape [2, 3, 28, 28] does not match the model's input [1, 28, 28] (expected [N, 1, 28, 28])"),
    );
    await expect(run(new Float32Array(784), [1, 28, 28])).rejects.toThrow(
      'input shape [1, 28, 28] has no batch axis; the model takes [N, 1, 28, 28] (one sample is [1, 1, 28, 28])',
    );
    await expect(run(new Float32Array(0), [0, 1, 28, 28])).rejects.toThrow('the input [0, 1, 28, 28] holds no samples');
    await expect(run(new Float32Array(1), [])).rejects.toThrow(InputShapeError);
  });

  it('refuses integer inputs instead of reading their bits or converting them', async () => {
    for (const data of [new Uint32Array(784).fill(7), new Int32Array(784).fill(-3)]) {
      const err = await run(data, [1, 1, 28, 28]).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InputValueError);
      expect((err as Error).message).toMatch(/the input is u?int32; models take float32 inputs/);
    }
  });

  it('refuses NaN and infinities, naming the element and its sample', async () => {
    for (const bad of [Number.NaN, Infinity, -Infinity]) {
      const data = new Float32Array(2 * 784).fill(0.5);
      data[784 + 10] = bad;
      await expect(run(data, [2, 1, 28, 28])).rejects.toThrow(
        new InputValueError(`lenet5-xnor: input element 794 (sample 1) is ${bad}; inputs must be finite`),
      );
    }
  });

  it('runs a valid batch, and returns the outputs of the nodes named in `outputs`', async () => {
    const full = await run(new Float32Array(2 * 784).fill(0.25), [2, 1, 28, 28]);
    expect([...full.keys()]).toEqual(['fc2']);
    const layers = await createRunner(model, backend, { outputs: ['conv1', 'fc1', 'fc2'] });
    try {
      const out = await layers.run(new Tensor(new Float32Array(2 * 784).fill(0.25), [2, 1, 28, 28]));
      expect([...out.keys()]).toEqual(['conv1', 'fc1', 'fc2']);
      expect(out.get('conv1')!.shape).toEqual([2, ...model.graph.nodes.find((n) => n.name === 'conv1')!.shape]);
      expect(out.get('fc1')!.shape).toEqual([2, 500]);
      expect(out.get('fc2')!.data).toEqual(full.get('fc2')!.data);
    } finally {
      layers.close();
    }
  });
});

describe('runner options', () => {
  it.each(['CPU', 'gpu', '', undefined, 'webgpu '])('refuses the backend %j, listing the valid ones', async (name) => {
    await expect(createRunner(model, name as never)).rejects.toThrow(/^unknown backend .* \(the backends: webgpu, cpu, reference\)$/);
  });

  it('refuses threads for a backend without threads, and unknown output nodes', async () => {
    await expect(createRunner(model, 'reference', { threads: 2 })).rejects.toThrow('threads applies to the cpu backend only');
    await expect(createRunner(model, 'reference', { outputs: ['conv1', 'nope'] })).rejects.toThrow(
      'zoo:lenet5-xnor: no node is named "nope" (its nodes: conv1,',
    );
  });
});
