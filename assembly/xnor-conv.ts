/**
 * XNOR convolution on packed sign bits, WebAssembly SIMD (compiled by scripts/build-cpu.mjs).
 * No runtime, no allocation: the host (src/backends/cpu/wasm-kernel.ts) lays the buffers out in linear
 * memory from heapBase() on and passes their addresses.
 *
 *   dot[m, o] = Cin * realTaps(m) - 2 * mismatches,  mismatches = popcount(a ^ w) over real taps
 *
 * As an im2col then a binary GEMM over K = kh * kw * words words per (pixel, filter):
 * 1. im2col: each output pixel's taps side by side, a row of K words. Padded taps are zero
 *    words; they mismatch popcount(w) bits of the filter's tap, which the epilogue subtracts
 *    again (tapPop), so padded taps contribute 0. Also per pixel: its real and padded taps.
 * 2. toPanel, for the im2col rows and for the filters: blocks of BLOCK_PIXELS (BLOCK_FILTERS)
 *    rows interleaved vector by vector, K rounded up to whole vectors with zero words, rows
 *    past the end zero; so the GEMM reads each block's operands through one pointer.
 * 3. The GEMM: BLOCK_PIXELS x BLOCK_FILTERS dots per register block, each loaded operand used
 *    BLOCK_FILTERS or BLOCK_PIXELS times. Two ways to count mismatches:
 *    - xnorGemmV128: i8x16.popcnt, per-byte counts summed with i8x16.add for at most
 *      MAX_BYTE_STEPS vectors before widening to i32 lanes;
 *    - xnorGemmI64: i64.popcnt on each 64-bit half. On x86-64, V8 turns i8x16.popcnt into
 *      ~8 vector instructions (nibble table lookups) but i64.popcnt into one POPCNT: ~25%
 *      faster there. On arm64 i8x16.popcnt is a single CNT.
 * Channel-padding bits and the zero words that round K up are 0 in both operands: no mismatch.
 *
 * Buffers (toPanel reads up to 12 bytes past the end of `weights` and `cols`):
 * - input   [N, H, W, words] and weights [Cout, kh, kw, words], as packed (src/tensor/bits.ts)
 * - tapPop  [kh * kw, Cout + BLOCK_FILTERS - 1] i32: popcount of filter o's words at tap t
 * - cols    [m1 - m0, K] and info [m1 - m0, 2 + kh * kw] i32, written by im2col
 * - panels  of toPanel: [ceil(rows / block), ceil(K / 4), block, 4] u32
 * - out     [m1 - m0, Cout] i32
 */

const BLOCK_PIXELS = 2;
const BLOCK_FILTERS = 4;
/** A byte gains at most 8 per vector step: 31 * 8 = 248 still fits in 8 bits. */
const MAX_BYTE_STEPS = 31;
/** Per pixel: [realTaps, paddedCount, paddedTap0, ...]. */
const INFO_HEADER = 2;

export function heapBase(): usize {
  return __heap_base;
}

/** The register block: rows per panel of pixels and of filters. */
export function pixelBlock(): i32 {
  return BLOCK_PIXELS;
}

export function filterBlock(): i32 {
  return BLOCK_FILTERS;
}

/** tapPop[t * (cout + BLOCK_FILTERS - 1) + o] = popcount of filter o's words at tap t. */
export function tapPopcounts(weights: usize, cout: i32, taps: i32, words: i32, tapPop: usize): void {
  const filters = cout + BLOCK_FILTERS - 1;
  for (let o = 0; o < cout; o++) {
    for (let t = 0; t < taps; t++) {
      const tap = weights + <usize>((o * taps + t) * words) * 4;
      let count = 0;
      for (let k = 0; k < words; k++) count += popcnt(load<u32>(tap + <usize>k * 4));
      store<i32>(tapPop + <usize>(t * filters + o) * 4, count);
    }
  }
}

