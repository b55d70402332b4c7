// C[M, N] = (ACCUMULATE ? C : 0) + op(A) . op(B), row-major: the trainer's convolutions and
// linear layers, forward and backward, on WebGPU (src/backends/webgpu/kernels/gemm.ts).
// op(A) is A [M, K], or A stored [K, M] when TRANS_A; op(B) is B [K, N], or B stored [N, K]
// when TRANS_B. A TILE x TILE workgroup computes a TILE x TILE block of C, one element per
// invocation, staging TILE x TILE tiles of op(A) and op(B) in workgroup memory; each element
// sums over k ascending, as the cpu backend's GEMM does.
// Bindings and uniforms p: declared in src/backends/webgpu/kernels/gemm.ts.

var<workgroup> tileA: array<f32, TILE * TILE>;
var<workgroup> tileB: array<f32, TILE * TILE>;

fn opA(row: u32, col: u32) -> f32 {
  if (row >= p.m || col >= p.k) {
    return 0.0;
  }
#if TRANS_A
  return a[col * p.m + row];
#else
  return a[row * p.k + col];
#endif
}

fn opB(row: u32, col: u32) -> f32 {
  if (row >= p.k || col >= p.n) {
    return 0.0;
  }
#if TRANS_B
  return b[col * p.k + row];
#else
  return b[row * p.n + col];
#endif
}

@compute @workgroup_size(TILE, TILE)
fn main(@builtin(workgroup_id) group: vec3u, @builtin(local_invocation_id) local: vec3u) {
  let row = group.y * TILE + local.y;
  let col = group.x * TILE + local.x;
  let at = local.y * TILE + local.x;
  var sum = 0.0;
  // Every invocation runs every iteration (no early return): the barriers stay uniform.
  for (var t = 0u; t < p.k; t += TILE) {
    tileA[at] = opA(row, t + local.x);
    tileB[at] = opB(t + local.y, col);
    workgroupBarrier();
    for (var kk = 0u; kk < TILE; kk++) {
      sum += tileA[local.y * TILE + kk] * tileB[kk * TILE + local.x];
    }
    workgroupBarrier();
  }
  if (row < p.m && col < p.n) {
#if ACCUMULATE
    c[row * p.n + col] += sum;
#else
    c[row * p.n + col] = sum;
#endif
  }
}
