/** The training loss of semantics.md: the batch mean of softmax cross-entropy of the logits [N, classes]. */
import { type FTensor, type Floats, zerosLike } from '../ops/training.js';

export interface LossResult {
  loss: number;
  /** dLoss/d(logits), [N, classes]: (softmax - onehot) / N. */
  grad: Floats;
  /** Samples whose largest logit is their label (the first largest on ties). */
  correct: number;
}

export function softmaxCrossEntropy(logits: FTensor, labels: ArrayLike<number>): LossResult {
  const [n, classes] = logits.shape as [number, number];
  if (logits.shape.length !== 2) throw new RangeError(`loss: logits must be [N, classes], got [${logits.shape.join(', ')}]`);
  if (labels.length !== n) throw new RangeError(`loss: ${labels.length} labels for a batch of ${n}`);
  const grad = zerosLike(logits.data, logits.data.length);
  let loss = 0;
  let correct = 0;
  for (let b = 0; b < n; b++) {
    const label = labels[b]!;
    if (!Number.isInteger(label) || label < 0 || label >= classes) {
      throw new RangeError(`loss: label ${label} of sample ${b} is outside 0..${classes - 1}`);
    }
    const row = b * classes;
    let max = -Infinity;
    let argmax = 0;
    for (let c = 0; c < classes; c++) {
      if (logits.data[row + c]! > max) [max, argmax] = [logits.data[row + c]!, c];
    }
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += Math.exp(logits.data[row + c]! - max);
    loss += Math.log(sum) + max - logits.data[row + label]!;
    for (let c = 0; c < classes; c++) grad[row + c] = (Math.exp(logits.data[row + c]! - max) / sum - (c === label ? 1 : 0)) / n;
    if (argmax === label) correct++;
  }
  return { loss: loss / n, grad, correct };
}
