/**
 * A drawing made the way MNIST's digits were: the ink's bounding box scaled (aspect kept) to
 * fit 20x20 by area averaging, then placed in a 28x28 image so that its centre of mass is the
 * image's centre (LeCun et al.'s normalisation). Pure functions over ink intensities 0..255.
 */

export interface Ink {
  width: number;
  height: number;
  /** Ink per pixel, 0 (none) to 255, rows top to bottom. */
  data: Uint8Array | Uint8ClampedArray;
}

const SIZE = 28;
const BOX = 20;
/** Ink below this counts as paper when finding the bounding box (anti-aliased edges). */
const THRESHOLD = 16;

function boundingBox({ width, height, data }: Ink): { x0: number; y0: number; x1: number; y1: number } | undefined {
  let x0 = width;
  let y0 = height;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (data[y * width + x]! < THRESHOLD) continue;
      x0 = Math.min(x0, x);
      x1 = Math.max(x1, x);
      y0 = Math.min(y0, y);
      y1 = Math.max(y1, y);
    }
  }
  return x1 < 0 ? undefined : { x0, y0, x1, y1 };
}

/** The overlap of source pixel i (covering [i, i+1)) with the target pixel covering [a, b). */
const overlap = (i: number, a: number, b: number) => Math.max(0, Math.min(i + 1, b) - Math.max(i, a));

/** Area-averaged resampling of a w x h region at (x0, y0) to tw x th. */
function resample(ink: Ink, x0: number, y0: number, w: number, h: number, tw: number, th: number): Float64Array {
  const out = new Float64Array(tw * th);
  const sx = w / tw;
  const sy = h / th;
  for (let ty = 0; ty < th; ty++) {
    const ya = ty * sy;
    const yb = ya + sy;
    for (let tx = 0; tx < tw; tx++) {
      const xa = tx * sx;
      const xb = xa + sx;
      let sum = 0;
      for (let y = Math.floor(ya); y < Math.ceil(yb); y++) {
        const wy = overlap(y, ya, yb);
        for (let x = Math.floor(xa); x < Math.ceil(xb); x++) sum += wy * overlap(x, xa, xb) * ink.data[(y0 + y) * ink.width + x0 + x]!;
      }
      out[ty * tw + tx] = sum / (sx * sy);
    }
  }
  return out;
}

/** The 28x28 MNIST-style image of a drawing (all zeros when nothing is drawn). */
export function centreLikeMnist(ink: Ink): Uint8Array {
  const out = new Uint8Array(SIZE * SIZE);
  const box = boundingBox(ink);
  if (!box) return out;
  const w = box.x1 - box.x0 + 1;
  const h = box.y1 - box.y0 + 1;
  const scale = BOX / Math.max(w, h);
  const tw = Math.max(1, Math.round(w * scale));
  const th = Math.max(1, Math.round(h * scale));
  const small = resample(ink, box.x0, box.y0, w, h, tw, th);
  const [mx, my] = centreOfMass(small, tw);
  // Place the box so that its centre of mass lands on (14, 14), kept inside the image.
  const left = Math.min(SIZE - tw, Math.max(0, Math.round(SIZE / 2 - mx)));
  const top = Math.min(SIZE - th, Math.max(0, Math.round(SIZE / 2 - my)));
  for (let y = 0; y < th; y++) {
    for (let x = 0; x < tw; x++) out[(top + y) * SIZE + left + x] = Math.min(255, Math.round(small[y * tw + x]!));
  }
  return out;
}

/** The centre of mass (x, y) of an image `width` pixels wide, in pixels from its top-left corner. */
export function centreOfMass(values: ArrayLike<number>, width: number): [number, number] {
  let mass = 0;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    mass += v;
    mx += v * ((i % width) + 0.5);
    my += v * (Math.floor(i / width) + 0.5);
  }
  return [mx / mass, my / mass];
}
