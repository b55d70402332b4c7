/**
 * Float32 convolution on the CPU, over a zero-padded NHWC image and OHWI weights: the CPU
 * backend's float and BWN layers, and the CPU's float baseline in bench:cpu. Two kernels:
 * - wasm-simd: assembly/float-conv.ts, an f32x4 GEMM; BWN weights as sign masks, the input
 *   added or subtracted rather than multiplied (bit-identical to multiplying by +-1);
 * - scalar-ts: floatConv below, plain TypeScript (4 pixels x 4 filters per register block),
 *   the fallback without WebAssembly SIMD.
 * A layer's weights are laid out for a kernel once (prepare, prepareSigns) and kept by the
 * caller; the wasm kernel copies them into its memory with each input (a memcpy: 0.3 ms of
 * ~47 on the typical layer), so one prepared layer serves any number of kernel instances.
 */
import wasmUrl from './generated/float-conv.wasm?url&inline';
import { ohwiFromOihw } from '../../tensor/layout.js';
import { type Tensor, nchwDims } from '../../tensor/tensor.js';
import { type ConvGeometry, outputPixels } from '../../ops/conv.js';
import { type CpuKernelName, defaultKernelName } from './kernel.js';
import { wasmSimdSupported } from './wasm-module.js';
import { align16, compileInlined, ensureBytes } from './wasm-module.js';

export interface FloatConvOperands {
  /** Input zero-padded by `padding` on every side, NHWC [N, H + 2ph, W + 2pw, Cin]. */
  image: Float32Array;
  /** Weights [Cout, kh, kw, Cin]. */
  weights: Float32Array;
}

/** Floats of the zero-padded NHWC image [N, H + 2ph, W + 2pw, Cin]. */
export function paddedImageLength(g: ConvGeometry): number {
  return g.n * (g.h + 2 * g.padding[0]) * (g.w + 2 * g.padding[1]) * g.cin;
}

/** NCHW input zero-padded into the NHWC image floatConv reads: into `image` when given (its first values), else a new array. */
export function paddedImage(g: ConvGeometry, x: Float32Array, image?: Float32Array): Float32Array {
  const { n, cin, h, w: wd } = g;
  const [ph, pw] = g.padding;
  const [hp, wp] = [h + 2 * ph, wd + 2 * pw];
  const size = paddedImageLength(g);
  const out = image ? image.fill(0, 0, size).subarray(0, size) : new Float32Array(size);
  for (let b = 0; b < n; b++) {
    for (let c = 0; c < cin; c++) {
      for (let y = 0; y < h; y++) {
        for (let xx = 0; xx < wd; xx++) out[((b * hp + y + ph) * wp + xx + pw) * cin + c] = x[((b * cin + c) * h + y) * wd + xx]!;
      }
    }
  }
  return out;
}

/** NCHW input and [Cout, Cin, kh, kw] weights in the layouts floatConv reads. */
export function floatConvOperands(g: ConvGeometry, x: Tensor<Float32Array>, w: Tensor<Float32Array>): FloatConvOperands {
  nchwDims(x, 'float conv input');
  return { image: paddedImage(g, x.data), weights: ohwiFromOihw(w).data };
}

/**
 * out[(m - m0) * cout + o] = sum over taps and channels of image * weights, for output pixels
 * m in [m0, m1) (default all M). Kernel row u of a pixel is kw * Cin consecutive floats in
 * both operands; blocks past m1 or Cout repeat the last pixel or filter and are not stored.
 */
