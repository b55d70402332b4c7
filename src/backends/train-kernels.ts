/**
 * ConvKernels for training on a backend's GEMM, float32: every convolution as one GEMM over
 * the batch's columns (im2col, here in TypeScript), cols [K = Cin*kh*kw, N*Ho*Wo]:
 * - forward:      Y [Cout, N*P] = W [Cout, K] . cols
 * - weight grad: dW [Cout, K]   = dY [Cout, N*P] . cols^T
 * - input grad:  dcols [K, N*P] = W^T . dY, added back into the image (col2im)
 * The columns of a forward pass are kept (by input array) for its weight gradient. The cpu
 * backend's GEMM is Wasm SIMD (cpu/gemm.ts), WebGPU's a WGSL kernel (webgpu/gemm.ts).
 */
import type { ConvGeometry } from '../ops/conv.js';
import type { ConvKernels, Floats, MaybePromise } from '../ops/training.js';

export interface GemmShape {
  m: number;
  n: number;
  k: number;
  /** A is stored [k, m]. */
  transA?: boolean;
  /** B is stored [n, k]. */
  transB?: boolean;
  /** Add to what C holds instead of overwriting it. */
  accumulate?: boolean;
}

/** Throws a RangeError naming the operand whose length does not fit the shape. */
export function checkGemmOperands(a: Float32Array, b: Float32Array, c: Float32Array, { m, n, k }: GemmShape): void {
  for (const [name, v] of Object.entries({ m, n, k })) {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`gemm: ${name} must be a positive integer, got ${v}`);
  }
  for (const [name, array, length] of [
    ['A', a, m * k],
    ['B', b, k * n],
    ['C', c, m * n],
  ] as const) {
    if (array.length !== length)
      throw new RangeError(`gemm: ${name} has ${array.length} floats, expected ${length} (m ${m}, n ${n}, k ${k})`);
  }
}

/** c = (accumulate ? c : 0) + op(a) . op(b): a [m, k] (or [k, m]), b [k, n] (or [n, k]), c [m, n], row-major. */
export interface GemmRunner {
  run(a: Float32Array, b: Float32Array, c: Float32Array, shape: GemmShape): MaybePromise<void>;
  /** The GEMM in words, for progress lines and curve.json. */
  readonly description: string;
}

/** The output columns j whose tap v lands inside the input: [first, last). */
function insideColumns(v: number, g: ConvGeometry): [number, number] {
  const [s, p] = [g.stride[1], g.padding[1]];
  const first = Math.max(0, Math.ceil((p - v) / s));
  const last = Math.min(g.wo, Math.floor((g.w - 1 + p - v) / s) + 1);
  return [first, Math.max(first, last)];
}

/**
 * Calls run(colsAt, xAt, first, count) for every run of one (channel, tap, sample, output row)
 * that lands inside the input: cols[colsAt + j'] pairs with x[xAt + j' * stride] for j' < count.
 */
function forEachRun(g: ConvGeometry, run: (colsAt: number, xAt: number, count: number) => void): void {
  const { n, cin, h, w, kh, kw, ho, wo, stride, padding } = g;
  const columns = n * ho * wo;
  for (let c = 0; c < cin; c++) {
    for (let u = 0; u < kh; u++) {
      for (let v = 0; v < kw; v++) {
        const row = ((c * kh + u) * kw + v) * columns;
        const [first, last] = insideColumns(v, g);
        if (first === last) continue;
        for (let b = 0; b < n; b++) {
          const plane = (b * cin + c) * h * w;
          for (let i = 0; i < ho; i++) {
            const y = i * stride[0] + u - padding[0];
            if (y < 0 || y >= h) continue;
            run(row + (b * ho + i) * wo + first, plane + y * w + first * stride[1] + v - padding[1], last - first);
          }
        }
      }
    }
  }
}

