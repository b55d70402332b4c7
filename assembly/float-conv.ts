/**
 * Float32 convolution, WebAssembly SIMD (compiled by scripts/build-cpu.mjs): the CPU backend's
 * float layers, and its BWN layers with the weights' signs added or subtracted rather than
 * multiplied. No runtime, no allocation: the host (src/backends/cpu/float-conv.ts) lays the buffers out
 * in linear memory from heapBase() on and passes their addresses.
 *
 * An implicit GEMM, out[m, o] = sum over k of image(m, k) * weights[o, k], K = kh * kw * Cin:
 * kernel row u of pixel m is kw * Cin consecutive floats of the padded image, so the GEMM
 * reads the image in place (no im2col). Per register block, BLOCK_PIXELS pixels x
 * BLOCK_FILTERS filters: for each k, one f32x4 per 4 filters from the panel and each pixel's
 * image(m, k) broadcast (v128.load32_splat), 8 f32x4 accumulators. Measured on the typical
 * layer (x86-64, V8; 16 xmm registers), GFLOPS: 4x8 40, 4x12 35, 6x8 34, 2x16 35, 4x4 32,
 * 8x8 27; unrolling k by 2 or 4 was slower. Blocks past the range's last pixel repeat it and are
 * not stored.
 *
 * Two GEMMs from one template, gemm<W>: W = f32, float weights, acc + x * w; W = u32, sign
 * masks (0x80000000 for -1, 0 for +1), acc + (x ^ mask), which flips x's sign bit where the
 * weight is -1: bit-identical to acc + x * (+-1), the sums being taken in the same order.
 *
 * Buffers:
 * - image  [N, H + 2ph, W + 2pw, Cin] f32, the input zero-padded
 * - panels [ceil(Cout / BLOCK_FILTERS), K, BLOCK_FILTERS] f32 weights or u32 masks, OHWI
 *   order along K; filters past Cout zero
 * - out    [m1 - m0, Cout] f32: output pixels [m0, m1) of the N * Ho * Wo
 */

const BLOCK_PIXELS = 4;
const BLOCK_FILTERS = 8;

export function heapBase(): usize {
  return __heap_base;
}

/** Filters per panel. */
export function filterBlock(): i32 {
  return BLOCK_FILTERS;
}

@inline function accumulate<W>(acc: v128, x: v128, w: v128): v128 {
  return isFloat<W>() ? f32x4.add(acc, f32x4.mul(x, w)) : f32x4.add(acc, v128.xor(x, w));
}

/** Address of output pixel m's window in the padded image. */
@inline function windowAt(image: usize, m: i32, ho: i32, wo: i32, imageFloats: i32, rowStep: i32, colStep: i32): usize {
  return image + <usize>((m / (ho * wo)) * imageFloats + ((m / wo) % ho) * rowStep + (m % wo) * colStep) * 4;
}

/** Sums of filters o .. o+3 at `row`, those below cout. */
@inline function storeFilters(row: usize, o: i32, cout: i32, sums: v128): void {
  const at = row + <usize>o * 4;
  if (o + 4 <= cout) {
    v128.store(at, sums);
  } else if (o < cout) {
    store<f32>(at, f32x4.extract_lane(sums, 0));
    if (o + 1 < cout) store<f32>(at, f32x4.extract_lane(sums, 1), 4);
    if (o + 2 < cout) store<f32>(at, f32x4.extract_lane(sums, 2), 8);
  }
}

@inline function storePixel(out: usize, m: i32, ob: i32, cout: i32, sums0: v128, sums1: v128): void {
  const row = out + <usize>(m * cout) * 4;
  storeFilters(row, ob, cout, sums0);
  storeFilters(row, ob + 4, cout, sums1);
}

@inline function gemm<W>(
  image: usize, panels: usize, out: usize, hp: i32, wp: i32, cin: i32, cout: i32, kh: i32, kw: i32, sh: i32, sw: i32, ho: i32, wo: i32, m0: i32, m1: i32,
): void {
  const paddedRow = wp * cin;
  const imageFloats = hp * paddedRow;
  const runBytes = <usize>(kw * cin) * 4;
  const panelBytes = <usize>(kh * kw * cin * BLOCK_FILTERS) * 4;
  for (let mb = m0; mb < m1; mb += BLOCK_PIXELS) {
    const last = m1 - 1;
    const p0 = windowAt(image, mb, ho, wo, imageFloats, sh * paddedRow, sw * cin);
    const p1 = windowAt(image, min(mb + 1, last), ho, wo, imageFloats, sh * paddedRow, sw * cin);
    const p2 = windowAt(image, min(mb + 2, last), ho, wo, imageFloats, sh * paddedRow, sw * cin);
    const p3 = windowAt(image, min(mb + 3, last), ho, wo, imageFloats, sh * paddedRow, sw * cin);
    for (let ob = 0; ob < cout; ob += BLOCK_FILTERS) {
      let f = panels + <usize>(ob / BLOCK_FILTERS) * panelBytes;
      let s00 = f32x4.splat(0), s01 = f32x4.splat(0), s10 = f32x4.splat(0), s11 = f32x4.splat(0);
      let s20 = f32x4.splat(0), s21 = f32x4.splat(0), s30 = f32x4.splat(0), s31 = f32x4.splat(0);
      for (let u = 0; u < kh; u++) {
        const row = <usize>(u * paddedRow) * 4;
        let x0 = p0 + row, x1 = p1 + row, x2 = p2 + row, x3 = p3 + row;
        const end = x0 + runBytes;
        while (x0 < end) {
          const w0 = v128.load(f), w1 = v128.load(f, 16);
          let x = v128.load32_splat(x0);
          s00 = accumulate<W>(s00, x, w0);
          s01 = accumulate<W>(s01, x, w1);
          x = v128.load32_splat(x1);
          s10 = accumulate<W>(s10, x, w0);
          s11 = accumulate<W>(s11, x, w1);
          x = v128.load32_splat(x2);
          s20 = accumulate<W>(s20, x, w0);
          s21 = accumulate<W>(s21, x, w1);
          x = v128.load32_splat(x3);
          s30 = accumulate<W>(s30, x, w0);
          s31 = accumulate<W>(s31, x, w1);
          x0 += 4;
          x1 += 4;
          x2 += 4;
          x3 += 4;
          f += BLOCK_FILTERS * 4;
        }
      }
      storePixel(out, mb - m0, ob, cout, s00, s01);
      if (mb + 1 < m1) storePixel(out, mb + 1 - m0, ob, cout, s10, s11);
      if (mb + 2 < m1) storePixel(out, mb + 2 - m0, ob, cout, s20, s21);
      if (mb + 3 < m1) storePixel(out, mb + 3 - m0, ob, cout, s30, s31);
    }
  }
}

/** Float weights: out = image * weights. */
export function floatGemm(
  image: usize, panels: usize, out: usize, hp: i32, wp: i32, cin: i32, cout: i32, kh: i32, kw: i32, sh: i32, sw: i32, ho: i32, wo: i32, m0: i32, m1: i32,
): void {
  gemm<f32>(image, panels, out, hp, wp, cin, cout, kh, kw, sh, sw, ho, wo, m0, m1);
}

/** BWN: sign masks, each input added or subtracted. */
export function signGemm(
  image: usize, panels: usize, out: usize, hp: i32, wp: i32, cin: i32, cout: i32, kh: i32, kw: i32, sh: i32, sw: i32, ho: i32, wo: i32, m0: i32, m1: i32,
): void {
  gemm<u32>(image, panels, out, hp, wp, cin, cout, kh, kw, sh, sw, ho, wo, m0, m1);
}