export function floatConv(g: ConvGeometry, { image, weights }: FloatConvOperands, out: Float32Array, m0 = 0, m1 = outputPixels(g)): void {
  const [sh, sw] = g.stride;
  const paddedRow = (g.w + 2 * g.padding[1]) * g.cin;
  const paddedImage = (g.h + 2 * g.padding[0]) * paddedRow;
  const run = g.kw * g.cin;
  const filter = g.kh * run;
  const pixelAt = (m: number) => {
    const plane = g.ho * g.wo;
    const rem = Math.min(m, m1 - 1) % plane;
    return Math.floor(Math.min(m, m1 - 1) / plane) * paddedImage + Math.floor(rem / g.wo) * sh * paddedRow + (rem % g.wo) * sw * g.cin;
  };
  for (let mb = m0; mb < m1; mb += 4) {
    const [p0, p1, p2, p3] = [pixelAt(mb), pixelAt(mb + 1), pixelAt(mb + 2), pixelAt(mb + 3)];
    for (let ob = 0; ob < g.cout; ob += 4) {
      const f0 = ob * filter;
      const f1 = Math.min(ob + 1, g.cout - 1) * filter;
      const f2 = Math.min(ob + 2, g.cout - 1) * filter;
      const f3 = Math.min(ob + 3, g.cout - 1) * filter;
      let s00 = 0,
        s01 = 0,
        s02 = 0,
        s03 = 0,
        s10 = 0,
        s11 = 0,
        s12 = 0,
        s13 = 0;
      let s20 = 0,
        s21 = 0,
        s22 = 0,
        s23 = 0,
        s30 = 0,
        s31 = 0,
        s32 = 0,
        s33 = 0;
      for (let u = 0; u < g.kh; u++) {
        const a = u * paddedRow;
        const w = u * run;
        for (let k = 0; k < run; k++) {
          const x0 = image[p0 + a + k]!,
            x1 = image[p1 + a + k]!,
            x2 = image[p2 + a + k]!,
            x3 = image[p3 + a + k]!;
          const y0 = weights[f0 + w + k]!,
            y1 = weights[f1 + w + k]!,
            y2 = weights[f2 + w + k]!,
            y3 = weights[f3 + w + k]!;
          s00 += x0 * y0;
          s01 += x0 * y1;
          s02 += x0 * y2;
          s03 += x0 * y3;
          s10 += x1 * y0;
          s11 += x1 * y1;
          s12 += x1 * y2;
          s13 += x1 * y3;
          s20 += x2 * y0;
          s21 += x2 * y1;
          s22 += x2 * y2;
          s23 += x2 * y3;
          s30 += x3 * y0;
          s31 += x3 * y1;
          s32 += x3 * y2;
          s33 += x3 * y3;
        }
      }
      const block = [s00, s01, s02, s03, s10, s11, s12, s13, s20, s21, s22, s23, s30, s31, s32, s33];
      for (let p = 0; p < 4 && mb + p < m1; p++) {
        for (let c = 0; c < 4 && ob + c < g.cout; c++) out[(mb + p - m0) * g.cout + ob + c] = block[p * 4 + c]!;
      }
    }
  }
}

/** A layer's weights in one kernel's layout: made once by prepare or prepareSigns, passed to each conv. */
export interface PreparedWeights {
  readonly kernel: CpuKernelName;
  /** BWN: the weights are signs, +-1. */
  readonly signs: boolean;
  readonly cout: number;
  /** Weights per filter, kh * kw * Cin. */
  readonly k: number;
  /** wasm-simd: panels (assembly/float-conv.ts), signs as -0 / +0 (sign masks); scalar-ts: OHWI. */
  readonly data: Float32Array;
}

export interface FloatConvKernel {
  readonly name: CpuKernelName;
  /** Float weights [Cout, kh, kw, Cin]. */
  prepare(g: ConvGeometry, weights: Float32Array): PreparedWeights;
  /** BWN weights: their signs +-1 [Cout, kh, kw, Cin]; the caller applies alpha. */
  prepareSigns(g: ConvGeometry, signs: Float32Array): PreparedWeights;
  /**
   * out[(m - m0) * cout + o] for output pixels m in [m0, m1) (default all M), from the padded
   * image (paddedImage) and this kernel's weights.
   */
  conv(g: ConvGeometry, image: Float32Array, weights: PreparedWeights, out: Float32Array, m0?: number, m1?: number): void;
}

/**
 * A kernel from its weight layout and its GEMM; the argument checks are shared. `layout`
 * gets OHWI weights, +-1 where `signs`, and returns a copy in the kernel's layout.
 */