/** Fills cols and info for output pixels [m0, m1) (see the header). */
export function im2col(
  input: usize, cols: usize, info: usize,
  h: i32, w: i32, words: i32, kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32, ho: i32, wo: i32, m0: i32, m1: i32,
): void {
  const tapBytes = <usize>words * 4;
  const rowBytes = <usize>(kh * kw) * tapBytes;
  const infoBytes = <usize>(INFO_HEADER + kh * kw) * 4;
  for (let m = m0; m < m1; m++) {
    const b = m / (ho * wo);
    const i = (m / wo) % ho;
    const j = m % wo;
    const row = cols + <usize>(m - m0) * rowBytes;
    const pixelInfo = info + <usize>(m - m0) * infoBytes;
    let real = 0;
    let padded = 0;
    for (let u = 0; u < kh; u++) {
      const y = i * sh + u - ph;
      for (let v = 0; v < kw; v++) {
        const x = j * sw + v - pw;
        const dst = row + <usize>(u * kw + v) * tapBytes;
        if (y >= 0 && y < h && x >= 0 && x < w) {
          memory.copy(dst, input + <usize>(((b * h + y) * w + x) * words) * 4, tapBytes);
          real++;
        } else {
          memory.fill(dst, 0, tapBytes);
          store<i32>(pixelInfo + <usize>(INFO_HEADER + padded) * 4, u * kw + v);
          padded++;
        }
      }
    }
    store<i32>(pixelInfo, real);
    store<i32>(pixelInfo + 4, padded);
  }
}

/** Lanes 0 .. count-1 all ones, the rest zero. */
function laneMask(count: i32): v128 {
  return i32x4(count > 0 ? -1 : 0, count > 1 ? -1 : 0, count > 2 ? -1 : 0, count > 3 ? -1 : 0);
}

/** `rows` rows of `k` words at `src` into panels of `block` rows at `dst` (see the header). */
export function toPanel(src: usize, rows: i32, k: i32, block: i32, dst: usize): void {
  const steps = (k + 3) >> 2;
  const tail = laneMask(k - ((steps - 1) << 2));
  let at = dst;
  for (let r0 = 0; r0 < rows; r0 += block) {
    for (let s = 0; s < steps; s++) {
      const mask = s == steps - 1 ? tail : i32x4.splat(-1);
      for (let r = r0; r < r0 + block; r++) {
        const words = r < rows ? v128.and(v128.load(src + <usize>(r * k + (s << 2)) * 4), mask) : i32x4.splat(0);
        v128.store(at, words);
        at += 16;
      }
    }
  }
}

@inline function addMismatches(bytes: v128, a: v128, w: v128): v128 {
  return i8x16.add(bytes, i8x16.popcnt(v128.xor(a, w)));
}

@inline function widen(sum: v128, bytes: v128): v128 {
  return i32x4.add(sum, i32x4.extadd_pairwise_i16x8_u(i16x8.extadd_pairwise_i8x16_u(bytes)));
}

/** [sum of a's lanes, sum of b's, sum of c's, sum of d's]. */
@inline function laneSums(a: v128, b: v128, c: v128, d: v128): v128 {
  const ab = i32x4.add(i32x4.shuffle(a, b, 0, 1, 4, 5), i32x4.shuffle(a, b, 2, 3, 6, 7));
  const cd = i32x4.add(i32x4.shuffle(c, d, 0, 1, 4, 5), i32x4.shuffle(c, d, 2, 3, 6, 7));
  return i32x4.add(i32x4.shuffle(ab, cd, 0, 2, 4, 6), i32x4.shuffle(ab, cd, 1, 3, 5, 7));
}

/**
 * Mismatches of one block with i8x16.popcnt: at `counts`, pixel 0's i32x4 [filter 0..3], then
 * pixel 1's. `a` and `f` point at the block's pixel and filter panels.
 */
