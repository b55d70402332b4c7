/** The XNOR convolution in plain TypeScript, 32 bits at a time: the fallback without WebAssembly SIMD. */
import { wordsFor } from '../../tensor/bits.js';
import { checkConvArgs } from './conv-args.js';
import type { XnorCpuKernel } from './kernel.js';

/** Set bits of a 32-bit word (SWAR: pairs, nibbles, then bytes summed by one multiply). */
function popcount32(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
}

export function createScalarKernel(): XnorCpuKernel {
  return {
    name: 'scalar-ts',
    conv(g, input, weights, out, m0, m1) {
      checkConvArgs(g, input, weights, out, m0, m1);
      const words = wordsFor(g.cin);
      const filterWords = g.kh * g.kw * words;
      const [sh, sw] = g.stride;
      const [ph, pw] = g.padding;
      for (let m = m0; m < m1; m++) {
        const b = Math.floor(m / (g.ho * g.wo));
        const i = Math.floor(m / g.wo) % g.ho;
        const j = m % g.wo;
        const row = (m - m0) * g.cout;
        out.fill(0, row, row + g.cout); // mismatches first, dots at the end
        let realTaps = 0;
        for (let u = 0; u < g.kh; u++) {
          const y = i * sh + u - ph;
          if (y < 0 || y >= g.h) continue; // padded taps contribute 0
          for (let v = 0; v < g.kw; v++) {
            const x = j * sw + v - pw;
            if (x < 0 || x >= g.w) continue;
            realTaps++;
            const a = ((b * g.h + y) * g.w + x) * words;
            const tap = (u * g.kw + v) * words;
            for (let o = 0; o < g.cout; o++) {
              const f = o * filterWords + tap;
              let mismatches = 0;
              for (let k = 0; k < words; k++) mismatches += popcount32(input[a + k]! ^ weights[f + k]!);
              out[row + o]! += mismatches;
            }
          }
        }
        for (let o = 0; o < g.cout; o++) out[row + o] = g.cin * realTaps - 2 * out[row + o]!;
      }
    },
  };
}
