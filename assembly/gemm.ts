/**
 * A general float32 GEMM, WebAssembly SIMD (compiled by scripts/build-cpu.mjs): the trainer's
 * convolutions and linear layers, forward and backward (src/backends/train-kernels.ts). No
 * runtime, no allocation: the host (src/backends/cpu/gemm.ts) lays the buffers out in linear
 * memory from heapBase() on and passes their addresses.
 *
 * C[M, N] = (accumulate ? C : 0) + op(A)[M, K] . op(B)[K, N], each matrix row-major with a
 * leading dimension (floats from one row to the next), op(X) = X, or X stored transposed.
 * Both operands are first packed into `work`, zeros past M and N, so that the inner loop reads
 * them sequentially whatever the transposes: A into blocks of ROWS rows [ceil(M / ROWS), K,
 * ROWS], B into panels of COLS columns [ceil(N / COLS), K, COLS]. Per register block, ROWS x
 * COLS of C: for each k, one f32x4 per 4 columns from the panel and each row's A value
 * broadcast (v128.load32_splat), 8 f32x4 accumulators. Panels are the outer loop: one panel
 * (K x 32 bytes) stays in cache while every block of A passes over it.
 *
 * Sum order: each C element is the sum over k ascending, from 0, in f32 (a multiply then an
 * add, never fused), added to C at the end when accumulating; the scalar-ts kernel computes
 * the same, bit for bit.
 *
 * Block shape, measured on the trainer's LeNet-5 shapes at batch 128 (M x N x K: 50x8192x500,
 * 50x500x8192 B^T, 500x8192x50 A^T, 128x500x800 B^T, 20x73728x25; AMD EPYC, V8, 16 xmm
 * registers), mean GFLOPS of the multiply alone: 4x8 39.7, 2x16 39.6, 3x8 36.9, 2x8 33.1,
 * 4x4 30.3, 4x16 24.7, 4x12 24.4, 3x16 24.2, 5x8 23.4, 6x8 23.1, 8x8 21.2 (from 12
 * accumulators on it falls off: V8 runs out of registers, presumably). Blocking K (kc 128 ..
 * 512) was slower, and so was reading a row-major B in place instead of packing it, even with
 * its rows padded against cache-set conflicts.
 */

const ROWS = 4;
const COLS = 8;
/**
 * Rows of a row-major B packed per pass over its panels: a whole panel at a time walks B's
 * rows at a stride of N floats, in the trainer often a multiple of 4 KiB, which thrashes the
 * cache (50 x 8192 x 500: 4.4 ms to pack B, 2.5 ms 8 rows at a time).
 */
const PACK_ROWS = 8;

export function heapBase(): usize {
  return __heap_base;
}

/** Bytes gemm needs at `work` for the packed operands. */
export function workBytes(m: i32, n: i32, k: i32): usize {
  return (<usize>((m + ROWS - 1) / ROWS) * ROWS + <usize>((n + COLS - 1) / COLS) * COLS) * <usize>k * 4;
}

/** C = (accumulate ? C : 0) + op(A) . op(B); see the header. */
export function gemm(
  a: usize, lda: i32, transA: bool, b: usize, ldb: i32, transB: bool, c: usize, ldc: i32, m: i32, n: i32, k: i32, accumulate: bool, work: usize,
): void {
  const panels = work + <usize>((m + ROWS - 1) / ROWS) * <usize>(ROWS * k) * 4;
  pack(a, lda, transA, m, k, ROWS, work);
  pack(b, ldb, !transB, n, k, COLS, panels);
  multiply(work, panels, c, ldc, m, n, k, accumulate);
}

/**
 * dst [ceil(count / width), k, width] from the elements (i, kk), i < count, found at
 * src + (contiguous ? kk * ld + i : i * ld + kk) floats; zeros past count.
 */
function pack(src: usize, ld: i32, contiguous: bool, count: i32, k: i32, width: i32, dst: usize): void {
  const full = count - count % width;
  const groupBytes = <usize>(k * width) * 4;
  if (contiguous) {
    // Each k row of a group is `width` consecutive floats: vector copies, PACK_ROWS rows at a time.
    for (let k0 = 0; k0 < k; k0 += PACK_ROWS) {
      const k1 = min(k, k0 + PACK_ROWS);
      for (let g = 0; g < full; g += width) {
        const group = dst + <usize>(g / width) * groupBytes;
        for (let kk = k0; kk < k1; kk++) {
          const from = src + <usize>(kk * ld + g) * 4;
          const to = group + <usize>(kk * width) * 4;
          for (let j = 0; j < width; j += 4) v128.store(to + <usize>j * 4, v128.load(from + <usize>j * 4));
        }
      }
    }
  } else {
    for (let g = 0; g < full; g += width) {
      const group = dst + <usize>(g / width) * groupBytes;
      for (let j = 0; j < width; j += 4) transposeRows(src + <usize>((g + j) * ld) * 4, ld, k, group + <usize>j * 4, width);
    }
  }
  if (full < count) packEdge(src, ld, contiguous, full, count, k, width, dst + <usize>(full / width) * groupBytes);
}

