// Convolution (and linear, as the 1x1 case) on float input as an implicit GEMM:
//   M = N*Ho*Wo output pixels, N = Cout, K = kh*kw*Cin, taken tap by tap, 4 channels a load.
// Input NHWC4 from to_nhwc4.wgsl: [N*H*W + 1, C4] vec4s (C4 = ceil(Cin/4)); padded taps read
// the trailing zero pixel. Two weight kinds share the loop:
//   float weights OHWI, channels padded to C4*4: [Cout, kh, kw, C4] vec4s (first/last layers)
//   BINARY_WEIGHTS: sign bits [Cout, kh, kw, ceil(Cin/32)] as in the model file (BWN: each
//   input is added or subtracted; the nibble of 4 bits becomes a +-1 vec4)
// Each invocation computes a 4 x TN register tile: 4 consecutive output pixels (the lanes of
// each vec4) times TN consecutive output channels (acc0, acc1, ...).
// Includes conv_tile.wgsl (the invocation's 4 output pixels, the epilogue).
// Epilogue: y = scale[o] * acc + shift[o] (bias, BWN's alpha and a following batchnorm folded
// in by the host), then RELU if set; written as float NCHW.
// Bindings (wbits with BINARY_WEIGHTS, else weight) and uniforms p: declared in
// src/backends/webgpu/kernels/conv2d.ts; p.c4 = ceil(Cin / 4).

fn dots(a0: vec4f, a1: vec4f, a2: vec4f, a3: vec4f, w: vec4f) -> vec4f {
  return vec4f(dot(a0, w), dot(a1, w), dot(a2, w), dot(a3, w));
}

#if BINARY_WEIGHTS
// +1 / -1 for the 4 sign bits of `nibble`.
fn signs(nibble: u32) -> vec4f {
  return vec4f((vec4u(nibble) >> LANE) & vec4u(1u)) * 2.0 - 1.0;
}
#endif

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
  let c4 = p.c4;
  let zeroPixel = vec4u(p.n * p.h * p.w * c4);

#if BINARY_WEIGHTS
  let perFilter = p.kh * p.kw * p.words;
#else
  let perFilter = p.kh * p.kw * c4;
#endif
  // Rows of filters past Cout are read (clamped) but never stored.
#unroll t TN
  let f${t} = min(o0 + ${t}u, p.cout - 1u) * perFilter;
  var acc${t} = vec4f(0.0);
#endunroll
  for (var u = 0u; u < p.kh; u++) {
    for (var v = 0u; v < p.kw; v++) {
      let at = select(zeroPixel, tapPixel(tile, u, v) * c4, realTap(tile, u, v));
      let tap = u * p.kw + v;
#if BINARY_WEIGHTS
      for (var word = 0u; word < p.words; word++) {
#unroll t TN
        let b${t} = wbits[f${t} + tap * p.words + word];
#endunroll
        let q0 = word * 8u;
        for (var q = q0; q < min(q0 + 8u, c4); q++) {
          let a0 = x[at.x + q];
          let a1 = x[at.y + q];
          let a2 = x[at.z + q];
          let a3 = x[at.w + q];
          let shiftBits = (q - q0) * 4u;
#unroll t TN
          acc${t} += dots(a0, a1, a2, a3, signs(b${t} >> shiftBits));
#endunroll
        }
      }
#else
      let wt = tap * c4;
      for (var q = 0u; q < c4; q++) {
        let a0 = x[at.x + q];
        let a1 = x[at.y + q];
        let a2 = x[at.z + q];
        let a3 = x[at.w + q];
#unroll t TN
        acc${t} += dots(a0, a1, a2, a3, weight[f${t} + wt + q]);
#endunroll
      }
#endif
    }
  }

#unroll t TN
  store(o0 + ${t}u, acc${t}, tile);
#endunroll
}
