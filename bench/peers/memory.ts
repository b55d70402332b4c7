/**
 * Weight and activation bytes for the rows of bench/peers.ts, where an engine does not count
 * them itself.
 *   - xnornet's weights: src/model/costs.ts (float32 bytes of a float model, the packed bytes
 *     of an XNOR one: 1 bit a binary weight, float32 for the rest);
 *   - xnornet cpu activations: what its executor allocates, one buffer per value of the plan
 *     (src/plan/plan.ts), every value at once (it pools nothing);
 *   - a float peer's activations, estimated (ONNX Runtime does not report them): the peak of
 *     the float network's plan when each value lives from the step that writes it to the last
 *     step that reads it (the input from the start, outputs to the end) — conv + batchnorm +
 *     relu fused into one value as ONNX Runtime's graph optimizations also fuse them, flatten
 *     and dropout views. An engine's own scratch (im2col, packed weights) is not in it.
 */
import { layerCosts, totalCost } from '../../src/model/costs.js';
import type { Model } from '../../src/model/model.js';
import { type Plan, planGraph, stepRefs } from '../../src/plan/plan.js';

const BYTES = 4; // float32 and uint32 (packed bits) alike

export function modelWeightBytes(model: Model, mode: 'float' | 'xnor'): number {
  const cost = totalCost(layerCosts(model.graph));
  return mode === 'float' ? cost.floatBytes : cost.packedBytes;
}

/** Bytes of every value of the model's plan for `batch`: what xnornet's cpu executor holds. */
export function planAllocatedBytes(model: Model, batch: number): number {
  return planGraph(model.graph, model.weights, batch).values.reduce((sum, v) => sum + v.elements * BYTES, 0);
}

/** The most bytes of plan values alive at once, each from its first write to its last read. */
export function planPeakBytes(model: Model, batch: number): number {
  const plan: Plan = planGraph(model.graph, model.weights, batch);
  const first = plan.values.map(() => Infinity);
  const last = plan.values.map(() => -1);
  first[plan.input.value] = -1;
  plan.steps.forEach((step, i) => {
    const { reads, writes } = stepRefs(step);
    for (const ref of writes) first[ref.value] = Math.min(first[ref.value]!, i);
    for (const ref of [...reads, ...writes]) last[ref.value] = Math.max(last[ref.value]!, i);
  });
  for (const ref of plan.outputs.values()) last[ref.value] = Infinity;
  let peak = 0;
  for (let i = -1; i < plan.steps.length; i++) {
    const live = plan.values.reduce((sum, v, k) => sum + (first[k]! <= i && i <= last[k]! ? v.elements * BYTES : 0), 0);
    peak = Math.max(peak, live);
  }
  return peak;
}
