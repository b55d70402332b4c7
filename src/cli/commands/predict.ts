/** `xnornet predict <model> <image...>`: the most probable classes of PNG/JPEG images or .npy batches. */
import { InputShapeError, InputValueError, checkInput, withBatchAxis } from '../../model/input.js';
import type { Model } from '../../model/model.js';
import { readNpyArray } from '../../model/npy.js';
import { type Classification, classify, imageToInput, pixelsToInput } from '../../runner/classify.js';
import { loadModel } from '../../runner/load.js';
import { createRunner } from '../../runner/runner.js';
import { type Tensor, concatBatches } from '../../tensor/tensor.js';
import { RUN_OPTIONS, UsageError, parseCommand, positiveInt, runOptions } from '../args.js';
import { readInput } from '../files.js';
import { decodeImage, inputKind } from '../images.js';
import type { Io } from '../io.js';

export const usage = `xnornet predict <model.json | zoo:NAME> <image.png|jpg|npy> [more images...] [--top K]
       [--backend webgpu|cpu|reference] [--threads T] [--json]

Prints the K most probable classes (default 5) of each image, with the model's labels and
probabilities (the softmax of the last output, unless the model ends in a softmax); --json
prints them as a JSON array. Files are told apart by their contents, not their names:
- PNG and JPEG images are resized to the model's input (area averaging when shrinking,
  bilinear when enlarging), converted to its channels (1: luminance 0.299 R + 0.587 G +
  0.114 B; 3: RGB), transparent pixels composited on white, then the model's "preprocess"
  is applied to the 0..255 values;
- a uint8 .npy ([N, C, H, W] or [C, H, W]) holds raw 0..255 pixels at the model's size, to
  which "preprocess" is applied; a float32 .npy is taken as already preprocessed.
Backends as in 'xnornet run': webgpu (default), cpu (T worker threads), reference.`;

/** One sample of the batch: the file it came from and its position in that file. */
interface Source {
  file: string;
  sample: number;
  /** Samples the file holds (images: 1). */
  of: number;
}

/** A file's samples as the model's float32 input; a mismatch with the model is one line naming the file. */
function inputOf(model: Model, bytes: Uint8Array, file: string): Tensor<Float32Array> {
  try {
    if (inputKind(bytes) !== 'npy') return imageToInput(model, decodeImage(bytes, file));
    const array = readNpyArray(bytes, file);
    if (array.dtype === 'uint8') return pixelsToInput(model, array);
    const input = withBatchAxis(model.graph, array.tensor);
    checkInput(model.graph, input);
    return input;
  } catch (err) {
    if (err instanceof InputShapeError || err instanceof InputValueError) throw new Error(`${file}: ${err.message}`);
    throw err;
  }
}

/** The rows of one sample: rank, probability as a percentage, label. */
function table(classes: Classification[]): string[] {
  const rank = String(classes.length).length;
  return classes.map((c, i) => `  ${String(i + 1).padStart(rank)}. ${`${(c.probability * 100).toFixed(2)}%`.padStart(7)}  ${c.label}`);
}

export async function predict(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommand(
    args,
    { top: { type: 'string' }, json: { type: 'boolean' }, backend: RUN_OPTIONS.backend, threads: RUN_OPTIONS.threads },
    { oneOrMore: '<model> <image>' },
  );
  if (positionals.length < 2) throw new UsageError(`expected <model> <image> [more images...], got ${positionals.length} argument(s)`);
  const topK = positiveInt(values.top, 5, '--top');
  const { backend, options } = runOptions(values, io.error);
  const [modelSource, ...files] = positionals as [string, ...string[]];
  const model = await loadModel(modelSource);

  // Every file is read and checked before the backend starts.
  const parts: Tensor<Float32Array>[] = [];
  const sources: Source[] = [];
  for (const file of files) {
    const input = inputOf(model, await readInput(file), file);
    parts.push(input);
    const of = input.shape[0]!;
    for (let sample = 0; sample < of; sample++) sources.push({ file, sample, of });
  }

  const runner = await createRunner(model, backend, options);
  try {
    const started = performance.now();
    const results = await classify(runner, model, concatBatches(parts), { topK });
    const ms = performance.now() - started;
    if (values.json) {
      const rows = results.map((classes, i) => ({ file: sources[i]!.file, sample: sources[i]!.sample, classes }));
      io.log(JSON.stringify(rows, null, 2));
      return 0;
    }
    results.forEach((classes, i) => {
      const { file, sample, of } = sources[i]!;
      io.log(of === 1 ? file : `${file} [${sample}]`);
      for (const row of table(classes)) io.log(row);
    });
    io.error(`${results.length} image(s) in ${ms.toFixed(1)} ms on ${runner.description}`);
    if (runner.cpuEmulated) io.error('note: this WebGPU adapter emulates a GPU on the CPU; --backend cpu is faster on this machine');
  } finally {
    runner.close();
  }
  return 0;
}
