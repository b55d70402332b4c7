import type { ConvGeometry } from '../../src/ops/conv.js';
import { outputPixels } from '../../src/ops/conv.js';

/** Reference NCHW [N, Cout, Ho, Wo] -> [M, Cout] with M = (b * Ho + i) * Wo + j, the CPU kernels' order. */
export function pixelMajor<A extends Int32Array | Float32Array>(nchw: Float32Array, g: ConvGeometry, Type: new (length: number) => A): A {
  const plane = g.ho * g.wo;
  const dots = new Type(outputPixels(g) * g.cout);
  for (let m = 0; m < outputPixels(g); m++) {
    const b = Math.floor(m / plane);
    for (let o = 0; o < g.cout; o++) dots[m * g.cout + o] = nchw[(b * g.cout + o) * plane + (m % plane)]!;
  }
  return dots;
}
