/** Sliding windows (convolution and pooling) and their shape rules. */

export type Pair = readonly [number, number];

export interface WindowParams {
  kernel: Pair;
  stride: Pair;
  padding: Pair;
}

/** Output extent of a sliding window: floor((in + 2p - k) / s) + 1, which must be >= 1. */
export function windowOutputSize(input: Pair, { kernel, stride, padding }: WindowParams, what: string): Pair {
  const out = [0, 1].map((d) => {
    if (stride[d]! < 1) throw new RangeError(`${what}: stride must be >= 1, got [${stride.join(', ')}]`);
    if (kernel[d]! < 1) throw new RangeError(`${what}: kernel must be >= 1, got [${kernel.join(', ')}]`);
    return Math.floor((input[d]! + 2 * padding[d]! - kernel[d]!) / stride[d]!) + 1;
  });
  if (out[0]! < 1 || out[1]! < 1) {
    throw new RangeError(
      `${what}: a ${kernel.join('x')} window with stride [${stride.join(', ')}] and padding ` +
        `[${padding.join(', ')}] does not fit an input of ${input.join('x')}`,
    );
  }
  return [out[0]!, out[1]!];
}

/** Output extent of a pooling window: as windowOutputSize, with PyTorch's limit on padding. */
export function poolOutputSize(input: Pair, window: WindowParams, what: string): Pair {
  const { kernel, padding } = window;
  if (padding[0] * 2 > kernel[0] || padding[1] * 2 > kernel[1]) {
    throw new RangeError(`${what}: padding [${padding.join(', ')}] must be at most half the kernel [${kernel.join(', ')}]`);
  }
  return windowOutputSize(input, window, what);
}
