// Sign + pack: float NCHW activations -> NHWC sign bits, 32 channels per u32.
// Bit j of word w is channel 32*w + j; 1 means v >= 0 (sign(0) = +1); channels >= C are 0.
// AFFINE: v = x * scale[c] + shift[c] first (a batchnorm folded by the host), so a binary
// block reads its floats once.
// MEAN_ABS: also writes A[n, h, w] = mean_c |v|, from which the XNOR conv builds its K factor.
// One invocation per pixel, all its words; neighbouring threads read neighbouring floats.
// Bindings and uniforms p: declared in src/backends/webgpu/kernels/pack-signs.ts.

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) group: vec3u, @builtin(num_workgroups) groups: vec3u,
        @builtin(local_invocation_index) lane: u32) {
  let thread = threadIndex(group, groups, lane);
  if (thread >= p.n * p.pixels) {
    return;
  }
  let pixel = thread % p.pixels;
  let n = thread / p.pixels;
  var absSum = 0.0;
  for (var word = 0u; word < p.words; word++) {
    let first = word * 32u;
    let count = min(32u, p.c - first);
    var at = (n * p.c + first) * p.pixels + pixel;
    var bits = 0u;
    for (var j = 0u; j < count; j++) {
#if AFFINE
      let v = x[at] * scale[first + j] + shift[first + j];
#else
      let v = x[at];
#endif
      bits |= select(0u, 1u << j, v >= 0.0);
      absSum += abs(v);
      at += p.pixels;
    }
    packed[thread * p.words + word] = bits;
  }
#if MEAN_ABS
  meanAbs[thread] = absSum / f32(p.c);
#endif
}
