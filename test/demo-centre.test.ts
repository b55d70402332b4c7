/** The demo's MNIST-style normalisation of a drawing (demo/src/centre.ts). */
import { describe, expect, it } from 'vitest';
import { centreLikeMnist, centreOfMass } from '../demo/src/centre.js';

/** A canvas-sized ink image with a filled rectangle of full ink. */
function rectangle(
  width: number,
  height: number,
  x0: number,
  y0: number,
  w: number,
  h: number,
): { width: number; height: number; data: Uint8Array } {
  const data = new Uint8Array(width * height);
  for (let y = y0; y < y0 + h; y++) data.fill(255, y * width + x0, y * width + x0 + w);
  return { width, height, data };
}

const bounds = (image: Uint8Array) => {
  const xs: number[] = [];
  const ys: number[] = [];
  image.forEach((v, i) => {
    if (v > 0) {
      xs.push(i % 28);
      ys.push(Math.floor(i / 28));
    }
  });
  return { w: Math.max(...xs) - Math.min(...xs) + 1, h: Math.max(...ys) - Math.min(...ys) + 1 };
};

describe('centreLikeMnist', () => {
  it('scales the ink to fit 20x20, aspect kept, and moves its centre of mass to the centre', () => {
    for (const [x0, y0, w, h] of [
      [10, 20, 40, 200],
      [150, 3, 120, 60],
      [0, 0, 280, 280],
      [200, 240, 30, 30],
    ] as const) {
      const out = centreLikeMnist(rectangle(280, 280, x0, y0, w, h));
      const { w: bw, h: bh } = bounds(out);
      expect(Math.max(bw, bh)).toBe(20);
      expect(Math.min(bw, bh)).toBe(Math.round((20 * Math.min(w, h)) / Math.max(w, h)));
      const [cx, cy] = centreOfMass(out, 28);
      expect(Math.abs(cx - 14)).toBeLessThanOrEqual(0.5);
      expect(Math.abs(cy - 14)).toBeLessThanOrEqual(0.5);
    }
  });

  it('averages the ink it shrinks: a full rectangle stays full, a half-covered row is half ink', () => {
    const full = centreLikeMnist(rectangle(280, 280, 40, 40, 200, 200));
    expect(full.filter((v) => v === 255).length).toBe(400);
    // Every other column inked, 41 x 41 shrunk to 20 x 20: each pixel averages about half ink.
    const stripes = rectangle(41, 41, 0, 0, 41, 41);
    stripes.data.forEach((_, k) => (stripes.data[k] = k % 2 === 0 ? 255 : 0));
    const grey = [...centreLikeMnist(stripes)].filter((v) => v > 0);
    expect(grey).toHaveLength(400);
    expect(grey.every((v) => v > 100 && v < 155)).toBe(true);
  });

  it('gives an empty image for an empty drawing, and ignores faint ink below the threshold', () => {
    expect(centreLikeMnist({ width: 50, height: 50, data: new Uint8Array(2500) }).every((v) => v === 0)).toBe(true);
    expect(centreLikeMnist({ width: 50, height: 50, data: new Uint8Array(2500).fill(8) }).every((v) => v === 0)).toBe(true);
  });
});
