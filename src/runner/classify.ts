/**
 * From an image to a class, in a browser or in Node: anything shaped like the DOM's `ImageData`
 * (or a 2d canvas) becomes the model's float32 NCHW input, and the model's last output becomes
 * the top-k classes with their labels and probabilities. No Node imports here: decoding image
 * files is the caller's part (a browser has canvases; the CLI decodes PNG and JPEG with pngjs
 * and jpeg-js in `src/cli/images.ts`).
 *
 * An image becomes the input [C, H, W] of the model in four steps, each pixel value p staying a
 * real number in 0..255 throughout (nothing is rounded):
 * 1. alpha: each pixel is composited on white (the default) or black (`background`):
 *    `p = c * a + bg * (1 - a)` with `a = alpha / 255`;
 * 2. channels: C = 3 keeps R, G, B; C = 1 takes the luminance `0.299 R + 0.587 G + 0.114 B`
 *    (ITU-R BT.601, what PIL's `convert('L')` computes); other C are an error;
 * 3. size: each axis is resampled on its own to the model's H and W. Shrinking averages the
 *    source pixels each output pixel covers, weighted by how much of each it covers (area
 *    averaging, like OpenCV's INTER_AREA); enlarging interpolates linearly between pixel centres
 *    (bilinear with half-pixel centres, the edges clamped); an axis of the same size is copied;
 * 4. preprocess (model.json): `x[c] = (p * scale - mean[c]) / std[c]`; an absent field means
 *    scale 1, mean 0, std 1, and a mean or std of one value applies to every channel.
 */
import { ModelFormatError } from '../model/errors.js';
import type { Graph, GraphNode } from '../model/graph.js';
import { InputShapeError } from '../model/input.js';
import { Tensor, formatShape, shapeSize } from '../tensor/tensor.js';
import type { Runner } from './runner.js';

/** The DOM's `ImageData` and anything shaped like it: RGBA, 4 bytes per pixel, rows top to bottom. */
export interface ImageLike {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8ClampedArray | Uint8Array;
}

/** An `HTMLCanvasElement` or `OffscreenCanvas` with a 2d context: its pixels are read with `getImageData`. */
export interface CanvasLike {
  readonly width: number;
  readonly height: number;
  getContext(contextId: '2d'): { getImageData(sx: number, sy: number, sw: number, sh: number): ImageLike } | null;
}

export type ImageSource = ImageLike | CanvasLike;

/** What these functions need of a model (a loaded `Model` is one): its graph, and its source for messages. */
export interface ClassifierModel {
  readonly graph: Graph;
  readonly source?: string;
}

export interface ImageToInputOptions {
  /** What transparent pixels are composited on (default 'white', as a page shows them). */
  background?: 'white' | 'black';
}

export interface ClassifyOptions extends ImageToInputOptions {
  /** How many classes to return per image, most probable first (default 5; at most the number of classes). */
  topK?: number;
}

export interface Classification {
  /** The class's position in the model's last output. */
  index: number;
  /** `labels[index]` of model.json, or the index as a string when the model has no labels. */
  label: string;
  probability: number;
}

/** model.json's `preprocess` with every field present, one mean and std per input channel. */
export interface Preprocess {
  scale: number;
  mean: number[];
  std: number[];
}

/** Raw pixel values 0..255 already at the model's size: [N, C, H, W] or [C, H, W] (e.g. a uint8 .npy file). */
export interface Pixels {
  readonly shape: readonly number[];
  readonly data: Uint8Array | Uint8ClampedArray;
}

/** The luminance weights of ITU-R BT.601. */
const LUMA = [0.299, 0.587, 0.114] as const;
const BACKGROUNDS = { white: 255, black: 0 } as const;

const sourceOf = (model: ClassifierModel) => model.source ?? model.graph.name;

/** The model's [C, H, W]; models of vectors ([F]) take no images. */
function imageShape(model: ClassifierModel): [c: number, h: number, w: number] {
  const shape = model.graph.inputShape;
  if (shape.length !== 3) {
    throw new InputShapeError(
      `${model.graph.name}: the model's input is ${formatShape(shape)}, not an image; images need a model whose input is [C, H, W]`,
    );
  }
  return shape as [number, number, number];
}

