/** Every op's cases (test/cases) on WebGPU, against the reference. */
import { describe, it } from 'vitest';
import { WebGpuExecutor } from '../src/backends/webgpu/executor.js';
import { gpuForSuite } from './helpers/gpu.js';
import { expectCaseMatchesReference, opCaseTable } from './helpers/op-cases.js';
import { testRng } from './helpers/random.js';

const gpu = await gpuForSuite('op cases');

describe.skipIf(!gpu)('op cases on WebGPU', () => {
  it.each(opCaseTable)('%s', async (_, c) => {
    await expectCaseMatchesReference(c, testRng(), async (model, input) => {
      const executor = new WebGpuExecutor(gpu!, model.graph, model.weights);
      try {
        return await executor.run(input);
      } finally {
        executor.destroy();
      }
    });
  });
});
