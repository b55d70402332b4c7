/** `xnornet eval <model> --dataset ... | --images --labels`: accuracy and the confusion matrix, by the inference executor. */
import type { Model } from '../../model/model.js';
import { runClassifier } from '../../train/evaluate.js';
import type { LabelledImages } from '../../train/data/dataset.js';
import { DATASET_NAMES, loadDataset } from '../../train/data/index.js';
import { loadNpyData } from '../../train/data/npy-data.js';
import { loadModel } from '../../runner/load.js';
import { RUN_OPTIONS, UsageError, parseCommand, positiveInt, runOptions } from '../args.js';
import { markdownTable } from '../table.js';
import type { Io } from '../io.js';

export const usage = `xnornet eval <model.json | zoo:NAME> (--dataset fashion-mnist|mnist [--split test|train] [--data-dir DIR]
       | --images X.npy --labels Y.npy) [--backend webgpu|cpu|reference] [--threads T] [--batch B] [--json]

Runs the model on a labelled set with the inference executor and prints its accuracy and the
confusion matrix (rows: true class, columns: predicted), with the model's labels. Dataset
images are pixels, to which the model's preprocess is applied (default split: test);
--images/--labels are float32 [N, C, H, W] already preprocessed and integer labels [N].`;

async function labelledSet(values: {
  dataset?: string | undefined;
  split?: string | undefined;
  'data-dir'?: string | undefined;
  images?: string | undefined;
  labels?: string | undefined;
}): Promise<LabelledImages> {
  if (values.dataset !== undefined) {
    if (!(DATASET_NAMES as readonly string[]).includes(values.dataset)) {
      throw new UsageError(`--dataset must be one of ${DATASET_NAMES.join(', ')}, got "${values.dataset}"`);
    }
    const split = values.split ?? 'test';
    if (split !== 'test' && split !== 'train') throw new UsageError(`--split must be test or train, got "${split}"`);
    const data = await loadDataset(
      values.dataset as (typeof DATASET_NAMES)[number],
      values['data-dir'] === undefined ? {} : { dataDir: values['data-dir'] },
    );
    return data[split];
  }
  if (values.images === undefined || values.labels === undefined) throw new UsageError('give --dataset, or --images and --labels');
  return loadNpyData(values.images, values.labels);
}

function labelsOf(model: Model, classes: number): string[] {
  return model.graph.json.labels ?? Array.from({ length: classes }, (_, i) => String(i));
}

export async function evalCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommand(
    args,
    {
      dataset: { type: 'string' },
      split: { type: 'string' },
      'data-dir': { type: 'string' },
      images: { type: 'string' },
      labels: { type: 'string' },
      batch: { type: 'string' },
      json: { type: 'boolean' },
      backend: RUN_OPTIONS.backend,
      threads: RUN_OPTIONS.threads,
    },
    ['<model>'],
  );
  const { backend, options } = runOptions(values, (line) => io.error(line));
  const model = await loadModel(positionals[0]!);
  const data = await labelledSet(values);
  const result = await runClassifier(model, data, backend, options, positiveInt(values.batch, 256, '--batch'));
  const labels = labelsOf(model, result.confusion.length);
  if (values.json) {
    io.log(
      JSON.stringify({
        model: model.source,
        data: data.description,
        samples: data.count,
        accuracy: result.accuracy,
        labels,
        confusion: result.confusion,
      }),
    );
    return 0;
  }
  io.log(
    `${model.source} on ${data.description}: accuracy ${(result.accuracy * 100).toFixed(2)}% (${result.correct} of ${data.count}), ${result.runner}`,
  );
  io.log('');
  io.log('confusion matrix (rows: true class, columns: predicted)');
  io.log(
    markdownTable(
      ['true \\ predicted', ...labels],
      result.confusion.map((row, k) => [labels[k]!, ...row]),
    ),
  );
  return 0;
}