function floatKernel(
  name: CpuKernelName,
  layout: (weights: Float32Array, cout: number, k: number, signs: boolean) => Float32Array,
  gemm: (g: ConvGeometry, image: Float32Array, weights: PreparedWeights, out: Float32Array, m0: number, m1: number) => void,
): FloatConvKernel {
  const prepare = (g: ConvGeometry, weights: Float32Array, signs: boolean): PreparedWeights => {
    const k = g.kh * g.kw * g.cin;
    if (weights.length !== g.cout * k) {
      throw new RangeError(
        `float conv: weights have ${weights.length} floats, expected ${g.cout * k} ([${g.cout}, ${g.kh}, ${g.kw}, ${g.cin}])`,
      );
    }
    return { kernel: name, signs, cout: g.cout, k, data: layout(weights, g.cout, k, signs) };
  };
  return {
    name,
    prepare: (g, weights) => prepare(g, weights, false),
    prepareSigns(g, signs) {
      const at = signs.findIndex((v) => v !== 1 && v !== -1);
      if (at >= 0) throw new RangeError(`float conv: signs must be +-1, got ${signs[at]} at ${at}`);
      return prepare(g, signs, true);
    },
    conv(g, image, weights, out, m0 = 0, m1 = outputPixels(g)) {
      const expectImage = paddedImageLength(g);
      if (image.length !== expectImage) throw new RangeError(`float conv: image has ${image.length} floats, expected ${expectImage}`);
      if (weights.kernel !== name) throw new Error(`float conv: weights prepared for the ${weights.kernel} kernel, not ${name}`);
      if (weights.cout !== g.cout || weights.k !== g.kh * g.kw * g.cin) {
        throw new RangeError(`float conv: weights prepared for ${weights.cout} filters of ${weights.k}, not this layer's`);
      }
      if (!(Number.isInteger(m0) && Number.isInteger(m1) && 0 <= m0 && m0 <= m1 && m1 <= outputPixels(g))) {
        throw new RangeError(`float conv: pixel range [${m0}, ${m1}) is not within [0, ${outputPixels(g)})`);
      }
      const size = (m1 - m0) * g.cout;
      if (out.length < size) throw new RangeError(`float conv: out holds ${out.length} floats, needs ${size}`);
      if (size > 0) gemm(g, image, weights, out, m0, m1);
    },
  };
}

export function createScalarFloatKernel(): FloatConvKernel {
  return floatKernel(
    'scalar-ts',
    (weights) => weights.slice(),
    (g, image, weights, out, m0, m1) => floatConv(g, { image, weights: weights.data }, out, m0, m1),
  );
}

interface FloatConvExports {
  memory: WebAssembly.Memory;
  heapBase(): number;
  filterBlock(): number;
  floatGemm(...args: GemmArgs): void;
  signGemm(...args: GemmArgs): void;
}

type GemmArgs = [
  image: number,
  panels: number,
  out: number,
  hp: number,
  wp: number,
  cin: number,
  cout: number,
  kh: number,
  kw: number,
  sh: number,
  sw: number,
  ho: number,
  wo: number,
  m0: number,
  m1: number,
];

/** OHWI [cout, k] -> panels [ceil(cout / block), k, block], filters past cout zero. */
function toPanels(weights: Float32Array, cout: number, k: number, block: number): Float32Array {
  const panels = new Float32Array(Math.ceil(cout / block) * k * block);
  for (let o = 0; o < cout; o++) {
    const at = Math.floor(o / block) * k * block + (o % block);
    for (let i = 0; i < k; i++) panels[at + i * block] = weights[o * k + i]!;
  }
  return panels;
}

/** The sign mask of a weight +-1 as a float: -0 (0x80000000) or +0; Float32Array copies keep the bits. */
const signMask = (sign: number) => (sign < 0 ? -0 : 0);

let compiled: Promise<WebAssembly.Module> | undefined;

/** Each kernel owns a WebAssembly instance (its own memory). */
export async function createWasmFloatKernel(): Promise<FloatConvKernel> {
  if (!wasmSimdSupported()) throw new Error('float conv: this runtime has no WebAssembly SIMD; use the scalar-ts kernel');
  compiled ??= compileInlined(wasmUrl);
  const wasm = (await WebAssembly.instantiate(await compiled)).exports as unknown as FloatConvExports;
  const block = wasm.filterBlock();
  return floatKernel(
    'wasm-simd',
    (weights, cout, k, signs) => toPanels(signs ? weights.map(signMask) : weights, cout, k, block),
    (g, image, weights, out, m0, m1) => {
      const size = (m1 - m0) * g.cout;
      const imageAt = align16(wasm.heapBase());
      const panelsAt = align16(imageAt + image.length * 4);
      const outAt = panelsAt + weights.data.length * 4;
      ensureBytes(wasm.memory, outAt + size * 4);
      const heap = new Float32Array(wasm.memory.buffer);
      heap.set(image, imageAt / 4);
      heap.set(weights.data, panelsAt / 4);
      const [ph, pw] = g.padding;
      const [sh, sw] = g.stride;
      const gemm = weights.signs ? wasm.signGemm : wasm.floatGemm;
      gemm(imageAt, panelsAt, outAt, g.h + 2 * ph, g.w + 2 * pw, g.cin, g.cout, g.kh, g.kw, sh, sw, g.ho, g.wo, m0, m1);
      out.set(heap.subarray(outAt / 4, outAt / 4 + size));
    },
  );
}

/** wasm-simd where WebAssembly SIMD is available, else scalar-ts. */
export async function createFloatConvKernel(kind: CpuKernelName = defaultKernelName()): Promise<FloatConvKernel> {
  return kind === 'wasm-simd' ? createWasmFloatKernel() : createScalarFloatKernel();
}
