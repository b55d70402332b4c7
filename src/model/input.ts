/** Checks shared by the executors: the input a user passes, and the outputs they get. */
import { formatShape } from '../tensor/tensor.js';
import type { Graph } from './graph.js';

export class InputShapeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputShapeError';
  }
}

/** The batch size of `shape` = [N, ...input.shape]; throws a clear error otherwise. */
export function batchOf(graph: Graph, shape: readonly number[]): number {
  const expected = graph.inputShape;
  const ok = shape.length === expected.length + 1 && expected.every((d, i) => shape[i + 1] === d) && shape[0]! >= 1;
  if (!ok) {
    throw new InputShapeError(
      `${graph.name}: input shape ${formatShape(shape)} does not match the model's input ${formatShape(expected)} ` +
        `(expected [N, ${expected.join(', ')}] with N >= 1)`,
    );
  }
  return shape[0]!;
}