/** to[kk * width + r] = row r's element kk, for 4 rows of `k` floats `ld` apart: 4 x 4 transposes by shuffles. */
function transposeRows(from: usize, ld: i32, k: i32, to: usize, width: i32): void {
  const r0 = from;
  const r1 = r0 + <usize>ld * 4;
  const r2 = r1 + <usize>ld * 4;
  const r3 = r2 + <usize>ld * 4;
  const step = <usize>width * 4;
  const k4 = k & ~3;
  for (let kk = 0; kk < k4; kk += 4) {
    const at = <usize>kk * 4;
    const x0 = v128.load(r0 + at), x1 = v128.load(r1 + at), x2 = v128.load(r2 + at), x3 = v128.load(r3 + at);
    const lo01 = i32x4.shuffle(x0, x1, 0, 4, 1, 5), hi01 = i32x4.shuffle(x0, x1, 2, 6, 3, 7);
    const lo23 = i32x4.shuffle(x2, x3, 0, 4, 1, 5), hi23 = i32x4.shuffle(x2, x3, 2, 6, 3, 7);
    const out = to + <usize>kk * step;
    v128.store(out, i64x2.shuffle(lo01, lo23, 0, 2));
    v128.store(out + step, i64x2.shuffle(lo01, lo23, 1, 3));
    v128.store(out + 2 * step, i64x2.shuffle(hi01, hi23, 0, 2));
    v128.store(out + 3 * step, i64x2.shuffle(hi01, hi23, 1, 3));
  }
  for (let kk = k4; kk < k; kk++) {
    const at = <usize>kk * 4;
    const out = to + <usize>kk * step;
    store<f32>(out, load<f32>(r0 + at));
    store<f32>(out, load<f32>(r1 + at), 4);
    store<f32>(out, load<f32>(r2 + at), 8);
    store<f32>(out, load<f32>(r3 + at), 12);
  }
}

/** The last, partial group of pack: elements [i0, count) and zeros up to width. */
function packEdge(src: usize, ld: i32, contiguous: bool, i0: i32, count: i32, k: i32, width: i32, dst: usize): void {
  for (let kk = 0; kk < k; kk++) {
    for (let j = 0; j < width; j++) {
      const i = i0 + j;
      const v: f32 = i < count ? load<f32>(src + <usize>(contiguous ? kk * ld + i : i * ld + kk) * 4) : 0;
      store<f32>(dst + <usize>(kk * width + j) * 4, v);
    }
  }
}

/** Stores the lanes of `sums` (columns col .. col + 3 of a row) that fall below n, adding to C when accumulating. */
@inline function storeColumns(row: usize, col: i32, n: i32, sums: v128, accumulate: bool): void {
  const at = row + <usize>col * 4;
  if (col + 4 <= n) {
    v128.store(at, accumulate ? f32x4.add(v128.load(at), sums) : sums);
    return;
  }
  if (col >= n) return;
  store<f32>(at, accumulate ? load<f32>(at) + f32x4.extract_lane(sums, 0) : f32x4.extract_lane(sums, 0));
  if (col + 1 >= n) return;
  store<f32>(at, accumulate ? load<f32>(at, 4) + f32x4.extract_lane(sums, 1) : f32x4.extract_lane(sums, 1), 4);
  if (col + 2 >= n) return;
  store<f32>(at, accumulate ? load<f32>(at, 8) + f32x4.extract_lane(sums, 2) : f32x4.extract_lane(sums, 2), 8);
}

@inline function storeRow(c: usize, ldc: i32, i: i32, col: i32, n: i32, s0: v128, s1: v128, accumulate: bool): void {
  const row = c + <usize>(i * ldc) * 4;
  storeColumns(row, col, n, s0, accumulate);
  storeColumns(row, col + 4, n, s1, accumulate);
}

/** C from the packed operands; rows past M of a block are zeros and are not stored. */
function multiply(blocks: usize, panels: usize, c: usize, ldc: i32, m: i32, n: i32, k: i32, accumulate: bool): void {
  const blockBytes = <usize>(k * ROWS) * 4;
  const panelBytes = <usize>(k * COLS) * 4;
  for (let p = 0; p < n; p += COLS) {
    const panel = panels + <usize>(p / COLS) * panelBytes;
    for (let i = 0; i < m; i += ROWS) {
      let x = blocks + <usize>(i / ROWS) * blockBytes;
      let y = panel;
      const end = x + blockBytes;
      let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
      let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
      let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
      let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
      while (x < end) {
        const b0 = v128.load(y);
        const b1 = v128.load(y, 16);
        let a = v128.load32_splat(x);
        c00 = f32x4.add(c00, f32x4.mul(a, b0));
        c01 = f32x4.add(c01, f32x4.mul(a, b1));
        a = v128.load32_splat(x, 4);
        c10 = f32x4.add(c10, f32x4.mul(a, b0));
        c11 = f32x4.add(c11, f32x4.mul(a, b1));
        a = v128.load32_splat(x, 8);
        c20 = f32x4.add(c20, f32x4.mul(a, b0));
        c21 = f32x4.add(c21, f32x4.mul(a, b1));
        a = v128.load32_splat(x, 12);
        c30 = f32x4.add(c30, f32x4.mul(a, b0));
        c31 = f32x4.add(c31, f32x4.mul(a, b1));
        x += ROWS * 4;
        y += COLS * 4;
      }
      storeRow(c, ldc, i, p, n, c00, c01, accumulate);
      if (i + 1 < m) storeRow(c, ldc, i + 1, p, n, c10, c11, accumulate);
      if (i + 2 < m) storeRow(c, ldc, i + 2, p, n, c20, c21, accumulate);
      if (i + 3 < m) storeRow(c, ldc, i + 3, p, n, c30, c31, accumulate);
    }
  }
}
