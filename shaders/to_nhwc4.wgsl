// Float NCHW -> NHWC4: [N*H*W + 1, ceil(C/4)] vec4s, channels past C zero-filled, plus one
// all-zero pixel at the end. conv2d.wgsl reads 4 channels per load and points padded taps at
// that zero pixel instead of testing every load.
// One invocation per output vec4; neighbouring threads read neighbouring pixels of a plane.

struct Shape {
  n: u32,
  c: u32,
  pixels: u32, // H * W
  c4: u32,     // ceil(C / 4)
}

@group(0) @binding(0) var<uniform> shape: Shape;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<vec4f>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) group: vec3u, @builtin(num_workgroups) groups: vec3u,
        @builtin(local_invocation_index) lane: u32) {
  let thread = threadIndex(group, groups, lane);
  let total = shape.n * shape.pixels;
  if (thread >= (total + 1u) * shape.c4) {
    return;
  }
  let pixel = thread % shape.pixels;
  let q = (thread / shape.pixels) % shape.c4;
  let n = thread / (shape.pixels * shape.c4);
  if (n >= shape.n) {
    y[thread] = vec4f(0.0); // the trailing zero pixel
    return;
  }
  var v = vec4f(0.0);
  for (var k = 0u; k < 4u; k++) {
    let c = q * 4u + k;
    if (c < shape.c) {
      v[k] = x[(n * shape.c + c) * shape.pixels + pixel];
    }
  }
  y[(n * shape.pixels + pixel) * shape.c4 + q] = v;
}
