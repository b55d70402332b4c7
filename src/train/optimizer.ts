/**
 * The updates of semantics.md (PyTorch's definitions, weight decay added to the gradient), then
 * the clipping of binary layers' latent weights to [-1, 1]:
 * - SGD: v = mu * v + (g + wd * W), v starting at the first gradient's value; W -= lr * v.
 * - Adam: m = b1 m + (1 - b1) g, v = b2 v + (1 - b2) g^2 (g with weight decay), and, as
 *   torch.optim.Adam computes it, W -= (lr / (1 - b1^t)) * m / (sqrt(v) / sqrt(1 - b2^t) + eps).
 * State is per tensor (`node.suffix`) and can be saved and restored for --resume.
 */
import type { Floats } from '../ops/training.js';
import type { Gradients, Network } from './network.js';

export type OptimizerName = 'sgd' | 'adam';

export interface OptimizerOptions {
  name: OptimizerName;
  /** SGD momentum mu (0: plain SGD). */
  momentum: number;
  weightDecay: number;
  /** Clip binary layers' latent weights to [-1, 1] after each update. */
  clip: boolean;
}

const BETA1 = 0.9;
const BETA2 = 0.999;
const EPS = 1e-8;

/** What --resume restores: the step count and each tensor's buffers (SGD: momentum; Adam: m, v). */
export interface OptimizerState {
  name: OptimizerName;
  step: number;
  buffers: Map<string, Floats[]>;
}

export class Optimizer {
  private step = 0;
  private readonly buffers = new Map<string, Floats[]>();

  constructor(
    private readonly network: Network,
    readonly options: OptimizerOptions,
  ) {}

  /** One update of every trainable tensor with learning rate `lr`. */
  update(grads: Gradients, lr: number): void {
    this.step++;
    const { name, momentum, weightDecay, clip } = this.options;
    for (const { node, params, trainable, binary } of this.network.nodes) {
      const nodeGrads = grads.get(node.name);
      for (const suffix of trainable) {
        const w = params[suffix]!;
        const g = nodeGrads?.[suffix];
        if (!g) continue; // the node was not reached by the loss
        const key = `${node.name}.${suffix}`;
        if (name === 'sgd') this.sgd(key, w, g, lr, momentum, weightDecay);
        else this.adam(key, w, g, lr, weightDecay);
        if (clip && binary && suffix === 'weight') for (let i = 0; i < w.length; i++) w[i] = Math.min(1, Math.max(-1, w[i]!));
      }
    }
  }

  private sgd(key: string, w: Floats, g: Floats, lr: number, mu: number, wd: number): void {
    let velocity = this.buffers.get(key)?.[0];
    const first = velocity === undefined;
    if (mu !== 0 && !velocity) {
      velocity = new (w.constructor as Float32ArrayConstructor)(w.length);
      this.buffers.set(key, [velocity]);
    }
    for (let i = 0; i < w.length; i++) {
      const d = g[i]! + wd * w[i]!;
      if (velocity) velocity[i] = first ? d : mu * velocity[i]! + d;
      w[i] = w[i]! - lr * (velocity ? velocity[i]! : d);
    }
  }

  private adam(key: string, w: Floats, g: Floats, lr: number, wd: number): void {
    let state = this.buffers.get(key);
    if (!state) {
      const make = () => new (w.constructor as Float32ArrayConstructor)(w.length);
      state = [make(), make()];
      this.buffers.set(key, state);
    }
    const [m, v] = state as [Floats, Floats];
    const stepSize = lr / (1 - BETA1 ** this.step);
    const root = Math.sqrt(1 - BETA2 ** this.step);
    for (let i = 0; i < w.length; i++) {
      const d = g[i]! + wd * w[i]!;
      m[i] = BETA1 * m[i]! + (1 - BETA1) * d;
      v[i] = BETA2 * v[i]! + (1 - BETA2) * d * d;
      w[i] = w[i]! - (stepSize * m[i]!) / (Math.sqrt(v[i]!) / root + EPS);
    }
  }

  state(): OptimizerState {
    return { name: this.options.name, step: this.step, buffers: this.buffers };
  }

  restore(state: OptimizerState): void {
    if (state.name !== this.options.name) {
      throw new Error(`the saved optimiser state is ${state.name}'s; this run uses ${this.options.name}`);
    }
    this.step = state.step;
    this.buffers.clear();
    for (const [key, arrays] of state.buffers) this.buffers.set(key, arrays);
  }
}

export type ScheduleName = 'constant' | 'step' | 'cosine';

export interface Schedule {
  name: ScheduleName;
  /** step: multiply by gamma every stepSize epochs (PyTorch's StepLR). */
  stepSize: number;
  gamma: number;
}

/** The learning rate of epoch `epoch` (0-based) of `epochs`: PyTorch's schedulers stepped once per epoch. */
export function learningRate(base: number, epoch: number, epochs: number, schedule: Schedule): number {
  switch (schedule.name) {
    case 'constant':
      return base;
    case 'step':
      return base * schedule.gamma ** Math.floor(epoch / schedule.stepSize);
    case 'cosine':
      // CosineAnnealingLR with T_max = epochs and eta_min = 0.
      return (base * (1 + Math.cos((Math.PI * epoch) / epochs))) / 2;
  }
}
