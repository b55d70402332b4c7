/** Channel layout of a batched tensor, shared by the per-channel reference ops. */
import { formatShape, shapeSize } from '../tensor/tensor.js';

/** Channels are dimension 1 of [N, C] or [N, C, H, W]; `inner` is the elements per channel. */
export function channelLayout(x: { shape: readonly number[] }, what: string): { channels: number; inner: number } {
  if (x.shape.length < 2) throw new RangeError(`${what}: expected [N, C, ...], got shape ${formatShape(x.shape)}`);
  return { channels: x.shape[1]!, inner: shapeSize(x.shape.slice(2)) };
}
