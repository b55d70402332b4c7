/**
 * A general float32 GEMM on the CPU, C = (accumulate ? C : 0) + op(A) . op(B), op an optional
 * transpose: what the trainer's convolutions and linear layers compute forward and backward
 * (train-kernels.ts). Two kernels with the same sums in the same order (k ascending):
 * - wasm-simd: assembly/gemm.ts, f32x4 register blocks over packed panels of B;
 * - scalar-ts: the loops below, where WebAssembly SIMD is missing.
 */
import wasmUrl from './generated/gemm.wasm?url&inline';
import { type GemmRunner, type GemmShape, checkGemmOperands } from '../train-kernels.js';
import { type CpuKernelName, defaultKernelName } from './kernel.js';
import { align16, compileInlined, ensureBytes, wasmSimdSupported } from './wasm-module.js';

export interface Gemm extends GemmRunner {
  readonly kernel: CpuKernelName;
  run(a: Float32Array, b: Float32Array, c: Float32Array, shape: GemmShape): void;
}

function scalarGemm(a: Float32Array, b: Float32Array, c: Float32Array, { m, n, k, transA, transB, accumulate }: GemmShape): void {
  const sums = new Float32Array(n);
  for (let i = 0; i < m; i++) {
    sums.fill(0);
    for (let kk = 0; kk < k; kk++) {
      const x = transA ? a[kk * m + i]! : a[i * k + kk]!;
      if (transB) for (let j = 0; j < n; j++) sums[j] = sums[j]! + x * b[j * k + kk]!;
      else for (let j = 0, row = kk * n; j < n; j++) sums[j] = sums[j]! + x * b[row + j]!;
    }
    for (let j = 0; j < n; j++) c[i * n + j] = accumulate ? c[i * n + j]! + sums[j]! : sums[j]!;
  }
}

interface GemmExports {
  memory: WebAssembly.Memory;
  heapBase(): number;
  panelColumns(): number;
  packB(b: number, k: number, n: number, transposed: boolean, panels: number): void;
  transpose(src: number, rows: number, cols: number, dst: number): void;
  gemm(a: number, panels: number, c: number, n: number, k: number, accumulate: boolean, m0: number, m1: number): void;
}

let compiled: Promise<WebAssembly.Module> | undefined;

async function wasmGemm(): Promise<Gemm['run']> {
  if (!wasmSimdSupported()) throw new Error('gemm: this runtime has no WebAssembly SIMD; use the scalar-ts kernel');
  compiled ??= compileInlined(wasmUrl);
  const wasm = (await WebAssembly.instantiate(await compiled)).exports as unknown as GemmExports;
  const panel = wasm.panelColumns();
  return (a, b, c, { m, n, k, transA = false, transB = false, accumulate = false }) => {
    // Layout: A as given, A row-major (when transposed), B as given, B's panels, C.
    const aAt = align16(wasm.heapBase());
    const rowMajorAt = align16(aAt + a.length * 4);
    const bAt = align16(rowMajorAt + (transA ? a.length * 4 : 0));
    const panelsAt = align16(bAt + b.length * 4);
    const cAt = align16(panelsAt + Math.ceil(n / panel) * panel * k * 4);
    ensureBytes(wasm.memory, cAt + c.length * 4);
    const heap = new Float32Array(wasm.memory.buffer);
    heap.set(a, aAt / 4);
    heap.set(b, bAt / 4);
    if (accumulate) heap.set(c, cAt / 4);
    if (transA) wasm.transpose(aAt, k, m, rowMajorAt);
    wasm.packB(bAt, k, n, transB, panelsAt);
    wasm.gemm(transA ? rowMajorAt : aAt, panelsAt, cAt, n, k, accumulate, 0, m);
    c.set(heap.subarray(cAt / 4, cAt / 4 + c.length));
  };
}

/** The GEMM of `kernel` (default: wasm-simd where WebAssembly SIMD is available, else scalar-ts). */
export async function createGemm({ kernel = defaultKernelName() }: { kernel?: CpuKernelName } = {}): Promise<Gemm> {
  const run = kernel === 'wasm-simd' ? await wasmGemm() : scalarGemm;
  return {
    kernel,
    description: `cpu backend, float32 ${kernel} GEMM, 1 thread`,
    run(a, b, c, shape) {
      checkGemmOperands(a, b, c, shape);
      run(a, b, c, shape);
    },
  };
}
