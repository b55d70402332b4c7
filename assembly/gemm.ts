/**
 * A general float32 GEMM, WebAssembly SIMD (compiled by scripts/build-cpu.mjs): the trainer's
 * convolutions and linear layers, forward and backward (src/backends/cpu/train-kernels.ts).
 * No runtime, no allocation: the host (src/backends/cpu/gemm.ts) lays the buffers out in linear
 * memory from heapBase() on and passes their addresses.
 *
 * C[M, N] = (accumulate ? C : 0) + A[M, K] . B[K, N], row-major. B is first packed into panels
 * of PANEL columns, [ceil(N / PANEL), K, PANEL] with zeros past N, read from B or from its
 * transpose; a transposed A is first copied to row-major. Per register block, ROWS rows x
 * PANEL columns: for each k one f32x4 per 4 columns from the panel and each row's A value
 * broadcast (v128.load32_splat), 8 f32x4 accumulators; each C element sums over k ascending.
 * Rows past a range's last repeat it and are not stored.
 */

const ROWS = 4;
const PANEL = 8;

export function heapBase(): usize {
  return __heap_base;
}

export function panelColumns(): i32 {
  return PANEL;
}

/** panels[p, kk, j] = B[kk, p * PANEL + j] (0 past N); B is [K, N], or [N, K] when transposed. */
export function packB(b: usize, k: i32, n: i32, transposed: bool, panels: usize): void {
  for (let p = 0; p < n; p += PANEL) {
    const panel = panels + <usize>(p / PANEL) * <usize>(k * PANEL) * 4;
    const width = min(PANEL, n - p);
    if (!transposed && width == PANEL) {
      // A whole panel row is 8 consecutive floats of B: two vector copies.
      for (let kk = 0; kk < k; kk++) {
        const from = b + <usize>(kk * n + p) * 4;
        const row = panel + <usize>(kk * PANEL) * 4;
        v128.store(row, v128.load(from));
        v128.store(row, v128.load(from, 16), 16);
      }
      continue;
    }
    for (let kk = 0; kk < k; kk++) {
      const row = panel + <usize>(kk * PANEL) * 4;
      for (let j = 0; j < PANEL; j++) {
        let v: f32 = 0;
        if (j < width) v = transposed ? load<f32>(b + <usize>((p + j) * k + kk) * 4) : load<f32>(b + <usize>(kk * n + p + j) * 4);
        store<f32>(row + <usize>j * 4, v);
      }
    }
  }
}

/** dst [cols, rows] = transpose of src [rows, cols]. */
export function transpose(src: usize, rows: i32, cols: i32, dst: usize): void {
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) store<f32>(dst + <usize>(c * rows + r) * 4, load<f32>(src + <usize>(r * cols + c) * 4));
  }
}

/** Stores the lanes of `sums` that fall below n, adding what C holds when accumulating. */
@inline function storeColumns(at: usize, col: i32, n: i32, sums: v128, accumulate: bool): void {
  if (col + 4 <= n) {
    v128.store(at, accumulate ? f32x4.add(v128.load(at), sums) : sums);
    return;
  }
  for (let j = 0; j < 4; j++) {
    if (col + j >= n) return;
    const lane = j == 0 ? f32x4.extract_lane(sums, 0) : j == 1 ? f32x4.extract_lane(sums, 1) : j == 2 ? f32x4.extract_lane(sums, 2) : f32x4.extract_lane(sums, 3);
    const p = at + <usize>j * 4;
    store<f32>(p, accumulate ? load<f32>(p) + lane : lane);
  }
}

@inline function storeRow(c: usize, row: i32, col: i32, n: i32, s0: v128, s1: v128, accumulate: bool): void {
  const at = c + <usize>(row * n + col) * 4;
  storeColumns(at, col, n, s0, accumulate);
  storeColumns(at + 16, col + 4, n, s1, accumulate);
}

/** Rows [m0, m1) of C from row-major A [M, K] and B's panels. */
export function gemm(a: usize, panels: usize, c: usize, n: i32, k: i32, accumulate: bool, m0: i32, m1: i32): void {
  const rowBytes = <usize>k * 4;
  const panelBytes = <usize>(k * PANEL) * 4;
  for (let p = 0; p < n; p += PANEL) {
    const panel = panels + <usize>(p / PANEL) * panelBytes;
    for (let i = m0; i < m1; i += ROWS) {
      const last = m1 - 1;
      const r1 = min(i + 1, last);
      const r2 = min(i + 2, last);
      const r3 = min(i + 3, last);
      const a0 = a + <usize>i * rowBytes;
      const a1 = a + <usize>r1 * rowBytes;
      const a2 = a + <usize>r2 * rowBytes;
      const a3 = a + <usize>r3 * rowBytes;
      let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
      let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
      let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
      let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
      let b = panel;
      for (let kk: usize = 0; kk < rowBytes; kk += 4) {
        const b0 = v128.load(b);
        const b1 = v128.load(b, 16);
        let x = v128.load32_splat(a0 + kk);
        c00 = f32x4.add(c00, f32x4.mul(x, b0));
        c01 = f32x4.add(c01, f32x4.mul(x, b1));
        x = v128.load32_splat(a1 + kk);
        c10 = f32x4.add(c10, f32x4.mul(x, b0));
        c11 = f32x4.add(c11, f32x4.mul(x, b1));
        x = v128.load32_splat(a2 + kk);
        c20 = f32x4.add(c20, f32x4.mul(x, b0));
        c21 = f32x4.add(c21, f32x4.mul(x, b1));
        x = v128.load32_splat(a3 + kk);
        c30 = f32x4.add(c30, f32x4.mul(x, b0));
        c31 = f32x4.add(c31, f32x4.mul(x, b1));
        b += PANEL * 4;
      }
      storeRow(c, i, p, n, c00, c01, accumulate);
      if (i + 1 < m1) storeRow(c, i + 1, p, n, c10, c11, accumulate);
      if (i + 2 < m1) storeRow(c, i + 2, p, n, c20, c21, accumulate);
      if (i + 3 < m1) storeRow(c, i + 3, p, n, c30, c31, accumulate);
    }
  }
}
