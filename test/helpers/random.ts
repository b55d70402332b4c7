/** Random test data from a printed seed: XNORNET_SEED=<seed> replays a failing run. */
import { Tensor } from '../../src/tensor/tensor.js';
import { type Rng, createRng, seedFromEnv } from '../../src/util/random.js';

export function testRng(): Rng {
  return createRng(seedFromEnv());
}

/** Normal values, with exact zeros and negative zeros mixed in to exercise sign(0) = +1. */
export function randomTensor(rng: Rng, shape: readonly number[], { zeros = 0.05 } = {}): Tensor<Float32Array> {
  const t = Tensor.zeros(shape);
  for (let i = 0; i < t.size; i++) {
    const r = rng.next();
    t.data[i] = r < zeros / 2 ? 0 : r < zeros ? -0 : rng.normal();
  }
  return t;
}

/** max|y - ref| <= 1e-4 * (1 + max|ref|), the spec's single-layer float tolerance. */
export function maxToleranceViolation(y: ArrayLike<number>, ref: ArrayLike<number>): number {
  let maxRef = 0;
  for (let i = 0; i < ref.length; i++) maxRef = Math.max(maxRef, Math.abs(ref[i]!));
  const tolerance = 1e-4 * (1 + maxRef);
  let worst = 0;
  for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(y[i]! - ref[i]!) - tolerance);
  return worst;
}
