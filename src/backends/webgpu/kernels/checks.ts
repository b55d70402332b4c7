/** Argument checks shared by the kernel bindings: they throw before anything is dispatched. */
import type { DType } from '../../../tensor/tensor.js';
import { formatShape } from '../../../tensor/tensor.js';
import type { GpuTensor } from '../gpu-tensor.js';

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Checks dtype and shape of a kernel argument, naming the kernel and the argument. */
export function expectTensor(t: GpuTensor, dtype: DType, shape: readonly number[], what: string): void {
  if (t.dtype !== dtype || !sameShape(t.shape, shape)) {
    throw new RangeError(`${what} must be ${dtype} ${formatShape(shape)}, got ${t.dtype} ${formatShape(t.shape)}`);
  }
}

export function expectDType(t: GpuTensor, dtype: DType, what: string): void {
  if (t.dtype !== dtype) throw new RangeError(`${what} must be ${dtype}, got ${t.dtype} ${formatShape(t.shape)}`);
}

/** Workgroups along one dimension, with a clear error past the device limit. */
export function groupsAlong(invocations: number, perGroup: number, limit: number, what: string): number {
  const groups = Math.ceil(invocations / perGroup);
  if (groups > limit) throw new RangeError(`${what}: needs ${groups} workgroups in one dimension, more than this device's ${limit}`);
  return groups;
}