/** model.json's `preprocess` of `model`, checked, with defaults filled in and one value per channel. */
export function preprocessOf(model: ClassifierModel): Preprocess {
  const [channels] = imageShape(model);
  const raw: unknown = model.graph.json.preprocess;
  const fail: (message: string) => never = (message) => {
    throw new ModelFormatError(sourceOf(model), `"preprocess${message}`);
  };
  if (raw === undefined) return { scale: 1, mean: Array(channels).fill(0), std: Array(channels).fill(1) };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return fail(`" must be an object, got ${JSON.stringify(raw)}`);
  const { scale = 1, mean, std } = raw as Record<string, unknown>;
  if (typeof scale !== 'number' || !Number.isFinite(scale)) fail(`.scale" must be a finite number, got ${JSON.stringify(scale)}`);
  const perChannel = (key: string, value: unknown, fallback: number): number[] => {
    if (value === undefined) return Array(channels).fill(fallback);
    if (!Array.isArray(value) || !value.every((v) => typeof v === 'number' && Number.isFinite(v))) {
      return fail(`.${key}" must be a list of finite numbers, got ${JSON.stringify(value)}`);
    }
    if (value.length !== 1 && value.length !== channels) {
      fail(`.${key}" has ${value.length} values but the input has ${channels} channel(s) (give one value, or one per channel)`);
    }
    return value.length === 1 ? Array(channels).fill(value[0]) : [...(value as number[])];
  };
  const result = { scale, mean: perChannel('mean', mean, 0), std: perChannel('std', std, 1) };
  if (result.std.includes(0)) fail(`.std" must not contain 0, got ${JSON.stringify(std)}`);
  return result;
}

function isCanvas(source: ImageSource): source is CanvasLike {
  return typeof (source as Partial<CanvasLike>).getContext === 'function';
}

/** The image's RGBA pixels, checked. */
function pixelsOf(source: ImageSource, which: string): ImageLike {
  let image: ImageLike = source as ImageLike;
  if (isCanvas(source)) {
    const ctx = source.getContext('2d');
    if (ctx === null) throw new TypeError(`${which}: the canvas has no 2d context (draw a WebGL canvas onto a 2d canvas first)`);
    image = ctx.getImageData(0, 0, source.width, source.height);
  }
  const { width, height, data } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new InputShapeError(`${which}: width and height must be positive integers, got ${width} x ${height}`);
  }
  if (!(data instanceof Uint8Array || data instanceof Uint8ClampedArray)) {
    throw new TypeError(`${which}: data must be a Uint8ClampedArray or Uint8Array of RGBA bytes`);
  }
  if (data.length !== 4 * width * height) {
    throw new InputShapeError(`${which}: data has ${data.length} bytes but ${width} x ${height} RGBA pixels need ${4 * width * height}`);
  }
  return image;
}

/** The source pixels and weights that make one output pixel along one axis. */
interface Taps {
  first: number;
  weights: number[];
}

/** Per output index, its taps along an axis of `from` pixels resampled to `to` (area when shrinking, else bilinear). */
export function resamplingTaps(from: number, to: number): Taps[] {
  const ratio = from / to;
  return Array.from({ length: to }, (_, d): Taps => {
    if (from > to) {
      // Output pixel d covers source [lo, hi); each source pixel counts by the length it overlaps.
      const [lo, hi] = [d * ratio, (d + 1) * ratio];
      const first = Math.floor(lo);
      const weights: number[] = [];
      for (let i = first; i < hi && i < from; i++) weights.push((Math.min(hi, i + 1) - Math.max(lo, i)) / ratio);
      return { first, weights };
    }
    // The output pixel's centre, in source pixels whose centres are at 0, 1, ...
    const x = Math.min(Math.max((d + 0.5) * ratio - 0.5, 0), from - 1);
    const first = Math.floor(x);
    const f = x - first;
    return { first, weights: f === 0 ? [1] : [1 - f, f] };
  });
}

/** Steps 1 and 2 on row `y`: its RGBA bytes to `channels` rows of composited values 0..255, written into `row`. */
function convertRow({ width, data }: ImageLike, y: number, channels: number, background: number, row: Float64Array): void {
  for (let x = 0; x < width; x++) {
    const i = 4 * (y * width + x);
    const a = data[i + 3]! / 255;
    const bg = background * (1 - a);
    const [r, g, b] = [data[i]! * a + bg, data[i + 1]! * a + bg, data[i + 2]! * a + bg];
    if (channels === 1) row[x] = LUMA[0] * r + LUMA[1] * g + LUMA[2] * b;
    else [row[x], row[width + x], row[2 * width + x]] = [r, g, b];
  }
}

