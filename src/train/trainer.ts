/**
 * The training loop (Algorithm 1 of the paper, semantics.md's training section): for each
 * epoch, batches in a seeded shuffled order (or file order), forward in training mode, softmax
 * cross-entropy, backward, one optimiser update with the epoch's learning rate, clipping; then
 * the test set in evaluation mode. Images given as raw pixels are augmented (optionally) and
 * preprocessed with the model's `preprocess`; others are taken as already preprocessed.
 * Randomness (order, dropout, augmentation) comes from generators seeded by (seed, epoch), so a
 * run resumed at an epoch boundary continues exactly as the uninterrupted run would.
 */
import type { ConvKernels, Floats } from '../ops/training.js';
import { type Preprocess, preprocessOf } from '../runner/classify.js';
import { createRng } from '../util/random.js';
import { shiftAugment } from './data/augment.js';
import type { LabelledImages } from './data/dataset.js';
import { softmaxCrossEntropy } from './loss.js';
import type { Network } from './network.js';
import { type Optimizer, type Schedule, learningRate } from './optimizer.js';

export interface TrainOptions {
  epochs: number;
  batch: number;
  lr: number;
  schedule: Schedule;
  seed: number;
  shuffle: boolean;
  augment: 'none' | 'shift';
}

export interface EpochRecord {
  epoch: number;
  lr: number;
  loss: number;
  accuracy: number;
  testLoss: number | undefined;
  testAccuracy: number | undefined;
  seconds: number;
  imagesPerSecond: number;
}

export interface BatchProgress {
  /** Counted from 0 (EpochRecord.epoch counts from 1: the epochs done). */
  epoch: number;
  epochs: number;
  batch: number;
  batches: number;
  /** Means over the epoch's batches so far. */
  loss: number;
  accuracy: number;
  imagesPerSecond: number;
  etaSeconds: number;
}

export interface TrainHooks {
  onBatch?(progress: BatchProgress): void | Promise<void>;
  /** After each epoch (e.g. to write a checkpoint). */
  onEpoch?(record: EpochRecord): void | Promise<void>;
  /** Stops between batches; the epoch in progress is not recorded. */
  signal?: AbortSignal;
}

/** The generator of one purpose in one epoch. */
const rngFor = (seed: number, epoch: number, purpose: number) => createRng((seed * 1_000_003 + epoch * 7919 + purpose) >>> 0);

/** One batch's inputs in the network's precision: pixels shifted (when asked) and preprocessed. */
function batchInputs(
  network: Network,
  data: LabelledImages,
  indices: ArrayLike<number>,
  preprocess: Preprocess | undefined,
  augment: ReturnType<typeof createRng> | undefined,
): Floats {
  const [c, h, w] = data.shape;
  const per = c * h * w;
  let images: Float32Array = new Float32Array(indices.length * per);
  for (let b = 0; b < indices.length; b++) images.set(data.images.subarray(indices[b]! * per, (indices[b]! + 1) * per), b * per);
  if (augment) images = shiftAugment(images, data.shape, indices.length, augment);
  const out = network.precision === 'float64' ? new Float64Array(images.length) : images;
  for (let i = 0; i < images.length; i++) {
    const channel = Math.floor(i / (h * w)) % c;
    out[i] = preprocess ? (images[i]! * preprocess.scale - preprocess.mean[channel]!) / preprocess.std[channel]! : images[i]!;
  }
  return out;
}

function checkData(network: Network, data: LabelledImages, what: string): void {
  const expected = network.graph.inputShape.join('x');
  if (data.shape.join('x') !== expected) {
    throw new RangeError(`${what} (${data.description}): images are ${data.shape.join('x')}, the model takes ${expected}`);
  }
}

export interface Evaluation {
  loss: number;
  accuracy: number;
  /** The predicted class of each sample. */
  predictions: Int32Array;
}

