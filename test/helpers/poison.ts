/** Output tensors filled with garbage before a kernel runs, so an unwritten element shows. */
import { Tensor, shapeSize } from '../../src/tensor/tensor.js';

/** A NaN pattern: an unwritten float fails any comparison. */
export const FLOAT_POISON_BITS = 0x7fc00bad;

export function poisonedFloats(shape: readonly number[]): Tensor<Float32Array> {
  return new Tensor(new Float32Array(new Uint32Array(shapeSize(shape)).fill(FLOAT_POISON_BITS).buffer), shape);
}

export const BITS_POISON = 0xdeadbeef;

export function poisonedBits(shape: readonly number[]): Tensor<Uint32Array> {
  return new Tensor(new Uint32Array(shapeSize(shape)).fill(BITS_POISON), shape);
}
