/**
 * The XNOR convolution in WebAssembly SIMD (assembly/xnor-conv.ts). The module arrives as a
 * base64 data URL through Vite's `?url&inline`, the same way in vitest, in the Node build and
 * in a browser build; scripts/build-cpu.mjs compiles it.
 */
import wasmUrl from './generated/xnor-conv.wasm?url&inline';
import { wordsFor } from '../../tensor/bits.js';
import type { ConvGeometry } from '../../ops/conv.js';
import { checkConvArgs } from './conv-args.js';
import { align16, compileInlined, ensureBytes, wasmSimdSupported } from './wasm-module.js';
import type { XnorCpuKernel } from './kernel.js';

type GemmArgs = [
  pixelPanels: number,
  filterPanels: number,
  info: number,
  tapPop: number,
  out: number,
  k: number,
  taps: number,
  cin: number,
  cout: number,
  pixels: number,
];

interface XnorConvExports {
  memory: WebAssembly.Memory;
  heapBase(): number;
  pixelBlock(): number;
  filterBlock(): number;
  tapPopcounts(weights: number, cout: number, taps: number, words: number, tapPop: number): void;
  im2col(
    input: number,
    cols: number,
    info: number,
    h: number,
    w: number,
    words: number,
    kh: number,
    kw: number,
    sh: number,
    sw: number,
    ph: number,
    pw: number,
    ho: number,
    wo: number,
    m0: number,
    m1: number,
  ): void;
  toPanel(src: number, rows: number, k: number, block: number, dst: number): void;
  xnorGemmV128(...args: GemmArgs): void;
  xnorGemmI64(...args: GemmArgs): void;
}

/**
 * How the GEMM counts mismatches: i8x16.popcnt on 128-bit vectors, or i64.popcnt on 64-bit
 * halves, ~25% faster on x86-64 (why: assembly/xnor-conv.ts). Same results either way.
 */
export type PopcountPath = 'i8x16' | 'i64';

/** i64 on x86-64 Node; i8x16 elsewhere (browsers do not say their architecture synchronously). */
export function defaultPopcountPath(): PopcountPath {
  return typeof process !== 'undefined' && process.arch === 'x64' ? 'i64' : 'i8x16';
}

let compiled: Promise<WebAssembly.Module> | undefined;
/** toPanel reads up to 12 bytes past the last row it packs. */
const READ_SLACK = 16;

/** Byte offsets of one call's buffers in linear memory (assembly/xnor-conv.ts header), 16-byte aligned. */
function layout(base: number, g: ConvGeometry, pixels: number, pixelBlock: number, filterBlock: number) {
  const taps = g.kh * g.kw;
  const k = taps * wordsFor(g.cin);
  const vectors = Math.ceil(k / 4);
  const input = align16(base);
  const weights = align16(input + g.n * g.h * g.w * wordsFor(g.cin) * 4);
  const tapPop = align16(weights + g.cout * k * 4 + READ_SLACK);
  const cols = align16(tapPop + taps * (g.cout + filterBlock - 1) * 4);
  const info = align16(cols + pixels * k * 4 + READ_SLACK);
  const pixelPanels = align16(info + pixels * (2 + taps) * 4);
  const filterPanels = pixelPanels + Math.ceil(pixels / pixelBlock) * vectors * pixelBlock * 16;
  const out = filterPanels + Math.ceil(g.cout / filterBlock) * vectors * filterBlock * 16;
  return { k, input, weights, tapPop, cols, info, pixelPanels, filterPanels, out, end: out + pixels * g.cout * 4 };
}

export interface WasmSimdKernel extends XnorCpuKernel {
  readonly popcount: PopcountPath;
}

/** Each kernel owns a WebAssembly instance (its own memory), so kernels in workers run independently. */
export async function createWasmSimdKernel(popcount: PopcountPath = defaultPopcountPath()): Promise<WasmSimdKernel> {
  if (!wasmSimdSupported()) throw new Error('xnor conv: this runtime has no WebAssembly SIMD; use the scalar-ts kernel');
  const wasm = (await WebAssembly.instantiate(await (compiled ??= compileInlined(wasmUrl)))).exports as unknown as XnorConvExports;
  const gemm = popcount === 'i64' ? wasm.xnorGemmI64 : wasm.xnorGemmV128;
  const [pixelBlock, filterBlock] = [wasm.pixelBlock(), wasm.filterBlock()];
  return {
    name: 'wasm-simd',
    popcount,
    conv(g, input, weights, out, m0, m1) {
      checkConvArgs(g, input, weights, out, m0, m1);
      const pixels = m1 - m0;
      if (pixels === 0) return;
      const at = layout(wasm.heapBase(), g, pixels, pixelBlock, filterBlock);
      ensureBytes(wasm.memory, at.end);
      const heap = new Uint32Array(wasm.memory.buffer);
      heap.set(input, at.input / 4);
      heap.set(weights, at.weights / 4);
      const [words, taps] = [wordsFor(g.cin), g.kh * g.kw];
      const [sh, sw] = g.stride;
      const [ph, pw] = g.padding;
      wasm.tapPopcounts(at.weights, g.cout, taps, words, at.tapPop);
      wasm.toPanel(at.weights, g.cout, at.k, filterBlock, at.filterPanels);
      wasm.im2col(at.input, at.cols, at.info, g.h, g.w, words, g.kh, g.kw, sh, sw, ph, pw, g.ho, g.wo, m0, m1);
      wasm.toPanel(at.cols, pixels, at.k, pixelBlock, at.pixelPanels);
      gemm(at.pixelPanels, at.filterPanels, at.info, at.tapPop, at.out, at.k, taps, g.cin, g.cout, pixels);
      out.set(new Int32Array(wasm.memory.buffer, at.out, pixels * g.cout));
    },
  };
}
