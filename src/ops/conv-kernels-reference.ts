/**
 * The reference ConvKernels of the training passes: direct loops over the definition, sums in
 * float64, written for clarity. Every trainer's kernels are tested against these, and these
 * against central finite differences.
 */
import type { ConvGeometry } from './conv.js';
import { type ConvKernels, type Floats, zerosLike } from './training.js';

/** Calls visit(outIndex, inIndex, weightIndex) for every tap of the convolution that lands inside the input. */
function forEachTap(g: ConvGeometry, visit: (out: number, input: number, weight: number) => void): void {
  const { n, cin, h, w, cout, kh, kw, ho, wo, stride, padding } = g;
  for (let b = 0; b < n; b++) {
    for (let o = 0; o < cout; o++) {
      for (let i = 0; i < ho; i++) {
        for (let j = 0; j < wo; j++) {
          const out = ((b * cout + o) * ho + i) * wo + j;
          for (let c = 0; c < cin; c++) {
            for (let u = 0; u < kh; u++) {
              const y = i * stride[0] + u - padding[0];
              if (y < 0 || y >= h) continue;
              for (let v = 0; v < kw; v++) {
                const x = j * stride[1] + v - padding[1];
                if (x < 0 || x >= w) continue;
                visit(out, ((b * cin + c) * h + y) * w + x, ((o * cin + c) * kh + u) * kw + v);
              }
            }
          }
        }
      }
    }
  }
}

/** Sums into a float64 array, then stores in the operands' precision. */
function accumulate(like: Floats, length: number, run: (sums: Float64Array) => void): Floats {
  const sums = new Float64Array(length);
  run(sums);
  const out = zerosLike(like, length);
  out.set(sums);
  return out;
}

export const referenceConvKernels: ConvKernels = {
  forward: (x, wt, g) => accumulate(x, g.n * g.cout * g.ho * g.wo, (y) => forEachTap(g, (o, i, k) => (y[o]! += wt[k]! * x[i]!))),
  inputGrad: (dy, wt, g) => accumulate(dy, g.n * g.cin * g.h * g.w, (dx) => forEachTap(g, (o, i, k) => (dx[i]! += wt[k]! * dy[o]!))),
  weightGrad: (dy, x, g) => accumulate(dy, g.cout * g.cin * g.kh * g.kw, (dw) => forEachTap(g, (o, i, k) => (dw[k]! += x[i]! * dy[o]!))),
};
