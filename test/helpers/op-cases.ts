/**
 * The per-op harness: every case of test/cases runs as a one-node model on a backend and is
 * compared with the reference of its op (src/ops) within the spec's single-layer tolerance.
 */
import { expect } from 'vitest';
import { runReference } from '../../src/backends/reference.js';
import type { Model } from '../../src/model/model.js';
import { opOf } from '../../src/ops/registry.js';
import { Tensor } from '../../src/tensor/tensor.js';
import type { Rng } from '../../src/util/random.js';
import { OP_CASES, type OpCase } from '../cases/index.js';
import { tinyModel } from './models.js';
import { maxToleranceViolation, randomTensor } from './random.js';

/** [`op: case`, case] for every case of every op. */
export const opCaseTable = Object.entries(OP_CASES).flatMap(([op, cases]) => cases.map((c) => [`${op}: ${c.name}`, c] as const));

export function caseModel(c: OpCase): Model {
  return tinyModel(c.input, [c.node]);
}

export function caseInput(c: OpCase, rng: Rng): Tensor<Float32Array> {
  const x = randomTensor(rng, [c.batch, ...c.input]);
  if (c.values === 'zeros') x.data.fill(0);
  if (c.values === 'large') x.data.forEach((v, i) => (x.data[i] = v * 1000));
  return x;
}

/** Runs a case on `run` and checks it against the reference: same outputs, same shapes, values within tolerance. */
export async function expectCaseMatchesReference(
  c: OpCase,
  rng: Rng,
  run: (model: Model, input: Tensor<Float32Array>) => Promise<Map<string, Tensor<Float32Array>>>,
): Promise<void> {
  const model = caseModel(c);
  const input = caseInput(c, rng);
  const expected = runReference(model.graph, model.weights, input);
  const actual = await run(model, input);
  expect([...actual.keys()]).toEqual([...expected.keys()]);
  for (const [name, want] of expected) {
    const got = actual.get(name)!;
    expect(got.shape, name).toEqual(want.shape);
    const violation = maxToleranceViolation(got.data, want.data);
    expect(violation, `${name}: beyond 1e-4 * (1 + max|ref|) by ${violation}, seed ${rng.seed}`).toBeLessThanOrEqual(0);
  }
}

/** The reference's own check: its output has the shape the op's shape rule gives, batched. */
export function expectReferenceShape(c: OpCase, rng: Rng): void {
  const model = caseModel(c);
  const node = model.graph.nodes[0]!;
  const shape = opOf(node.attrs.op).outputShape(
    node.attrs,
    node.inputs.map(() => c.input),
    (m) => {
      throw new Error(m);
    },
  );
  const out = runReference(model.graph, model.weights, caseInput(c, rng)).get(node.name)!;
  expect(out.shape).toEqual([c.batch, ...shape]);
  expect(out.data.every(Number.isFinite)).toBe(true);
}
