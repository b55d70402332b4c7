/** What the hosts of the WebAssembly kernels share: the SIMD probe, compiling a module inlined by Vite, growing its memory. */

const WASM_PAGE = 65536;

/** Compiles a module imported with Vite's `?url&inline` (a base64 data URL). */
export function compileInlined(dataUrl: string): Promise<WebAssembly.Module> {
  const base64 = dataUrl.slice(dataUrl.indexOf(',') + 1);
  return WebAssembly.compile(Uint8Array.from(atob(base64), (c) => c.charCodeAt(0)));
}

export const align16 = (bytes: number) => Math.ceil(bytes / 16) * 16;

/** Grows `memory` to at least `bytes`. */
export function ensureBytes(memory: WebAssembly.Memory, bytes: number): void {
  const missing = bytes - memory.buffer.byteLength;
  if (missing > 0) memory.grow(Math.ceil(missing / WASM_PAGE));
}

/** A module of one SIMD function (i8x16.popcnt of a splat): valid only where SIMD is supported. */
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11,
]);

export function wasmSimdSupported(): boolean {
  return typeof WebAssembly === 'object' && WebAssembly.validate(SIMD_PROBE);
}
