/**
 * Training passes of the four weighted layers (conv2d, binconv2d, linear, binlinear), as
 * semantics.md's training section defines them. A linear layer is the 1x1 convolution of
 * [N, F, 1, 1]. Binary layers keep latent float weights W and compute with
 * W~ = alpha * sign(W); XNOR layers binarize their input too (straight-through estimator,
 * 1_{|x| <= 1}) and scale by K, a constant for the backward pass.
 */
import { sign } from '../tensor/bits.js';
import { type ConvGeometry, convGeometry } from './conv.js';
import type { BinaryMode } from './op.js';
import { type ConvKernels, type Floats, type FTensor, type OpTraining, zerosLike } from './training.js';
import type { Pair } from './window.js';

export interface LayerSpec {
  mode: 'float' | BinaryMode;
  outChannels: number;
  /** undefined: a linear layer on [N, F]. */
  window: { kernel: Pair; stride: Pair; padding: Pair } | undefined;
  bias: boolean;
  scaleInput: boolean;
}

const UNIT: Pair = [1, 1];
const NONE: Pair = [0, 0];

function geometryOf(x: FTensor, spec: LayerSpec): ConvGeometry {
  const [n, cin, h = 1, w = 1] = x.shape as number[];
  const { kernel, stride, padding } = spec.window ?? { kernel: UNIT, stride: UNIT, padding: NONE };
  return convGeometry({ n: n!, cin: cin!, h, w, cout: spec.outChannels, kernel, stride, padding }, 'training layer');
}

/** alpha[o] = mean |W[o, ...]| and W~ = alpha[o] * sign(W). */
export function binarizeLatent(w: Floats, cout: number): { alpha: Float64Array; binary: Floats } {
  const n = w.length / cout;
  const alpha = new Float64Array(cout);
  const binary = zerosLike(w, w.length);
  for (let o = 0; o < cout; o++) {
    let sum = 0;
    for (let k = o * n; k < (o + 1) * n; k++) sum += Math.abs(w[k]!);
    alpha[o] = sum / n;
    for (let k = o * n; k < (o + 1) * n; k++) binary[k] = alpha[o]! * sign(w[k]!);
  }
  return { alpha, binary };
}

/** K[n, i, j]: the window means of A = mean_c |x| (zero padded), [N, Ho * Wo]. */
async function inputScale(x: Floats, g: ConvGeometry, kernels: ConvKernels): Promise<Floats> {
  const plane = g.h * g.w;
  const a = zerosLike(x, g.n * plane);
  for (let b = 0; b < g.n; b++) {
    for (let p = 0; p < plane; p++) {
      let sum = 0;
      for (let c = 0; c < g.cin; c++) sum += Math.abs(x[(b * g.cin + c) * plane + p]!);
      a[b * plane + p] = sum / g.cin;
    }
  }
  const taps = g.kh * g.kw;
  const ones = zerosLike(x, taps).fill(1);
  const k = await kernels.forward(a, ones, { ...g, cin: 1, cout: 1 });
  for (let i = 0; i < k.length; i++) k[i]! /= taps;
  return k;
}

interface Saved {
  g: ConvGeometry;
  /** What the convolution read: x, or sign(x) for XNOR. */
  input: Floats;
  /** x itself, for the straight-through estimator. */
  x: Floats;
  weights: Floats;
  alpha: Float64Array | undefined;
  k: Floats | undefined;
}

export function layerTraining<A>(specOf: (a: A) => LayerSpec): OpTraining<A> {
  return {
    trainable: (a) => (specOf(a).bias ? ['weight', 'bias'] : ['weight']),
    forward: async ([x], a, params, { kernels }) => {
      const spec = specOf(a);
      const g = geometryOf(x!, spec);
      const latent = params['weight']!;
      const { alpha, binary } = spec.mode === 'float' ? { alpha: undefined, binary: latent } : binarizeLatent(latent, g.cout);
      let input = x!.data;
      if (spec.mode === 'xnor') {
        input = zerosLike(x!.data, x!.data.length);
        for (let i = 0; i < input.length; i++) input[i] = x!.data[i]! >= 0 ? 1 : -1; // sign, semantics.md
      }
      const k = spec.mode === 'xnor' && spec.scaleInput ? await inputScale(x!.data, g, kernels) : undefined;
      const y = await kernels.forward(input, binary, g);
      const plane = g.ho * g.wo;
      const bias = spec.bias ? params['bias']! : undefined;
      for (let b = 0, idx = 0; b < g.n; b++) {
        for (let o = 0; o < g.cout; o++) {
          const shift = bias ? bias[o]! : 0;
          if (k) for (let p = 0; p < plane; p++, idx++) y[idx] = y[idx]! * k[b * plane + p]! + shift;
          else for (let p = 0; p < plane; p++, idx++) y[idx] = y[idx]! + shift;
        }
      }
      const shape = spec.window ? [g.n, g.cout, g.ho, g.wo] : [g.n, g.cout];
      const saved: Saved = { g, input, x: x!.data, weights: binary, alpha, k };
      return { output: { data: y, shape }, saved };
    },
    backward: async (dy, savedValue, a, params, { kernels, inputGradUnused }) => {
      const spec = specOf(a);
      const { g, input, x, weights, alpha, k } = savedValue as Saved;
      const plane = g.ho * g.wo;
      const grads: Record<string, Floats> = {};
      if (spec.bias) {
        const db = zerosLike(dy, g.cout);
        for (let b = 0, idx = 0; b < g.n; b++) {
          for (let o = 0; o < g.cout; o++) {
            let sum = 0;
            for (let p = 0; p < plane; p++, idx++) sum += dy[idx]!;
            db[o]! += sum;
          }
        }
        grads['bias'] = db;
      }
      // K is a constant: the convolution's output gradient is dy * K.
      let dconv = dy;
      if (k) {
        dconv = zerosLike(dy, dy.length);
        for (let b = 0, idx = 0; b < g.n; b++)
          for (let o = 0; o < g.cout; o++) for (let p = 0; p < plane; p++, idx++) dconv[idx] = dy[idx]! * k[b * plane + p]!;
      }
      const dw = await kernels.weightGrad(dconv, input, g);
      if (alpha) {
        // The paper's gradient through W~ = alpha * sign(W): G * (1/n + alpha * 1_{|W| <= 1}).
        const latent = params['weight']!;
        const n = latent.length / g.cout;
        for (let idx = 0; idx < dw.length; idx++) {
          const o = Math.floor(idx / n);
          dw[idx] = dw[idx]! * (1 / n + (Math.abs(latent[idx]!) <= 1 ? alpha[o]! : 0));
        }
      }
      grads['weight'] = dw;
      // The first layer's input gradient (of the data) is a third of its work and unused.
      if (inputGradUnused) return { inputs: [zerosLike(dy, 0)], params: grads };
      const dx = await kernels.inputGrad(dconv, weights, g);
      if (spec.mode === 'xnor') for (let i = 0; i < dx.length; i++) if (Math.abs(x[i]!) > 1) dx[i] = 0;
      return { inputs: [dx], params: grads };
    },
  };
}
