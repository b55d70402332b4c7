/**
 * Bulk sampling from the seeded Rng. AlexNet needs ~60M normal values, so the normals come
 * from Marsaglia's polar method (two per logarithm, no trigonometry), about twice as fast as
 * one rng.normal() call per value.
 */
import type { Rng } from '../util/random.js';

export function fillNormal(rng: Rng, data: Float32Array, std: number): void {
  for (let i = 0; i < data.length; i += 2) {
    let u: number;
    let v: number;
    let s: number;
    do {
      u = 2 * rng.next() - 1;
      v = 2 * rng.next() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const scale = std * Math.sqrt((-2 * Math.log(s)) / s);
    data[i] = u * scale;
    if (i + 1 < data.length) data[i + 1] = v * scale;
  }
}

export function fillUniform(rng: Rng, data: Float32Array, lo: number, hi: number): void {
  for (let i = 0; i < data.length; i++) data[i] = rng.uniform(lo, hi);
}
