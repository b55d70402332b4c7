/** Shape of one XNOR convolution on packed sign bits, and the checks every CPU kernel shares. */
import { type Pair, windowOutputSize } from '../../ops/window.js';
import { wordsFor } from '../../tensor/bits.js';

/** Input NHWC [n, h, w, words(cin)], weights [cout, kh, kw, words(cin)] (src/tensor/bits.ts). */
export interface XnorConvGeometry {
  n: number;
  h: number;
  w: number;
  cin: number;
  cout: number;
  kh: number;
  kw: number;
  stride: [number, number];
  padding: [number, number];
  ho: number;
  wo: number;
}

export interface XnorConvShape {
  n: number;
  cin: number;
  h: number;
  w: number;
  cout: number;
  kernel: Pair;
  stride: Pair;
  padding: Pair;
}

/** The geometry of a convolution, with its output size. */
export function xnorConvGeometry({ n, cin, h, w, cout, kernel, stride, padding }: XnorConvShape): XnorConvGeometry {
  const [ho, wo] = windowOutputSize([h, w], { kernel, stride, padding }, 'xnor conv');
  return { n, h, w, cin, cout, kh: kernel[0], kw: kernel[1], stride: [stride[0], stride[1]], padding: [padding[0], padding[1]], ho, wo };
}

/** M = N * Ho * Wo: the rows of the [M, Cout] dot matrix. */
export function outputPixels(g: XnorConvGeometry): number {
  return g.n * g.ho * g.wo;
}

/** Throws a RangeError naming the first argument that does not fit `g`. */
export function checkConvArgs(
  g: XnorConvGeometry,
  input: Uint32Array,
  weights: Uint32Array,
  out: Int32Array,
  m0: number,
  m1: number,
): void {
  const [ho, wo] = windowOutputSize([g.h, g.w], { kernel: [g.kh, g.kw], stride: g.stride, padding: g.padding }, 'xnor conv');
  if (g.ho !== ho || g.wo !== wo) throw new RangeError(`xnor conv: output ${g.ho}x${g.wo} does not match the window's ${ho}x${wo}`);
  const words = wordsFor(g.cin);
  const expectInput = g.n * g.h * g.w * words;
  const expectWeights = g.cout * g.kh * g.kw * words;
  const m = outputPixels(g);
  if (input.length !== expectInput) {
    throw new RangeError(`xnor conv: input has ${input.length} words, expected ${expectInput} ([${g.n}, ${g.h}, ${g.w}, ${words}])`);
  }
  if (weights.length !== expectWeights) {
    throw new RangeError(
      `xnor conv: weights have ${weights.length} words, expected ${expectWeights} ([${g.cout}, ${g.kh}, ${g.kw}, ${words}])`,
    );
  }
  if (!(Number.isInteger(m0) && Number.isInteger(m1) && 0 <= m0 && m0 <= m1 && m1 <= m)) {
    throw new RangeError(`xnor conv: pixel range [${m0}, ${m1}) is not within [0, ${m})`);
  }
  if (out.length < (m1 - m0) * g.cout) throw new RangeError(`xnor conv: out holds ${out.length} dots, needs ${(m1 - m0) * g.cout}`);
}
