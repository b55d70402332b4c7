// Float NCHW -> NHWC4: [N*Ho*Wo + 1, ceil(K/4)] vec4s, values past K zero-filled, plus one
// all-zero pixel at the end. conv2d.wgsl reads 4 values per load and points padded taps at
// that zero pixel instead of testing every load.
// Plain (a 1x1 window, stride 1, no padding): each pixel's K = C channels.
// Patches (a conv's window): each output pixel's whole window, K = kh*kw*C in (u, v, c) order
// with zeros for taps in the padding, so the conv that follows is a 1x1 conv over K. For few
// input channels (a first layer's 1 or 3) this packs 4 values per vec4 where the plain layout
// would hold 1 or 3, and leaves the conv one tap to walk instead of kh*kw.
// One invocation per output pixel, writing its ceil(K/4) vec4s.
// Bindings and uniforms p: declared in src/backends/webgpu/kernels/to-nhwc4.ts.

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) group: vec3u, @builtin(num_workgroups) groups: vec3u,
        @builtin(local_invocation_index) lane: u32) {
  let thread = threadIndex(group, groups, lane);
  let pixels = p.ho * p.wo;
  if (thread > p.n * pixels) {
    return;
  }
  let first = thread * p.k4;
  if (thread == p.n * pixels) {
    for (var q = 0u; q < p.k4; q++) {
      y[first + q] = vec4f(0.0); // the trailing zero pixel
    }
    return;
  }
  let pixel = thread % pixels;
  let image = p.c * (thread / pixels);
  let top = i32(pixel / p.wo * p.sh) - i32(p.ph);
  let left = i32(pixel % p.wo * p.sw) - i32(p.pw);
  // The window walked in (u, v, c) order, 4 values a vec4; past K, zeros.
  var u = 0u;
  var v = 0u;
  var c = 0u;
  for (var q = 0u; q < p.k4; q++) {
    var v4 = vec4f(0.0);
    for (var l = 0u; l < 4u; l++) {
      let row = top + i32(u);
      let col = left + i32(v);
      if (u < p.kh && row >= 0 && row < i32(p.h) && col >= 0 && col < i32(p.w)) {
        v4[l] = x[((image + c) * p.h + u32(row)) * p.w + u32(col)];
      }
      c++;
      if (c == p.c) {
        c = 0u;
        v++;
        if (v == p.kw) {
          v = 0u;
          u++;
        }
      }
    }
    y[first + q] = v4;
  }
}
