// Per-element ops on float NCHW (or [N, F]) tensors, fused in one pass:
//   v = x                          then, each if set,
//   AFFINE:   v = v * scale[c] + shift[c]     (batchnorm, folded by the host)
//   ADD:      v = v + other[i]                (residual shortcut)
//   RELU:     v = max(v, 0)
//   HARDTANH: v = clamp(v, lo, hi)
// c = (i / inner) % channels, where inner is H*W (1 for [N, F]).
// Bindings and uniforms p: declared in src/backends/webgpu/kernels/pointwise.ts.

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) group: vec3u, @builtin(num_workgroups) groups: vec3u,
        @builtin(local_invocation_index) lane: u32) {
  let i = threadIndex(group, groups, lane);
  if (i >= p.size) {
    return;
  }
  var v = x[i];
#if AFFINE
  let c = (i / p.inner) % p.channels;
  v = v * scale[c] + shift[c];
#endif
#if ADD
  v += other[i];
#endif
#if RELU
  v = max(v, 0.0);
#endif
#if HARDTANH
  v = clamp(v, p.lo, p.hi);
#endif
  y[i] = v;
}
