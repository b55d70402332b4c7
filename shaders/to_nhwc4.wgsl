// Float NCHW -> NHWC4: [N*H*W + 1, ceil(C/4)] vec4s, channels past C zero-filled, plus one
// all-zero pixel at the end. conv2d.wgsl reads 4 channels per load and points padded taps at
// that zero pixel instead of testing every load.
// One invocation per output vec4; neighbouring threads read neighbouring pixels of a plane.
// Bindings and uniforms p: declared in src/backends/webgpu/kernels/to-nhwc4.ts.

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) group: vec3u, @builtin(num_workgroups) groups: vec3u,
        @builtin(local_invocation_index) lane: u32) {
  let thread = threadIndex(group, groups, lane);
  let total = p.n * p.pixels;
  if (thread >= (total + 1u) * p.c4) {
    return;
  }
  let pixel = thread % p.pixels;
  let q = (thread / p.pixels) % p.c4;
  let n = thread / (p.pixels * p.c4);
  if (n >= p.n) {
    y[thread] = vec4f(0.0); // the trailing zero pixel
    return;
  }
  var v = vec4f(0.0);
  for (var k = 0u; k < 4u; k++) {
    let c = q * 4u + k;
    if (c < p.c) {
      v[k] = x[(n * p.c + c) * p.pixels + pixel];
    }
  }
  y[(n * p.pixels + pixel) * p.c4 + q] = v;
}
