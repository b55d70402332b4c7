/**
 * The checks every backend makes on the input a user passes, before any work: float32 data
 * (another dtype's bits would be read as floats on one backend and converted on another),
 * the model's input shape with a batch axis in front, and finite values (NaN and infinities
 * take different paths through the backends' sign and pooling, so their answers would differ).
 */
import { type Tensor, formatShape } from '../tensor/tensor.js';
import type { Graph } from './graph.js';

/** The input's shape does not fit the model's input. */
export class InputShapeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputShapeError';
  }
}

/** The input's dtype or values cannot be run: not float32, or not finite. */
export class InputValueError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputValueError';
  }
}

/** The batch size of `shape` = [N, ...input.shape]; throws an InputShapeError that says what is wrong. */
function batchOf(graph: Graph, shape: readonly number[]): number {
  const expected = graph.inputShape;
  const batched = `[N, ${expected.join(', ')}]`;
  if (shape.length === expected.length && expected.every((d, i) => shape[i] === d)) {
    throw new InputShapeError(
      `${graph.name}: input shape ${formatShape(shape)} has no batch axis; the model takes ${batched} ` +
        `(one sample is ${formatShape([1, ...expected])})`,
    );
  }
  if (shape.length !== expected.length + 1 || expected.some((d, i) => shape[i + 1] !== d)) {
    throw new InputShapeError(
      `${graph.name}: input shape ${formatShape(shape)} does not match the model's input ${formatShape(expected)} (expected ${batched})`,
    );
  }
  if (shape[0]! < 1) throw new InputShapeError(`${graph.name}: the input ${formatShape(shape)} holds no samples (N must be >= 1)`);
  return shape[0]!;
}

/** Checks a batch for `graph` (dtype, shape, finite values) and returns its batch size. */
export function checkInput(graph: Graph, input: Tensor): number {
  if (input.dtype !== 'float32') {
    throw new InputValueError(
      `${graph.name}: the input is ${input.dtype}; models take float32 inputs (convert the values: new Tensor(Float32Array.from(data), shape))`,
    );
  }
  const batch = batchOf(graph, input.shape);
  const bad = input.data.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) {
    const perSample = input.size / batch;
    throw new InputValueError(
      `${graph.name}: input element ${bad} (sample ${Math.floor(bad / perSample)}) is ${input.data[bad]}; inputs must be finite`,
    );
  }
  return batch;
}

/** `input` with a batch axis of 1 put in front when it is one sample of the model's input shape; else as it is. */
export function withBatchAxis<T extends Tensor>(graph: Graph, input: T): T {
  const single = input.shape.length === graph.inputShape.length && graph.inputShape.every((d, i) => input.shape[i] === d);
  return single ? (input.reshape([1, ...input.shape]) as T) : input;
}
