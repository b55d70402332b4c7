/**
 * Sign bits packed into u32 words, and the per-filter scale alpha.
 *
 * Bit j of word w holds channel 32*w + j, least significant bit first; 1 means +1 and
 * channels past the real count are 0 (model-format.md). Two layouts use it:
 * - weights: [Cout, kh, kw, words] (linear: [Cout, words]), as in the model file;
 * - activations on the GPU: NHWC with channels packed, [N, H, W, words] (docs/layouts.md).
 */
import { Tensor, formatShape, nchwDims } from './tensor.js';

export const BITS_PER_WORD = 32;

/** sign(v) = +1 for v >= 0 (zero and -0 included), else -1 (semantics.md). NaN gives -1. */
export function sign(v: number): 1 | -1 {
  return v >= 0 ? 1 : -1;
}

export function wordsFor(channels: number): number {
  return Math.ceil(channels / BITS_PER_WORD);
}

/** Mask of the real channel bits in the last word of a channel group. */
export function lastWordMask(channels: number): number {
  const rem = channels % BITS_PER_WORD;
  return rem === 0 ? 0xffffffff : ((1 << rem) - 1) >>> 0;
}

/**
 * Packs the sign of `count` values, read as value(c) for c in [0, count), into `out` from
 * `offset` on. Shared by the activation and the weight packer so both follow one rule.
 */
function packSignsInto(out: Uint32Array, offset: number, count: number, value: (c: number) => number): void {
  for (let word = 0; word < wordsFor(count); word++) {
    let bits = 0;
    const end = Math.min(BITS_PER_WORD, count - word * BITS_PER_WORD);
    for (let j = 0; j < end; j++) {
      if (value(word * BITS_PER_WORD + j) >= 0) bits |= 1 << j;
    }
    out[offset + word] = bits >>> 0;
  }
}

function bitIsSet(bits: Uint32Array, wordOffset: number, channel: number): boolean {
  return ((bits[wordOffset + (channel >>> 5)]! >>> (channel & 31)) & 1) === 1;
}

/** Float NCHW activations -> packed sign bits, NHWC [N, H, W, words]. */
export function packActivations(x: Tensor<Float32Array>): Tensor<Uint32Array> {
  const [n, c, h, w] = nchwDims(x, 'packActivations');
  const words = wordsFor(c);
  const out = new Uint32Array(n * h * w * words);
  const plane = h * w;
  for (let b = 0; b < n; b++) {
    for (let pos = 0; pos < plane; pos++) {
      const base = b * c * plane + pos;
      packSignsInto(out, (b * plane + pos) * words, c, (ch) => x.data[base + ch * plane]!);
    }
  }
  return new Tensor(out, [n, h, w, words]);
}

/** Packed NHWC sign bits -> float NCHW tensor of +1/-1 with `channels` channels. */
export function unpackActivations(packed: Tensor<Uint32Array>, channels: number): Tensor<Float32Array> {
  const [n, h, w, words] = packed.shape as [number, number, number, number];
  if (packed.rank !== 4 || words !== wordsFor(channels)) {
    throw new RangeError(
      `unpackActivations: packed shape ${formatShape(packed.shape)} does not hold ${channels} channels ` +
        `(expected [N, H, W, ${wordsFor(channels)}])`,
    );
  }
  const out = new Float32Array(n * channels * h * w);
  const plane = h * w;
  for (let b = 0; b < n; b++) {
    for (let pos = 0; pos < plane; pos++) {
      const wordOffset = (b * plane + pos) * words;
      for (let ch = 0; ch < channels; ch++) {
        out[(b * channels + ch) * plane + pos] = bitIsSet(packed.data, wordOffset, ch) ? 1 : -1;
      }
    }
  }
  return new Tensor(out, [n, channels, h, w]);
}

/** Conv [Cout, Cin, kh, kw] or linear [Cout, Cin] weight dims as [cout, cin, kh, kw]. */
function weightDims(weight: Tensor, what: string): [number, number, number, number] {
  if (weight.rank === 4) return weight.shape as unknown as [number, number, number, number];
  if (weight.rank === 2) return [weight.shape[0]!, weight.shape[1]!, 1, 1];
  throw new RangeError(`${what}: weight must be [Cout, Cin, kh, kw] or [Cout, Cin], got ${formatShape(weight.shape)}`);
}

/** alpha[o] = mean(|W[o, ...]|) over the n = Cin*kh*kw weights of filter o. */
export function computeAlpha(weight: Tensor<Float32Array>): Float32Array {
  const [cout] = weightDims(weight, 'computeAlpha');
  const perFilter = cout === 0 ? 0 : weight.size / cout;
  const alpha = new Float32Array(cout);
  for (let o = 0; o < cout; o++) {
    let sum = 0;
    for (let i = 0; i < perFilter; i++) sum += Math.abs(weight.data[o * perFilter + i]!);
    alpha[o] = perFilter === 0 ? 0 : sum / perFilter;
  }
  return alpha;
}

export interface PackedWeights {
  /** U32 [Cout, kh, kw, words] for conv, [Cout, words] for linear. */
  bits: Tensor<Uint32Array>;
  /** F32 [Cout]. */
  alpha: Tensor<Float32Array>;
  /** Input channels: the words alone cannot tell 33 from 64. */
  inChannels: number;
}

/** Float PyTorch-order weights -> packed sign bits (model-format.md layout) and alpha. */
export function packWeights(weight: Tensor<Float32Array>): PackedWeights {
  const [cout, cin, kh, kw] = weightDims(weight, 'packWeights');
  const words = wordsFor(cin);
  const out = new Uint32Array(cout * kh * kw * words);
  for (let o = 0; o < cout; o++) {
    for (let u = 0; u < kh; u++) {
      for (let v = 0; v < kw; v++) {
        const offset = ((o * kh + u) * kw + v) * words;
        packSignsInto(out, offset, cin, (c) => weight.data[((o * cin + c) * kh + u) * kw + v]!);
      }
    }
  }
  const shape = weight.rank === 2 ? [cout, words] : [cout, kh, kw, words];
  return { bits: new Tensor(out, shape), alpha: new Tensor(computeAlpha(weight), [cout]), inChannels: cin };
}

/** Packed weights -> float +1/-1 weights in PyTorch order ([Cout, Cin, kh, kw] or [Cout, Cin]). */
export function unpackWeights(packed: PackedWeights): Tensor<Float32Array> {
  const { bits, inChannels: cin } = packed;
  const isLinear = bits.rank === 2;
  const [cout, kh, kw, words] = isLinear
    ? [bits.shape[0]!, 1, 1, bits.shape[1]!]
    : (bits.shape as unknown as [number, number, number, number]);
  if ((bits.rank !== 2 && bits.rank !== 4) || words !== wordsFor(cin)) {
    throw new RangeError(
      `unpackWeights: weight_bits shape ${formatShape(bits.shape)} does not hold ${cin} input channels ` +
        `(last dimension must be ${wordsFor(cin)})`,
    );
  }
  const out = new Float32Array(cout * cin * kh * kw);
  for (let o = 0; o < cout; o++) {
    for (let u = 0; u < kh; u++) {
      for (let v = 0; v < kw; v++) {
        const wordOffset = ((o * kh + u) * kw + v) * words;
        for (let c = 0; c < cin; c++) {
          out[((o * cin + c) * kh + u) * kw + v] = bitIsSet(bits.data, wordOffset, c) ? 1 : -1;
        }
      }
    }
  }
  return new Tensor(out, isLinear ? [cout, cin] : [cout, cin, kh, kw]);
}
