// XNOR convolution (and linear, as the 1x1 case) as an implicit GEMM on packed sign bits:
//   M = N*Ho*Wo output pixels, N = Cout, K = kh*kw*words (words = ceil(Cin/32)).
// Input bits NHWC [N, H, W, words]; weight bits [Cout, kh, kw, words]; 32 channels per u32.
// Includes conv_tile.wgsl (Params, the invocation's 4 output pixels).
//
// Each invocation computes a 4 x TN register tile: 4 consecutive output pixels (the lanes of
// each vec4) times TN consecutive output channels (acc0, acc1, ...); TN divides 32.
// It counts mismatches D = popcount(a ^ w). Channel-padding bits are 0 on both sides, so they
// never mismatch; padded taps are masked out, so they contribute 0 (semantics.md). With
// `taps` the real taps of a pixel: dot = Cin * taps - 2 * D.
//
// Epilogue: z = scale[o] * K * dot + shift[o]. The host folds alpha, the bias and a following
// batchnorm into scale/shift. z goes out as float NCHW (RELU: max(z, 0)), or (PACKED_OUTPUT)
// as sign bits in NHWC words for the next binary layer: no float round trip.
// INPUT_SCALE: K = (1/(kh*kw)) * sum of A over the real taps, A = mean_c |x| from pack_signs.

@group(0) @binding(1) var<storage, read> x: array<u32>;
@group(0) @binding(2) var<storage, read> wbits: array<u32>;
@group(0) @binding(3) var<storage, read> scale: array<f32>;
@group(0) @binding(4) var<storage, read> shift: array<f32>;
#if PACKED_OUTPUT
@group(0) @binding(5) var<storage, read_write> y: array<atomic<u32>>;
#else
@group(0) @binding(5) var<storage, read_write> y: array<f32>;
#endif
#if INPUT_SCALE
@group(0) @binding(6) var<storage, read> meanAbs: array<f32>;
#endif

#if PACKED_OUTPUT
/** Bit o % 32 of each lane's output word: the sign of z for output channel o. */
fn signBits(o: u32, kDot: vec4f) -> vec4u {
  if (o >= p.cout) {
    return vec4u(0u);
  }
  return select(vec4u(0u), vec4u(1u << (o % 32u)), scale[o] * kDot + shift[o] >= vec4f(0.0));
}
#endif

@compute @workgroup_size(WG_M, WG_N)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let m0 = gid.x * 4u;
  let o0 = gid.y * TN;
  if (m0 >= p.n * p.ho * p.wo || o0 >= p.cout) {
    return;
  }
  let tile = pixelTile(m0);
  let words = p.words;
  let kTotal = p.kh * p.kw * words;
  // Rows of filters past Cout are read (clamped) but never stored.
#unroll t TN
  let w${t} = min(o0 + ${t}u, p.cout - 1u) * kTotal;
  var acc${t} = vec4u(0u);
#endunroll
  var taps = vec4u(0u);
#if INPUT_SCALE
  var aSum = vec4f(0.0);
#endif
  for (var u = 0u; u < p.kh; u++) {
    for (var v = 0u; v < p.kw; v++) {
      let real = realTap(tile, u, v);
      let mask = select(vec4u(0u), vec4u(0xffffffffu), real);
      taps += select(vec4u(0u), vec4u(1u), real);
      let at = select(vec4u(0u), tapPixel(tile, u, v), real);
#if INPUT_SCALE
      aSum += select(vec4f(0.0), vec4f(meanAbs[at.x], meanAbs[at.y], meanAbs[at.z], meanAbs[at.w]), real);
#endif
      let tap = (u * p.kw + v) * words;
      let a0 = at * words;
#unroll t TN
      let q${t} = w${t} + tap;
#endunroll
      for (var k = 0u; k < words; k++) {
        let a = vec4u(x[a0.x + k], x[a0.y + k], x[a0.z + k], x[a0.w + k]);
#unroll t TN
        acc${t} += countOneBits((a ^ vec4u(wbits[q${t} + k])) & mask);
#endunroll
      }
    }
  }

  let matches = vec4i(p.cin * taps);
#if INPUT_SCALE
  let k = aSum / f32(p.kh * p.kw);
#else
  let k = vec4f(1.0);
#endif
#if PACKED_OUTPUT
  // The TN channels share one output word (TN divides 32): one atomicOr per pixel.
  var bits = vec4u(0u);
#unroll t TN
  bits |= signBits(o0 + ${t}u, k * vec4f(matches - 2 * vec4i(acc${t})));
#endunroll
  let outWords = p.extra;
  for (var l = 0u; l < 4u; l++) {
    if (tile.inRange[l]) {
      atomicOr(&y[tile.m[l] * outWords + o0 / 32u], bits[l]);
    }
  }
#else
#unroll t TN
  store(o0 + ${t}u, k * vec4f(matches - 2 * vec4i(acc${t})), tile);
#endunroll
#endif
}
