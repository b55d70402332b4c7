declare module 'wgsl-preprocessor' {
  /** Template tag: `#if ${cond}` / `#elif ${cond}` / `#else` / `#endif` blocks. */
  export function wgsl(strings: readonly string[], ...values: unknown[]): string;
}
