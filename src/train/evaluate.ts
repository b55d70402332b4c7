/**
 * A model's accuracy on a labelled set by the inference executor (any backend), as a user
 * would run it: what `xnornet eval`, the model cards and the shipped-model test measure.
 */
import type { Model } from '../model/model.js';
import { pixelsToInput } from '../runner/classify.js';
import { type Backend, type RunnerOptions, createRunner } from '../runner/runner.js';
import { Tensor } from '../tensor/tensor.js';
import { type LabelledImages, checkLabels } from './data/dataset.js';

export interface ClassifierResult {
  accuracy: number;
  correct: number;
  /** confusion[true][predicted]: counts. */
  confusion: number[][];
  predictions: Int32Array;
  /** The runner, in words. */
  runner: string;
}

export async function runClassifier(
  model: Model,
  data: LabelledImages,
  backend: Backend,
  options: RunnerOptions = {},
  batch = 256,
): Promise<ClassifierResult> {
  const runner = await createRunner(model, backend, options);
  try {
    const per = data.shape[0] * data.shape[1] * data.shape[2];
    const predictions = new Int32Array(data.count);
    let classes = 0;
    for (let start = 0; start < data.count; start += batch) {
      const n = Math.min(batch, data.count - start);
      const values = data.images.subarray(start * per, (start + n) * per);
      const input = data.pixels
        ? pixelsToInput(model, { shape: [n, ...data.shape], data: Uint8Array.from(values) })
        : new Tensor(Float32Array.from(values), [n, ...data.shape]);
      const outputs = await runner.run(input);
      const logits = outputs.get(model.graph.outputs[0]!)!;
      classes = logits.shape[1]!;
      for (let b = 0; b < n; b++) {
        let best = 0;
        for (let k = 1; k < classes; k++) if (logits.data[b * classes + k]! > logits.data[b * classes + best]!) best = k;
        predictions[start + b] = best;
      }
    }
    checkLabels(data, classes, `${data.description} for ${model.source}`);
    const confusion = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
    let correct = 0;
    for (let i = 0; i < data.count; i++) {
      confusion[data.labels[i]!]![predictions[i]!]!++;
      if (data.labels[i] === predictions[i]) correct++;
    }
    return { accuracy: correct / data.count, correct, confusion, predictions, runner: runner.description };
  } finally {
    runner.close();
  }
}
