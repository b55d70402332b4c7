/** The argument checks every CPU conv kernel shares. */
import { type ConvGeometry, outputPixels } from '../../ops/conv.js';
import { windowOutputSize } from '../../ops/window.js';
import { wordsFor } from '../../tensor/bits.js';

/** Throws a RangeError naming the first argument that does not fit `g`. */
export function checkConvArgs(g: ConvGeometry, input: Uint32Array, weights: Uint32Array, out: Int32Array, m0: number, m1: number): void {
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
