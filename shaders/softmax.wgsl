// Softmax over dimension 1 of a float tensor [N, C, inner...], numerically stable (the
// maximum is subtracted first). One invocation per (n, inner position).
// Bindings and uniforms p: declared in src/backends/webgpu/kernels/softmax.ts.

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) group: vec3u, @builtin(num_workgroups) groups: vec3u,
        @builtin(local_invocation_index) lane: u32) {
  let row = threadIndex(group, groups, lane);
  if (row >= p.n * p.inner) {
    return;
  }
  let base = (row / p.inner) * p.channels * p.inner + row % p.inner;
  var top = -0x1.fffffep+127f;
  for (var c = 0u; c < p.channels; c++) {
    top = max(top, x[base + c * p.inner]);
  }
  var sum = 0.0;
  for (var c = 0u; c < p.channels; c++) {
    sum += exp(x[base + c * p.inner] - top);
  }
  for (var c = 0u; c < p.channels; c++) {
    y[base + c * p.inner] = exp(x[base + c * p.inner] - top) / sum;
  }
}
