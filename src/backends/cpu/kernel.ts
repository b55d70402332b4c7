/** The CPU XNOR convolution kernels behind one interface; the fastest this runtime supports by default. */
import type { ConvGeometry } from '../../ops/conv.js';
import { createScalarKernel } from './scalar-kernel.js';
import { createWasmSimdKernel } from './wasm-kernel.js';
import { wasmSimdSupported } from './wasm-module.js';

/** How the CPU kernels (XNOR and float) are implemented: WebAssembly SIMD, or scalar TypeScript where SIMD is missing. */
export type CpuKernelName = 'wasm-simd' | 'scalar-ts';

export interface XnorCpuKernel {
  readonly name: CpuKernelName;
  /**
   * Integer dots sum(Wb * Ib) of output pixels [m0, m1) into out[(m - m0) * cout + o], pixel m
   * = (b * Ho + i) * Wo + j. Input bits [N, H, W, words], weights [Cout, kh, kw, words]
   * (src/tensor/bits.ts); padded taps contribute 0 (semantics.md).
   */
  conv(g: ConvGeometry, input: Uint32Array, weights: Uint32Array, out: Int32Array, m0: number, m1: number): void;
}

/** wasm-simd where WebAssembly SIMD is available, else scalar-ts. */
export function defaultKernelName(): CpuKernelName {
  return wasmSimdSupported() ? 'wasm-simd' : 'scalar-ts';
}

export async function createXnorKernel(kind: CpuKernelName = defaultKernelName()): Promise<XnorCpuKernel> {
  return kind === 'wasm-simd' ? createWasmSimdKernel() : createScalarKernel();
}
