/**
 * The arithmetic under the reference convolutions (semantics.md), written for clarity, not
 * speed: it is the oracle every kernel is tested against. Sums run in float64.
 */
import { Tensor, formatShape, nchwDims } from '../tensor/tensor.js';
import { convGeometry } from './conv.js';
import { inputScaleAt } from './epilogue.js';
import type { Pair } from './window.js';

/**
 * Cross-correlation with zero padding and no bias:
 * out[n,o,i,j] = sum_{c,u,v} w[o,c,u,v] * xpad[n, c, i*s+u-p, j*s+v-p].
 */
export function correlate(x: Tensor<Float32Array>, w: Tensor<Float32Array>, stride: Pair, padding: Pair): Float64Array {
  const [n, cin, h, wd] = nchwDims(x, 'conv input');
  const [cout, wcin, kh, kw] = nchwDims(w, 'conv weight');
  if (wcin !== cin) {
    throw new RangeError(`conv: weight ${formatShape(w.shape)} expects ${wcin} input channels, input has ${cin}`);
  }
  const { ho, wo } = convGeometry({ n, cin, h, w: wd, cout, kernel: [kh, kw], stride, padding });
  const out = new Float64Array(n * cout * ho * wo);
  for (let b = 0; b < n; b++) {
    for (let o = 0; o < cout; o++) {
      for (let i = 0; i < ho; i++) {
        for (let j = 0; j < wo; j++) {
          let sum = 0;
          for (let c = 0; c < cin; c++) {
            for (let u = 0; u < kh; u++) {
              const y = i * stride[0] + u - padding[0];
              if (y < 0 || y >= h) continue; // zero padding
              for (let v = 0; v < kw; v++) {
                const xx = j * stride[1] + v - padding[1];
                if (xx < 0 || xx >= wd) continue;
                sum += w.data[((o * cin + c) * kh + u) * kw + v]! * x.data[((b * cin + c) * h + y) * wd + xx]!;
              }
            }
          }
          out[((b * cout + o) * ho + i) * wo + j] = sum;
        }
      }
    }
  }
  return out;
}

/** A[n, h, w] = mean_c |x[n, c, h, w]|: what the XNOR input scale K is built from. */
export function meanAbs(x: Tensor<Float32Array>): Float32Array {
  const [n, c, h, w] = nchwDims(x, 'input scale');
  const a = new Float32Array(n * h * w);
  for (let b = 0; b < n; b++) {
    for (let p = 0; p < h * w; p++) {
      let sum = 0;
      for (let ch = 0; ch < c; ch++) sum += Math.abs(x.data[(b * c + ch) * h * w + p]!);
      a[b * h * w + p] = sum / c;
    }
  }
  return a;
}

/** K[n, 0, i, j] of semantics.md for every output pixel, [N, 1, Ho, Wo]. */
export function inputScale(x: Tensor<Float32Array>, kernel: Pair, stride: Pair, padding: Pair): Tensor<Float32Array> {
  const [n, c, h, w] = nchwDims(x, 'input scale');
  const g = convGeometry({ n, cin: c, h, w, cout: 1, kernel, stride, padding }, 'input scale');
  const a = meanAbs(x);
  const k = new Float32Array(n * g.ho * g.wo);
  for (let b = 0, at = 0; b < n; b++) for (let i = 0; i < g.ho; i++) for (let j = 0; j < g.wo; j++) k[at++] = inputScaleAt(a, g, b, i, j);
  return new Tensor(k, [n, 1, g.ho, g.wo]);
}
