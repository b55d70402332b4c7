/**
 * Fashion-MNIST (Xiao et al. 2017) from its four IDX files (Node: reads files): the standard
 * 60,000 training and 10,000 test images, 28x28 grey, 10 classes. Debian's package
 * dataset-fashion-mnist installs them gzipped in /usr/share/datasets/fashion-mnist.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { ModelFormatError, fileProblem } from '../../model/errors.js';
import type { LabelledImages, Split } from './dataset.js';
import { idxLabelledImages } from './idx.js';

export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

export const FASHION_MNIST_CLASSES = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
];

const FILES = {
  train: { images: 'train-images-idx3-ubyte', labels: 'train-labels-idx1-ubyte' },
  test: { images: 't10k-images-idx3-ubyte', labels: 't10k-labels-idx1-ubyte' },
};

const HOW_TO_GET =
  'get Fashion-MNIST with `apt-get install dataset-fashion-mnist` (Debian), or pass --data-dir DIR with the four files ' +
  `${Object.values(FILES)
    .flatMap((f) => [f.images, f.labels])
    .map((name) => `${name}.gz`)
    .join(', ')} (gzipped or not)`;

/** The split from `dir` (default: $XNORNET_FASHION_MNIST when set, else Debian's folder). */
export function loadFashionMnist(dir = process.env['XNORNET_FASHION_MNIST'] || FASHION_MNIST_DIR): Split {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new Error(`Fashion-MNIST: ${dir} is not a folder; ${HOW_TO_GET}`);
  return { train: loadPart(dir, 'train'), test: loadPart(dir, 'test') };
}

function loadPart(dir: string, part: keyof typeof FILES): LabelledImages {
  const images = readIdx(dir, FILES[part].images);
  const labels = readIdx(dir, FILES[part].labels);
  return {
    ...idxLabelledImages(images, labels),
    pixels: true,
    classNames: [...FASHION_MNIST_CLASSES],
    description: `Fashion-MNIST ${part} (${dir})`,
  };
}

/** `name.gz` gunzipped, else `name` as it is. */
function readIdx(dir: string, name: string): { bytes: Uint8Array; file: string } {
  const gz = join(dir, `${name}.gz`);
  const plain = join(dir, name);
  if (existsSync(gz)) {
    const compressed = read(gz);
    try {
      return { bytes: gunzipSync(compressed), file: gz };
    } catch (err) {
      throw new ModelFormatError(gz, `cannot be gunzipped (${(err as Error).message})`);
    }
  }
  if (existsSync(plain)) return { bytes: read(plain), file: plain };
  throw new Error(`Fashion-MNIST: ${gz} is missing (nor is there ${plain}); ${HOW_TO_GET}`);
}

function read(file: string): Uint8Array {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new ModelFormatError(file, fileProblem(err));
  }
}
