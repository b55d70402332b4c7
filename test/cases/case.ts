/** One op test case as data: a model of the op's node(s) on a per-sample input shape, run at a batch size. */
import type { ModelNode } from '../../src/model/types.js';

export interface OpCase {
  /** What the case exercises, for the test name. */
  name: string;
  /** Per-sample input: [C, H, W] or [F]. */
  input: number[];
  batch: number;
  /** The op under test, reading "input" (add names it several times). */
  node: ModelNode;
  /** Input values: random normals with exact zeros (default), or scaled, or all-zero rows. */
  values?: 'normal' | 'large' | 'zeros';
}
