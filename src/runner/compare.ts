/** How closely two backends' outputs [N, classes] agree: the whole-network test of semantics.md. */
import type { Tensor } from '../tensor/tensor.js';

export interface Agreement {
  samples: number;
  /** Samples whose argmax over dimension 1 is the same in both. */
  sameArgmax: number;
  maxAbsDiff: number;
  maxAbsReference: number;
}

export function argmaxRows(t: Tensor<Float32Array>): number[] {
  const n = t.shape[0]!;
  const width = n === 0 ? 0 : t.size / n;
  return Array.from({ length: n }, (_, row) => {
    let best = 0;
    for (let j = 1; j < width; j++) if (t.data[row * width + j]! > t.data[row * width + best]!) best = j;
    return best;
  });
}

export function agreement(reference: Tensor<Float32Array>, other: Tensor<Float32Array>): Agreement {
  const a = argmaxRows(reference);
  const b = argmaxRows(other);
  let maxAbsDiff = 0;
  let maxAbsReference = 0;
  reference.data.forEach((v, i) => {
    maxAbsDiff = Math.max(maxAbsDiff, Math.abs(v - other.data[i]!));
    maxAbsReference = Math.max(maxAbsReference, Math.abs(v));
  });
  return { samples: a.length, sameArgmax: a.filter((v, i) => v === b[i]).length, maxAbsDiff, maxAbsReference };
}

export function mergeAgreement(x: Agreement, y: Agreement): Agreement {
  return {
    samples: x.samples + y.samples,
    sameArgmax: x.sameArgmax + y.sameArgmax,
    maxAbsDiff: Math.max(x.maxAbsDiff, y.maxAbsDiff),
    maxAbsReference: Math.max(x.maxAbsReference, y.maxAbsReference),
  };
}
