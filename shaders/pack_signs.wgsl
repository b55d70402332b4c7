// Sign + pack: float NCHW activations -> NHWC sign bits, 32 channels per u32.
// Bit j of word w is channel 32*w + j; 1 means v >= 0 (sign(0) = +1); channels >= C are 0.
// AFFINE: v = x * scale[c] + shift[c] first (a batchnorm folded by the host), so a binary
// block reads its floats once.
// MEAN_ABS: also writes A[n, h, w] = mean_c |v|, from which the XNOR conv builds its K factor.
// One invocation per pixel, all its words; neighbouring threads read neighbouring floats.

struct Shape {
  n: u32,
  c: u32,
  pixels: u32, // H * W
  words: u32,  // ceil(C / 32)
}

@group(0) @binding(0) var<uniform> shape: Shape;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> packed: array<u32>;
#if AFFINE
@group(0) @binding(3) var<storage, read> scale: array<f32>;
@group(0) @binding(4) var<storage, read> shift: array<f32>;
#endif
#if MEAN_ABS
@group(0) @binding(5) var<storage, read_write> meanAbs: array<f32>;
#endif

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) group: vec3u, @builtin(num_workgroups) groups: vec3u,
        @builtin(local_invocation_index) lane: u32) {
  let thread = threadIndex(group, groups, lane);
  if (thread >= shape.n * shape.pixels) {
    return;
  }
  let pixel = thread % shape.pixels;
  let n = thread / shape.pixels;
  var absSum = 0.0;
  for (var word = 0u; word < shape.words; word++) {
    let first = word * 32u;
    let count = min(32u, shape.c - first);
    var at = (n * shape.c + first) * shape.pixels + pixel;
    var bits = 0u;
    for (var j = 0u; j < count; j++) {
#if AFFINE
      let v = x[at] * scale[first + j] + shift[first + j];
#else
      let v = x[at];
#endif
      bits |= select(0u, 1u << j, v >= 0.0);
      absSum += abs(v);
      at += shape.pixels;
    }
    packed[thread * shape.words + word] = bits;
  }
#if MEAN_ABS
  meanAbs[thread] = absSum / f32(shape.c);
#endif
}
