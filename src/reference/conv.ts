/**
 * Float reference for conv2d and binconv2d (semantics.md). Written for clarity, not speed:
 * it is the oracle every kernel is tested against. Sums run in float64.
 */
import { computeAlpha, sign } from '../tensor/bits.js';
import { Tensor, formatShape, nchwDims } from '../tensor/tensor.js';
import { type BinaryConvParams, type Pair, windowOutputSize } from '../ops/window.js';

/** A binary layer's weights as the semantics define them: Wb = sign(W) and alpha. */
export interface BinaryWeights {
  /** +1/-1 in PyTorch order: [Cout, Cin, kh, kw] (conv) or [Cout, Cin] (linear). */
  signs: Tensor<Float32Array>;
  /** alpha[o] = mean |W[o, ...]|. */
  alpha: Float32Array;
}

export function binarizeWeights(weight: Tensor<Float32Array>): BinaryWeights {
  return { signs: new Tensor(weight.data.map(sign), weight.shape), alpha: computeAlpha(weight) };
}

function mapValues(x: Tensor<Float32Array>, f: (v: number) => number): Tensor<Float32Array> {
  return new Tensor(x.data.map(f), x.shape);
}

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
  const [ho, wo] = windowOutputSize([h, wd], { kernel: [kh, kw], stride, padding }, 'conv');
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

function checkBias(bias: Float32Array | undefined, cout: number, what: string): void {
  if (bias && bias.length !== cout) throw new RangeError(`${what}: bias has ${bias.length} values, expected ${cout}`);
}

export function conv2d(
  x: Tensor<Float32Array>,
  weight: Tensor<Float32Array>,
  bias: Float32Array | undefined,
  stride: Pair,
  padding: Pair,
): Tensor<Float32Array> {
  const [n, , h, w] = nchwDims(x, 'conv2d input');
  const [cout, , kh, kw] = nchwDims(weight, 'conv2d weight');
  checkBias(bias, cout, 'conv2d');
  const [ho, wo] = windowOutputSize([h, w], { kernel: [kh, kw], stride, padding }, 'conv2d');
  const sums = correlate(x, weight, stride, padding);
  const plane = ho * wo;
  const out = new Float32Array(sums.length);
  for (let k = 0; k < sums.length; k++) out[k] = sums[k]! + (bias ? bias[Math.floor(k / plane) % cout]! : 0);
  return new Tensor(out, [n, cout, ho, wo]);
}

/**
 * K[n,i,j] = (1/(kh*kw)) * sum_{u,v} Apad[n, i*s+u-p, j*s+v-p], with A[n,h,w] = mean_c |x[n,c,h,w]|.
 * Returned as [N, 1, Ho, Wo].
 */
export function inputScale(x: Tensor<Float32Array>, kernel: Pair, stride: Pair, padding: Pair): Tensor<Float32Array> {
  const [n, c, h, w] = nchwDims(x, 'input scale');
  const a = new Float32Array(n * h * w);
  for (let b = 0; b < n; b++) {
    for (let p = 0; p < h * w; p++) {
      let sum = 0;
      for (let ch = 0; ch < c; ch++) sum += Math.abs(x.data[(b * c + ch) * h * w + p]!);
      a[b * h * w + p] = sum / c;
    }
  }
  const box = new Tensor<Float32Array>(new Float32Array(kernel[0] * kernel[1]).fill(1 / (kernel[0] * kernel[1])), [1, 1, ...kernel]);
  const k = correlate(new Tensor(a, [n, 1, h, w]), box, stride, padding);
  const [ho, wo] = windowOutputSize([h, w], { kernel, stride, padding }, 'input scale');
  return new Tensor(Float32Array.from(k), [n, 1, ho, wo]);
}

/**
 * binconv2d: y = alpha[o] * (K) * sum Wb * X + bias[o], where X is x itself for "bwn" and
 * sign(x) for "xnor". Padded positions contribute 0 in both modes.
 */
export function binconv2d(
  x: Tensor<Float32Array>,
  weights: BinaryWeights,
  bias: Float32Array | undefined,
  { mode, scaleInput, stride, padding }: BinaryConvParams,
): Tensor<Float32Array> {
  const [n, , h, w] = nchwDims(x, 'binconv2d input');
  const [cout, , kh, kw] = nchwDims(weights.signs, 'binconv2d weight');
  checkBias(bias, cout, 'binconv2d');
  if (weights.alpha.length !== cout) {
    throw new RangeError(`binconv2d: alpha has ${weights.alpha.length} values, expected ${cout}`);
  }
  const input = mode === 'xnor' ? mapValues(x, sign) : x;
  const dots = correlate(input, weights.signs, stride, padding);
  const [ho, wo] = windowOutputSize([h, w], { kernel: [kh, kw], stride, padding }, 'binconv2d');
  const k = mode === 'xnor' && scaleInput ? inputScale(x, [kh, kw], stride, padding) : undefined;
  const plane = ho * wo;
  const out = new Float32Array(dots.length);
  for (let idx = 0; idx < dots.length; idx++) {
    const o = Math.floor(idx / plane) % cout;
    const b = Math.floor(idx / (plane * cout));
    const scale = k ? k.data[b * plane + (idx % plane)]! : 1;
    out[idx] = weights.alpha[o]! * scale * dots[idx]! + (bias ? bias[o]! : 0);
  }
  return new Tensor(out, [n, cout, ho, wo]);
}
