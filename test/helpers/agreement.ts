/** The whole-network agreement check of semantics.md, shared by the backend tests. */
import { expect } from 'vitest';
import { argmaxRows } from '../../src/runner/compare.js';
import type { Graph } from '../../src/model/graph.js';
import type { Tensor } from '../../src/tensor/tensor.js';

/** Whether some layer takes the sign of its input: then a value within rounding of 0 may flip between backends. */
export function hasBinaryActivations(graph: Graph): boolean {
  return graph.nodes.some((n) => 'mode' in n.attrs && n.attrs.mode === 'xnor');
}

/**
 * Outputs [N, classes] of two backends, as [expected, actual] pairs (one per batch and
 * output): the same argmax on at least 99.9% of the samples, and logits within float
 * tolerance on every sample, or, with binary activations (a flipped sign moves that sample's
 * logits), on at least half of them: an error in the arithmetic moves them all.
 */
export function expectNetworksAgree(
  pairs: [Tensor<Float32Array>, Tensor<Float32Array>][],
  binaryActivations: boolean,
  label: string,
): void {
  let [samples, sameArgmax, closeLogits, worst] = [0, 0, 0, 0];
  for (const [expected, actual] of pairs) {
    const [e, a] = [argmaxRows(expected), argmaxRows(actual)];
    const width = expected.size / e.length;
    for (let row = 0; row < e.length; row++) {
      let [diff, scale] = [0, 0];
      for (let j = row * width; j < (row + 1) * width; j++) {
        diff = Math.max(diff, Math.abs(expected.data[j]! - actual.data[j]!));
        scale = Math.max(scale, Math.abs(expected.data[j]!));
      }
      samples++;
      if (e[row] === a[row]) sameArgmax++;
      if (diff <= 1e-3 * (1 + scale)) closeLogits++;
      worst = Math.max(worst, diff);
    }
  }
  const summary = `${label}: same argmax on ${sameArgmax}/${samples}, logits close on ${closeLogits}/${samples} (max diff ${worst.toExponential(2)})`;
  console.log(`[xnornet] ${summary}`);
  expect(sameArgmax / samples, summary).toBeGreaterThanOrEqual(0.999);
  expect(closeLogits, summary).toBeGreaterThanOrEqual(binaryActivations ? Math.ceil(samples / 2) : samples);
}
