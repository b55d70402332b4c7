// Softmax over dimension 1 of a float tensor [N, C, inner...], numerically stable (the
// maximum is subtracted first). One invocation per (n, inner position).

struct Params {
  n: u32,
  channels: u32,
  inner: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

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
