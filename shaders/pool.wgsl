// Pooling on float NCHW, PyTorch semantics with ceil_mode = false. One invocation per output.
//   MAX: padded positions count as -inf (they never win)
//   else average with count_include_pad: the sum over the window divided by kh*kw
// Global average pooling is the average with the window = the whole plane.
// Bindings and uniforms p: declared in src/backends/webgpu/kernels/pool.ts.

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) group: vec3u, @builtin(num_workgroups) groups: vec3u,
        @builtin(local_invocation_index) lane: u32) {
  let o = threadIndex(group, groups, lane);
  if (o >= p.planes * p.ho * p.wo) {
    return;
  }
  let plane = o / (p.ho * p.wo);
  let i = (o / p.wo) % p.ho;
  let j = o % p.wo;
  let top = i32(i * p.sh) - i32(p.ph);
  let left = i32(j * p.sw) - i32(p.pw);
#if MAX
  var acc = -0x1.fffffep+127f;
#else
  var acc = 0.0;
#endif
  for (var u = 0u; u < p.kh; u++) {
    let row = top + i32(u);
    if (row < 0 || row >= i32(p.h)) {
      continue;
    }
    for (var v = 0u; v < p.kw; v++) {
      let col = left + i32(v);
      if (col < 0 || col >= i32(p.w)) {
        continue;
      }
      let value = x[(plane * p.h + u32(row)) * p.w + u32(col)];
#if MAX
      acc = max(acc, value);
#else
      acc += value;
#endif
    }
  }
#if MAX
  y[o] = acc;
#else
  y[o] = acc / f32(p.kh * p.kw);
#endif
}
