/** Every op's cases (test/cases) on the reference and on the cpu backend (1 and 2 threads). */
import { afterAll, describe, expect, it } from 'vitest';
import { CpuExecutor } from '../src/backends/cpu/executor.js';
import { createCpuThreadPool } from '../src/backends/cpu/platform-thread-pool.js';
import { OP_NAMES } from '../src/ops/registry.js';
import { OP_CASES } from './cases/index.js';
import { expectCaseMatchesReference, expectReferenceShape, opCaseTable } from './helpers/op-cases.js';
import { testRng } from './helpers/random.js';

describe('op cases', () => {
  it('cover every op of the registry', () => {
    expect(Object.keys(OP_CASES).sort()).toEqual([...OP_NAMES].sort());
    for (const op of OP_NAMES) expect(OP_CASES[op].length, op).toBeGreaterThan(0);
  });

  it.each(opCaseTable)('reference, %s: the shape rule', (_, c) => expectReferenceShape(c, testRng()));
});

describe.each([1, 2])('op cases on the cpu backend, %i thread(s)', (threads) => {
  const pool = createCpuThreadPool({ threads });
  afterAll(async () => (await pool).close());

  it.each(opCaseTable)('%s', async (_, c) => {
    const p = await pool;
    await expectCaseMatchesReference(c, testRng(), (model, input) => new CpuExecutor(model.graph, model.weights, p).run(input));
  });
});
