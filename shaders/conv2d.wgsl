// Convolution (and linear, as the 1x1 case) on float NCHW input as an implicit GEMM:
//   M = N*Ho*Wo output pixels, N = Cout, K = kh*kw*Cin, taken tap by tap.
// Two weight kinds share the loop:
//   float weights, OHWI [Cout, kh, kw, Cin]                  (full-precision first/last layers)
//   BINARY_WEIGHTS: sign bits [Cout, kh, kw, ceil(Cin/32)]     (BWN: add or subtract each input)
// Each invocation computes a 4 x 4 register tile: 4 consecutive output pixels (the lanes of
// each vec4) times 4 consecutive output channels (acc0..acc3). Padded taps read as 0.
// Epilogue: y = scale[o] * acc + shift[o] (bias, BWN's alpha and a following batchnorm folded
// in by the host), then RELU if set; written as float NCHW.

struct Params {
  n: u32, cin: u32, h: u32, w: u32,
  cout: u32, kh: u32, kw: u32, words: u32,
  sh: u32, sw: u32, ph: u32, pw: u32,
  ho: u32, wo: u32, _pad0: u32, _pad1: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
#if BINARY_WEIGHTS
@group(0) @binding(2) var<storage, read> wbits: array<u32>;
#else
@group(0) @binding(2) var<storage, read> weight: array<f32>;
#endif
@group(0) @binding(3) var<storage, read> scale: array<f32>;
@group(0) @binding(4) var<storage, read> shift: array<f32>;
@group(0) @binding(5) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(WG_M, WG_N)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let pixels = p.ho * p.wo;
  let m0 = gid.x * 4u;
  let o0 = gid.y * 4u;
  if (m0 >= p.n * pixels || o0 >= p.cout) {
    return;
  }
  let m = vec4u(m0, m0 + 1u, m0 + 2u, m0 + 3u);
  let inRange = m < vec4u(p.n * pixels);
  let img = min(m, vec4u(p.n * pixels - 1u)) / pixels;
  let pix = m % pixels;
  let top = vec4i(pix / p.wo * p.sh) - i32(p.ph);
  let left = vec4i(pix % p.wo * p.sw) - i32(p.pw);
  let plane = p.h * p.w;

#if BINARY_WEIGHTS
  let perFilter = p.kh * p.kw * p.words;
#else
  let perFilter = p.kh * p.kw * p.cin;
#endif
  // Rows of filters past Cout are read (clamped) but never stored.
  let f0 = min(o0, p.cout - 1u) * perFilter;
  let f1 = min(o0 + 1u, p.cout - 1u) * perFilter;
  let f2 = min(o0 + 2u, p.cout - 1u) * perFilter;
  let f3 = min(o0 + 3u, p.cout - 1u) * perFilter;

  var acc0 = vec4f(0.0);
  var acc1 = vec4f(0.0);
  var acc2 = vec4f(0.0);
  var acc3 = vec4f(0.0);
  for (var u = 0u; u < p.kh; u++) {
    let row = top + i32(u);
    for (var v = 0u; v < p.kw; v++) {
      let col = left + i32(v);
      let real = inRange & (row >= vec4i(0)) & (row < vec4i(i32(p.h))) & (col >= vec4i(0)) & (col < vec4i(i32(p.w)));
      // Channel 0 of each lane's input pixel; a padded tap reads a safe address and is zeroed.
      let at = select(vec4u(0u), img * p.cin * plane + vec4u(row) * p.w + vec4u(col), real);
      let tap = u * p.kw + v;
      for (var word = 0u; word < p.words; word++) {
#if BINARY_WEIGHTS
        let b0 = wbits[f0 + tap * p.words + word];
        let b1 = wbits[f1 + tap * p.words + word];
        let b2 = wbits[f2 + tap * p.words + word];
        let b3 = wbits[f3 + tap * p.words + word];
#endif
        let c0 = word * 32u;
        let count = min(32u, p.cin - c0);
        for (var j = 0u; j < count; j++) {
          let offset = (c0 + j) * plane;
          let a = select(vec4f(0.0), vec4f(x[at.x + offset], x[at.y + offset], x[at.z + offset], x[at.w + offset]), real);
#if BINARY_WEIGHTS
          acc0 += select(-a, a, ((b0 >> j) & 1u) == 1u);
          acc1 += select(-a, a, ((b1 >> j) & 1u) == 1u);
          acc2 += select(-a, a, ((b2 >> j) & 1u) == 1u);
          acc3 += select(-a, a, ((b3 >> j) & 1u) == 1u);
#else
          let k = tap * p.cin + c0 + j;
          acc0 += a * weight[f0 + k];
          acc1 += a * weight[f1 + k];
          acc2 += a * weight[f2 + k];
          acc3 += a * weight[f3 + k];
#endif
        }
      }
    }
  }

  var acc: array<vec4f, 4>;
  acc[0] = acc0;
  acc[1] = acc1;
  acc[2] = acc2;
  acc[3] = acc3;
  for (var t = 0u; t < 4u; t++) {
    let o = o0 + t;
    if (o < p.cout) {
      var out = scale[o] * acc[t] + shift[o];
#if RELU
      out = max(out, vec4f(0.0));
#endif
      for (var l = 0u; l < 4u; l++) {
        if (inRange[l]) {
          y[(img[l] * p.cout + o) * pixels + pix[l]] = out[l];
        }
      }
    }
  }
}