@inline function blockV128(a: usize, f: usize, steps: i32, counts: usize): void {
  let b00 = i32x4.splat(0), b01 = i32x4.splat(0), b02 = i32x4.splat(0), b03 = i32x4.splat(0);
  let b10 = i32x4.splat(0), b11 = i32x4.splat(0), b12 = i32x4.splat(0), b13 = i32x4.splat(0);
  let s00 = i32x4.splat(0), s01 = i32x4.splat(0), s02 = i32x4.splat(0), s03 = i32x4.splat(0);
  let s10 = i32x4.splat(0), s11 = i32x4.splat(0), s12 = i32x4.splat(0), s13 = i32x4.splat(0);
  for (let k0 = 0; k0 < steps; k0 += MAX_BYTE_STEPS) {
    const end = a + <usize>(min(k0 + MAX_BYTE_STEPS, steps) - k0) * (BLOCK_PIXELS * 16);
    while (a < end) {
      const x0 = v128.load(a), x1 = v128.load(a, 16);
      let y = v128.load(f);
      b00 = addMismatches(b00, x0, y);
      b10 = addMismatches(b10, x1, y);
      y = v128.load(f, 16);
      b01 = addMismatches(b01, x0, y);
      b11 = addMismatches(b11, x1, y);
      y = v128.load(f, 32);
      b02 = addMismatches(b02, x0, y);
      b12 = addMismatches(b12, x1, y);
      y = v128.load(f, 48);
      b03 = addMismatches(b03, x0, y);
      b13 = addMismatches(b13, x1, y);
      a += BLOCK_PIXELS * 16;
      f += BLOCK_FILTERS * 16;
    }
    s00 = widen(s00, b00); s01 = widen(s01, b01); s02 = widen(s02, b02); s03 = widen(s03, b03);
    s10 = widen(s10, b10); s11 = widen(s11, b11); s12 = widen(s12, b12); s13 = widen(s13, b13);
    b00 = i32x4.splat(0); b01 = i32x4.splat(0); b02 = i32x4.splat(0); b03 = i32x4.splat(0);
    b10 = i32x4.splat(0); b11 = i32x4.splat(0); b12 = i32x4.splat(0); b13 = i32x4.splat(0);
  }
  v128.store(counts, laneSums(s00, s01, s02, s03));
  v128.store(counts, laneSums(s10, s11, s12, s13), 16);
}

/** As blockV128, with scalar i64.popcnt on 64-bit halves: no byte counters to widen. */
@inline function blockI64(a: usize, f: usize, steps: i32, counts: usize): void {
  let c00: i64 = 0, c01: i64 = 0, c02: i64 = 0, c03: i64 = 0, c10: i64 = 0, c11: i64 = 0, c12: i64 = 0, c13: i64 = 0;
  const end = a + <usize>steps * (BLOCK_PIXELS * 16);
  while (a < end) {
    let x0 = load<i64>(a), x1 = load<i64>(a, 16);
    let y = load<i64>(f);
    c00 += popcnt(x0 ^ y);
    c10 += popcnt(x1 ^ y);
    y = load<i64>(f, 16);
    c01 += popcnt(x0 ^ y);
    c11 += popcnt(x1 ^ y);
    y = load<i64>(f, 32);
    c02 += popcnt(x0 ^ y);
    c12 += popcnt(x1 ^ y);
    y = load<i64>(f, 48);
    c03 += popcnt(x0 ^ y);
    c13 += popcnt(x1 ^ y);
    x0 = load<i64>(a, 8);
    x1 = load<i64>(a, 24);
    y = load<i64>(f, 8);
    c00 += popcnt(x0 ^ y);
    c10 += popcnt(x1 ^ y);
    y = load<i64>(f, 24);
    c01 += popcnt(x0 ^ y);
    c11 += popcnt(x1 ^ y);
    y = load<i64>(f, 40);
    c02 += popcnt(x0 ^ y);
    c12 += popcnt(x1 ^ y);
    y = load<i64>(f, 56);
    c03 += popcnt(x0 ^ y);
    c13 += popcnt(x1 ^ y);
    a += BLOCK_PIXELS * 16;
    f += BLOCK_FILTERS * 16;
  }
  v128.store(counts, i32x4(<i32>c00, <i32>c01, <i32>c02, <i32>c03));
  v128.store(counts, i32x4(<i32>c10, <i32>c11, <i32>c12, <i32>c13), 16);
}

