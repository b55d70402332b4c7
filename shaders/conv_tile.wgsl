// Included before xnor_conv.wgsl and conv2d.wgsl: their uniform block, the output pixels of
// an invocation (4 consecutive pixels of M = N*Ho*Wo, one per vec4 lane) and, with
// FLOAT_OUTPUT, the float epilogue (the including shader declares y, scale and shift).

struct Params {
  n: u32, cin: u32, h: u32, w: u32,
  cout: u32, kh: u32, kw: u32, words: u32, // words = ceil(Cin / 32)
  sh: u32, sw: u32, ph: u32, pw: u32,
  ho: u32, wo: u32,
  extra: u32, // xnor_conv: words per packed output pixel; conv2d: ceil(Cin / 4)
  _pad: u32,
}

@group(0) @binding(0) var<uniform> p: Params;

const LANE = vec4u(0u, 1u, 2u, 3u);

struct PixelTile {
  m: vec4u,            // the 4 output pixels, m0 .. m0 + 3
  inRange: vec4<bool>, // m < N*Ho*Wo
  img: vec4u,          // image of each pixel (clamped for lanes out of range)
  pix: vec4u,          // position in its image, i * Wo + j
  top: vec4i,          // input row of the window's first tap, i * sh - ph
  left: vec4i,         // input column of the window's first tap, j * sw - pw
}

fn pixelTile(m0: u32) -> PixelTile {
  let pixels = p.ho * p.wo;
  var t: PixelTile;
  t.m = m0 + LANE;
  t.inRange = t.m < vec4u(p.n * pixels);
  t.img = min(t.m, vec4u(p.n * pixels - 1u)) / pixels;
  t.pix = t.m % pixels;
  t.top = vec4i(t.pix / p.wo * p.sh) - i32(p.ph);
  t.left = vec4i(t.pix % p.wo * p.sw) - i32(p.pw);
  return t;
}

/** Lanes whose tap (u, v) falls inside the input rather than in the zero padding. */
fn realTap(t: PixelTile, u: u32, v: u32) -> vec4<bool> {
  let row = t.top + i32(u);
  let col = t.left + i32(v);
  return t.inRange & (row >= vec4i(0)) & (row < vec4i(i32(p.h))) & (col >= vec4i(0)) & (col < vec4i(i32(p.w)));
}

/** Index of each lane's input pixel (img, row, col) for tap (u, v); meaningful where realTap. */
fn tapPixel(t: PixelTile, u: u32, v: u32) -> vec4u {
  return (t.img * p.h + vec4u(t.top + i32(u))) * p.w + vec4u(t.left + i32(v));
}

#if FLOAT_OUTPUT
/** Float epilogue for output channel o of the tile's 4 pixels: scale * sum + shift, RELU, NCHW. */
fn store(o: u32, sum: vec4f, t: PixelTile) {
  if (o >= p.cout) {
    return;
  }
  var out = scale[o] * sum + shift[o];
#if RELU
  out = max(out, vec4f(0.0));
#endif
  for (var l = 0u; l < 4u; l++) {
    if (t.inRange[l]) {
      y[(t.img[l] * p.cout + o) * p.ho * p.wo + t.pix[l]] = out[l];
    }
  }
}
#endif
