// Included before xnor_conv.wgsl and conv2d.wgsl: the output pixels of an invocation (4
// consecutive pixels of M = N*Ho*Wo, one per vec4 lane) and the epilogue of both. The uniforms
// p it reads and the epilogue's bindings (scale, shift, y) are declared once for both, in
// src/backends/webgpu/kernels/conv-geometry.ts.

const LANE = vec4u(0u, 1u, 2u, 3u);

/**
 * The first of the invocation's 4 output pixels. The pixel tiles' workgroups run along x,
 * folded into z when there are more than the device allows along one dimension
 * (convWorkgroups in src/backends/webgpu/kernels/conv-geometry.ts); the output channel tiles
 * run along y. Unfolded (z = 1), this is global_invocation_id.x * 4.
 */
fn firstPixel(group: vec3u, groups: vec3u, local: vec3u) -> u32 {
  return ((group.z * groups.x + group.x) * WG_M + local.x) * 4u;
}

/** The 4 output pixels m = m0 .. m0 + 3 of an invocation. */
struct PixelTile {
  inRange: vec4<bool>, // m < N*Ho*Wo
  img: vec4u,          // image of each pixel (clamped for lanes out of range)
  pix: vec4u,          // position in its image, i * Wo + j
  top: vec4i,          // input row of the window's first tap, i * sh - ph
  left: vec4i,         // input column of the window's first tap, j * sw - pw
}

fn pixelTile(m0: u32) -> PixelTile {
  let pixels = p.ho * p.wo;
  let m = m0 + LANE;
  var t: PixelTile;
  t.inRange = m < vec4u(p.n * pixels);
  t.img = min(m, vec4u(p.n * pixels - 1u)) / pixels;
  t.pix = m % pixels;
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

/** The epilogue for output channel o of the tile's 4 pixels: scale * sum + shift, RELU, float NCHW. */
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
