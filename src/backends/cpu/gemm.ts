/**
 * A general float32 GEMM on the CPU, C = (accumulate ? C : 0) + op(A) . op(B), op an optional
 * transpose: what the trainer's convolutions and linear layers compute forward and backward
 * (train-kernels.ts). Two kernels with the same sums in the same order, bit for bit (each C
 * element: k ascending from 0 in float32, then added to C when accumulating):
 * - wasm-simd: assembly/gemm.ts, f32x4 register blocks over packed copies of A and B;
 * - scalar-ts: the loops below, where WebAssembly SIMD is missing.
 */
import wasmUrl from './generated/gemm.wasm?url&inline';
import { type GemmRunner, type GemmShape, checkGemmOperands } from '../train-kernels.js';
import { type CpuKernelName, defaultKernelName } from './kernel.js';
import { align16, compileInlined, ensureBytes, wasmSimdSupported } from './wasm-module.js';

export type { GemmShape } from '../train-kernels.js';

export interface Gemm extends GemmRunner {
  readonly kernel: CpuKernelName;
  /** c = (accumulate ? c : 0) + op(a) . op(b); a is [m, k] (or [k, m] when transA), b [k, n] (or [n, k] when transB), c [m, n], all row-major and contiguous. */
  run(a: Float32Array, b: Float32Array, c: Float32Array, shape: GemmShape): void;
  /** run, for rows [m0, m1) of c only (to split a product over threads): the other rows are neither read nor written. */
  runRows(a: Float32Array, b: Float32Array, c: Float32Array, shape: GemmShape, m0: number, m1: number): void;
}

/** Rows [m0, m1) of the product, checked operands. */
type RowsKernel = (a: Float32Array, b: Float32Array, c: Float32Array, shape: GemmShape, m0: number, m1: number) => void;

const scalarRows: RowsKernel = (a, b, c, { m, n, k, transA, transB, accumulate }, m0, m1) => {
  // B as [k, n], so that each k adds a row of B to a row of sums; products rounded to float32 as the wasm kernel's are.
  const rowMajorB = transB ? transposed(b, n, k) : b;
  const sums = new Float32Array(n);
  for (let i = m0; i < m1; i++) {
    sums.fill(0);
    for (let kk = 0; kk < k; kk++) {
      const x = transA ? a[kk * m + i]! : a[i * k + kk]!;
      for (let j = 0, row = kk * n; j < n; j++) sums[j] = sums[j]! + Math.fround(x * rowMajorB[row + j]!);
    }
    if (accumulate) for (let j = 0; j < n; j++) c[i * n + j] = c[i * n + j]! + sums[j]!;
    else c.set(sums, i * n);
  }
};

/** [cols, rows] from row-major [rows, cols]. */
function transposed(x: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let r = 0; r < rows; r++) for (let col = 0; col < cols; col++) out[col * rows + r] = x[r * cols + col]!;
  return out;
}

interface GemmExports {
  memory: WebAssembly.Memory;
  heapBase(): number;
  workBytes(m: number, n: number, k: number): number;
  gemm(...args: WasmGemmArgs): void;
}

type WasmGemmArgs = [
  a: number,
  lda: number,
  transA: boolean,
  b: number,
  ldb: number,
  transB: boolean,
  c: number,
  ldc: number,
  m: number,
  n: number,
  k: number,
  accumulate: boolean,
  work: number,
];

let compiled: Promise<WebAssembly.Module> | undefined;

/** Each wasm GEMM owns an instance (its own memory), grown to the largest product it has run. */
async function wasmRows(): Promise<RowsKernel> {
  if (!wasmSimdSupported()) throw new Error('gemm: this runtime has no WebAssembly SIMD; use the scalar-ts kernel');
  compiled ??= compileInlined(wasmUrl);
  const wasm = (await WebAssembly.instantiate(await compiled)).exports as unknown as GemmExports;
  return (a, b, c, { m, n, k, transA = false, transB = false, accumulate = false }, m0, m1) => {
    const rows = m1 - m0;
    // Only the rows' share of A when it is stored [m, k]; stored [k, m], their columns are spread over all of it.
    const aPart = transA ? a : a.subarray(m0 * k, m1 * k);
    const cPart = c.subarray(m0 * n, m1 * n);
    // Layout: A, B, C, the packed operands.
    const aAt = align16(wasm.heapBase());
    const bAt = align16(aAt + aPart.length * 4);
    const cAt = align16(bAt + b.length * 4);
    const workAt = align16(cAt + cPart.length * 4);
    ensureBytes(wasm.memory, workAt + wasm.workBytes(rows, n, k));
    const heap = new Float32Array(wasm.memory.buffer);
    heap.set(aPart, aAt / 4);
    heap.set(b, bAt / 4);
    if (accumulate) heap.set(cPart, cAt / 4);
    const [firstRow, lda] = transA ? [aAt + m0 * 4, m] : [aAt, k];
    wasm.gemm(firstRow, lda, transA, bAt, transB ? k : n, transB, cAt, n, rows, n, k, accumulate, workAt);
    cPart.set(heap.subarray(cAt / 4, cAt / 4 + cPart.length));
  };
}

/** The GEMM of `kernel` (default: wasm-simd where WebAssembly SIMD is available, else scalar-ts). */
export async function createGemm({ kernel = defaultKernelName() }: { kernel?: CpuKernelName } = {}): Promise<Gemm> {
  const rows = kernel === 'wasm-simd' ? await wasmRows() : scalarRows;
  const runRows: Gemm['runRows'] = (a, b, c, shape, m0, m1) => {
    checkGemmOperands(a, b, c, shape);
    if (!(Number.isInteger(m0) && Number.isInteger(m1) && 0 <= m0 && m0 <= m1 && m1 <= shape.m)) {
      throw new RangeError(`gemm: rows [${m0}, ${m1}) are not within [0, ${shape.m})`);
    }
    if (m0 < m1) rows(a, b, c, shape, m0, m1);
  };
  return {
    kernel,
    description: `cpu backend, float32 ${kernel} GEMM, 1 thread`,
    run: (a, b, c, shape) => runRows(a, b, c, shape, 0, shape.m),
    runRows,
  };
}
