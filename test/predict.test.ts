/** From an image to a class: resizing, channels and preprocess; PNG/JPEG decoding; top-k classes; `xnornet predict`. */
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { ImageFileError, decodeImage, inputKind } from '../src/cli/images.js';
import { ModelFormatError } from '../src/model/errors.js';
import { type Graph, buildGraph } from '../src/model/graph.js';
import { InputShapeError } from '../src/model/input.js';
import { readNpyArray, writeNpy } from '../src/model/npy.js';
import { writeSafetensors } from '../src/model/safetensors.js';
import type { ModelJson } from '../src/model/types.js';
import { runReference } from '../src/backends/reference.js';
import {
  type CanvasLike,
  type ImageLike,
  classify,
  imageToInput,
  pixelsToInput,
  preprocessOf,
  resamplingTaps,
  topClasses,
} from '../src/runner/classify.js';
import type { Runner } from '../src/runner/runner.js';
import { Tensor } from '../src/tensor/tensor.js';
import { loadZooModel } from '../src/zoo/index.js';

type Rgba = [number, number, number, number];

/** An ImageData-shaped image whose pixel (x, y) is `pixel(x, y)`. */
function image(width: number, height: number, pixel: (x: number, y: number) => Rgba): ImageLike {
  const data = new Uint8ClampedArray(4 * width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set(pixel(x, y), 4 * (y * width + x));
  return { width, height, data };
}

/** A gray opaque image from rows of values. */
const gray = (rows: number[][]) => image(rows[0]!.length, rows.length, (x, y) => [rows[y]![x]!, rows[y]![x]!, rows[y]![x]!, 255]);

/** A graph (no weights needed to make inputs) with this input and preprocess. */
function graphOf(shape: number[], extra: Partial<ModelJson> = {}, nodes: ModelJson['nodes'] = [{ op: 'flatten' }]): { graph: Graph } {
  const json = { format: 'xnornet', version: 1, name: 'tiny', input: { shape }, weights: 'tiny.safetensors', nodes, ...extra };
  return { graph: buildGraph(json, 'tiny.json') };
}

/** float32 values, compared with a float32's precision. */
function expectValues(actual: Float32Array, expected: number[]): void {
  expect(actual.length).toBe(expected.length);
  expected.forEach((v, i) => expect(actual[i], `element ${i}`).toBeCloseTo(v, 4));
}

/** A uint8 .npy file, as numpy.save writes one (version 1.0, '|u1'). */
function uint8Npy(shape: number[], data: ArrayLike<number>): Uint8Array {
  const dict = `{'descr': '|u1', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const text = dict + ' '.repeat(63 - ((10 + dict.length) % 64)) + '\n';
  const header = new TextEncoder().encode(text);
  return new Uint8Array([
    0x93,
    ...new TextEncoder().encode('NUMPY'),
    1,
    0,
    header.length & 0xff,
    header.length >> 8,
    ...header,
    ...Array.from(data),
  ]);
}

const encodePng = (img: ImageLike) => {
  const png = new PNG({ width: img.width, height: img.height });
  png.data = Buffer.from(img.data);
  return new Uint8Array(PNG.sync.write(png));
};
const encodeJpeg = (img: ImageLike, quality = 95) => new Uint8Array(jpeg.encode({ ...img, data: img.data }, quality).data);

/** A 40 x 40 "digit": a bright vertical bar on black, with a soft gradient so that JPEG has something smooth to keep. */
const digit = image(40, 40, (x, y) => (x >= 17 && x < 23 && y >= 6 && y < 34 ? [250, 250, 250, 255] : [y, y >> 1, 0, 255]));

describe('imageToInput: channels, alpha and preprocess', () => {
  it('C = 1 is the luminance 0.299 R + 0.587 G + 0.114 B, then (p * scale - mean) / std', () => {
    const model = graphOf([1, 2, 2], { preprocess: { scale: 2, mean: [1], std: [4] } });
    const img = image(
      2,
      2,
      (x, y) => [[255, 0, 0, 255] as Rgba, [0, 255, 0, 255] as Rgba, [0, 0, 255, 255] as Rgba, [10, 20, 30, 255] as Rgba][y * 2 + x]!,
    );
    const input = imageToInput(model, img);
    expect(input.shape).toEqual([1, 1, 2, 2]);
    // Luminances 76.245, 149.685, 29.07, 18.15.
    expectValues(input.data, [(76.245 * 2 - 1) / 4, (149.685 * 2 - 1) / 4, (29.07 * 2 - 1) / 4, (18.15 * 2 - 1) / 4]);
  });

  it('C = 3 keeps R, G, B as planes, each with its own mean and std', () => {
    const model = graphOf([3, 1, 2], { preprocess: { scale: 1 / 255, mean: [0.5, 0.25, 0], std: [0.5, 0.25, 2] } });
    const input = imageToInput(
      model,
      image(2, 1, (x) => (x === 0 ? [255, 0, 51, 255] : [0, 255, 102, 255])),
    );
    expect(input.shape).toEqual([1, 3, 1, 2]);
    expectValues(input.data, [1, -1, -1, 3, 0.1, 0.2]);
  });

  it('composites transparent pixels on white by default, or on black', () => {
    const model = graphOf([1, 1, 3]);
    // Alpha 0, 51 (0.2) and 255 over the value 100: on white 255, 0.2 * 100 + 0.8 * 255 = 224, 100.
    const img = image(3, 1, (x) => [100, 100, 100, [0, 51, 255][x]!]);
    expectValues(imageToInput(model, img).data, [255, 224, 100]);
    expectValues(imageToInput(model, img, { background: 'white' }).data, [255, 224, 100]);
    expectValues(imageToInput(model, img, { background: 'black' }).data, [0, 20, 100]);
  });

  it('takes no preprocess as scale 1, mean 0, std 1, and a single mean or std for every channel', () => {
    const img = image(1, 1, () => [10, 20, 30, 255]);
    expectValues(imageToInput(graphOf([3, 1, 1]), img).data, [10, 20, 30]);
    expectValues(imageToInput(graphOf([3, 1, 1], { preprocess: { mean: [10] } }), img).data, [0, 10, 20]);
    expectValues(imageToInput(graphOf([3, 1, 1], { preprocess: { std: [10] } }), img).data, [1, 2, 3]);
    expect(preprocessOf(graphOf([3, 1, 1], { preprocess: { scale: 0.5 } }))).toEqual({ scale: 0.5, mean: [0, 0, 0], std: [1, 1, 1] });
  });

  it("applies a zoo model's preprocess: white is (1 - 0.1307) / 0.3081 for LeNet-5", () => {
    const input = imageToInput(
      loadZooModel('lenet5-xnor'),
      image(28, 28, () => [255, 255, 255, 255]),
    );
    expect(input.shape).toEqual([1, 1, 28, 28]);
    expect(input.data.every((v) => Math.abs(v - (1 - 0.1307) / 0.3081) < 1e-5)).toBe(true);
  });

  it('makes a batch of several images, and reads a 2d canvas', () => {
    const model = graphOf([1, 1, 1]);
    const canvas: CanvasLike = {
      width: 1,
      height: 1,
      getContext: () => ({ getImageData: (_x, _y, w, h) => image(w, h, () => [40, 40, 40, 255]) }),
    };
    const input = imageToInput(model, [gray([[10]]), canvas, gray([[30]])]);
    expect(input.shape).toEqual([3, 1, 1, 1]);
    expectValues(input.data, [10, 40, 30]);
    // The DOM's canvases fit the type.
    const fits = (c: HTMLCanvasElement | OffscreenCanvas): CanvasLike => c;
    expect(typeof fits).toBe('function');
  });
});

describe('imageToInput: resizing', () => {
  it('copies an axis of the same size', () => {
    expect(resamplingTaps(3, 3)).toEqual([0, 1, 2].map((first) => ({ first, weights: [1] })));
    expectValues(
      imageToInput(
        graphOf([1, 2, 3]),
        gray([
          [1, 2, 3],
          [4, 5, 6],
        ]),
      ).data,
      [1, 2, 3, 4, 5, 6],
    );
  });

  it('shrinks by averaging areas: 4 x 4 to 2 x 2 averages 2 x 2 blocks', () => {
    const rows = [
      [0, 4, 8, 12],
      [8, 12, 16, 20],
      [100, 100, 0, 0],
      [60, 60, 40, 40],
    ];
    expectValues(imageToInput(graphOf([1, 2, 2]), gray(rows)).data, [6, 14, 80, 20]);
  });

  it('shrinks by a fractional factor with partial pixels: 3 to 2 weighs (1, 0.5) and (0.5, 1)', () => {
    expect(resamplingTaps(3, 2)).toEqual([
      { first: 0, weights: [1 / 1.5, 0.5 / 1.5] },
      { first: 1, weights: [0.5 / 1.5, 1 / 1.5] },
    ]);
    expectValues(imageToInput(graphOf([1, 1, 2]), gray([[0, 30, 90]])).data, [10, 70]);
  });

  it('enlarges bilinearly between pixel centres, clamping at the edges: [0, 100] to 4 is [0, 25, 75, 100]', () => {
    expectValues(imageToInput(graphOf([1, 1, 4]), gray([[0, 100]])).data, [0, 25, 75, 100]);
    // Both axes: 2 x 2 to 4 x 4.
    const up = imageToInput(
      graphOf([1, 4, 4]),
      gray([
        [0, 100],
        [100, 200],
      ]),
    ).data;
    expectValues(up.subarray(0, 4), [0, 25, 75, 100]);
    expectValues(up.subarray(4, 8), [25, 50, 100, 125]);
    expectValues(up.subarray(12, 16), [100, 125, 175, 200]);
  });

  it('shrinks one axis and enlarges the other', () => {
    // 4 x 1 to 2 x 2: across, pairs average; down, the one row is copied.
    expectValues(imageToInput(graphOf([1, 2, 2]), gray([[10, 20, 60, 80]])).data, [15, 70, 15, 70]);
  });

  it('keeps a constant image constant whatever the sizes', () => {
    for (const [w, h] of [
      [40, 40],
      [7, 300],
      [1, 1],
      [29, 27],
    ] as const) {
      const input = imageToInput(
        graphOf([1, 28, 28]),
        image(w, h, () => [77, 77, 77, 255]),
      );
      expect(
        input.data.every((v) => Math.abs(v - 77) < 1e-3),
        `${w} x ${h}`,
      ).toBe(true);
    }
  });
});

describe('imageToInput and pixelsToInput: clear errors', () => {
  it('a model of vectors [F] takes no images', () => {
    expect(() => imageToInput(graphOf([784]), gray([[1]]))).toThrow(InputShapeError);
    expect(() => imageToInput(graphOf([784]), gray([[1]]))).toThrow("tiny: the model's input is [784], not an image");
  });

  it('a model of 2 or 4 channels takes no images', () => {
    expect(() => imageToInput(graphOf([2, 4, 4]), gray([[1]]))).toThrow('has 2 channels; images convert to 1 (luminance) or 3 (RGB)');
  });

  it('rejects image data of the wrong size', () => {
    const bad = { width: 2, height: 2, data: new Uint8Array(15) };
    expect(() => imageToInput(graphOf([1, 2, 2]), bad)).toThrow('image: data has 15 bytes but 2 x 2 RGBA pixels need 16');
    expect(() => imageToInput(graphOf([1, 2, 2]), [gray([[1]]), { width: 0, height: 1, data: new Uint8Array(0) }])).toThrow(
      'image 1: width and height must be positive integers, got 0 x 1',
    );
  });

  it("rejects a preprocess that does not fit the model's channels", () => {
    const img = image(1, 1, () => [1, 2, 3, 255]);
    const wrong = (preprocess: unknown) => () => imageToInput(graphOf([3, 1, 1], { preprocess } as Partial<ModelJson>), img);
    expect(wrong({ mean: [0, 0] })).toThrow(ModelFormatError);
    expect(wrong({ mean: [0, 0] })).toThrow('tiny: "preprocess.mean" has 2 values but the input has 3 channel(s)');
    expect(wrong({ std: [1, 0, 1] })).toThrow('"preprocess.std" must not contain 0');
    expect(wrong({ scale: '1/255' })).toThrow('"preprocess.scale" must be a finite number, got "1/255"');
  });

  it('pixelsToInput applies the preprocess to [N, C, H, W] or [C, H, W] bytes at the model size', () => {
    const model = graphOf([1, 1, 2], { preprocess: { scale: 1 / 255, mean: [0.5], std: [0.5] } });
    const batch = pixelsToInput(model, { shape: [2, 1, 1, 2], data: new Uint8Array([0, 255, 51, 102]) });
    expect(batch.shape).toEqual([2, 1, 1, 2]);
    expectValues(batch.data, [-1, 1, -0.6, -0.2]);
    expect(pixelsToInput(model, { shape: [1, 1, 2], data: new Uint8Array([255, 0]) }).shape).toEqual([1, 1, 1, 2]);
    expect(() => pixelsToInput(model, { shape: [1, 1, 3], data: new Uint8Array(3) })).toThrow(
      "tiny: pixels of shape [1, 1, 3] do not match the model's input [1, 1, 2]",
    );
  });
});

describe('PNG and JPEG files', () => {
  const lenet = loadZooModel('lenet5-xnor');

  it('tells files apart by their first bytes, not their names', () => {
    expect(inputKind(encodePng(digit))).toBe('png');
    expect(inputKind(encodeJpeg(digit))).toBe('jpeg');
    expect(inputKind(writeNpy(Tensor.zeros([1])))).toBe('npy');
    expect(inputKind(new TextEncoder().encode('GIF89a'))).toBeUndefined();
  });

  it('a 40 x 40 PNG decodes to its exact pixels, and to the same input as the image it came from', () => {
    const decoded = decodeImage(encodePng(digit), 'digit.png');
    expect([decoded.width, decoded.height]).toEqual([40, 40]);
    expect([...decoded.data]).toEqual([...digit.data]);
    expect(imageToInput(lenet, decoded).data).toEqual(imageToInput(lenet, digit).data);
  });

  it('a grayscale PNG decodes to RGBA', () => {
    const png = new PNG({ width: 3, height: 1, colorType: 0, inputColorType: 0, inputHasAlpha: false });
    png.data = Buffer.from([0, 128, 255]);
    const bytes = PNG.sync.write(png, { colorType: 0, inputColorType: 0, inputHasAlpha: false });
    expect([...decodeImage(bytes, 'gray.png').data]).toEqual([0, 0, 0, 255, 128, 128, 128, 255, 255, 255, 255, 255]);
  });

  it('a 40 x 40 JPEG decodes to pixels close to the original, and an input close to its input', () => {
    const decoded = decodeImage(encodeJpeg(digit), 'digit.jpg');
    expect([decoded.width, decoded.height, decoded.data.length]).toEqual([40, 40, 6400]);
    let error = 0;
    for (let i = 0; i < 6400; i += 4) for (let c = 0; c < 3; c++) error += Math.abs(decoded.data[i + c]! - digit.data[i + c]!);
    expect(error / (1600 * 3)).toBeLessThan(3);
    const [fromJpeg, original] = [imageToInput(lenet, decoded).data, imageToInput(lenet, digit).data];
    // Within 8 of 255 per pixel, after the preprocess's 1 / (255 * 0.3081).
    expect(fromJpeg.every((v, i) => Math.abs(v - original[i]!) < 8 / (255 * 0.3081))).toBe(true);
  });

  /** The one-line error `decodeImage` gives for `bytes`. */
  const errorOf = (bytes: Uint8Array, file: string): string => {
    try {
      decodeImage(bytes, file);
    } catch (err) {
      expect(err).toBeInstanceOf(ImageFileError);
      const message = (err as Error).message;
      expect(message.startsWith(`${file}: `)).toBe(true);
      expect(message).not.toContain('\n');
      return message;
    }
    throw new Error(`${file} decoded`);
  };

  it('every other file is one line naming the file and what is wrong', () => {
    expect(errorOf(new TextEncoder().encode('GIF89a\x01\x00\x01\x00'), 'a.gif')).toMatch(
      /a GIF image, which xnornet does not read; xnornet reads PNG and JPEG/,
    );
    expect(errorOf(new TextEncoder().encode('<html>hello</html>'), 'page.png')).toBe(
      'page.png: not a PNG or JPEG image (it starts with the bytes 3c 68 74 6d 6c 3e 68 65); xnornet reads PNG and JPEG images, and uint8 or float32 .npy files',
    );
    expect(errorOf(new Uint8Array(0), 'empty.jpg')).toMatch(/the file is empty/);
    const png = encodePng(digit);
    expect(errorOf(png.subarray(0, png.length >> 1), 'cut.png')).toBe(
      'cut.png: cannot decode it as PNG (the data ends early); is the file damaged or cut short?',
    );
    const jpg = encodeJpeg(digit);
    expect(errorOf(jpg.subarray(0, jpg.length >> 1), 'cut.jpg')).toMatch(/^cut\.jpg: cannot decode it as JPEG \(.+\); is the file damaged/);
  });
});

describe('topClasses and classify', () => {
  const labelled = graphOf([4], { labels: ['a', 'b', 'c', 'd'] });

  it('gives the softmax of the logits, most probable first, topK of them, with labels', () => {
    const logits = new Tensor(new Float32Array([1, 3, 2, 0, 0, 0, 0, 5]), [2, 4]);
    const [first, second] = topClasses(labelled, logits, 3);
    const z = Math.exp(0) + Math.exp(1) + Math.exp(2) + Math.exp(3);
    expect(first!.map((c) => [c.index, c.label])).toEqual([
      [1, 'b'],
      [2, 'c'],
      [0, 'a'],
    ]);
    first!.forEach((c, i) => expect(c.probability).toBeCloseTo([Math.exp(3), Math.exp(2), Math.exp(1)][i]! / z, 6));
    expect(second!.map((c) => c.label)).toEqual(['d', 'a', 'b']); // ties in index order
    const all = topClasses(labelled, logits, 10)[0]!;
    expect(all.length).toBe(4);
    expect(all.reduce((s, c) => s + c.probability, 0)).toBeCloseTo(1, 6);
  });

  it('names classes by index without labels, and takes a softmax output as probabilities', () => {
    const softmaxModel = graphOf([3], {}, [{ op: 'softmax' }, { op: 'flatten' }]);
    const probs = new Tensor(new Float32Array([0.2, 0.5, 0.3]), [1, 3]);
    expect(topClasses(softmaxModel, probs, 2)[0]).toEqual([
      { index: 1, label: '1', probability: Math.fround(0.5) },
      { index: 2, label: '2', probability: Math.fround(0.3) },
    ]);
  });

  it('rejects labels that do not match the classes, and a bad topK', () => {
    const logits = new Tensor(new Float32Array(5), [1, 5]);
    expect(() => topClasses(labelled, logits)).toThrow('tiny: "labels" names 4 classes but the last output has 5');
    expect(() => topClasses(labelled, new Tensor(new Float32Array(4), [1, 4]), 0)).toThrow('topK must be a positive integer, got 0');
  });

  it('classify runs images through a runner on LeNet-5: top-k of its labels, probabilities as the softmax of its logits', async () => {
    const model = loadZooModel('lenet5-xnor');
    const runner: Runner = {
      description: 'reference',
      cpuEmulated: false,
      run: async (input) => runReference(model.graph, model.weights, input),
      close: () => undefined,
    };
    const blank = image(28, 28, () => [0, 0, 0, 255]);
    const results = await classify(runner, model, [digit, blank], { topK: 3 });
    expect(results.length).toBe(2);
    const logits = runReference(model.graph, model.weights, imageToInput(model, [digit, blank])).get(model.graph.outputs[0]!)!;
    results.forEach((top, n) => {
      expect(top.length).toBe(3);
      expect(top.every((c) => c.label === String(c.index))).toBe(true);
      expect(top[0]!.probability).toBeGreaterThanOrEqual(top[1]!.probability);
      expect(top[1]!.probability).toBeGreaterThanOrEqual(top[2]!.probability);
      const row = Array.from(logits.data.subarray(n * 10, n * 10 + 10));
      const max = Math.max(...row);
      const sum = row.reduce((s, v) => s + Math.exp(v - max), 0);
      expect(top[0]!.index).toBe(row.indexOf(max));
      expect(top[0]!.probability).toBeCloseTo(1 / sum, 6);
    });
    // Five by default, and an input tensor runs as it is.
    expect((await classify(runner, model, imageToInput(model, digit)))[0]!.length).toBe(5);
  });
});

describe('xnornet predict (the built CLI)', () => {
  const run = promisify(execFile);
  const xnornet = (...args: string[]) => run('node', ['dist/xnornet.js', 'predict', ...args], { timeout: 60_000 });
  const files = (async () => {
    const dir = await mkdtemp(join(tmpdir(), 'xnornet-predict-'));
    const path = (name: string) => join(dir, name);
    await writeFile(path('digit.png'), encodePng(digit));
    await writeFile(path('digit.jpg'), encodeJpeg(digit));
    // A PNG named .jpg: the contents decide.
    await writeFile(path('misnamed.jpg'), encodePng(digit));
    const pixels = Uint8Array.from({ length: 2 * 28 * 28 }, (_, i) => (i * 7) % 256);
    await writeFile(path('pixels.npy'), uint8Npy([2, 1, 28, 28], pixels));
    await writeFile(path('anim.gif'), new TextEncoder().encode('GIF89a\x01\x00\x01\x00'));
    // A model of vectors that ends in a softmax, with no weights.
    await writeFile(path('vec.safetensors'), writeSafetensors(new Map()));
    const vec = { format: 'xnornet', version: 1, name: 'vec', input: { shape: [3] }, labels: ['x', 'y', 'z'], weights: 'vec.safetensors' };
    await writeFile(path('vec.json'), JSON.stringify({ ...vec, nodes: [{ op: 'softmax' }] }));
    await writeFile(path('vec.npy'), writeNpy(new Tensor(new Float32Array([0, 1, 2, 3, 2, 1]), [2, 3])));
    return { path, pixels };
  })();

  it('prints the top 3 classes of a PNG with the zoo model labels', async () => {
    const { path } = await files;
    const { stdout, stderr } = await xnornet('zoo:lenet5-xnor', path('digit.png'), '--backend', 'cpu', '--top', '3');
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(path('digit.png'));
    expect(lines.slice(1)).toHaveLength(3);
    for (const [i, line] of lines.slice(1).entries()) expect(line).toMatch(new RegExp(`^  ${i + 1}\\. +\\d+\\.\\d\\d%  [0-9]$`));
    expect(stderr).toMatch(/1 image\(s\) in [\d.]+ ms on CPU/);
  });

  it('--json prints an array for PNG, JPEG, a misnamed PNG and a uint8 .npy batch, in order', async () => {
    const { path, pixels } = await files;
    const args = [path('digit.png'), path('digit.jpg'), path('misnamed.jpg'), path('pixels.npy')];
    const { stdout } = await xnornet('zoo:lenet5-xnor', ...args, '--backend', 'reference', '--top', '4', '--json');
    const rows = JSON.parse(stdout) as { file: string; sample: number; classes: { index: number; label: string; probability: number }[] }[];
    expect(rows.map((r) => [r.file, r.sample])).toEqual([
      [args[0], 0],
      [args[1], 0],
      [args[2], 0],
      [args[3], 0],
      [args[3], 1],
    ]);
    for (const { classes } of rows) {
      expect(classes).toHaveLength(4);
      expect(classes.every((c) => c.label === String(c.index) && c.probability >= 0 && c.probability <= 1)).toBe(true);
      expect(classes.map((c) => c.probability)).toEqual(classes.map((c) => c.probability).sort((a, b) => b - a));
    }
    expect(rows[2]!.classes).toEqual(rows[0]!.classes);
    // The .npy pixels give what the library gives for them.
    const model = loadZooModel('lenet5-xnor');
    const array = readNpyArray(uint8Npy([2, 1, 28, 28], pixels), 'pixels.npy');
    if (array.dtype !== 'uint8') throw new Error('expected uint8');
    const logits = runReference(model.graph, model.weights, pixelsToInput(model, array)).get(model.graph.outputs[0]!)!;
    const expected = topClasses(model, logits, 4);
    expect(rows[3]!.classes.map((c) => c.index)).toEqual(expected[0]!.map((c) => c.index));
    rows[4]!.classes.forEach((c, i) => expect(c.probability).toBeCloseTo(expected[1]![i]!.probability, 4));
  });

  it('takes a float32 .npy as already preprocessed, and a softmax output as probabilities', async () => {
    const { path } = await files;
    const { stdout } = await xnornet(path('vec.json'), path('vec.npy'), '--backend', 'reference', '--top', '2', '--json');
    const rows = JSON.parse(stdout) as { classes: { label: string; probability: number }[] }[];
    const e = [Math.exp(0), Math.exp(1), Math.exp(2)];
    expect(rows.map((r) => r.classes.map((c) => c.label))).toEqual([
      ['z', 'y'],
      ['x', 'y'],
    ]);
    expect(rows[0]!.classes[0]!.probability).toBeCloseTo(e[2]! / (e[0]! + e[1]! + e[2]!), 5);
  });

  it('bad files and arguments are one clear line', async () => {
    const { path } = await files;
    const fails = (args: string[], code: number, stderr: RegExp) =>
      expect(xnornet(...args)).rejects.toMatchObject({ code, stderr: expect.stringMatching(stderr) });
    await fails(
      ['zoo:lenet5-xnor', path('anim.gif'), '--backend', 'reference'],
      1,
      /^xnornet predict: .*anim\.gif: a GIF image, which xnornet does not read.*\n$/,
    );
    await fails(
      ['zoo:lenet5-xnor', path('missing.png'), '--backend', 'reference'],
      1,
      /^xnornet predict: .*missing\.png: no such file or directory\n$/,
    );
    await fails(
      [path('vec.json'), path('digit.png'), '--backend', 'reference'],
      1,
      /digit\.png: vec: the model's input is \[3\], not an image/,
    );
    await fails(['zoo:lenet5-xnor', '--backend', 'reference'], 2, /expected <model> <image>/);
    await fails(['zoo:lenet5-xnor', path('digit.png'), '--top', '0'], 2, /--top must be a positive integer/);
  });
});
