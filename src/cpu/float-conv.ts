/**
 * A float32 convolution in plain TypeScript, shaped like the XNOR kernels (implicit GEMM over
 * a zero-padded NHWC image, 4 pixels x 4 filters per register block): the CPU backend's float
 * and BWN layers, and the CPU's own float baseline in bench:cpu.
 */
import { ohwiFromOihw } from '../tensor/layout.js';
import { type Tensor, nchwDims } from '../tensor/tensor.js';
import { type XnorConvGeometry, outputPixels } from './geometry.js';

export interface FloatConvOperands {
  /** Input zero-padded by `padding` on every side, NHWC [N, H + 2ph, W + 2pw, Cin]. */
  image: Float32Array;
  /** Weights [Cout, kh, kw, Cin]. */
  weights: Float32Array;
}

/** NCHW input zero-padded into the NHWC image floatConv reads. */
export function paddedImage(g: XnorConvGeometry, x: Float32Array): Float32Array {
  const { n, cin, h, w: wd } = g;
  const [ph, pw] = g.padding;
  const [hp, wp] = [h + 2 * ph, wd + 2 * pw];
  const image = new Float32Array(n * hp * wp * cin);
  for (let b = 0; b < n; b++) {
    for (let c = 0; c < cin; c++) {
      for (let y = 0; y < h; y++) {
        for (let xx = 0; xx < wd; xx++) image[((b * hp + y + ph) * wp + xx + pw) * cin + c] = x[((b * cin + c) * h + y) * wd + xx]!;
      }
    }
  }
  return image;
}

/** NCHW input and [Cout, Cin, kh, kw] weights in the layouts floatConv reads. */
export function floatConvOperands(g: XnorConvGeometry, x: Tensor<Float32Array>, w: Tensor<Float32Array>): FloatConvOperands {
  nchwDims(x, 'float conv input');
  return { image: paddedImage(g, x.data), weights: ohwiFromOihw(w).data };
}

/**
 * out[m * cout + o] = sum over taps and channels of image * weights, for all M output pixels.
 * Kernel row u of a pixel is kw * Cin consecutive floats in both operands; blocks past M or
 * Cout repeat the last pixel or filter and are not stored.
 */
export function floatConv(g: XnorConvGeometry, { image, weights }: FloatConvOperands, out: Float32Array): void {
  const pixels = outputPixels(g);
  const [sh, sw] = g.stride;
  const paddedRow = (g.w + 2 * g.padding[1]) * g.cin;
  const paddedImage = (g.h + 2 * g.padding[0]) * paddedRow;
  const run = g.kw * g.cin;
  const filter = g.kh * run;
  const pixelAt = (m: number) => {
    const plane = g.ho * g.wo;
    const rem = Math.min(m, pixels - 1) % plane;
    return Math.floor(Math.min(m, pixels - 1) / plane) * paddedImage + Math.floor(rem / g.wo) * sh * paddedRow + (rem % g.wo) * sw * g.cin;
  };
  for (let mb = 0; mb < pixels; mb += 4) {
    const [p0, p1, p2, p3] = [pixelAt(mb), pixelAt(mb + 1), pixelAt(mb + 2), pixelAt(mb + 3)];
    for (let ob = 0; ob < g.cout; ob += 4) {
      const f0 = ob * filter;
      const f1 = Math.min(ob + 1, g.cout - 1) * filter;
      const f2 = Math.min(ob + 2, g.cout - 1) * filter;
      const f3 = Math.min(ob + 3, g.cout - 1) * filter;
      let s00 = 0,
        s01 = 0,
        s02 = 0,
        s03 = 0,
        s10 = 0,
        s11 = 0,
        s12 = 0,
        s13 = 0;
      let s20 = 0,
        s21 = 0,
        s22 = 0,
        s23 = 0,
        s30 = 0,
        s31 = 0,
        s32 = 0,
        s33 = 0;
      for (let u = 0; u < g.kh; u++) {
        const a = u * paddedRow;
        const w = u * run;
        for (let k = 0; k < run; k++) {
          const x0 = image[p0 + a + k]!,
            x1 = image[p1 + a + k]!,
            x2 = image[p2 + a + k]!,
            x3 = image[p3 + a + k]!;
          const y0 = weights[f0 + w + k]!,
            y1 = weights[f1 + w + k]!,
            y2 = weights[f2 + w + k]!,
            y3 = weights[f3 + w + k]!;
          s00 += x0 * y0;
          s01 += x0 * y1;
          s02 += x0 * y2;
          s03 += x0 * y3;
          s10 += x1 * y0;
          s11 += x1 * y1;
          s12 += x1 * y2;
          s13 += x1 * y3;
          s20 += x2 * y0;
          s21 += x2 * y1;
          s22 += x2 * y2;
          s23 += x2 * y3;
          s30 += x3 * y0;
          s31 += x3 * y1;
          s32 += x3 * y2;
          s33 += x3 * y3;
        }
      }
      const block = [s00, s01, s02, s03, s10, s11, s12, s13, s20, s21, s22, s23, s30, s31, s32, s33];
      for (let p = 0; p < 4 && mb + p < pixels; p++) {
        for (let c = 0; c < 4 && ob + c < g.cout; c++) out[(mb + p) * g.cout + ob + c] = block[p * 4 + c]!;
      }
    }
  }
}