/**
 * Steps 1 to 3: the image as `channels` planes of oh x ow values 0..255. Each source row is
 * converted, then resampled across; the resampled rows are then resampled down. Only one source
 * row of floats exists at a time, so a large photo costs little beyond its bytes.
 */
function imagePlanes(image: ImageLike, channels: number, background: number, oh: number, ow: number): Float64Array {
  const { width: w, height: h } = image;
  const across = resamplingTaps(w, ow);
  const down = resamplingTaps(h, oh);
  const row = new Float64Array(channels * w);
  const rows = new Float64Array(channels * h * ow);
  for (let y = 0; y < h; y++) {
    convertRow(image, y, channels, background, row);
    for (let c = 0; c < channels; c++) {
      for (let x = 0; x < ow; x++) {
        const { first, weights } = across[x]!;
        let sum = 0;
        for (let k = 0; k < weights.length; k++) sum += weights[k]! * row[c * w + first + k]!;
        rows[(c * h + y) * ow + x] = sum;
      }
    }
  }
  const out = new Float64Array(channels * oh * ow);
  for (let c = 0; c < channels; c++) {
    for (let y = 0; y < oh; y++) {
      const { first, weights } = down[y]!;
      for (let x = 0; x < ow; x++) {
        let sum = 0;
        for (let k = 0; k < weights.length; k++) sum += weights[k]! * rows[(c * h + first + k) * ow + x]!;
        out[(c * oh + y) * ow + x] = sum;
      }
    }
  }
  return out;
}

/** Step 4 on one sample's planes [C, H, W] of values 0..255, written into `out` at `offset`. */
function applyPreprocess(values: ArrayLike<number>, { scale, mean, std }: Preprocess, plane: number, out: Float32Array, offset: number) {
  for (let i = 0; i < values.length; i++) {
    const c = Math.floor(i / plane);
    out[offset + i] = (values[i]! * scale - mean[c]!) / std[c]!;
  }
}

/**
 * Images (ImageData-shaped, or 2d canvases) to the model's input: a float32 [N, C, H, W]
 * tensor, one sample per image, resized, converted and preprocessed as the module's comment says.
 */
export function imageToInput(
  model: ClassifierModel,
  images: ImageSource | readonly ImageSource[],
  options: ImageToInputOptions = {},
): Tensor<Float32Array> {
  const list: readonly ImageSource[] = Array.isArray(images) ? images : [images as ImageSource];
  const [c, h, w] = imageShape(model);
  if (c !== 1 && c !== 3) {
    throw new InputShapeError(
      `${model.graph.name}: the model's input ${formatShape([c, h, w])} has ${c} channels; images convert to 1 (luminance) or 3 (RGB)`,
    );
  }
  if (list.length === 0) throw new InputShapeError(`${model.graph.name}: no images given`);
  const background = BACKGROUNDS[options.background ?? 'white'];
  if (background === undefined) throw new RangeError(`background must be 'white' or 'black', got ${JSON.stringify(options.background)}`);
  const preprocess = preprocessOf(model);
  const sample = c * h * w;
  const out = new Float32Array(list.length * sample);
  list.forEach((source, n) => {
    const image = pixelsOf(source, list.length === 1 ? 'image' : `image ${n}`);
    applyPreprocess(imagePlanes(image, c, background, h, w), preprocess, h * w, out, n * sample);
  });
  return new Tensor(out, [list.length, c, h, w]);
}

/**
 * Raw pixel values (0..255, e.g. a uint8 .npy file) already at the model's size, [N, C, H, W]
 * or [C, H, W], to the model's input: only the preprocess is applied.
 */
