// XNOR convolution (and linear, as the 1x1 case) as an implicit GEMM on packed sign bits:
//   M = N*Ho*Wo output pixels, N = Cout, K = kh*kw*words (words = ceil(Cin/32)).
// Input bits NHWC [N, H, W, words]; weight bits [Cout, kh, kw, words]; 32 channels per u32.
// Includes conv_tile.wgsl (the invocation's 4 output pixels, the epilogue).
//
// Each invocation computes a 4 x TN register tile: 4 consecutive output pixels (the lanes of
// each vec4) times TN consecutive output channels (acc0, acc1, ...).
// It counts mismatches D = popcount(a ^ w). Channel-padding bits are 0 on both sides, so they
// never mismatch; padded taps are masked out, so they contribute 0 (semantics.md). With
// `taps` the real taps of a pixel: dot = Cin * taps - 2 * D.
//
// Epilogue (conv_tile.wgsl's store of K * dot): z = scale[o] * K * dot + shift[o], the host
// folding alpha, the bias and a following batchnorm into scale/shift; RELU: max(z, 0); float NCHW.
// INPUT_SCALE: K = (1/(kh*kw)) * sum of A over the real taps, A = mean_c |x| from pack_signs.
// Bindings (meanAbs with INPUT_SCALE) and uniforms p: declared in
// src/backends/webgpu/kernels/xnor-conv.ts.

@compute @workgroup_size(WG_M, WG_N)
fn main(
  @builtin(workgroup_id) group: vec3u,
  @builtin(num_workgroups) groups: vec3u,
  @builtin(local_invocation_id) local: vec3u,
  @builtin(global_invocation_id) gid: vec3u,
) {
  let m0 = firstPixel(group, groups, local);
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
#unroll t TN
  store(o0 + ${t}u, k * vec4f(matches - 2 * vec4i(acc${t})), tile);
#endunroll
}
