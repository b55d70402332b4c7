/**
 * What an op computes in training (semantics.md, "Training ... v1.1"): a forward pass in
 * training mode that keeps what its backward pass needs, and the backward pass. Each op module
 * gives its own (`OpDef.train`); they are written once over `Floats`, so the same code is the
 * float64 reference of the gradient checks and the float32 arithmetic of the CPU trainer.
 * The convolutions underneath come from `ConvKernels`: the float64 loops of
 * conv-kernels-reference.ts, or a backend's GEMMs.
 */
import type { Rng } from '../util/random.js';
import type { ConvGeometry } from './conv.js';

/** The precision a training pass computes in: float64 (reference, gradient checks) or float32. */
export type Floats = Float32Array | Float64Array;

/** A batched value of a training pass: [N, C, H, W] or [N, F]. */
export interface FTensor {
  data: Floats;
  shape: readonly number[];
}

/** A new zeroed array of `like`'s precision. */
export function zerosLike(like: Floats, length: number): Floats {
  return like instanceof Float64Array ? new Float64Array(length) : new Float32Array(length);
}

/** A value now (CPU kernels) or later (a GPU's, read back). */
export type MaybePromise<T> = T | Promise<T>;

/** The three convolutions of a weighted layer, on NCHW data and [Cout, Cin, kh, kw] weights, no bias. */
export interface ConvKernels {
  /** y[n,o,i,j] = sum_{c,u,v} w[o,c,u,v] * xpad[n,c,i*s+u-p,j*s+v-p]: [N, Cout, Ho, Wo]. */
  forward(x: Floats, w: Floats, g: ConvGeometry): MaybePromise<Floats>;
  /** dC/dx from dC/dy: [N, Cin, H, W]. */
  inputGrad(dy: Floats, w: Floats, g: ConvGeometry): MaybePromise<Floats>;
  /** dC/dw from dC/dy and x: [Cout, Cin, kh, kw]. */
  weightGrad(dy: Floats, x: Floats, g: ConvGeometry): MaybePromise<Floats>;
}

/** What a training pass runs with. */
export interface TrainContext {
  kernels: ConvKernels;
  /** Dropout's masks. */
  rng: Rng;
  /** false: the forward pass of inference (batchnorm with running statistics, no dropout), for evaluation. */
  training: boolean;
  /** Backward of a node that reads only the model's input: an op may skip its input gradient (return an empty array). */
  inputGradUnused?: boolean;
}

/**
 * A node's trainable tensors and state by suffix (PyTorch's names: weight, bias, running_mean,
 * running_var), in the trainer's precision. Binary layers hold their latent float weights.
 */
export type TrainParams = Record<string, Floats>;

export interface ForwardResult {
  output: FTensor;
  /** What the backward pass needs, opaque to the trainer. */
  saved: unknown;
}

export interface BackwardResult {
  /** dC/d(input) for each input, in order. */
  inputs: Floats[];
  /** dC/d(param) for each trainable tensor (not the running statistics). */
  params: TrainParams;
}

export interface OpTraining<A> {
  /** Tensors the optimiser updates (a subset of the node's tensors); the rest are state. */
  trainable(attrs: A): string[];
  /** Forward in training mode; may update state in `params` (batchnorm's running statistics). */
  forward(inputs: readonly FTensor[], attrs: A, params: TrainParams, ctx: TrainContext): MaybePromise<ForwardResult>;
  backward(gradOutput: Floats, saved: unknown, attrs: A, params: TrainParams, ctx: TrainContext): MaybePromise<BackwardResult>;
}

/** An op without tensors whose output is elementwise in its input: y = f(x), dx = dy * f'(x). */
export function elementwiseTraining<A>(f: (v: number, a: A) => number, derivative: (v: number, a: A) => number): OpTraining<A> {
  return {
    trainable: () => [],
    forward: ([x], a) => {
      const out = zerosLike(x!.data, x!.data.length);
      for (let i = 0; i < out.length; i++) out[i] = f(x!.data[i]!, a);
      return { output: { data: out, shape: x!.shape }, saved: x!.data };
    },
    backward: (dy, saved, a) => {
      const x = saved as Floats;
      const dx = zerosLike(dy, dy.length);
      for (let i = 0; i < dx.length; i++) dx[i] = dy[i]! * derivative(x[i]!, a);
      return { inputs: [dx], params: {} };
    },
  };
}

/** An op that passes its input through unchanged in shape order (flatten): a view both ways. */
export function viewTraining<A>(shape: (x: FTensor, a: A) => readonly number[]): OpTraining<A> {
  return {
    trainable: () => [],
    forward: ([x], a) => ({ output: { data: x!.data, shape: shape(x!, a) }, saved: undefined }),
    backward: (dy) => ({ inputs: [dy], params: {} }),
  };
}
