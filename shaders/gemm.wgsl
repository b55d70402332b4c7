// C[M, N] = (ACCUMULATE ? C : 0) + A' . B': the trainer's convolutions and linear layers,
// forward and backward, on WebGPU (src/backends/webgpu/kernels/gemm.ts).
// The operands come packed in panels of 4 (src/backends/webgpu/gemm.ts does it on upload,
// transposing as asked and padding with zeros): a[mb * K + k] holds A'[4 mb .. 4 mb + 3, k],
// b[k * N4 + nb] holds B'[k, 4 nb .. 4 nb + 3]. Each invocation computes a 4 x 4 block of C
// in registers from one vec4 of each per k: no bounds checks in the loop, no workgroup
// memory, no barriers (which emulated adapters such as SwiftShader pay dearly for).
// Each element sums over k ascending, as the cpu backend's GEMM does.
// Bindings and uniforms p: declared in src/backends/webgpu/kernels/gemm.ts.

@compute @workgroup_size(WG_N, WG_M)
fn main(@builtin(global_invocation_id) id: vec3u) {
  let nb = id.x;
  let mb = id.y;
  if (nb >= p.n4 || mb >= p.m4) {
    return;
  }
  // Four named accumulators, not an array: an array indexed in a loop may live in memory.
  var acc0 = vec4f();
  var acc1 = vec4f();
  var acc2 = vec4f();
  var acc3 = vec4f();
  let aStart = mb * p.k;
  for (var kk = 0u; kk < p.k; kk++) {
    let av = a[aStart + kk];
    let bv = b[kk * p.n4 + nb];
    acc0 += av.x * bv;
    acc1 += av.y * bv;
    acc2 += av.z * bv;
    acc3 += av.w * bv;
  }
  let acc = array<vec4f, 4>(acc0, acc1, acc2, acc3);
  for (var i = 0u; i < 4u; i++) {
    let row = mb * 4u + i;
    if (row >= p.m) {
      break;
    }
    for (var j = 0u; j < 4u; j++) {
      let col = nb * 4u + j;
      if (col < p.n) {
#if ACCUMULATE
        c[row * p.n + col] += acc[i][j];
#else
        c[row * p.n + col] = acc[i][j];
#endif
      }
    }
  }
}