/** The network in evaluation mode (running statistics, no dropout) over a whole set. */
export async function evaluate(network: Network, data: LabelledImages, kernels: ConvKernels, batch = 256): Promise<Evaluation> {
  checkData(network, data, 'evaluation data');
  const preprocess = data.pixels ? preprocessOf(network.model) : undefined;
  const predictions = new Int32Array(data.count);
  let loss = 0;
  let correct = 0;
  for (let start = 0; start < data.count; start += batch) {
    const indices = Int32Array.from({ length: Math.min(batch, data.count - start) }, (_, k) => start + k);
    const input = batchInputs(network, data, indices, preprocess, undefined);
    const ctx = { kernels, rng: createRng(0), training: false };
    const { logits } = await network.forward({ data: input, shape: [indices.length, ...data.shape] }, ctx);
    const labels = data.labels.subarray(start, start + indices.length);
    const result = softmaxCrossEntropy(logits, labels);
    loss += result.loss * indices.length;
    correct += result.correct;
    const classes = logits.shape[1]!;
    for (let b = 0; b < indices.length; b++) {
      let best = 0;
      for (let k = 1; k < classes; k++) if (logits.data[b * classes + k]! > logits.data[b * classes + best]!) best = k;
      predictions[start + b] = best;
    }
  }
  return { loss: loss / data.count, accuracy: correct / data.count, predictions };
}

/**
 * Trains `network` in place from epoch `startEpoch` (0 for a fresh run) to options.epochs;
 * returns the records of the epochs it completed.
 */
export async function train(
  network: Network,
  optimizer: Optimizer,
  kernels: ConvKernels,
  data: { train: LabelledImages; test: LabelledImages | undefined },
  options: TrainOptions,
  hooks: TrainHooks = {},
  startEpoch = 0,
): Promise<EpochRecord[]> {
  checkData(network, data.train, 'training data');
  const preprocess = data.train.pixels ? preprocessOf(network.model) : undefined;
  const records: EpochRecord[] = [];
  const count = data.train.count;
  const batches = Math.ceil(count / options.batch);
  for (let epoch = startEpoch; epoch < options.epochs; epoch++) {
    const lr = learningRate(options.lr, epoch, options.epochs, options.schedule);
    const order = Int32Array.from({ length: count }, (_, i) => i);
    if (options.shuffle) {
      const rng = rngFor(options.seed, epoch, 1);
      for (let i = count - 1; i > 0; i--) {
        const j = rng.int(0, i);
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
    }
    const ctx = { kernels, rng: rngFor(options.seed, epoch, 2), training: true };
    // Shifts move raw pixels over a zero background; preprocessed images are not shifted.
    const augment = options.augment === 'shift' && data.train.pixels ? rngFor(options.seed, epoch, 3) : undefined;
    const started = performance.now();
    let lossSum = 0;
    let correct = 0;
    for (let b = 0; b < batches; b++) {
      if (hooks.signal?.aborted) return records;
      const indices = order.subarray(b * options.batch, Math.min(count, (b + 1) * options.batch));
      const input = batchInputs(network, data.train, indices, preprocess, augment);
      const labels = Int32Array.from(indices, (i) => data.train.labels[i]!);
      const tape = await network.forward({ data: input, shape: [indices.length, ...data.train.shape] }, ctx);
      const result = softmaxCrossEntropy(tape.logits, labels);
      optimizer.update(await network.backward(tape, result.grad, ctx), lr);
      lossSum += result.loss * indices.length;
      correct += result.correct;
      const seen = Math.min(count, (b + 1) * options.batch);
      const seconds = (performance.now() - started) / 1000;
      const imagesPerSecond = seen / seconds;
      const remaining = (options.epochs - epoch - 1) * count + (count - seen);
      await hooks.onBatch?.({
        epoch,
        epochs: options.epochs,
        batch: b + 1,
        batches,
        loss: lossSum / seen,
        accuracy: correct / seen,
        imagesPerSecond,
        etaSeconds: remaining / imagesPerSecond,
      });
    }
    const seconds = (performance.now() - started) / 1000;
    const test = data.test ? await evaluate(network, data.test, kernels) : undefined;
    const record: EpochRecord = {
      epoch: epoch + 1,
      lr,
      loss: lossSum / count,
      accuracy: correct / count,
      testLoss: test?.loss,
      testAccuracy: test?.accuracy,
      seconds,
      imagesPerSecond: count / seconds,
    };
    records.push(record);
    await hooks.onEpoch?.(record);
  }
  return records;
}