/**
 * Stores the dots of one pixel for filters ob .. ob+3 (those below cout) from their mismatch
 * counts, less the mismatches of the pixel's padded taps.
 */
@inline function storeDots(out: usize, pixelInfo: usize, tapPop: usize, filters: i32, ob: i32, cout: i32, cin: i32, counts: v128): void {
  let mismatches = counts;
  const padded = load<i32>(pixelInfo + 4);
  for (let k = 0; k < padded; k++) {
    const t = load<i32>(pixelInfo + <usize>(INFO_HEADER + k) * 4);
    mismatches = i32x4.sub(mismatches, v128.load(tapPop + <usize>(t * filters + ob) * 4));
  }
  const dots = i32x4.sub(i32x4.splat(cin * load<i32>(pixelInfo)), i32x4.shl(mismatches, 1));
  const at = out + <usize>ob * 4;
  if (ob + 4 <= cout) {
    v128.store(at, dots);
  } else {
    store<i32>(at, i32x4.extract_lane(dots, 0));
    if (ob + 1 < cout) store<i32>(at + 4, i32x4.extract_lane(dots, 1));
    if (ob + 2 < cout) store<i32>(at + 8, i32x4.extract_lane(dots, 2));
  }
}

/** One block's mismatch counts, [BLOCK_PIXELS][BLOCK_FILTERS] i32. */
const blockCounts = memory.data(BLOCK_PIXELS * BLOCK_FILTERS * 4, 16);

/**
 * The binary GEMM of the panels: dots of pixels [0, pixels) into out[m * cout + o], counting
 * mismatches with i8x16.popcnt (Popcount = v128) or i64.popcnt (Popcount = i64).
 */
@inline function xnorGemm<Popcount>(
  pixelPanels: usize, filterPanels: usize, info: usize, tapPop: usize, out: usize, k: i32, taps: i32, cin: i32, cout: i32, pixels: i32,
): void {
  const steps = (k + 3) >> 2;
  const pixelPanelBytes = <usize>(steps * BLOCK_PIXELS) * 16;
  const filterPanelBytes = <usize>(steps * BLOCK_FILTERS) * 16;
  const infoBytes = <usize>(INFO_HEADER + taps) * 4;
  const filters = cout + BLOCK_FILTERS - 1;
  for (let mb = 0; mb < pixels; mb += BLOCK_PIXELS) {
    const pixelPanel = pixelPanels + <usize>(mb / BLOCK_PIXELS) * pixelPanelBytes;
    const row = out + <usize>(mb * cout) * 4;
    for (let ob = 0; ob < cout; ob += BLOCK_FILTERS) {
      const filterPanel = filterPanels + <usize>(ob / BLOCK_FILTERS) * filterPanelBytes;
      if (isVector<Popcount>()) blockV128(pixelPanel, filterPanel, steps, blockCounts);
      else blockI64(pixelPanel, filterPanel, steps, blockCounts);
      storeDots(row, info + <usize>mb * infoBytes, tapPop, filters, ob, cout, cin, v128.load(blockCounts));
      if (mb + 1 < pixels) {
        storeDots(row + <usize>cout * 4, info + <usize>(mb + 1) * infoBytes, tapPop, filters, ob, cout, cin, v128.load(blockCounts, 16));
      }
    }
  }
}

export function xnorGemmV128(
  pixelPanels: usize, filterPanels: usize, info: usize, tapPop: usize, out: usize, k: i32, taps: i32, cin: i32, cout: i32, pixels: i32,
): void {
  xnorGemm<v128>(pixelPanels, filterPanels, info, tapPop, out, k, taps, cin, cout, pixels);
}

export function xnorGemmI64(
  pixelPanels: usize, filterPanels: usize, info: usize, tapPop: usize, out: usize, k: i32, taps: i32, cin: i32, cout: i32, pixels: i32,
): void {
  xnorGemm<i64>(pixelPanels, filterPanels, info, tapPop, out, k, taps, cin, cout, pixels);
}
