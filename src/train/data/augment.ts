/**
 * Random translation, the augmentation the small-image trainers use. It works on raw pixels,
 * before preprocessing, so the uncovered border is filled with 0: black, the background of
 * (Fashion-)MNIST. (After preprocessing, 0 would be the mean instead.)
 */
import type { Rng } from '../../util/random.js';

/**
 * `count` NCHW images of `shape` [C, H, W], each moved by its own dx, dy in [-maxShift, maxShift]
 * (drawn from `rng`, dy then dx, so a seed gives the same shifts), pixels moved out dropped and
 * those moved in 0. Returns a new array.
 */
export function shiftAugment(
  images: Float32Array,
  shape: readonly [number, number, number],
  count: number,
  rng: Rng,
  maxShift = 2,
): Float32Array {
  const [c, h, w] = shape;
  const per = c * h * w;
  if (images.length !== count * per) {
    throw new RangeError(`shiftAugment: ${images.length} values are not ${count} images of ${c}x${h}x${w}`);
  }
  if (!Number.isInteger(maxShift) || maxShift < 0)
    throw new RangeError(`shiftAugment: maxShift must be a non-negative integer, got ${maxShift}`);
  const out = new Float32Array(images.length);
  for (let n = 0; n < count; n++) {
    const dy = rng.int(-maxShift, maxShift);
    const dx = rng.int(-maxShift, maxShift);
    // Output rows/columns whose source (y - dy, x - dx) is inside the image; the rest stay 0.
    const [y0, y1] = [Math.max(0, dy), Math.min(h, h + dy)];
    const [x0, x1] = [Math.max(0, dx), Math.min(w, w + dx)];
    if (x0 >= x1) continue;
    for (let ch = 0; ch < c; ch++) {
      const plane = n * per + ch * h * w;
      for (let y = y0; y < y1; y++) {
        const from = plane + (y - dy) * w;
        out.set(images.subarray(from + x0 - dx, from + x1 - dx), plane + y * w + x0);
      }
    }
  }
  return out;
}