export function pixelsToInput(model: ClassifierModel, pixels: Pixels): Tensor<Float32Array> {
  const expected = imageShape(model);
  const { shape, data } = pixels;
  const batched = shape.length === 3 ? [1, ...shape] : shape;
  if (batched.length !== 4 || expected.some((d, i) => batched[i + 1] !== d)) {
    throw new InputShapeError(
      `${model.graph.name}: pixels of shape ${formatShape(shape)} do not match the model's input ${formatShape(expected)} ` +
        `(expected [N, ${expected.join(', ')}] or ${formatShape(expected)}, already at the model's size)`,
    );
  }
  if (batched[0]! < 1) throw new InputShapeError(`${model.graph.name}: pixels of shape ${formatShape(shape)} hold no images`);
  if (data.length !== shapeSize(batched)) {
    throw new InputShapeError(`${model.graph.name}: ${data.length} pixel values do not fill shape ${formatShape(shape)}`);
  }
  const out = new Float32Array(data.length);
  const preprocess = preprocessOf(model);
  const sample = shapeSize(expected);
  for (let n = 0; n < batched[0]!; n++) {
    applyPreprocess(data.subarray(n * sample, (n + 1) * sample), preprocess, expected[1] * expected[2], out, n * sample);
  }
  return new Tensor(out, batched);
}

/** The node that computes `name`, looking through flatten and dropout, which do not change values. */
function producer(graph: Graph, name: string): GraphNode | undefined {
  let node = graph.nodes.find((n) => n.name === name);
  while (node && (node.attrs.op === 'flatten' || node.attrs.op === 'dropout')) {
    const input = node.inputs[0];
    node = graph.nodes.find((n) => n.name === input);
  }
  return node;
}

function checkTopK(topK: number): void {
  if (!Number.isInteger(topK) || topK < 1) throw new RangeError(`topK must be a positive integer, got ${topK}`);
}

/** The model's labels, checked against the number of classes, or undefined when it has none. */
function labelsOf(model: ClassifierModel, classes: number): string[] | undefined {
  const labels: unknown = model.graph.json.labels;
  if (labels === undefined) return undefined;
  if (!Array.isArray(labels) || !labels.every((l) => typeof l === 'string')) {
    throw new ModelFormatError(sourceOf(model), `"labels" must be a list of strings`);
  }
  if (labels.length !== classes) {
    throw new ModelFormatError(sourceOf(model), `"labels" names ${labels.length} classes but the last output has ${classes}`);
  }
  return labels as string[];
}

/**
 * The top-k classes of each sample of `output`, the model's last output ([N, classes], or
 * [N, classes, 1, 1]): probabilities are the softmax of its values, unless the model already
 * ends in a softmax.
 */
export function topClasses(model: ClassifierModel, output: Tensor<Float32Array>, topK = 5): Classification[][] {
  checkTopK(topK);
  const outputName = model.graph.outputs.at(-1)!;
  const [n = 0, classes = 1, ...rest] = output.shape;
  if (output.rank < 2 || rest.some((d) => d !== 1)) {
    throw new InputShapeError(
      `${model.graph.name}: the last output "${outputName}" is ${formatShape(output.shape)}; classifying needs [N, classes]`,
    );
  }
  const labels = labelsOf(model, classes);
  const isSoftmax = producer(model.graph, outputName)?.attrs.op === 'softmax';
  return Array.from({ length: n }, (_, b) => {
    const values = output.data.subarray(b * classes, (b + 1) * classes);
    let probabilities: ArrayLike<number> = values;
    if (!isSoftmax) {
      const max = values.reduce((m, v) => Math.max(m, v), -Infinity);
      const exps = Array.from(values, (v) => Math.exp(v - max));
      const sum = exps.reduce((s, e) => s + e, 0);
      probabilities = exps.map((e) => e / sum);
    }
    const order = Array.from({ length: classes }, (_, i) => i).sort((i, j) => probabilities[j]! - probabilities[i]! || i - j);
    return order.slice(0, topK).map((index) => ({ index, label: labels?.[index] ?? String(index), probability: probabilities[index]! }));
  });
}

/**
 * Classifies images (ImageData-shaped, or 2d canvases; one or several, run as one batch) or an
 * input tensor already preprocessed: per sample, the `topK` most probable classes, most
 * probable first.
 */
export async function classify(
  runner: Runner,
  model: ClassifierModel,
  images: ImageSource | readonly ImageSource[] | Tensor<Float32Array>,
  options: ClassifyOptions = {},
): Promise<Classification[][]> {
  const { topK = 5, ...imageOptions } = options;
  checkTopK(topK);
  const input = images instanceof Tensor ? images : imageToInput(model, images, imageOptions);
  const outputs = await runner.run(input);
  const name = model.graph.outputs.at(-1)!;
  const output = outputs.get(name);
  if (output === undefined) throw new Error(`${model.graph.name}: the runner returned no output "${name}"`);
  return topClasses(model, output, topK);
}