/** cols[(c*kh + u)*kw + v, b*P + i*wo + j] = xpad[b, c, i*s + u - p, j*s + v - p]. */
function im2col(x: Floats, g: ConvGeometry, alloc: Alloc): Float32Array {
  const cols = alloc(g.cin * g.kh * g.kw * g.n * g.ho * g.wo);
  const step = g.stride[1];
  // A loop, not set(subarray): runs are short (a row of the output) and a view per run costs more.
  forEachRun(g, (at, from, count) => {
    for (let j = 0; j < count; j++) cols[at + j] = x[from + j * step]!;
  });
  return cols;
}

/** The inverse scatter of im2col: sums each column entry back into its input position. */
function col2im(cols: Float32Array, g: ConvGeometry): Float32Array {
  const dx = new Float32Array(g.n * g.cin * g.h * g.w);
  const step = g.stride[1];
  forEachRun(g, (at, to, count) => {
    for (let j = 0; j < count; j++) dx[to + j * step]! += cols[at + j]!;
  });
  return dx;
}

/** [N, Cout, P] <-> [Cout, N*P]: the GEMM's channel-major rows and NCHW. */
function toChannelMajor(y: Floats, n: number, cout: number, plane: number, alloc: Alloc): Float32Array {
  const out = alloc(y.length);
  for (let b = 0; b < n; b++)
    for (let o = 0; o < cout; o++) out.set(y.subarray((b * cout + o) * plane, (b * cout + o + 1) * plane), (o * n + b) * plane);
  return out;
}

function toBatchMajor(y: Float32Array, n: number, cout: number, plane: number): Float32Array {
  const out = new Float32Array(y.length);
  for (let o = 0; o < cout; o++)
    for (let b = 0; b < n; b++) out.set(y.subarray((o * n + b) * plane, (o * n + b + 1) * plane), (b * cout + o) * plane);
  return out;
}

const asFloat32 = (a: Floats): Float32Array => (a instanceof Float32Array ? a : Float32Array.from(a));

/** Zeroed float32 arrays for the GEMMs' large operands: shared memory when a thread pool splits the GEMMs. */
export type Alloc = (length: number) => Float32Array;

export function gemmConvKernels(gemm: GemmRunner, alloc: Alloc = (length) => new Float32Array(length)): ConvKernels {
  // The columns of the last inputs convolved, for their weight gradients.
  const columns = new WeakMap<Floats, Float32Array>();
  const colsOf = (x: Floats, g: ConvGeometry) => {
    let cols = columns.get(x);
    if (!cols || cols.length !== g.cin * g.kh * g.kw * g.n * g.ho * g.wo) {
      cols = im2col(x, g, alloc);
      columns.set(x, cols);
    }
    return cols;
  };
  return {
    forward: async (x, w, g) => {
      const plane = g.ho * g.wo;
      const k = g.cin * g.kh * g.kw;
      const y = alloc(g.cout * g.n * plane);
      await gemm.run(asFloat32(w), colsOf(x, g), y, { m: g.cout, n: g.n * plane, k });
      return toBatchMajor(y, g.n, g.cout, plane);
    },
    weightGrad: async (dy, x, g) => {
      const plane = g.ho * g.wo;
      const k = g.cin * g.kh * g.kw;
      const dw = alloc(g.cout * k);
      await gemm.run(toChannelMajor(dy, g.n, g.cout, plane, alloc), colsOf(x, g), dw, { m: g.cout, n: k, k: g.n * plane, transB: true });
      return dw;
    },
    inputGrad: async (dy, w, g) => {
      const plane = g.ho * g.wo;
      const k = g.cin * g.kh * g.kw;
      const dcols = alloc(k * g.n * plane);
      await gemm.run(asFloat32(w), toChannelMajor(dy, g.n, g.cout, plane, alloc), dcols, { m: k, n: g.n * plane, k: g.cout, transA: true });
      return col2im(dcols, g);
    },
  };
}
